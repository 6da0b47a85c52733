"""How the coders hold up on verbatim speech: the dev cross-validation of ``cv_dev.py``
with the scored items turned into speech as a verbatim transcription service writes it
(fillers, discourse markers, a word said twice), training on the clean text as the
committed artefact is trained.

The gold files are written without hesitations, but interviews arrive verbatim. Each run
scores the same folds three ways: the clean text, the verbatim copy read as the pipeline
reads it (``matcoder.verbatim``: fillers skipped by the rules, dropped from what the
embedding reads), and the verbatim copy read as written (both readers' handling switched
off, as before ``read4``/``match3``). The speech is made by seeded random insertion
(``speech``): about one hesitation per twelve words at ``--rate 1``, one per six at 2.

    .venv/bin/python benchmarks/cv_verbatim.py [--rate 1] [--seeds 0,1,2] [--record]
"""
from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from cv_dev import arguments, cross_validate, fold_seeds, summary  # noqa: E402
from results import record  # noqa: E402

import matcoder.models.embedding.roles as roles  # noqa: E402
import matcoder.models.rules.patterns as patterns  # noqa: E402

STARTS = ("Erm, ", "So, erm, ", "Well, ", "I mean, ", "Er, ", "You know, ", "Yeah, so ")
AFTER_COMMA = ("erm,", "er,", "you know,", "I mean,", "um,")
MID = ("sort of", "kind of", "erm,", "you know,", "er,")
SAID_TWICE = frozenset({"we", "i", "the", "a", "it", "they", "that", "and", "our"})


def speech(text: str, rng: random.Random, rate: float = 1.0) -> str:
    """``text`` as verbatim speech: a hesitation opening some sentences, after some commas
    and before some words, and some short words said twice ("we, we")."""
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        words: list[str] = []
        for j, word in enumerate(sentence.split(" ")):
            if j > 0 and words[-1].endswith(",") and rng.random() < 0.25 * rate:
                words.append(rng.choice(AFTER_COMMA))
            elif j > 1 and rng.random() < 0.04 * rate:
                filler = rng.choice(MID)
                if filler.endswith(",") and words[-1][-1:].isalnum():
                    words[-1] += ","
                words.append(filler)
            if word.lower() in SAID_TWICE and rng.random() < 0.08 * rate:
                words.append(word + ",")
                word = word.lower() if j == 0 and word != "I" else word
            words.append(word)
        said = " ".join(words)
        if said and rng.random() < 0.3 * rate:
            said = rng.choice(STARTS) + (said if said.startswith("I ") else said[0].lower() + said[1:])
        out.append(said)
    return " ".join(out)


def as_written() -> None:
    """Switch off both readers' handling of verbatim speech (in this process)."""
    patterns.disfluencies = lambda text: []
    roles.fluent = lambda text: text


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--rate", type=float, default=1.0, help="hesitations: 1 is about one per twelve words")
    ap.add_argument("--speech-seed", type=int, default=7)
    args = ap.parse_args()
    seeds = fold_seeds(args)

    def spoken(text: str) -> str:  # the same speech for a text in every run and fold
        return speech(text, random.Random(f"{args.speech_seed}:{text}"), args.rate)

    results = {"clean": cross_validate(args.dev, [], seeds=seeds),
               "verbatim, read past": cross_validate(args.dev, [], seeds=seeds, score_text=spoken)}
    as_written()
    results["verbatim, as written"] = cross_validate(args.dev, [], seeds=seeds, score_text=spoken)
    print(json.dumps(results, indent=2))
    if args.record:
        for name, result in results.items():
            record(f"dev cross-validation on verbatim speech (rate {args.rate}), ensemble.v1, 5 folds x seeds "
                   f"{args.seeds}: {name}", args.dev.name, "-", summary(result))


if __name__ == "__main__":
    main()
