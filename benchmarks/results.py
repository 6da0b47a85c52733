"""Appending a dated row to benchmarks/RESULTS.md (every benchmark's --record)."""
from __future__ import annotations

import platform
from datetime import date
from pathlib import Path

from matcoder.models.embedding.precision import cpu_description

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def record(benchmark: str, data: str, time: str, throughput: str, memory: str = "-") -> None:
    """One row: | date | benchmark | input | time | throughput | peak RSS | machine |; the
    machine is the architecture, Python and the CPU (the figures differ by CPU more than by
    anything else)."""
    machine = f"{platform.machine()}, {platform.python_version()}, {cpu_description()}"
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(f"| {date.today()} | {benchmark} | {data} | {time} | {throughput} | {memory} | {machine} |\n")
