"""Scoring coders against gold codings: per-code precision, recall, F1 and Cohen's
kappa (code present / absent per excerpt), micro and macro per family, and agreement
on the centralisation weight where both sides coded the same area code. When the
predictions carry scores, also how well calibrated they are: per family, the share of
codings that were right against their mean score, the Brier score and the expected
calibration error over score bins.

Gold and predictions are JSONL, one excerpt a line:
``{"id", "text", "question"?, "codes": [{"code", "weight"}]}`` (predictions need only
``id`` and ``codes``; the output of ``matcoder code-excerpts`` fits).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from matcoder.codebook.schema import Codebook
from matcoder.jsonl import read_records

Codes = dict[str, int | None]  # code -> weight (None when not weighted)
Scores = dict[str, float]  # code -> the coder's score for it
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # score bins of the reliability table
WEIGHT_LEVELS = (1, 2, 3, None)  # rows and columns of the weight confusion table (None: empty)


class _CodeItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str
    weight: int | None = None
    score: float | None = None


class CodedLine(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)  # id 27 is "27"
    id: str
    text: str | None = None
    question: str | None = None
    codes: list[_CodeItem]


def read_coded(path: Path, book: Codebook, notes: list[str] | None = None) -> dict[str, CodedLine]:
    """Read gold or predicted codings, checked against ``book`` (``coding_problem``); any
    bad line refuses the file, naming the file and every bad line's number: a typo in a
    code ID must not quietly score as an excerpt without that code. Codes of a family the
    codebook does not have (the coding frame's optional ``model.*``, ``context.*``) and
    weights on codes of an unweighted family are set aside, not scored or trained on;
    ``notes`` (when given) gets one line saying how many."""
    lines = read_records(path, CodedLine, lambda line: coding_problem(_as_codebook_writes(line, book), book))
    other: Counter[str] = Counter()
    unweighted = 0
    for line in lines.values():
        kept = []
        for c in line.codes:
            family = book.family_of(c.code)
            if family not in book.families:
                other[family] += 1
                continue
            if c.weight is not None and not book.is_weighted(c.code):
                c, unweighted = c.model_copy(update={"weight": None}), unweighted + 1
            kept.append(c)
        line.codes = kept
    if notes is not None and other:
        notes.append(f"{path}: {sum(other.values())} coding(s) of families not in the codebook "
                     f"({', '.join(sorted(other))}) set aside")
    if notes is not None and unweighted:
        notes.append(f"{path}: {unweighted} weight(s) on codes of unweighted families set aside")
    return lines


def _as_codebook_writes(line: CodedLine, book: Codebook) -> CodedLine:
    """``line`` with each code of a codebook family in the codebook's own case
    (``Area.Governance`` as ``area.governance``), as ``--code`` reads codes: another
    tool's export in capitals must not be set aside as a family the codebook lacks,
    nor a misspelt code of a known family pass as one (it is then refused by name)."""
    for c in line.codes:
        family, dot, _ = c.code.strip().partition(".")
        if dot and family.casefold() in book.families:
            c.code = c.code.strip().casefold()
    return line


def coding_problem(line: CodedLine, book: Codebook) -> str | None:
    """What is wrong with one line's codings under ``book``, or None: a code without a
    family prefix, a code ID its family does not have, a code listed twice with different weights, a weight outside the
    levels on a weighted code, a score outside 0-1. (Codes of a family the codebook does
    not have are set aside by ``read_coded``, not refused.)"""
    known, levels = set(book.ids()), sorted(w.value for w in book.weights)
    seen: dict[str, int | None] = {}
    for c in line.codes:
        if "." not in c.code:
            return f"{c.code!r} is not a code ID (family.name, such as area.governance)"
        if book.family_of(c.code) not in book.families:
            continue
        if c.code not in known:
            return f"unknown code {c.code!r} (not in codebook {book.name} {book.version})"
        if c.code in seen and seen[c.code] != c.weight:
            return f"{c.code} listed twice, with weights {seen[c.code]} and {c.weight}"
        seen[c.code] = c.weight
        if c.weight is not None and book.is_weighted(c.code) and c.weight not in levels:
            return f"{c.code}: weight {c.weight} (must be one of {', '.join(map(str, levels))}, or null)"
        if c.score is not None and not 0.0 <= c.score <= 1.0:
            return f"{c.code}: score {c.score} outside 0-1"
    return None


def coded_by(coder, lines: Mapping[str, CodedLine], scores: dict[str, Scores] | None = None) -> dict[str, Codes]:
    """What a coder (any ``predict``) gives each line's text, as ``code-excerpts`` would
    (a passage over 180 words coded in parts): id -> {code: weight}; the codings' scores
    go into ``scores`` (id -> {code: score}) when one is given."""
    from matcoder.models.base import ExcerptInput
    from matcoder.models.passages import predict_passages

    predicted: dict[str, Codes] = {k: {} for k in lines}
    for s in predict_passages(coder, [ExcerptInput(k, v.text or "", v.question) for k, v in lines.items()]):
        predicted[s.excerpt_id][s.code] = s.weight
        if scores is not None:
            scores.setdefault(s.excerpt_id, {})[s.code] = s.score
    return predicted


def as_codes(line: CodedLine) -> Codes:
    return {c.code: c.weight for c in line.codes}


def as_scores(lines: Mapping[str, CodedLine]) -> dict[str, Scores] | None:
    """id -> {code: score} of predicted lines; None unless every coding has a score."""
    if any(c.score is None for line in lines.values() for c in line.codes):
        return None
    return {k: {c.code: c.score for c in line.codes} for k, line in lines.items()}


def cohen_kappa(pairs: Sequence[tuple[object, object]]) -> float | None:
    """Cohen's kappa of two raters over the same items; None when undefined (p_e = 1)."""
    n = len(pairs)
    if not n:
        return None
    labels = sorted({x for pair in pairs for x in pair}, key=str)
    observed = sum(a == b for a, b in pairs) / n
    expected = sum((sum(a == k for a, _ in pairs) / n) * (sum(b == k for _, b in pairs) / n) for k in labels)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def quadratic_kappa(pairs: Sequence[tuple[int, int]], levels: Sequence[int] = (1, 2, 3)) -> float | None:
    """Quadratic-weighted kappa for ordinal ratings (the centralisation weight)."""
    n = len(pairs)
    if not n:
        return None
    k = len(levels)
    idx = {v: i for i, v in enumerate(levels)}
    w = [[((i - j) ** 2) / ((k - 1) ** 2) for j in range(k)] for i in range(k)]
    obs = [[0.0] * k for _ in range(k)]
    for a, b in pairs:
        obs[idx[a]][idx[b]] += 1 / n
    row = [sum(obs[i]) for i in range(k)]
    col = [sum(obs[i][j] for i in range(k)) for j in range(k)]
    num = sum(w[i][j] * obs[i][j] for i in range(k) for j in range(k))
    den = sum(w[i][j] * row[i] * col[j] for i in range(k) for j in range(k))
    return None if den == 0 else 1 - num / den


def krippendorff_alpha(units: Sequence[Sequence[object]], metric: str = "nominal") -> float | None:
    """Krippendorff's alpha; each unit lists the coders' values, ``None`` = not coded.
    ``metric``: "nominal" or "interval" (squared difference, for the 1-3 weight). None
    when undefined: no unit coded twice, or a single value throughout (no variation to
    agree on: a code nobody applied is not a code everybody agreed on)."""
    delta = (lambda a, b: float(a != b)) if metric == "nominal" else (lambda a, b: (float(a) - float(b)) ** 2)
    pairable = [[v for v in unit if v is not None] for unit in units]
    pairable = [vals for vals in pairable if len(vals) >= 2]
    values = sorted({v for vals in pairable for v in vals}, key=str)
    if len(values) < 2:
        return None
    o: dict[tuple, float] = {}
    for vals in pairable:
        m = len(vals)
        for i, a in enumerate(vals):
            for j, b in enumerate(vals):
                if i != j:
                    o[(a, b)] = o.get((a, b), 0.0) + 1.0 / (m - 1)
    n_c = {c: sum(v for (a, _), v in o.items() if a == c) for c in values}
    n = sum(n_c.values())
    observed = sum(v * delta(a, b) for (a, b), v in o.items())
    expected = sum(n_c[a] * n_c[b] * delta(a, b) for a in values for b in values)
    return None if expected == 0 else 1.0 - (n - 1) * observed / expected


def agreement(coders: Sequence[Mapping[str, Codes]], code_ids: Iterable[str]) -> dict:
    """Agreement among two or more coders over the excerpts any of them coded: alpha per
    code (presence, nominal; None for a code nobody applied), its mean per family over
    the codes that have one, and alpha of the weight (interval) over area codes applied
    with a weight; how many excerpts each coder applied each code to."""
    ids = sorted(set().union(*[set(c) for c in coders]))
    per_code = {}
    for code in code_ids:
        units = [[(code in c[i]) if i in c else None for c in coders] for i in ids]
        per_code[code] = krippendorff_alpha(units)
    families: dict[str, list[float]] = {}
    for code, a in per_code.items():
        if a is not None:
            families.setdefault(code.split(".", 1)[0], []).append(a)
    weight_units = [[c[i].get(code) if i in c else None for c in coders] for i in ids for code in
                    {k for c in coders for k, w in c.get(i, {}).items() if w is not None}]
    return {"coders": len(coders), "excerpts": len(ids), "alpha": per_code,
            "applied": {code: [sum(code in c[i] for i in c) for c in coders] for code in per_code},
            "family_mean_alpha": {f: sum(v) / len(v) for f, v in families.items()},
            "weight_alpha": krippendorff_alpha(weight_units, "interval")}


def agreement_table(result: dict, names: Sequence[str], as_markdown: bool = False) -> str:
    """``agreement``'s result for people: per family its mean alpha, then per code its
    alpha and how many excerpts each coder (``names``) applied it to."""
    head = ["code", "alpha", *[f"applied: {n}" for n in names]]
    rows = [[f"{f} (family mean)", _fmt(a, 3)] + [""] * len(names) for f, a in result["family_mean_alpha"].items()]
    rows.append(["weight (interval)", _fmt(result["weight_alpha"], 3)] + [""] * len(names))
    rows += [[code, _fmt(a, 3), *map(str, result["applied"][code])] for code, a in result["alpha"].items()]
    title = f"{result['coders']} coders, {result['excerpts']} excerpts: Krippendorff's alpha"
    if as_markdown:
        return "\n".join([title, "", "| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
                         + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    return "\n".join([title, line(head), *map(line, rows)]) + "\n"


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


@dataclass
class CodeScore:
    code: str
    support: int
    predicted: int
    tp: int
    precision: float | None
    recall: float | None
    f1: float | None
    kappa: float | None


@dataclass
class FamilyScore:
    family: str
    support: int
    predicted: int
    tp: int
    micro_precision: float | None
    micro_recall: float | None
    micro_f1: float | None
    macro_f1: float | None


@dataclass
class WeightScore:
    gold_weighted: int  # area codes in both gold and predictions where gold has a weight
    predicted_weighted: int  # ... and the prediction has a weight too
    exact: float | None  # agreement among those with both weights
    exact_over_gold: float | None  # counting a missing predicted weight as disagreement
    quadratic_kappa: float | None
    # weighted codes (areas) in both gold and predictions, whatever their weights, and the
    # share whose weights agree with an empty weight counting as a value: the codebook
    # leaves the weight empty when the excerpt does not show it, so a weight given there
    # is a disagreement the two figures above do not see (None: weighted codes not given)
    found: int | None = None
    with_empty: float | None = None
    # over the same area codes found: counts by gold weight (rows) and predicted weight
    # (columns), each in the order of ``WEIGHT_LEVELS`` (1, 2, 3, then empty), so that a
    # coder's lean towards the centre or the schools shows, not only how often it agrees
    confusion: list[list[int]] | None = None


@dataclass
class Calibration:
    """How far a coder's scores are probabilities that a coding is right (one family, or
    ``all``): ``bins`` are the reliability table, (low, high, codings, mean score, share
    right) per score bin with codings in it."""
    family: str
    codings: int
    mean_score: float | None
    share_right: float | None
    brier: float | None
    ece: float | None  # expected calibration error: |mean score - share right| per bin, weighted by codings
    bins: list[tuple[float, float, int, float, float]]


@dataclass
class Report:
    excerpts: int
    codes: list[CodeScore]
    families: list[FamilyScore]
    weights: WeightScore
    missing_predictions: list[str] = field(default_factory=list)
    calibration: list[Calibration] | None = None

    def to_json(self) -> dict:
        return asdict(self)


def calibration(gold: Mapping[str, Codes], scores: Mapping[str, Scores], family: str = "all") -> Calibration:
    """Calibration of the scored codings of ``family`` (``all``: every coding) on the gold
    excerpts: a coding is right when gold has its code on that excerpt."""
    pairs = [(score, code in gold[i]) for i in sorted(gold) for code, score in scores.get(i, {}).items()
             if family == "all" or code.startswith(family + ".")]
    n = len(pairs)
    bins = []
    for lo, hi in zip(BINS, BINS[1:]):
        inside = [(s, r) for s, r in pairs if lo <= s < hi or (hi == BINS[-1] and s == hi)]
        if inside:
            bins.append((lo, hi, len(inside), sum(s for s, _ in inside) / len(inside),
                         sum(r for _, r in inside) / len(inside)))
    return Calibration(family, n, sum(s for s, _ in pairs) / n if n else None,
                       sum(r for _, r in pairs) / n if n else None,
                       sum((s - r) ** 2 for s, r in pairs) / n if n else None,
                       sum(k * abs(m - r) for _, _, k, m, r in bins) / n if n else None, bins)


def evaluate(gold: Mapping[str, Codes], predicted: Mapping[str, Codes], code_ids: Iterable[str],
             scores: Mapping[str, Scores] | None = None, weighted: Iterable[str] | None = None) -> Report:
    """Score predictions against gold over the gold excerpts (a missing prediction = no codes);
    with the predictions' ``scores``, also their calibration, overall and per family; with
    the ``weighted`` codes (those that carry a weight), also weight agreement counting an
    empty weight as a value."""
    ids = sorted(gold)
    code_ids = list(code_ids)
    per_code: list[CodeScore] = []
    for code in code_ids:
        pairs = [(code in gold[i], code in predicted.get(i, {})) for i in ids]
        tp = sum(g and p for g, p in pairs)
        support, pred = sum(g for g, _ in pairs), sum(p for _, p in pairs)
        precision, recall = _ratio(tp, pred), _ratio(tp, support)
        per_code.append(CodeScore(code, support, pred, tp, precision, recall, _f1(precision, recall),
                                cohen_kappa(pairs)))
    families: list[FamilyScore] = []
    for family in dict.fromkeys(c.split(".", 1)[0] for c in code_ids):
        members = [s for s in per_code if s.code.startswith(family + ".")]
        tp, support, pred = (sum(getattr(s, a) for s in members) for a in ("tp", "support", "predicted"))
        p, r = _ratio(tp, pred), _ratio(tp, support)
        f1s = [s.f1 if s.f1 is not None else 0.0 for s in members if s.support or s.predicted]
        families.append(FamilyScore(family, support, pred, tp, p, r, _f1(p, r),
                                    sum(f1s) / len(f1s) if f1s else None))
    both: list[tuple[int, int]] = []
    gold_weighted = 0
    for i in ids:
        for code, weight in gold[i].items():
            if weight is None or code not in predicted.get(i, {}):
                continue
            gold_weighted += 1
            if predicted[i][code] is not None:
                both.append((weight, predicted[i][code]))
    exact = sum(a == b for a, b in both)
    weights = WeightScore(gold_weighted, len(both), _ratio(exact, len(both)), _ratio(exact, gold_weighted),
                          quadratic_kappa(both))
    if weighted is not None:
        weighted = set(weighted)
        found = [(gold[i][c], predicted[i][c]) for i in ids for c in gold[i]
                 if c in weighted and c in predicted.get(i, {})]
        weights.found, weights.with_empty = len(found), _ratio(sum(a == b for a, b in found), len(found))
        counts = Counter(found)
        weights.confusion = [[counts[g, p] for p in WEIGHT_LEVELS] for g in WEIGHT_LEVELS]
    calibrated = None
    if scores is not None:
        calibrated = [calibration(gold, scores)] + [calibration(gold, scores, f.family) for f in families]
    return Report(len(ids), per_code, families, weights, sorted(set(ids) - set(predicted)), calibrated)


def _fmt(x: float | None, places: int = 2) -> str:
    return "–" if x is None else f"{x:.{places}f}"


def _level(w: int | None) -> str:
    return "empty" if w is None else str(w)


def confusion_lines(confusion: list[list[int]], indent: str = "", rows: str = "gold", columns: str = "predicted"
                    ) -> list[str]:
    """The weight confusion table as plain-text lines: the ``rows`` coder's weight down,
    the ``columns`` coder's across, and how many of the latter's weights sit above (nearer
    the centre) or below the former's."""
    above = sum(confusion[g][p] for g in range(3) for p in range(3) if p > g)
    below = sum(confusion[g][p] for g in range(3) for p in range(3) if p < g)
    corner = f"{rows} \\ {columns}"
    out = [f"{indent}{corner:<20}" + "".join(f"{_level(w):>7}" for w in WEIGHT_LEVELS)]
    out += [f"{indent}{_level(w):<20}" + "".join(f"{n:>7}" for n in row) for w, row in zip(WEIGHT_LEVELS, confusion)]
    out.append(f"{indent}{columns} weight above {rows} (more central) {above}, below {below}")
    return out


def confusion_markdown(confusion: list[list[int]]) -> list[str]:
    """The weight confusion table as markdown lines: gold weight down, predicted across."""
    return (["| gold \\ predicted | " + " | ".join(map(_level, WEIGHT_LEVELS)) + " |",
             "|---|" + "---:|" * len(WEIGHT_LEVELS)]
            + [f"| {_level(g)} | " + " | ".join(map(str, row)) + " |" for g, row in zip(WEIGHT_LEVELS, confusion)])


def markdown(report: Report) -> str:
    """The per-family and per-code tables (the README's rule-quality section)."""
    lines = ["| family | support | predicted | micro P | micro R | micro F1 | macro F1 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for f in report.families:
        lines.append(f"| {f.family} | {f.support} | {f.predicted} | {_fmt(f.micro_precision)} | "
                     f"{_fmt(f.micro_recall)} | {_fmt(f.micro_f1)} | {_fmt(f.macro_f1)} |")
    w = report.weights
    lines += ["", f"Weights: {w.gold_weighted} gold-weighted area codes also predicted; {w.predicted_weighted} "
              f"with a predicted weight; exact agreement {_fmt(w.exact)} (of those), {_fmt(w.exact_over_gold)} "
              f"(counting a missing weight as wrong); quadratic-weighted kappa {_fmt(w.quadratic_kappa)}"
              + (f"; of all {w.found} area codes found, weights agree (an empty one counting as a value) "
                 f"{_fmt(w.with_empty)}" if w.found is not None else "") + ".", ""]
    if w.confusion is not None:
        lines += confusion_markdown(w.confusion) + [""]
    lines += ["| code | support | predicted | precision | recall | F1 | kappa |", "|---|---:|---:|---:|---:|---:|---:|"]
    for s in report.codes:
        lines.append(f"| `{s.code}` | {s.support} | {s.predicted} | {_fmt(s.precision)} | {_fmt(s.recall)} | "
                     f"{_fmt(s.f1)} | {_fmt(s.kappa)} |")
    if report.calibration:
        lines += ["", "| scores of | codings | mean score | share right | Brier | ECE |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {c.family} | {c.codings} | {_fmt(c.mean_score)} | {_fmt(c.share_right)} | {_fmt(c.brier, 3)} | "
                  f"{_fmt(c.ece, 3)} |" for c in report.calibration]
    return "\n".join(lines) + "\n"


def table(report: Report) -> str:
    """Plain-text tables for the terminal."""
    out = [f"{report.excerpts} excerpts"]
    out.append(f"{'family':<12}{'support':>8}{'pred':>6}{'P':>7}{'R':>7}{'F1':>7}{'macroF1':>9}")
    for f in report.families:
        out.append(f"{f.family:<12}{f.support:>8}{f.predicted:>6}{_fmt(f.micro_precision):>7}"
                   f"{_fmt(f.micro_recall):>7}{_fmt(f.micro_f1):>7}{_fmt(f.macro_f1):>9}")
    w = report.weights
    out.append(f"weights: exact {_fmt(w.exact)} of {w.predicted_weighted} predicted, "
               f"{_fmt(w.exact_over_gold)} of {w.gold_weighted} gold; quadratic kappa {_fmt(w.quadratic_kappa)}"
               + (f"; with empty as a value {_fmt(w.with_empty)} of {w.found} found" if w.found is not None else ""))
    if w.confusion is not None:
        out += confusion_lines(w.confusion, "  ")
    out.append(f"{'code':<38}{'sup':>5}{'pred':>6}{'P':>7}{'R':>7}{'F1':>7}{'kappa':>7}")
    for s in report.codes:
        out.append(f"{s.code:<38}{s.support:>5}{s.predicted:>6}{_fmt(s.precision):>7}{_fmt(s.recall):>7}"
                   f"{_fmt(s.f1):>7}{_fmt(s.kappa):>7}")
    if report.calibration:
        out.append(f"{'scores of':<12}{'codings':>8}{'mean':>7}{'right':>7}{'Brier':>7}{'ECE':>7}   reliability "
                   "(bin: codings, mean score -> share right)")
        for c in report.calibration:
            bins = "  ".join(f"{lo:.1f}-{hi:.1f}: {n}, {m:.2f}->{r:.2f}" for lo, hi, n, m, r in c.bins)
            out.append(f"{c.family:<12}{c.codings:>8}{_fmt(c.mean_score):>7}{_fmt(c.share_right):>7}"
                       f"{_fmt(c.brier, 3):>7}{_fmt(c.ece, 3):>7}   {bins}")
    return "\n".join(out) + "\n"
