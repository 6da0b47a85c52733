"""``matcoder review agreement`` and ``review disagreements``: how far reviewers and the
model agree, on the excerpts reviewers have coded (skipped tasks excluded).

- model vs reviewers: the model's codings scored against the reviewers' consensus
  (``effective_codings``) with the evaluation core: per-code precision, recall, F1 and
  Cohen's kappa, micro and macro per family, weight exact agreement and
  quadratic-weighted kappa; and against each reviewer separately (family micro-F1);
- reviewer vs reviewer: Krippendorff's alpha per code and family over all reviewers
  (and the model as one more coder), weight alpha (interval), and pairwise Cohen's
  kappa per family over the excerpts both reviewers coded;
- review flags: the model's codings on reviewed excerpts, those it flagged
  ``needs_review`` and the others apart, and the share of each the reviewers kept as
  proposed (their consensus has the code with the same weight, or both none): where
  flags work, the flagged ones are kept less often.
``sample="random"`` restricts everything to excerpts pushed by the ``random``
strategy: the unbiased estimate (``uncertain`` pushes hard cases on purpose).
"""
from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from matcoder.codebook.schema import Codebook
from matcoder.models.evaluation import Codes, agreement, cohen_kappa, evaluate

_SAMPLE = {"all": "", "random": " AND excerpt_id IN (SELECT excerpt_id FROM review_tasks WHERE strategy = 'random')"}


def reviewer_codes(con, sample: str = "all") -> dict[str, dict[str, Codes]]:
    """reviewer -> excerpt -> {code: weight}; a verdict with no codes is an empty dict."""
    out: dict[str, dict[str, Codes]] = defaultdict(dict)
    for excerpt_id, reviewer in con.execute(
            "SELECT DISTINCT excerpt_id, reviewer FROM reviews WHERE NOT cancelled AND excerpt_id IN "
            f"(SELECT excerpt_id FROM excerpts) {_SAMPLE[sample]} "
            "UNION SELECT DISTINCT excerpt_id, reviewer FROM codings WHERE source = 'human' "
            f"{_SAMPLE[sample]}").fetchall():
        out[reviewer][excerpt_id] = {}
    for excerpt_id, reviewer, code, weight in con.execute(
            f"SELECT excerpt_id, reviewer, code_id, weight FROM codings WHERE source = 'human' {_SAMPLE[sample]}"
    ).fetchall():
        out[reviewer][excerpt_id][code] = weight
    return dict(out)


def _codes_of(rows, excerpt_ids: set[str]) -> dict[str, Codes]:
    """excerpt -> {code: weight} from rows (excerpt_id, code_id, weight, ...), for the
    given excerpts (each present, an excerpt without rows as no codes)."""
    out: dict[str, Codes] = {e: {} for e in excerpt_ids}
    for excerpt_id, code, weight, *_ in rows:
        if excerpt_id in out:
            out[excerpt_id][code] = weight
    return out


def _pairwise_kappa(a: dict[str, Codes], b: dict[str, Codes], book: Codebook) -> dict:
    both = sorted(set(a) & set(b))
    out = {"excerpts": len(both)}
    for family, fam in book.families.items():
        pairs = [(c.id in a[e], c.id in b[e]) for e in both for c in fam.codes]
        out[family] = cohen_kappa(pairs) if both else None
    return out


def _flags_kept(model_rows, consensus: dict[str, Codes]) -> dict:
    """Per flag (``flagged``, ``unflagged``): the model's codings (rows excerpt_id, code_id,
    weight, needs_review) on the reviewed excerpts and how many the reviewers' consensus
    kept as proposed, code and weight."""
    out = {"flagged": {"codings": 0, "kept": 0}, "unflagged": {"codings": 0, "kept": 0}}
    for excerpt_id, code, weight, flagged in model_rows:
        if excerpt_id in consensus:
            tally = out["flagged" if flagged else "unflagged"]
            tally["codings"] += 1
            tally["kept"] += code in consensus[excerpt_id] and consensus[excerpt_id][code] == weight
    for tally in out.values():
        tally["kept_share"] = tally["kept"] / tally["codings"] if tally["codings"] else None
    return out


def report(con, book: Codebook, sample: str = "all") -> dict:
    reviewers = reviewer_codes(con, sample)
    reviewed = set().union(*[set(v) for v in reviewers.values()]) if reviewers else set()
    consensus = _codes_of(con.execute("SELECT excerpt_id, code_id, weight FROM effective_codings "
                                      "WHERE basis = 'human'").fetchall(), reviewed)
    model_rows = con.execute(
        "SELECT excerpt_id, code_id, weight, coalesce(needs_review, false) FROM codings "
        "WHERE source <> 'human' AND excerpt_id IN (SELECT excerpt_id FROM reviewed_excerpts)").fetchall()
    model = _codes_of(model_rows, reviewed)
    ids = book.ids()
    out: dict = {"sample": sample, "reviewed_excerpts": len(reviewed),
                 "reviewers": {r: len(v) for r, v in sorted(reviewers.items())}}
    if not reviewed:
        return out
    vs = evaluate(consensus, model, ids, weighted=book.weighted_ids())
    out["model_vs_reviewers"] = vs.to_json()
    out["review_flags"] = _flags_kept(model_rows, consensus)
    out["model_vs_each_reviewer"] = {
        r: {f.family: f.micro_f1 for f in evaluate(codes, model, ids).families} for r, codes in reviewers.items()}
    if len(reviewers) >= 2:
        names = sorted(reviewers)
        multi = {e for e in reviewed if sum(e in reviewers[r] for r in names) >= 2}
        coders = [{e: c for e, c in reviewers[r].items() if e in multi} for r in names]
        out["reviewer_vs_reviewer"] = agreement(coders, ids)
        out["reviewer_vs_reviewer"]["pairwise_kappa"] = {
            f"{x} ~ {y}": _pairwise_kappa(reviewers[x], reviewers[y], book) for x, y in combinations(names, 2)}
        out["model_as_extra_coder"] = {
            k: v for k, v in agreement(coders + [{e: model[e] for e in multi}], ids).items()
            if k in ("family_mean_alpha", "weight_alpha", "excerpts")}
    return out


def disagreements(con) -> list[dict]:
    """Excerpts where reviewers disagree: a code some applied and others did not, or the
    same code with different weights."""
    rows = con.execute("""
        WITH r AS (SELECT DISTINCT excerpt_id, reviewer FROM reviews WHERE NOT cancelled
                   UNION SELECT DISTINCT excerpt_id, reviewer FROM codings WHERE source = 'human'),
        n AS (SELECT excerpt_id, count(*) AS reviewers FROM r GROUP BY 1 HAVING count(*) >= 2),
        c AS (SELECT excerpt_id, code_id, list(reviewer ORDER BY reviewer) AS applied_by,
                     list(DISTINCT weight) FILTER (WHERE weight IS NOT NULL) AS weights,
                     list(reviewer || '=' || weight ORDER BY reviewer) FILTER (WHERE weight IS NOT NULL) AS weighted
              FROM codings WHERE source = 'human' GROUP BY 1, 2)
        SELECT c.excerpt_id, c.code_id, c.applied_by, n.reviewers, c.weighted,
               (SELECT list(reviewer ORDER BY reviewer) FROM r WHERE r.excerpt_id = c.excerpt_id) AS all_reviewers
        FROM c JOIN n USING (excerpt_id)
        WHERE len(c.applied_by) < n.reviewers OR len(c.weights) > 1
        ORDER BY 1, 2""").fetchall()
    out = []
    for excerpt_id, code, applied_by, _n, weighted, everyone in rows:
        out.append({"excerpt_id": excerpt_id, "code": code, "applied_by": applied_by,
                    "not_applied_by": [r for r in everyone if r not in applied_by], "weights": weighted or []})
    return out
