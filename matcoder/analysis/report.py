"""``matcoder report``: one self-contained HTML page (figures embedded, no network, no
script) plus the figures as PNG files beside it:

1. the centralisation heatmap: trusts x the twelve operating areas, mean weight;
2. code frequencies (cases) by strategy cluster and by trust size band;
3. break points by growth stage;
4. interview-coded vs survey-reported centralisation per area, when a survey file is
   given (triangulation);
5. the quote bank.

Everything comes from the named queries and the quote bank, so the page shows exactly
what ``matcoder query`` and ``matcoder quotes`` give. Human codings win (``basis``).
"""
from __future__ import annotations

import base64
import csv
import html
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from matcoder.codebook.schema import Codebook
from matcoder.errors import InputFileError
from matcoder.ingest.text import decode_bytes
from matcoder.warehouse.named_queries import run as run_query

FIGURES = ("centralisation_heatmap", "codes_by_cluster", "codes_by_size", "breakpoints_by_stage")


@dataclass
class Figure:
    name: str
    title: str
    png: bytes
    caption: str


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def _short(code: str) -> str:
    return code.split(".", 1)[1].replace("_", " ")


def heatmap(book: Codebook, rows: list[tuple]) -> Figure:
    """``rows``: the ``centralisation_profile`` query's."""
    plt = _plt()
    areas = [c.id for c in book.families["area"].codes]
    cases = sorted({r[0] or "unlisted" for r in rows}, key=lambda c: (len(c), c))
    grid = [[float("nan")] * len(areas) for _ in cases]
    for case, area, _n, mean, *_ in rows:
        grid[cases.index(case or "unlisted")][areas.index(area)] = mean
    fig, ax = plt.subplots(figsize=(10, 0.45 * max(len(cases), 3) + 2))
    im = ax.imshow(grid, cmap="RdYlBu_r", vmin=1, vmax=3, aspect="auto")
    ax.set_xticks(range(len(areas)), [_short(a) for a in areas], rotation=40, ha="right")
    ax.set_yticks(range(len(cases)), cases)
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v == v:
                ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label="mean weight (1 devolved - 3 centralised)")
    ax.set_title("Centralisation by trust and operating area")
    return Figure("centralisation_heatmap", "Centralisation heatmap", _png(fig),
                  "Mean centralisation weight of the area codings per trust; blank: no weighted coding.")


def _grouped_bars(title: str, by: dict[str, dict[str, int]], ylabel: str, order: list[str] | None = None):
    plt = _plt()
    codes = sorted({c for counts in by.values() for c in counts})
    groups = [g for g in order if g in by] if order else sorted(by)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / max(len(groups), 1)
    for k, g in enumerate(groups):
        ax.bar([i + k * width for i in range(len(codes))], [by[g].get(c, 0) for c in codes], width, label=g)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(codes))], [_short(c) for c in codes], rotation=60,
                  ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if groups:
        ax.legend(fontsize=8)
    return fig


def codes_by_cluster(con, book: Codebook, basis: str) -> Figure:
    cols, rows = run_query(con, "code_frequency", {"attribute": "strategy_cluster"}, book, basis)
    by: dict[str, dict[str, int]] = defaultdict(dict)
    for code, value, cases, _excerpts in rows:
        if value is not None and not code.startswith("growth."):
            by[f"cluster {value}"][code] = cases
    return Figure("codes_by_cluster", "Codes by strategy cluster",
                  _png(_grouped_bars("Trusts with each code, by strategy cluster", by, "trusts (cases)")),
                  "Number of trusts whose interview carries each code.")


def codes_by_size(con, book: Codebook, basis: str) -> Figure:
    cols, rows = run_query(con, "ceo_by_size", {}, book, basis)
    by: dict[str, dict[str, int]] = defaultdict(dict)
    for band, code, cases, *_ in rows:
        by[_short(band)][code] = cases
    return Figure("codes_by_size", "CEO behaviours by trust size",
                  _png(_grouped_bars("CEO behaviours by trust size band", by, "trusts (cases)",
                                     [_short(s.code) for s in book.growth_stages])),
                  "Trusts whose CEO shows each behaviour, by size band (number of schools, codebook growth stages).")


def breakpoints(con, book: Codebook, basis: str) -> Figure:
    cols, rows = run_query(con, "breakpoints_by_stage", {}, book, basis)
    by: dict[str, dict[str, int]] = defaultdict(dict)
    for stage, code, _excerpts, cases in rows:
        by[_short(stage)][code] = cases
    return Figure("breakpoints_by_stage", "Break points by growth stage",
                  _png(_grouped_bars("Break points by the growth stage described", by, "trusts (cases)",
                                     [_short(s.code) for s in book.growth_stages])),
                  "Break points coded in the same excerpt as a growth stage: the stage the CEO was describing.")


def read_survey(path: Path, book: Codebook) -> dict[str, dict[str, float]]:
    """Survey CSV: a ``pseudonym`` (or ``case``) column and one 0-10 column per operating
    area (the code ID or its suffix, e.g. ``curriculum_pedagogy``)."""
    text = decode_bytes(path.read_bytes(), str(path))
    reader = csv.DictReader(io.StringIO(text))
    areas = {c.id.split(".", 1)[1]: c.id for c in book.families["area"].codes}
    fields = reader.fieldnames or []
    key = next((f for f in fields if f.strip().lower() in ("pseudonym", "case", "mat")), None)
    if key is None:
        raise InputFileError(path, "survey file needs a 'pseudonym' column (e.g. MAT 27)")
    out: dict[str, dict[str, float]] = {}
    for line, row in enumerate(reader, start=2):
        scores = {}
        for f in fields:
            code = areas.get(f.strip().removeprefix("area."))
            if code and (row.get(f) or "").strip():
                try:
                    value = float(row[f])
                except ValueError:
                    raise InputFileError(path, f"line {line}: {f} is not a number") from None
                if not 0 <= value <= 10:
                    raise InputFileError(path, f"line {line}: {f} = {value} is outside 0-10")
                scores[code] = value
        out[row[key].strip()] = scores
    return out


def triangulation(book: Codebook, rows: list[tuple], survey: dict[str, dict[str, float]]) -> tuple[Figure, list]:
    """Per area: interview-coded mean weight (``rows`` of ``centralisation_profile``)
    rescaled to 0-10 ((w - 1) * 5) beside the survey's mean score, over the trusts that
    have both."""
    plt = _plt()
    coded = {(case, area): mean for case, area, _n, mean, *_ in rows}
    table = []
    for area in [c.id for c in book.families["area"].codes]:
        pairs = [((coded[(case, area)] - 1) * 5, scores[area]) for case, scores in survey.items()
                 if area in scores and (case, area) in coded]
        table.append((area, len(pairs), round(sum(p[0] for p in pairs) / len(pairs), 2) if pairs else None,
                      round(sum(p[1] for p in pairs) / len(pairs), 2) if pairs else None))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    xs = range(len(table))
    ax.bar([x - 0.2 for x in xs], [t[2] or 0 for t in table], 0.4, label="interviews (coded weight, 0-10)")
    ax.bar([x + 0.2 for x in xs], [t[3] or 0 for t in table], 0.4, label="survey (reported, 0-10)")
    ax.set_xticks(list(xs), [_short(t[0]) for t in table], rotation=40, ha="right")
    ax.set_ylim(0, 10)
    ax.legend()
    ax.set_title("Centralisation: interview-coded vs survey-reported")
    return Figure("triangulation", "Triangulation with the survey", _png(fig),
                  "Means over the trusts with both an interview coding and a survey score for the area."), table


def build(con, book: Codebook, out_dir: Path, basis: str = "effective", survey: Path | None = None,
          per_code: int = 3) -> Path:
    from matcoder.analysis.quotes import select

    out_dir.mkdir(parents=True, exist_ok=True)
    _, profile = run_query(con, "centralisation_profile", {}, book, basis)
    figures = [heatmap(book, profile), codes_by_cluster(con, book, basis),
               codes_by_size(con, book, basis), breakpoints(con, book, basis)]
    tri_table = None
    if survey:
        fig, tri_table = triangulation(book, profile, read_survey(survey, book))
        figures.append(fig)
    for f in figures:
        (out_dir / f"{f.name}.png").write_bytes(f.png)
    quotes = select(con, book, per_code=per_code)
    counts = con.execute("SELECT (SELECT count(*) FROM interviews), (SELECT count(*) FROM excerpts), "
                         "(SELECT count(*) FROM effective_codings), "
                         "(SELECT count(*) FROM effective_codings WHERE basis = 'human')").fetchone()
    page = _html(book, figures, quotes, counts, basis, tri_table)
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _html(book, figures, quotes, counts, basis, tri_table) -> str:
    from matcoder.analysis.quotes import attribution

    e = html.escape
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; img-src data:; "
             "style-src 'unsafe-inline'\">",
             "<title>matcoder report</title><style>body{font-family:system-ui,sans-serif;max-width:1100px;"
             "margin:2em auto;padding:0 1em;color:#222}figure{margin:2em 0}img{max-width:100%}"
             "blockquote{border-left:4px solid #bbb;margin:1em 0;padding:.2em 1em;color:#333}"
             ".cite{color:#666;font-size:.9em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
             "padding:.2em .6em}</style></head><body>",
             "<h1>Coded interviews: cross-case report</h1>",
             f"<p>{counts[0]} interviews, {counts[1]} excerpts, {counts[2]} codings ({counts[3]} confirmed by "
             f"reviewers); codings basis: {e(basis)}. Names are replaced by bracketed roles.</p>"]
    for f in figures:
        data = base64.b64encode(f.png).decode()
        parts.append(f"<figure id='{f.name}'><h2>{e(f.title)}</h2><img alt='{e(f.title)}' "
                     f"src='data:image/png;base64,{data}'><figcaption>{e(f.caption)}</figcaption></figure>")
    if tri_table:
        parts.append("<table><tr><th>area</th><th>trusts</th><th>interviews (0-10)</th><th>survey (0-10)</th></tr>")
        for area, n, coded, surveyed in tri_table:
            parts.append(f"<tr><td>{e(area)}</td><td>{n}</td><td>{coded if coded is not None else '–'}</td>"
                         f"<td>{surveyed if surveyed is not None else '–'}</td></tr>")
        parts.append("</table>")
    parts.append("<section id='quotes'><h2>Quote bank</h2>")
    current = None
    for q in quotes:
        if q.code != current:
            current = q.code
            parts.append(f"<h3>{e(q.label)} <code>{e(q.code)}</code></h3>")
        parts.append(f"<blockquote>{e(q.text)}<div class='cite'>— {e(attribution(q, book))}</div></blockquote>")
    parts.append("</section></body></html>")
    return "\n".join(parts)
