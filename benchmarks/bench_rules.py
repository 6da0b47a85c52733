"""Benchmark: rule coding throughput (target: 10,000 excerpts in under 10 s).

Excerpts are the sample interviews' real excerpts, repeated to N. Prints one JSON
line and, with --record, appends a dated row to benchmarks/RESULTS.md.

Usage: .venv/bin/python benchmarks/bench_rules.py [--n 10000] [--repeat 3] [--record]
"""
from __future__ import annotations

import argparse
import itertools
import json
import resource
import time
from pathlib import Path

from matcoder.codebook.loader import default_codebook
from matcoder.ingest.reader import discover, read_transcript
from matcoder.models.base import ExcerptInput
from matcoder.models.rules.coder import RuleCoder
from matcoder.segment import segment_transcript
from results import record

ROOT = Path(__file__).resolve().parent.parent


def sample_excerpts(n: int) -> list[ExcerptInput]:
    pool = [e for p in discover(ROOT / "transcripts_sample")[0] for e in segment_transcript(read_transcript(p))]
    return [ExcerptInput(f"b{i}", e.text, e.question) for i, e in zip(range(n), itertools.cycle(pool))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--record", action="store_true", help="append the result to benchmarks/RESULTS.md")
    args = ap.parse_args()
    excerpts = sample_excerpts(args.n)
    words = sum(len(e.text.split()) for e in excerpts)
    t0 = time.perf_counter()
    coder = RuleCoder(default_codebook()).build()
    build = time.perf_counter() - t0
    runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        suggestions = coder.predict(excerpts)
        runs.append(time.perf_counter() - t0)
    result = {
        "benchmark": "rules", "excerpts": args.n, "mean_words": round(words / args.n, 1),
        "build_s": round(build, 3), "best_s": round(min(runs), 2), "worst_s": round(max(runs), 2),
        "excerpts_per_s": round(args.n / min(runs)), "suggestions": len(suggestions),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "target": "10,000 excerpts < 10 s", "met": args.n / min(runs) >= 1000,
    }
    print(json.dumps(result))
    if args.record:
        record("rules", f"{args.n} excerpts ({result['mean_words']} words avg)",
               f"best {result['best_s']} s, worst {result['worst_s']} s of {args.repeat}",
               f"{result['excerpts_per_s']}/s", f"{result['peak_rss_mb']} MB")

if __name__ == "__main__":
    main()
