"""WebVTT and SRT captions: cues to speaker turns.

Video-call services write one sentence per cue; consecutive cues of one speaker are
merged into one turn (joined by a space). The speaker comes from a WebVTT voice tag
(``<v Jane Smith>``) or a ``Name:`` / ``[Name]`` prefix (perhaps after a dialogue dash or
the ``>>`` speaker-change mark of broadcast captions); a cue with neither continues the
previous speaker.
"""
from __future__ import annotations

import html
import re

from matcoder.errors import InputFileError
from matcoder.ingest.model import RawTurn
from matcoder.ingest.speakers import LABEL, QUALIFIER, RoleConfig, accepted_labels, norm_label

VTT_TIMING = re.compile(
    r"^\s*(?P<start>(?:\d{2,}:)?\d{2}:\d{2}\.\d{3})\s+-->\s+(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}(?:\s.*)?$"
)
# an SRT timing line may end in display coordinates ("X1:100 X2:600 Y1:40 Y2:80")
SRT_TIMING = re.compile(
    r"^\s*(?P<start>\d{1,2}:\d{2}:\d{2}[,.]\d{1,3})\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}(?:\s+[XY]\d:.*)?\s*$"
)
# a voice tag, perhaps inside other opening tags ("<c.yellow><v Jane Smith>", "<i><v Jane>") or
# after a cue timestamp ("<00:00:13.500><v Jane>")
VOICE = re.compile(r"^\s*(?:<(?!v[\s.])[^>/][^>]*>\s*)*<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>")
TAG = re.compile(r"</?[^>]*>")
# subtitle editors' override tags in SRT text: "{\an8}" (position), "{\i1}" (italics)
OVERRIDE = re.compile(r"\{\\[^{}]*\}")
# "Name: ", "Interviewer (SO): ", "[Name] " or "[Name]: ", after a dialogue dash ("- Name: ") or a
# caption speaker-change mark (">> NAME: ")
PREFIX = re.compile(rf"^\s*(?:(?:-|>>)\s*)?(?:\[(?P<b>[^\]]{{1,40}})\]:?|(?P<c>{LABEL}(?:\s*\({QUALIFIER}\))?)\s*:)\s+")


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Split into blank-line separated blocks, each with its 1-based first line number."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _cue_speaker(payload: str) -> tuple[str | None, str]:
    m = VOICE.match(payload)
    if m:
        return m.group("name").strip(), payload[m.end():]
    return None, payload


def _clean(payload: str) -> str:
    return " ".join(html.unescape(OVERRIDE.sub("", TAG.sub("", payload))).split())


def _merge(cues: list[tuple[str | None, str | None, str]], config: RoleConfig,
           path: str) -> list[RawTurn]:
    """Merge (speaker, timestamp, text) cues into turns, resolving ``Name:`` prefixes."""
    prefixed = []
    for speaker, ts, text in cues:
        if speaker is None:
            m = PREFIX.match(text)
            if m:
                prefixed.append((m.group("b") or m.group("c")).strip())
    accepted = accepted_labels(prefixed, config)
    turns: list[list] = []
    for speaker, ts, text in cues:
        if speaker is None:
            m = PREFIX.match(text)
            if m and norm_label(m.group("b") or m.group("c")) in accepted:
                speaker, text = (m.group("b") or m.group("c")).strip(), text[m.end():]
        text = text.strip()
        if not text:
            continue
        if speaker is None:
            if not turns:
                continue
            speaker = turns[-1][0]
        if turns and norm_label(turns[-1][0]) == norm_label(speaker):
            turns[-1][2].append(text)
        else:
            turns.append([speaker, ts, [text]])
    if not turns:
        raise InputFileError(
            path, "no speakers found: cues carry neither voice tags (<v Name>) nor 'Name:' prefixes"
        )
    return [RawTurn(speaker=s, timestamp=ts, text=" ".join(parts)) for s, ts, parts in turns]


def parse_vtt(text: str, path: str, config: RoleConfig) -> list[RawTurn]:
    blocks = _blocks(text)
    if not blocks or not blocks[0][1][0].lstrip().startswith("WEBVTT"):
        raise InputFileError(path, "not a WebVTT file: the first line must be 'WEBVTT'")
    cues = []
    for line_no, lines in blocks[1:]:
        if lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_at = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing_at is None or timing_at > 1:
            raise InputFileError(path, f"line {line_no}: cue has no timing line ('start --> end')")
        m = VTT_TIMING.match(lines[timing_at])
        if not m:
            raise InputFileError(
                path, f"line {line_no + timing_at}: malformed cue timing {lines[timing_at].strip()!r}"
            )
        payload = " ".join(lines[timing_at + 1:])
        speaker, rest = _cue_speaker(payload)
        cues.append((speaker, m.group("start"), _clean(rest)))
    if not cues:
        raise InputFileError(path, "WebVTT file has no cues")
    return _merge(cues, config, path)


def parse_srt(text: str, path: str, config: RoleConfig) -> list[RawTurn]:
    cues = []
    for line_no, lines in _blocks(text):
        timing_at = 1 if lines[0].strip().isdigit() else 0
        if len(lines) <= timing_at:
            raise InputFileError(path, f"line {line_no}: subtitle block has no timing line")
        m = SRT_TIMING.match(lines[timing_at])
        if not m:
            raise InputFileError(
                path, f"line {line_no + timing_at}: malformed subtitle timing "
                f"{lines[timing_at].strip()[:60]!r}"
            )
        cues.append((None, m.group("start"), _clean(" ".join(lines[timing_at + 1:]))))
    if not cues:
        raise InputFileError(path, "SRT file has no subtitles")
    return _merge(cues, config, path)
