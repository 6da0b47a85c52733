"""Cross-validation on the dev set of a nearest-neighbour vote for area weights (an
experiment, not in the pipeline): each area mention's weight distribution from the
logistic weight classifiers is blended with a vote of the ``--k`` most similar weighted
training mentions of the same area, each voting for its own weight with its cosine
similarity. A mention's vector for the vote is the area-localised span (the excerpt's
sentence vectors averaged with the area attention, as the localised weight classifier
reads it), on both sides. ``--alpha`` is the vote's share (1: the vote alone).

    .venv/bin/python benchmarks/cv_knn_weights.py --k 7 --alpha 0.5 [--seeds 3,4,5]
"""
from __future__ import annotations

import json

import numpy as np
from cv_dev import arguments, cross_validate, fold_seeds, summary
from results import record

from matcoder.models.embedding import classifier, coder

_train = classifier.train


def _train_with_library(book, book_hash, items, X, model_identity, **kw):
    """``classifier.train``, and the weighted mentions' spans kept on the artefact."""
    art = _train(book, book_hash, items, X, model_identity, **kw)
    sentences = kw["sentences"]
    vectors, areas, levels = [], [], []
    for i, it in enumerate(items):
        for code, w in it.positives.items():
            if w is None or code not in art.area_codes:
                continue
            k = art.codes.index(code)
            vectors.append(classifier.attended_span(sentences[i], art.coef[k], art.intercept[k]))
            areas.append(code)
            levels.append(w)
    art.knn = (np.array(vectors, dtype=np.float32), np.array(areas), np.array(levels))
    return art


def _vote(a: classifier.Artefact, query: np.ndarray, code: str) -> np.ndarray:
    vectors, areas, levels = a.knn
    mine = np.nonzero(areas == code)[0]
    out = np.full(3, 1 / 3)
    if len(mine) == 0:
        return out
    sims = vectors[mine] @ (query / np.linalg.norm(query))
    top = np.argsort(-sims)[:K]
    votes = np.zeros(3)
    for j in top:
        votes[levels[mine[j]] - 1] += max(float(sims[j]), 0.0)
    return votes / votes.sum() if votes.sum() else out


def _blend(z: np.ndarray, vote: np.ndarray) -> tuple[int, float]:
    z = z - z.max()
    p = np.exp(z) / np.exp(z).sum()
    mixed = (1 - ALPHA) * p + ALPHA * vote
    return int(mixed.argmax()) + 1, float(mixed.max())


def _weight(self, whole, code, cues=None):
    features = classifier.whole_features(whole, self.area_codes.index(code), len(self.area_codes), self._cues(cues))
    return _blend(features @ self.weight_coef.T + self.weight_intercept, _vote(self, whole, code))


def _local_weight(self, sentences, whole, code, cues=None):
    k = self.codes.index(code)
    features = classifier.local_features(sentences, whole, self.coef[k], self.intercept[k],
                                         self.area_codes.index(code), len(self.area_codes), self._cues(cues))
    span = classifier.attended_span(sentences, self.coef[k], self.intercept[k])
    return _blend(features @ self.local_coef.T + self.local_intercept, _vote(self, span, code))


K, ALPHA = 7, 0.5


def main() -> None:
    global K, ALPHA
    ap = arguments(__doc__)
    ap.add_argument("--k", type=int, default=7)
    ap.add_argument("--alpha", type=float, default=0.5)
    args = ap.parse_args()
    K, ALPHA = args.k, args.alpha
    seeds = fold_seeds(args)
    coder.train = _train_with_library
    classifier.Artefact.weight = _weight
    classifier.Artefact.local_weight = _local_weight
    result = cross_validate(args.dev, [], "ensemble.v1", 5, seeds)
    print(json.dumps(result, indent=2))
    if args.record:
        record(f"dev cross-validation, kNN weight vote k={K} alpha={ALPHA}, seeds {args.seeds}", args.dev.name, "-",
               summary(result))


if __name__ == "__main__":
    main()
