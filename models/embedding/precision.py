"""The arithmetic the sentence model runs in (``MATCODER_PRECISION``): ``auto`` (default)
is float32 on a CPU without bfloat16 in hardware (emulated bfloat16 would be slower); on
one with it (AVX512-BF16 or AMX) the encoder times a few batches both ways once per
machine and keeps bfloat16 autocast only when it is clearly faster, since hardware
support does not promise speed: an AMD EPYC here encoded 1.6 times faster in bfloat16,
an Intel Xeon with AVX512-BF16 and no AMX 0.65 times as fast. The verdict is kept per
CPU (``cpu_description``: name, family and model numbers, widest vector instructions)
and PyTorch version (``precision.json`` beside the embedding cache). ``fp32`` or
``bf16`` force one. Kept apart from the encoder so that the command line can check
the setting without importing numpy or torch."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from matcoder.errors import UsageError

PRECISIONS = ("fp32", "bf16")
VERDICTS_FILE = "precision.json"  # beside the embedding cache
BF16_GAIN = 0.9  # bfloat16 is chosen when it takes under this share of float32's time
# each arithmetic is timed this many times, alternately, and its fastest time kept: the
# verdict is kept for good, and one round taken while another process held a core could
# flip it (a verdict made under load on an AMX Xeon read 0.85 for an arithmetic that
# encodes 2.3 times as fast)
TIMING_ROUNDS = 3


def wanted_precision() -> str:
    """``MATCODER_PRECISION`` as set: auto (also when unset), fp32 or bf16."""
    wanted = os.environ.get("MATCODER_PRECISION", "").strip().lower() or "auto"
    if wanted != "auto" and wanted not in PRECISIONS:
        raise UsageError(f"MATCODER_PRECISION={wanted!r}: use auto, {' or '.join(PRECISIONS)}")
    return wanted


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX tiles)."""
    import torch

    cpu = getattr(torch, "cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, name, lambda: False)()) for name in checks)


# the widest vector instructions a CPU reports, best first (Linux /proc/cpuinfo flag names)
SIMD_FLAGS = ("amx_bf16", "avx512_bf16", "avx512f", "avx2", "sse4_2", "asimd")


def cpu_description(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU as ``cpuinfo`` names it, with its family and model numbers and its widest
    vector instructions: a virtual machine may call quite different CPUs just "AMD EPYC"
    (this workplace has had one with fast bfloat16 and one with AVX2 only)."""
    import platform

    fields: dict[str, str] = {}
    try:
        for line in cpuinfo.read_text().splitlines():
            if not line.strip():
                break  # the first processor's block is enough
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or platform.machine()
    flags = set((fields.get("flags") or fields.get("Features") or "").split())
    details = [f"family {fields['cpu family']}" if "cpu family" in fields else "",
               f"model {fields['model']}" if fields.get("model", "").isdigit() else "",
               next((f for f in SIMD_FLAGS if f in flags), "")]
    details = [d for d in details if d]
    return f"{name} ({', '.join(details)})" if details else name


def machine_key() -> str:
    """What a timing verdict holds for: the CPU (``cpu_description``) and the PyTorch version."""
    import torch

    return f"{cpu_description()} | torch {torch.__version__}"


def measured_precision(seconds: Callable[[str], float], verdicts: Path | None) -> str:
    """bf16 when ``seconds("bf16")`` is under ``BF16_GAIN`` of ``seconds("fp32")`` (the time
    of the same encode in each, the fastest of ``TIMING_ROUNDS`` taken alternately), else
    fp32; read from and written to ``verdicts`` (a JSON file of machine key -> verdict) so
    that a machine is timed once (a verdict of fewer rounds, as kept until 2 December 2026,
    is timed again)."""
    key = machine_key()
    known: dict = {}
    if verdicts is not None and verdicts.exists():
        try:
            known = json.loads(verdicts.read_text())
        except (OSError, ValueError):
            known = {}
        if not isinstance(known, dict):  # unreadable, or not a map of verdicts: time again, write afresh
            known = {}
        verdict = known.get(key)
        if (isinstance(verdict, dict) and verdict.get("precision") in PRECISIONS
                and verdict.get("rounds", 1) >= TIMING_ROUNDS):
            return verdict["precision"]
    rounds = [(seconds("fp32"), seconds("bf16")) for _ in range(TIMING_ROUNDS)]
    fp32, bf16 = (min(times) for times in zip(*rounds))
    chosen = "bf16" if bf16 < BF16_GAIN * fp32 else "fp32"
    if verdicts is not None:
        known[key] = {"precision": chosen, "fp32_s": round(fp32, 3), "bf16_s": round(bf16, 3),
                      "rounds": TIMING_ROUNDS}
        verdicts.parent.mkdir(parents=True, exist_ok=True)
        tmp = verdicts.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, indent=2))
        tmp.replace(verdicts)
    return chosen


def choose_precision(seconds: Callable[[str], float] | None = None, verdicts: Path | None = None) -> str:
    """``MATCODER_PRECISION`` resolved for this machine: with ``auto`` on a CPU with
    bfloat16 in hardware, ``measured_precision`` when ``seconds`` can time an encode, else
    bf16."""
    wanted = wanted_precision()
    if wanted != "auto":
        return wanted
    if not native_bf16():
        return "fp32"
    return measured_precision(seconds, verdicts) if seconds is not None else "bf16"


def precision_tag(precision: str) -> str:
    """What an identity adds for the arithmetic: nothing for float32, "+bf16" otherwise
    (the encoder's cache key, the coders' revision)."""
    return "" if precision == "fp32" else f"+{precision}"
