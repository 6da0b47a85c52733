"""What every coder (rules, embeddings, their ensemble) takes and gives.

A coder is built from a Codebook, loads nothing heavy until first used, and offers
``fit(examples)`` and ``predict(excerpts) -> list[CodeSuggestion]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, Sequence

Source = Literal["rules", "embedding", "human"]


@dataclass(frozen=True)
class ExcerptInput:
    id: str
    text: str
    question: str | None = None
    # the text with names replaced by bracketed roles, when the caller knows the names:
    # what the embedding reads (``embedding.roles``); rules read ``text``
    pseudonymised: str | None = None


@dataclass(frozen=True)
class Evidence:
    """Why a code was suggested: the rule that fired and the span (offsets into the
    excerpt text) that triggered it."""

    rule: str
    start: int
    end: int
    text: str


WEIGHT_EVIDENCE = "embed.v1 weight="  # evidence naming a weight the weight classifier set


def weight_evidence(weight: int, p: float) -> Evidence:
    """The evidence of a weight the classifier set: ``embed.v1 weight=3 p=0.81``."""
    return Evidence(f"{WEIGHT_EVIDENCE}{weight} p={p:.2f}", 0, 0, "")


def weight_probability(rules: Sequence[str]) -> float | None:
    """The classifier's probability of the weight it set, from a coding's evidence rules;
    None when the weight (if any) did not come from the classifier."""
    for rule in rules:
        if rule.startswith(WEIGHT_EVIDENCE) and " p=" in rule:
            return float(rule.rsplit(" p=", 1)[1])
    return None


@dataclass(frozen=True)
class CodeSuggestion:
    excerpt_id: str
    code: str
    weight: int | None
    score: float
    source: Source
    agent: str
    agent_version: str
    evidence: tuple[Evidence, ...] = field(default=())
    needs_review: bool = False  # low confidence: the coder's voices disagree


class Coder(Protocol):
    name: str
    version: str

    @property
    def identity(self) -> str:  # e.g. "rules.v1"
        ...

    def fit(self, examples: Sequence[tuple[ExcerptInput, Sequence[tuple[str, int | None]]]]) -> None:
        ...

    def predict(self, excerpts: Sequence[ExcerptInput]) -> list[CodeSuggestion]:
        ...
