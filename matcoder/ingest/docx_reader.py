"""DOCX transcripts: paragraphs (and tables of speaker, time and text) to label lines.

A label in bold without a colon (``**Interviewer** So...``), at the start of a paragraph or
of a line in it (turns split by line breaks), is given one, so the
label-line parser of plain text handles both styles.

Text is read as Word shows it with every tracked change accepted: a transcript corrected
with Track Changes on and sent before anyone accepted them keeps its inserted words and
loses its deleted ones (python-docx's ``Paragraph.text`` skips insertions).
"""
from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

from matcoder.errors import InputFileError
from matcoder.ingest.speakers import TIMESTAMP_ONLY

MAX_DOCX_XML_BYTES = 50 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RUN_CONTENT = {_W + "t": None, _W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n", _W + "noBreakHyphen": "-"}
_REJECTED = {_W + "del", _W + "moveFrom", "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"}


def _on(run, mark: str) -> bool:
    """Whether the run's own formatting turns ``mark`` (``b``, ``i``) on (``w:val`` 0, false
    or off turns it off)."""
    element = run.find(f"{_W}rPr/{_W}{mark}")
    return element is not None and element.get(_W + "val", "true") not in ("0", "false", "off")


def _pieces(paragraph_element):
    """(text, bold, italic) of each run's text, tab and break in document order, inserted
    and moved-to text included, deleted and moved-from text (and the fallback copy of a
    text box) left out."""
    for node in paragraph_element.iter(*_RUN_CONTENT):
        run = node.getparent()
        if run.tag != _W + "r" or any(a.tag in _REJECTED for a in node.iterancestors()):
            continue
        yield (node.text or "" if node.tag == _W + "t" else _RUN_CONTENT[node.tag]), _on(run, "b"), _on(run, "i")


def accepted_text(paragraph_element) -> str:
    """A paragraph's text with tracked changes accepted."""
    return "".join(text for text, *_ in _pieces(paragraph_element))


def _labelled(pieces: list[tuple[str, bool, bool]]) -> str:
    """One line of a paragraph, a bold label at its start given a colon."""
    text = "".join(t for t, *_ in pieces)
    bold = ""
    for piece, is_bold, _ in pieces:
        if is_bold or not piece.strip():
            bold += piece
        else:
            break
    label, rest = bold.strip(), text[len(bold):]
    if (label and rest.strip() and not label.endswith(":") and not rest.lstrip().startswith(":")
            and len(label) <= 40 and len(label.split()) <= 5):
        return f"{label}: {rest.strip()}"
    return text


def _paragraph_line(paragraph_element) -> str:
    """A paragraph as text, each line of it (a paragraph may hold several turns split by
    line breaks, Shift+Enter in Word) read for a bold label."""
    lines: list[list[tuple[str, bool, bool]]] = [[]]
    for piece in _pieces(paragraph_element):
        if piece[0] == "\n":
            lines.append([])
        else:
            lines[-1].append(piece)
    return "\n".join(_labelled(line) for line in lines)


def _blocks(parent):
    """The paragraphs and tables of a body in document order, including those a content
    control (``w:sdt``, as document templates wrap their fields) or custom XML holds."""
    for child in parent.iterchildren():
        if child.tag in (_W + "sdt", _W + "customXml"):
            content = child.find(_W + "sdtContent") if child.tag == _W + "sdt" else child
            if content is not None:
                yield from _blocks(content)
        else:
            yield child


def _iter_block_lines(document) -> list[str]:
    from docx.table import Table

    lines: list[str] = []
    for child in _blocks(document.element.body):
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(_paragraph_line(child))
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = ["\n".join(accepted_text(p._p) for p in c.paragraphs).strip() for c in row.cells]
                lines.extend(_row_lines([c for i, c in enumerate(cells) if c and c not in cells[:i]]))
    return lines


def _row_lines(cells: list[str]) -> list[str]:
    """A table row as label lines: "Speaker | Text", "Speaker | Time | Text" and "Time |
    Speaker | Text" (as transcription services lay them out) become "Speaker (time): Text"
    (the first cell that is not a time is the speaker, if 40 characters at most; the last
    cell is the talk); any other row, its cells as lines."""
    times, labels = [], []
    for cell in cells[:-1]:
        (times if TIMESTAMP_ONLY.match(cell) else labels).append(cell)
    if labels and len(labels[0]) <= 40:
        when = f" ({times[0].strip().strip('[]()')})" if times else ""
        return [f"{labels[0]}{when}: {cells[-1]}"]
    return cells


def _open(path: Path):
    """The python-docx document; raise InputFileError for broken files."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        with zipfile.ZipFile(path) as archive:
            members = {i.filename: i.file_size for i in archive.infolist()}
            if "word/document.xml" not in members:
                raise InputFileError(path, "not a valid DOCX: no word/document.xml inside")
            if sum(members.values()) > MAX_DOCX_XML_BYTES:
                raise InputFileError(path, "DOCX too large when unpacked (over 50 MB)")
            archive.testzip()
        return Document(str(path))
    except InputFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise InputFileError(path, f"not a valid DOCX: damaged or truncated archive ({exc})") from None
    except (PackageNotFoundError, XMLSyntaxError, KeyError, ValueError) as exc:
        raise InputFileError(path, f"not a valid DOCX: {exc}") from None


def read_docx(path: Path) -> str:
    """Return the document as text lines; raise InputFileError for broken files."""
    # a blank line between paragraphs keeps them as paragraphs of one turn
    return "\n\n".join(_iter_block_lines(_open(path)))


def _emphasis(paragraph_element) -> str | None:
    """"bold" or "italic" when every word of the paragraph is, else None."""
    marks = [(bold, italic) for text, bold, italic in _pieces(paragraph_element) if text.strip()]
    if marks and all(bold for bold, _ in marks):
        return "bold"
    if marks and all(italic for _, italic in marks):
        return "italic"
    return None


def read_docx_by_emphasis(path: Path) -> str | None:
    """A transcript without speaker labels that sets one speaker apart by formatting (each
    question a bold, or an italic, paragraph; the answers plain), as label lines:
    ``Interviewer:`` for one side and ``Respondent:`` for the side that says more. The
    paragraphs before the first emphasised one are the header. None when the document is
    not laid out so (two turns a side at least)."""
    paragraphs = [(accepted_text(child).strip(), _emphasis(child))
                  for child in _blocks(_open(path).element.body) if child.tag == _W + "p"]
    paragraphs = [(text, kind) for text, kind in paragraphs if text]
    kinds = Counter(kind for _, kind in paragraphs if kind)
    if not kinds:
        return None
    kind = kinds.most_common(1)[0][0]
    start = next(i for i, (_, k) in enumerate(paragraphs) if k == kind)
    turns: list[tuple[bool, list[str]]] = []  # (emphasised, paragraphs)
    for text, k in paragraphs[start:]:
        if turns and turns[-1][0] == (k == kind):
            turns[-1][1].append(text)
        else:
            turns.append((k == kind, [text]))
    if min(sum(e for e, _ in turns), sum(not e for e, _ in turns)) < 2:
        return None
    words = Counter()
    for emphasised, texts in turns:
        words[emphasised] += sum(len(text.split()) for text in texts)
    answers = words[True] > words[False]
    return "\n\n".join([text for text, _ in paragraphs[:start]] + [
        f"{'Respondent' if emphasised == answers else 'Interviewer'}: " + "\n\n".join(texts)
        for emphasised, texts in turns])
