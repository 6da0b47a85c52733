"""Cross-validation on the dev set with the area-localised weight classifier also trained
on joined answers (an experiment, not the pipeline).

The localised classifier weighs each area of an excerpt coded with two or more areas
from the sentences most about that area, yet nearly all of what it learns from are
answers about one area, where those sentences are the whole answer. Here two short
training answers about different areas, each with its weight, are joined into one
answer ("part a. part b."), and each area's mention in it, with its part's weight,
joins the classifier's training rows: the level has to be read from the area's own
sentences while the answer as a whole speaks of another area, often at another level.
Only the localised classifier changes (the families and the whole-excerpt weight
classifier are the committed ones); a joined answer is used in a fold only when both of
its parts are training items of that fold.

    .venv/bin/python benchmarks/cv_concat_weights.py [--joined 400] [--seeds 3,4,5] [--record]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from cv_dev import LONG_WORDS, arguments, cross_validate, fold_seeds, summary  # noqa: E402
from results import record  # noqa: E402

from matcoder.codebook.loader import default_codebook  # noqa: E402
from matcoder.models.embedding import coder as coder_module  # noqa: E402
from matcoder.models.embedding.classifier import (TrainingItem, area_mentions, codebook_items,  # noqa: E402
                                                  fit_local_weights)
from matcoder.models.embedding.roles import embedding_text  # noqa: E402
from matcoder.segment import word_count  # noqa: E402
from matcoder.training import gold_items  # noqa: E402


def one_area(item: TrainingItem, area_codes: set[str]) -> tuple[str, int] | None:
    """(area, weight) of a short item with exactly one area, weighted; None otherwise."""
    areas = [(c, w) for c, w in item.positives.items() if c in area_codes]
    if len(areas) != 1 or areas[0][1] is None or word_count(item.text) >= LONG_WORDS:
        return None
    return areas[0]


def joined_answers(items: Sequence[TrainingItem], area_codes: set[str], n: int, seed: int = 0,
                   mixed_only: bool = False) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """``n`` joined answers: (text of part a, text of part b, [(area, weight) of each]),
    parts drawn at random (seeded) among the short one-area items, the two areas
    different (and, with ``mixed_only``, the two weights too)."""
    parts = [(it.text, found) for it in items if (found := one_area(it, area_codes))]
    rng = np.random.default_rng(seed)
    out, seen = [], set()
    while len(out) < n and len(seen) < 50 * n:
        i, j = (int(k) for k in rng.choice(len(parts), 2, replace=False))
        seen.add((i, j))
        (ta, (ca, wa)), (tb, (cb, wb)) = parts[i], parts[j]
        if ca == cb or (mixed_only and wa == wb):
            continue
        out.append((ta, tb, [(ca, wa), (cb, wb)]))
    return out


def join(a: str, b: str) -> str:
    a = a.strip()
    return f"{a}{'' if a.endswith(('.', '!', '?')) else '.'} {b.strip()}"


class Counters:
    used = 0
    folds = 0


def train_on_joined(pool: list[tuple[str, str, list[tuple[str, int]]]]) -> None:
    """After the usual fit, refit the artefact's localised weight classifier on its own
    rows plus the joined answers' (those whose parts are both training items here)."""
    original = coder_module.EmbeddingCoder.fit

    def fit(self, items: Sequence[TrainingItem] = ()) -> None:
        original(self, items)
        a = self.artefact
        all_items = codebook_items(self.codebook) + list(items)
        trained = {it.text for it in all_items}
        joined = [(join(ta, tb), mentions) for ta, tb, mentions in pool if ta in trained and tb in trained]
        Counters.used += len(joined)
        Counters.folds += 1
        texts = [it.text for it in all_items] + [t for t, _ in joined]
        reads = [embedding_text(t) for t in texts]
        X = self.encoder.encode(reads)
        sentences = self.encoder.encode_sentences(reads)
        cues = self.cue_profiles(texts) if a.reads_cues else None
        mentions = [m for m in area_mentions(all_items, a.area_codes) if m[2] is not None]
        mentions += [(len(all_items) + j, code, w) for j, (_, ms) in enumerate(joined) for code, w in ms]
        a.local_coef, a.local_intercept, _ = fit_local_weights(
            mentions, X, sentences, cues, a.codes, a.coef, a.intercept, a.area_codes, a.meta["folds"],
            a.meta["c_value"], 0)

    coder_module.EmbeddingCoder.fit = fit


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--joined", type=int, default=400, help="joined answers drawn (before the fold filter)")
    ap.add_argument("--mixed-only", action="store_true", help="only join parts of different weights")
    args = ap.parse_args()
    seeds = fold_seeds(args)
    book = default_codebook()
    areas = set(book.weighted_ids())
    candidates = codebook_items(book) + gold_items(args.dev, book)
    pool = joined_answers(candidates, areas, args.joined, mixed_only=args.mixed_only)
    train_on_joined(pool)
    result = cross_validate(args.dev, [], "ensemble.v1", 5, seeds)
    print(json.dumps(result, indent=2))
    print(f"joined answers: {len(pool)} drawn, {Counters.used / max(Counters.folds, 1):.0f} a fold on average",
          file=sys.stderr)
    if args.record:
        record(f"dev cross-validation, ensemble.v1 with the localised weight classifier also trained on "
               f"{args.joined} joined answers{' of different weights' if args.mixed_only else ''}, "
               f"5 folds x seeds {args.seeds}", args.dev.name, "-", summary(result))


if __name__ == "__main__":
    main()
