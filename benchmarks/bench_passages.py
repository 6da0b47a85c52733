"""Long passages: coded whole against coded in the flow's parts (``models/passages.py``).

An expert's coded passage can run to several hundred words, longer than any excerpt the
flow makes (180 words at most). This builds such passages from the held-out sets, each
the held-out items of one draw joined with a space (no paragraph breaks, so the cuts do
not fall on the items' own boundaries), gold = the union of the items' codes (a code two
items weight differently has no gold weight), and scores each coder twice: on the
passage read whole (``coder.predict``) and as ``code-excerpts`` and ``evaluate`` now
read it (``predict_passages``). Nothing is chosen by it: the parts are the flow's.

    .venv/bin/python benchmarks/bench_passages.py [--passages 40] [--record]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from results import record  # noqa: E402

from matcoder.codebook.loader import default_codebook  # noqa: E402
from matcoder.models.base import ExcerptInput  # noqa: E402
from matcoder.models.evaluation import evaluate  # noqa: E402
from matcoder.models.passages import predict_passages  # noqa: E402
from matcoder.models.registry import get_coder  # noqa: E402

# (held-out file, items joined per passage): about 320 and 220 words
SETS = (("heldout_long.jsonl", 3), ("heldout.jsonl", 8))
CODERS = ("rules.v1", "embed.v1", "ensemble.v1")


def passages(path: Path, per_passage: int, n: int, seed: int = 0) -> tuple[list[ExcerptInput], dict[str, dict]]:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = np.random.default_rng(seed)
    excerpts, gold = [], {}
    for k in range(n):
        pick = rng.choice(len(items), per_passage, replace=False)
        codes: dict[str, int | None] = {}
        for i in pick:
            for c in items[i]["codes"]:
                w = c.get("weight")
                codes[c["code"]] = None if c["code"] in codes and codes[c["code"]] != w else codes.get(c["code"], w)
        pid = f"{path.stem}-{k}"
        excerpts.append(ExcerptInput(pid, " ".join(items[i]["text"] for i in pick)))
        gold[pid] = codes
    return excerpts, gold


def score(coder, excerpts: list[ExcerptInput], gold: dict, in_parts: bool, ids: list[str]) -> dict:
    got: dict[str, dict] = {e.id: {} for e in excerpts}
    for s in (predict_passages(coder, excerpts) if in_parts else coder.predict(excerpts)):
        got[s.excerpt_id][s.code] = s.weight
    r = evaluate(gold, got, ids)
    out = {f.family: round(f.micro_f1, 2) for f in r.families if f.micro_f1 is not None}
    exact = "-" if r.weights.exact is None else f"{r.weights.exact:.2f}"
    out["weights"] = f"{exact} of {r.weights.predicted_weighted}"  # exact agreement, of weights compared
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=40, help="passages per held-out set")
    ap.add_argument("--record", action="store_true", help="append the result to benchmarks/RESULTS.md")
    args = ap.parse_args()
    book = default_codebook()
    coders = {name: get_coder(name, book) for name in CODERS}
    results = {}
    for file, per in SETS:
        excerpts, gold = passages(ROOT / "models" / "eval" / file, per, args.passages)
        words = [len(e.text.split()) for e in excerpts]
        label = f"{file} x{per} ({min(words)}-{max(words)} words)"
        for name, coder in coders.items():
            for in_parts in (False, True):
                key = f"{label} {name} {'parts' if in_parts else 'whole'}"
                results[key] = score(coder, excerpts, gold, in_parts, book.ids())
                print(f"{key}: {results[key]}", flush=True)
    if args.record:
        summary = "; ".join(f"{k}: " + ", ".join(f"{f} {v}" for f, v in r.items()) for k, r in results.items()
                            if "ensemble" in k)
        record("long passages coded whole vs in the flow's parts (micro-F1; weight exact agreement of N)",
               f"{args.passages} passages per held-out set, items joined", summary, "-")


if __name__ == "__main__":
    main()
