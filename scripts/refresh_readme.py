"""Regenerate the generated sections of README.md (between <!-- NAME:start --> and
<!-- NAME:end --> markers). A test fails when the committed README is stale.

Usage: .venv/bin/python scripts/refresh_readme.py [--check]
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from matcoder.codebook.loader import default_codebook
from matcoder.models.evaluation import _fmt, as_codes, coded_by, confusion_markdown, evaluate, markdown, read_coded
from matcoder.models.registry import get_coder

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "models" / "eval" / "dev.jsonl"
# The tables are the same on every machine: float32 arithmetic, whatever the CPU offers
# (``MATCODER_PRECISION``, read when the encoder first runs; models/embedding/precision.py).
os.environ["MATCODER_PRECISION"] = "fp32"


def rules_dev_table() -> str:
    book = default_codebook()
    gold = read_coded(DEV_SET, book)
    predicted = coded_by(get_coder("rules.v1", book), gold)
    return markdown(evaluate({k: as_codes(v) for k, v in gold.items()}, predicted, book.ids(),
                             weighted=book.weighted_ids()))


HELD_OUT = ROOT / "models" / "eval" / "heldout.jsonl"
HELD_OUT_LONG = ROOT / "models" / "eval" / "heldout_long.jsonl"
HELD_OUT_LONG2 = ROOT / "models" / "eval" / "heldout_long2.jsonl"


def coder_comparison(path: Path = HELD_OUT) -> str:
    """Rules vs embeddings vs ensemble on a held-out set, per family."""
    book = default_codebook()
    gold = read_coded(path, book)
    reports = {}
    for name in ("rules.v1", "embed.v1", "ensemble.v1"):
        scores: dict = {}
        predicted = coded_by(get_coder(name, book), gold, scores)
        reports[name] = evaluate({k: as_codes(v) for k, v in gold.items()}, predicted, book.ids(), scores,
                                book.weighted_ids())
    lines = ["| family | coder | micro P | micro R | micro F1 | macro F1 |", "|---|---|---:|---:|---:|---:|"]
    for i, family in enumerate(reports["rules.v1"].families):
        for name, r in reports.items():
            f = r.families[i]
            lines.append(f"| {family.family} (support {family.support}) | `{name}` | {_fmt(f.micro_precision)} | "
                         f"{_fmt(f.micro_recall)} | {_fmt(f.micro_f1)} | {_fmt(f.macro_f1)} |")
    lines += ["", "| coder | weights predicted / gold-weighted codes found | exact agreement | quadratic kappa "
              "| area codes found | agreement, empty as a value |", "|---|---:|---:|---:|---:|---:|"]
    for name, r in reports.items():
        w = r.weights
        lines.append(f"| `{name}` | {w.predicted_weighted} / {w.gold_weighted} | {_fmt(w.exact)} | "
                     f"{_fmt(w.quadratic_kappa)} | {w.found} | {_fmt(w.with_empty)} |")
    lines += ["", "`ensemble.v1`'s weights on the area codes it shares with the gold, gold down, the "
              "coder across (3: held by the trust's centre):", ""]
    lines += confusion_markdown(reports["ensemble.v1"].weights.confusion)
    lines += ["", "| coder | codings | mean score | share right | Brier | calibration error (ECE) |",
              "|---|---:|---:|---:|---:|---:|"]
    for name, r in reports.items():
        c = r.calibration[0]
        lines.append(f"| `{name}` | {c.codings} | {_fmt(c.mean_score)} | {_fmt(c.share_right)} | {c.brier:.3f} | "
                     f"{c.ece:.3f} |")
    return "\n".join(lines) + "\n"


SECTIONS = {"rules-dev-table": rules_dev_table, "coder-comparison": coder_comparison,
            "coder-comparison-long": lambda: coder_comparison(HELD_OUT_LONG),
            "coder-comparison-long2": lambda: coder_comparison(HELD_OUT_LONG2)}


def refreshed(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> section")
        text = pattern.sub(lambda m: m.group(1) + make() + m.group(2), text)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if README.md is stale, change nothing")
    args = ap.parse_args()
    readme = ROOT / "README.md"
    current = readme.read_text(encoding="utf-8")
    new = refreshed(current)
    if args.check:
        sys.exit(0 if new == current else 1)
    readme.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
