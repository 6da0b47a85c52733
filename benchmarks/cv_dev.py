"""Cross-validation on the dev set: how the README's "cross-validated on the dev set"
figures are made, so that a change to the coder or to its training data is judged on
development material, never on the held-out sets.

The gold items (default ``models/eval/dev.jsonl``) are split into folds, short answers
and long ones (``LONG_WORDS`` words or more) apart so that every fold holds both; each
fold is coded by a coder trained on the codebook examples, the other folds and every
``--extra`` file (training only, never scored), as ``matcoder train`` would train it.
Fold splits are drawn per seed and the seeds' scores pooled, since one split of a few
hundred items moves a family's F1 by several points. Prints per-family micro-F1 and
weight agreement for the short and the long answers.

    .venv/bin/python benchmarks/cv_dev.py [--extra models/eval/dev_more.jsonl] [--seeds 0,1,2]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from results import record  # noqa: E402

from matcoder.codebook.loader import default_codebook  # noqa: E402
from matcoder.models.embedding.encoder import Encoder  # noqa: E402
from matcoder.models.evaluation import as_codes, coded_by, evaluate, read_coded  # noqa: E402
from matcoder.segment import word_count  # noqa: E402
from matcoder.training import gold_items  # noqa: E402

LONG_WORDS = 60
CODERS = ("ensemble.v1", "embed.v1")


def fold_of(lengths: list[int], folds: int, seed: int) -> np.ndarray:
    """Each item's fold: short and long items dealt out separately, in a seeded order."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(lengths), dtype=int)
    for long in (False, True):
        members = rng.permutation([i for i, n in enumerate(lengths) if (n >= LONG_WORDS) == long])
        fold[members] = np.arange(len(members)) % folds
    return fold


def cross_validate(dev: Path, extra: list[Path], coder_name: str = "ensemble.v1", folds: int = 5,
                   seeds: tuple[int, ...] = (0, 1, 2), fold_encoder=None, score_text=None,
                   make_coder=None) -> dict:
    """Per-family scores of short and long answers; ``fold_encoder(training items, seed,
    fold)``, when given, makes each fold's encoder from that fold's training items (an
    encoder tuned on them, say) instead of the one shared model; ``make_coder(codebook,
    encoder)``, when given, makes each fold's (unfitted) coder around that encoder instead
    of ``coder_name``'s; ``score_text(text)``,
    when given, rewrites the text of the items scored (not of those trained on), as
    ``cv_verbatim.py`` turns them into verbatim speech."""
    from matcoder.models.embedding.coder import EmbeddingCoder, EnsembleCoder

    book = default_codebook()
    encoder = Encoder()
    lines = read_coded(dev, book)
    items = gold_items(dev, book)  # one per line, in the file's order
    keys = list(lines)
    extra_items = [it for path in extra for it in gold_items(path, book)]
    lengths = [word_count(lines[k].text or "") for k in keys]
    group_of = {k: "long" if n >= LONG_WORDS else "short" for k, n in zip(keys, lengths)}
    gold: dict[str, dict] = {"short": {}, "long": {}}
    predicted: dict[str, dict] = {"short": {}, "long": {}}
    scored: dict[str, dict] = {"short": {}, "long": {}}
    for seed in seeds:
        fold = fold_of(lengths, folds, seed)
        for f in range(folds):
            training = [it for it, g in zip(items, fold) if g != f] + extra_items
            fold_enc = fold_encoder(training, seed, f) if fold_encoder else encoder
            coder = (make_coder or (EnsembleCoder if coder_name == "ensemble.v1" else EmbeddingCoder))(
                book, encoder=fold_enc)
            coder.fit(training)
            test = {keys[i]: lines[keys[i]] for i in np.nonzero(fold == f)[0]}
            if score_text:
                test = {k: line.model_copy(update={"text": score_text(line.text or "")}) for k, line in test.items()}
            scores: dict = {}
            for key, codes in coded_by(coder, test, scores).items():
                gold[group_of[key]][f"{seed}:{key}"] = as_codes(test[key])
                predicted[group_of[key]][f"{seed}:{key}"] = codes
                scored[group_of[key]][f"{seed}:{key}"] = scores.get(key, {})
    out = {}
    for group in ("short", "long"):
        report = evaluate(gold[group], predicted[group], book.ids(), scored[group], book.weighted_ids())
        out[group] = {"items": len(gold[group]) // len(seeds), **family_scores(report)}
    return out


def family_scores(report) -> dict:
    """An ``evaluate`` report's per-family micro-F1 and weight agreement, rounded."""
    w = report.weights
    return {**{fam.family: round(fam.micro_f1 or 0.0, 3) for fam in report.families},
            "weights": w.predicted_weighted, "weight_exact": round(w.exact or 0.0, 3),
            "weight_exact_over_gold": round(w.exact_over_gold or 0.0, 3),
            "weight_with_empty": round(w.with_empty or 0.0, 3),
            **({"mean_score": round(c.mean_score, 3), "share_right": round(c.share_right, 3), "ece": round(c.ece, 3)}
               if (c := (report.calibration or [None])[0]) and c.codings else {}),
            "weight_confusion": w.confusion}


def summary(result: dict) -> str:
    """``cross_validate``'s result as one line of benchmarks/RESULTS.md (without the weights'
    confusion table, which the printed result has)."""
    return "; ".join(f"{g}: " + ", ".join(f"{k} {v}" for k, v in r.items() if k != "weight_confusion")
                     for g, r in result.items())


def arguments(doc: str) -> argparse.ArgumentParser:
    """The options every cross-validation script takes: --dev, --seeds, --record."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--dev", type=Path, default=ROOT / "models" / "eval" / "dev.jsonl")
    ap.add_argument("--seeds", default="0,1,2", help="fold seeds, pooled")
    ap.add_argument("--record", action="store_true")
    return ap


def fold_seeds(args: argparse.Namespace) -> tuple[int, ...]:
    """The parsed --seeds; float32 from here on unless MATCODER_PRECISION says otherwise,
    so that figures match across machines."""
    os.environ.setdefault("MATCODER_PRECISION", "fp32")
    return tuple(int(s) for s in args.seeds.split(","))


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--extra", type=Path, action="append", default=[], help="training-only gold file (repeatable)")
    ap.add_argument("--coder", choices=CODERS, default="ensemble.v1")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    seeds = fold_seeds(args)
    result = cross_validate(args.dev, args.extra, args.coder, args.folds, seeds)
    print(json.dumps(result, indent=2))
    if args.record:
        data = args.dev.name + "".join(f" + {p.name} (training only)" for p in args.extra)
        record(f"dev cross-validation, {args.coder}, {args.folds} folds x seeds {args.seeds}", data, "-",
               summary(result))


if __name__ == "__main__":
    main()
