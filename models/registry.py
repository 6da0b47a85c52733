"""Coders by versioned name, as chosen in configuration (``--coder rules.v1``)."""
from __future__ import annotations

from matcoder.codebook.schema import Codebook
from matcoder.errors import UsageError
from matcoder.models.base import Coder

CODERS = ("rules.v1",)
DEFAULT_CODER = "rules.v1"


def get_coder(name: str, codebook: Codebook) -> Coder:
    if name == "rules.v1":
        from matcoder.models.rules.coder import RuleCoder

        return RuleCoder(codebook)
    raise UsageError(f"unknown coder {name!r}; available: {', '.join(CODERS)}")
