"""Render the invented sample interviews (scripts/sample_sources/*.txt) into the
formats transcription services deliver, in transcripts_sample/.

Source format: a first line ``# file=NAME style=STYLE interviewer=LABEL ceo=LABEL``,
then turns, each a paragraph starting ``I:`` (interviewer) or ``C:`` (CEO); a
paragraph starting ``+`` continues the previous turn. Styles:

- txt-colon / txt-qa / txt-names-cp1252 / md-otter-bom / txt-two-interviewers
- docx-bold (bold labels, no colon, title and metadata first) / docx-plain / docx-table
- vtt-voice (WebVTT voice tags, one sentence per cue) / vtt-prefix (Zoom ``Name: text``)
- srt-prefix (``NAME: text``) / srt-brackets (``[Name] text``)

Usage: python scripts/make_samples.py [--out transcripts_sample]
"""
from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_source(path: Path) -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n")
    meta = dict(item.split("=", 1) for item in shlex.split(head.lstrip("# ")))
    turns: list[tuple[str, list[str]]] = []
    for para in re.split(r"\n\s*\n", body.strip()):
        para = " ".join(para.split())
        if para.startswith("+"):
            turns[-1][1].append(para[1:].strip())
        else:
            who, _, said = para.partition(":")
            turns.append((who.strip(), [said.strip()]))
    return meta, turns


def sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+(?=[A-Z\"'])", paragraph) if s]


def clock(seconds: float, sep: str = ".") -> str:
    h, rem = divmod(int(seconds), 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{int((seconds % 1) * 1000):03d}"


def label(meta: dict, who: str, n: int = 0) -> str:
    if who == "I" and "interviewer2" in meta and n % 3 == 2:
        return meta["interviewer2"].replace("_", " ")
    return (meta["interviewer"] if who == "I" else meta["ceo"]).replace("_", " ")


def timed_cues(meta, turns):
    t = 2.0
    for n, (who, paras) in enumerate(turns):
        for para in paras:
            for sentence in sentences(para):
                length = max(1.5, len(sentence.split()) / 2.6)
                yield label(meta, who, n), t, t + length, sentence
                t += length + 0.4


def render_text(meta, turns, style: str) -> str:
    lines: list[str] = []
    t = 0
    for n, (who, paras) in enumerate(turns):
        name = label(meta, who, n)
        if style == "txt-qa":
            lines.append(f"[{clock(t)[:8]}] {'Q' if who == 'I' else 'A'}: " + "\n\n".join(paras))
        elif style == "md-otter-bom":
            lines.append(f"{name}  {t // 60}:{t % 60:02d}\n" + "\n\n".join(paras))
        else:
            lines.append(f"{name}: " + "\n\n".join(paras))
        t += sum(len(p.split()) for p in paras) // 2 + 5
        lines.append("")
    header = meta.get("title", "").replace("_", " ")
    return (header + "\n\n" if header else "") + "\n".join(lines)


def render_vtt(meta, turns, style) -> str:
    out = ["WEBVTT", ""]
    for i, (who, start, end, sentence) in enumerate(timed_cues(meta, turns), start=1):
        payload = f"<v {who}>{sentence}</v>" if style == "vtt-voice" else f"{who}: {sentence}"
        out += [f"{i}", f"{clock(start)} --> {clock(end)}", payload, ""]
    return "\n".join(out)


def render_srt(meta, turns, style) -> str:
    out = []
    last = None
    for i, (who, start, end, sentence) in enumerate(timed_cues(meta, turns), start=1):
        if style == "srt-brackets":
            payload = f"[{who}] {sentence}"
        else:  # speaker prefix on the first cue of a turn only, as many services do
            payload = f"{who.upper()}: {sentence}" if who != last else sentence
        last = who
        out += [str(i), f"{clock(start, ',')} --> {clock(end, ',')}", payload, ""]
    return "\n".join(out)


def render_docx(meta, turns, style, path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading(meta.get("title", "Interview transcript").replace("_", " "), level=1)
    doc.add_paragraph("Transcribed from an audio recording. Confidential research data.")
    doc.add_paragraph("Duration: approximately 50 minutes")
    if style == "docx-table":
        table = doc.add_table(rows=0, cols=2)
        for n, (who, paras) in enumerate(turns):
            cells = table.add_row().cells
            cells[0].text = label(meta, who, n)
            cells[1].text = "\n".join(paras)
    else:
        for n, (who, paras) in enumerate(turns):
            for k, para in enumerate(paras):
                p = doc.add_paragraph()
                if k == 0 and style == "docx-bold":
                    p.add_run(label(meta, who, n)).bold = True
                    p.add_run(" " + para)
                elif k == 0:
                    p.add_run(f"{label(meta, who, n)}: {para}")
                else:
                    p.add_run(para)
    doc.core_properties.author = "matcoder sample generator"
    doc.save(path)


def render(source: Path, out_dir: Path) -> Path:
    meta, turns = parse_source(source)
    style = meta["style"]
    path = out_dir / meta["file"]
    if style.startswith("docx"):
        render_docx(meta, turns, style, path)
        return path
    if style.startswith("vtt"):
        text = render_vtt(meta, turns, style)
    elif style.startswith("srt"):
        text = render_srt(meta, turns, style)
    else:
        text = render_text(meta, turns, style)
    if style == "txt-qa":
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    elif style == "txt-names-cp1252":
        path.write_bytes(text.encode("cp1252"))
    elif style == "md-otter-bom":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "transcripts_sample"))
    args = ap.parse_args()
    for source in sorted((ROOT / "scripts" / "sample_sources").glob("*.txt")):
        print(render(source, Path(args.out)))


if __name__ == "__main__":
    main()
