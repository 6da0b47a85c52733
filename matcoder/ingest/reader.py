"""One file in, one Transcript out (or an InputFileError naming the file)."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from matcoder.errors import InputFileError
from matcoder.ingest.captions import parse_srt, parse_vtt
from matcoder.ingest.docx_reader import read_docx, read_docx_by_emphasis
from matcoder.ingest.model import Transcript
from matcoder.ingest.speakers import RoleConfig, assign_roles, split_labelled_text
from matcoder.ingest.text import decode_bytes, normalise

FORMATS = {".txt": "txt", ".md": "txt", ".docx": "docx", ".vtt": "vtt", ".srt": "srt"}
MAX_FILE_BYTES = 20 * 1024 * 1024
SKIPPED_NAMES = re.compile(r"^(readme|license|licence|changelog)(\..*)?$", re.I)


def interview_id_for(path: Path) -> str:
    """Stable interview id from the file name: lower-case stem, runs of other chars -> '-'."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.casefold()).strip("-")
    return slug or "interview"


def interview_id_of(reference: str) -> str:
    """The interview id a reference typed by a team names: a transcript's file name, a
    path to it (POSIX or Windows, quoted as Windows' "Copy as path" gives it), or the id."""
    return interview_id_for(Path(re.split(r"[\\/]", reference.strip().strip('"'))[-1]))


def _skipped(name: str) -> bool:
    """Hidden files, Word lock files, and a folder's own README: never transcripts."""
    return name.startswith((".", "~$")) or bool(SKIPPED_NAMES.match(name))


def discover(folder: Path) -> tuple[list[Path], list[Path]]:
    """Transcript files in ``folder`` (sorted), and what was not read: other files (the
    case sheet among them; the caller leaves it out of its report) and subfolders that
    hold transcript files. Those are not read, as an old or draft version may be kept
    there, but named: a team that sorted a round into folders would lose them in silence."""
    transcripts, ignored = [], []
    for path in sorted(folder.iterdir()):
        if _skipped(path.name):
            continue
        if path.is_dir():
            if _holds_transcripts(path):
                ignored.append(path)
            continue
        if not path.is_file():
            continue
        if path.suffix.lower() in FORMATS:
            transcripts.append(path)
        else:
            ignored.append(path)
    return transcripts, ignored


def _holds_transcripts(folder: Path) -> bool:
    try:
        return any(p.suffix.lower() in FORMATS and not _skipped(p.name) and p.is_file()
                   for p in folder.rglob("*") if not any(part.startswith(".") for part in p.relative_to(folder).parts))
    except OSError:  # unreadable: nothing found there
        return False


def read_transcript(path: Path, config: RoleConfig | None = None) -> Transcript:
    config = config or RoleConfig()
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputFileError(path, f"unsupported file type {path.suffix!r} (use .txt, .md, .docx, .vtt, .srt)")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputFileError(path, f"file too large ({size // 1_048_576} MB; limit is 20 MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot read file ({exc.strerror})") from None
    if not data.strip():
        raise InputFileError(path, "file is empty")
    name = str(path)
    header: list[str] = []
    if fmt == "docx":
        text = normalise(read_docx(path))
        if not text.strip():
            raise InputFileError(path, "DOCX has no text")
        header, raw = split_labelled_text(text, config)
        if len({turn.speaker for turn in raw}) < 2 and (by_emphasis := read_docx_by_emphasis(path)):
            header, raw = split_labelled_text(normalise(by_emphasis), config)
    else:
        text = decode_bytes(data, name)
        if fmt == "vtt":
            raw = parse_vtt(text, name, config)
        elif fmt == "srt":
            raw = parse_srt(text, name, config)
        else:
            header, raw = split_labelled_text(text, config)
    turns = assign_roles(raw, config, name)
    return Transcript(
        interview_id=interview_id_for(path),
        source_file=path.name,
        source_format=fmt,
        content_hash=hashlib.sha256(data).hexdigest(),
        header=header,
        turns=turns,
    )
