"""The quote bank (``matcoder quotes``): the best quotes for each code, ready for a report.

- Source: ``effective_codings`` (human codings win); per code, reviewer-confirmed quotes
  first, then by score, at most ``per_code``, at most one quote per case and code so
  the bank spreads across trusts.
- Each quote is the exact source text, trimmed only at sentence boundaries (an
  ellipsis marks a cut): the sentence that triggered the code when the coder recorded
  one (rules evidence), with neighbours while it stays under ``max_words``.
- Cited by the case pseudonym and cluster (``MAT 27 (cluster 1)``) and pseudonymised:
  names from the case sheet, the names file and speaker labels become bracketed roles.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from matcoder.codebook.schema import Codebook
from matcoder.privacy.pseudonymise import WarehouseNames
from matcoder.segment import sentence_spans
from matcoder.warehouse.filters import Condition, code_sql, where_sql

ELLIPSIS = "…"


@dataclass(frozen=True)
class Quote:
    code: str
    label: str
    citation: str
    case: str | None
    cluster: int | None
    weight: int | None
    reviewed: bool
    score: float | None
    text: str  # pseudonymised, with ellipses where trimmed
    excerpt_id: str
    interview_id: str
    turn: int
    start: int  # source offsets of the quoted span within the turn
    end: int


def citation(pseudonym: str | None, cluster: int | None) -> str:
    case = pseudonym or "unlisted case"
    return f"{case} (cluster {cluster})" if cluster is not None else case


def trim(text: str, anchor: int | None, max_words: int) -> tuple[int, int]:
    """The [start, end) of whole sentences around ``anchor`` (an offset in ``text``;
    None: the start) that stay within ``max_words`` (one sentence always fits)."""
    spans = [s for s, _ in sentence_spans(text)]
    if not spans:
        return 0, len(text)
    at = 0
    if anchor is not None:
        at = next((i for i, s in enumerate(spans) if s.start <= anchor < s.end), 0)
    lo = hi = at
    words = lambda a, b: len(text[spans[a].start:spans[b].end].split())
    while True:
        grown = False
        if hi + 1 < len(spans) and words(lo, hi + 1) <= max_words:
            hi, grown = hi + 1, True
        if lo > 0 and words(lo - 1, hi) <= max_words:
            lo, grown = lo - 1, True
        if not grown:
            break
    return spans[lo].start, spans[hi].end


def _anchor(evidence: str | None) -> int | None:
    if not evidence:
        return None
    try:
        items = json.loads(evidence)
    except ValueError:
        return None
    spans = [i for i in items if isinstance(i, dict) and i.get("end", 0) > i.get("start", 0)]
    return spans[0]["start"] if spans else None


def select(con, book: Codebook, codes: Sequence[str] = (), weights: Sequence[int] = (),
           where: Sequence[Condition] = (), per_code: int = 5, max_words: int = 80) -> list[Quote]:
    clause, values = where_sql(where)
    match, code_values = code_sql(codes, "c.code_id")
    code_filter = f" AND {match}" if match else ""
    values += code_values
    if weights:
        code_filter += f" AND c.weight IN ({', '.join('?' * len(weights))})"
        values += list(weights)
    rows = con.execute(f"""
        WITH ranked AS (
            SELECT c.code_id, c.weight, c.basis, c.score, e.excerpt_id, e.interview_id, e.turn, e.start, e.text,
                   i.pseudonym, i.strategy_cluster,
                   (SELECT any_value(m.evidence) FROM codings m WHERE m.excerpt_id = c.excerpt_id
                      AND m.code_id = c.code_id AND m.source = 'rules') AS evidence,
                   row_number() OVER (PARTITION BY c.code_id, e.interview_id
                                      ORDER BY c.basis = 'model', c.score DESC NULLS LAST, e.excerpt_id) AS in_case
            FROM effective_codings c JOIN excerpts e USING (excerpt_id) JOIN interviews i USING (interview_id)
            WHERE true {clause} {code_filter})
        SELECT * EXCLUDE (in_case) FROM ranked WHERE in_case = 1
        QUALIFY row_number() OVER (PARTITION BY code_id ORDER BY basis = 'model', score DESC NULLS LAST,
                                   excerpt_id) <= ?
        ORDER BY code_id, basis = 'model', score DESC NULLS LAST, excerpt_id""", values + [per_code]).fetchall()
    labels = {c.id: c.label for c in book.codes()}
    names = WarehouseNames(con)
    quotes = []
    for code, weight, basis, score, excerpt_id, iid, turn, start, text, pseudonym, cluster, evidence in rows:
        lo, hi = trim(text, _anchor(evidence), max_words)
        shown = names.text(iid, text[lo:hi])
        shown = (ELLIPSIS + " " if lo > 0 else "") + shown + (" " + ELLIPSIS if hi < len(text.rstrip()) else "")
        quotes.append(Quote(code, labels.get(code, code), citation(pseudonym, cluster), pseudonym, cluster, weight,
                            basis == "human", score, shown, excerpt_id, iid, turn, start + lo, start + hi))
    return quotes


INTRO = ("Reviewer-confirmed quotes first. Names are replaced by bracketed roles; an ellipsis marks a cut at a "
         "sentence boundary.")


def heading(quotes: Sequence[Quote], selection: str = "") -> str:
    """The bank's opening line: how many quotes, the selection they answer (so a bank
    pasted into a report says what it was drawn from), and how many a reviewer has not
    yet checked (their codes and weights are the coder's proposals)."""
    unchecked = sum(not q.reviewed for q in quotes)
    status = (f" {unchecked} of them machine-coded and not yet reviewed: check their codes and weights before "
              "citing them." if unchecked else "")
    chosen = f" Selection: {selection}." if selection else ""
    return f"{len(quotes)} {'quote' if len(quotes) == 1 else 'quotes'}.{chosen}{status} {INTRO}"


def selection(codes: Sequence[str], weights: Sequence[int], where: Sequence[str], per_code: int) -> str:
    """What the bank was drawn from, as the analyst asked for it (``where`` as typed)."""
    parts = ["codes " + ", ".join(c.rstrip(".") for c in codes) if codes else "every code"]
    parts += list(where)
    if weights:
        parts.append("weight " + " or ".join(str(w) for w in sorted(set(weights))))
    return "; ".join([*parts, f"at most {per_code} per code"])


def attribution(q: Quote, book: Codebook) -> str:
    """The line under a quote: its citation, then weight and review status."""
    weight = f"weight {q.weight} ({book.weight_level(q.weight).label.lower()})" if q.weight else ""
    details = ", ".join(x for x in (weight, "reviewed" if q.reviewed else "") if x)
    return q.citation + (f"; {details}" if details else "")


def markdown(quotes: Sequence[Quote], book: Codebook, title: str = "Quote bank", chosen: str = "") -> str:
    lines = [f"# {title}", "", heading(quotes, chosen), ""]
    current = None
    for q in quotes:
        if q.code != current:
            current = q.code
            lines += [f"## {q.label} (`{q.code}`)", ""]
        lines += [f"> {q.text}", ">", f"> — {attribution(q, book)}", ""]
    return "\n".join(lines)


def csv_text(quotes: Sequence[Quote]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "label", "citation", "case", "cluster", "weight", "reviewed", "score", "quote", "excerpt_id"])
    for q in quotes:
        w.writerow([q.code, q.label, q.citation, q.case, q.cluster, q.weight, q.reviewed, q.score, q.text,
                    q.excerpt_id])
    return buf.getvalue()


def write_docx(quotes: Sequence[Quote], book: Codebook, path: Path, title: str = "Quote bank",
               chosen: str = "") -> None:
    """A Word document to paste from: a heading per code, each quote an indented
    italic paragraph followed by its citation."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.add_heading(title, level=1)
    doc.add_paragraph(heading(quotes, chosen))
    quote_style = "Quote" if "Quote" in [s.name for s in doc.styles] else None
    current = None
    for q in quotes:
        if q.code != current:
            current = q.code
            doc.add_heading(f"{q.label} ({q.code})", level=2)
        run = doc.add_paragraph(style=quote_style).add_run(f"“{q.text}”")
        run.italic = True
        run.font.size = Pt(11)
        doc.add_paragraph(attribution(q, book))
    doc.save(str(path))
