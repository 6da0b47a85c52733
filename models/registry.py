"""Coders by versioned name, as chosen in configuration (``--coder rules.v1``)."""
from __future__ import annotations

from matcoder.codebook.schema import Codebook
from matcoder.errors import UsageError
from matcoder.models.base import Coder

CODERS = ("rules.v1", "embed.v1", "ensemble.v1")
DEFAULT_CODER = "ensemble.v1"


def get_coder(name: str, codebook: Codebook) -> Coder:
    if name == "rules.v1":
        from matcoder.models.rules.coder import RuleCoder

        return RuleCoder(codebook)
    if name == "embed.v1":
        from matcoder.models.embedding.coder import EmbeddingCoder

        return EmbeddingCoder(codebook)
    if name == "ensemble.v1":
        from matcoder.models.embedding.coder import EnsembleCoder

        return EnsembleCoder(codebook)
    raise UsageError(f"unknown coder {name!r}; available: {', '.join(CODERS)}")
