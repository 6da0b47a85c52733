"""Cross-validation on the dev set with the weight read from the answer's present state
(an experiment, not the pipeline).

An answer that tells a change ("When I arrived every school ran its own payroll. Now it
is all done centrally") holds two weights for one area, and the codebook codes the one
the trust has arrived at. The localised weight classifier attends to the sentences most
about the area, which are often both. Here a sentence that speaks of the past
(``PAST``: "used to", "when I arrived", "originally", "back then", ...) and not of now
(``NOW``) is left out of an excerpt's sentence vectors when at least one other sentence
remains, so the span the classifier reads is the answer's present. With ``--single``,
an excerpt coded with one area and holding such a sentence also gets the localised
classifier (on its present sentences) instead of the whole-excerpt one.

    .venv/bin/python benchmarks/cv_present_state.py [--seeds 3,4,5] [--single] [--record]
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from cv_dev import arguments, cross_validate, fold_seeds, summary  # noqa: E402
from results import record  # noqa: E402

from matcoder.models.embedding import coder as coder_module  # noqa: E402
from matcoder.models.embedding.encoder import Encoder, sentence_texts  # noqa: E402

PAST = re.compile(
    r"\b(used to|previously|originally|initially|at first|at the (start|beginning|time)|in the early days"
    r"|back then|in those days|in the past|years ago|at that (point|stage|time)|had been|there was a time"
    r"|when (i|we) (first )?(arrived|joined|started|began|took over|came|set up|formed|were)"
    r"|when the trust (was|started|formed)|before (i|we) (arrived|joined|came|started|had)"
    r"|until (recently|last year|then))\b", re.IGNORECASE)
NOW = re.compile(r"\b(now|nowadays|these days|today|currently|at the moment|at present|this year|going forward)\b",
                 re.IGNORECASE)


def present(sentences: list[str]) -> list[bool]:
    """Per sentence, whether it is kept: every sentence unless it speaks of the past and
    not of now; all of them when that would keep none."""
    keep = [not (PAST.search(s) and not NOW.search(s)) for s in sentences]
    return keep if any(keep) else [True] * len(sentences)


class PresentEncoder(Encoder):
    """The real encoder whose ``encode_sentences`` leaves out the past sentences."""

    def __init__(self):
        super().__init__()
        self.dropped = 0

    def encode_sentences(self, texts: Sequence[str]) -> list[np.ndarray]:
        out = []
        for text, vectors in zip(texts, super().encode_sentences(texts)):
            keep = present(sentence_texts(text))  # the encoder's own split: one flag per vector
            self.dropped += keep.count(False)
            out.append(vectors[np.array(keep)])
        return out


def localise_single_areas() -> None:
    """Give an excerpt coded with one area and a past sentence the localised classifier."""
    original = coder_module.EmbeddingCoder.localised

    def localised(self, excerpts, areas):
        told = [i for i, codes in areas.items() if len(codes) == 1
                and not all(present(sentence_texts(coder_module.read_text(excerpts[i]))))]
        return original(self, excerpts, areas) + told

    coder_module.EmbeddingCoder.localised = localised


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--single", action="store_true", help="also localise one-area excerpts with a past sentence")
    args = ap.parse_args()
    seeds = fold_seeds(args)
    if args.single:
        localise_single_areas()
    encoder = PresentEncoder()
    result = cross_validate(args.dev, [], "ensemble.v1", 5, seeds, fold_encoder=lambda items, seed, fold: encoder)
    print(json.dumps(result, indent=2))
    print(f"past sentences left out: {encoder.dropped}", file=sys.stderr)
    if args.record:
        record(f"dev cross-validation, ensemble.v1 with the weight read from the present sentences"
               f"{' (one-area excerpts too)' if args.single else ''}, 5 folds x seeds {args.seeds}",
               args.dev.name, "-", summary(result))


if __name__ == "__main__":
    main()
