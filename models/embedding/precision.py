"""The arithmetic the sentence model runs in (``MATCODER_PRECISION``): ``auto`` (default)
is bfloat16 autocast on a CPU that multiplies bfloat16 in hardware (AVX512-BF16 or AMX)
and float32 anywhere else (emulated bfloat16 would be slower); ``fp32`` or ``bf16``
force one. Kept apart from the encoder so that the command line can check the setting
without importing numpy or torch."""
from __future__ import annotations

import os

from matcoder.errors import UsageError

PRECISIONS = ("fp32", "bf16")


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


def choose_precision() -> str:
    """``MATCODER_PRECISION`` resolved for this machine."""
    wanted = wanted_precision()
    if wanted == "auto":
        return "bf16" if native_bf16() else "fp32"
    return wanted


def precision_tag(precision: str) -> str:
    """What an identity adds for the arithmetic: nothing for float32, "+bf16" otherwise
    (the encoder's cache key, the coders' revision)."""
    return "" if precision == "fp32" else f"+{precision}"
