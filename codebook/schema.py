"""The codebook's typed model. Loaded once by ``loader.load_codebook``; everything
downstream receives a ``Codebook``, never a dict.

Rule patterns use a small word-pattern language (see ``PATTERN_TOKEN``): words
separated by spaces, each matched on its lower-cased lemma (``schools`` matches
``School``); ``a|b|c`` alternatives; ``word?`` optional; ``=word`` the exact form, no
lemma; ``~N`` up to N (1-9) arbitrary words. Example: ``scheme of delegation``,
``we|i decide|insist ~3 all|every school``.
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CODE_ID = r"^[a-z]+\.[a-z][a-z_]*[a-z]$"
_WORD = r"=?[^\W_][\w'’]*(?:-[\w'’]+)*"
_ALT_WORD = r"=?[^\W_][\w'’]*"
PATTERN_TOKEN = re.compile(rf"^(?:~[1-9]|{_WORD}\??|{_ALT_WORD}(?:\|{_ALT_WORD})+\??)$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_pattern(pattern: str) -> str:
    tokens = pattern.split()
    if not tokens:
        raise ValueError("empty pattern")
    for tok in tokens:
        if not PATTERN_TOKEN.match(tok):
            raise ValueError(
                f"pattern {pattern!r}: token {tok!r} is not a word, 'a|b' alternatives "
                "(single words), 'word?', '=word' or '~N' (N 1-9)"
            )
    if tokens[0].startswith("~") or tokens[-1].startswith("~") or all(t.endswith("?") for t in tokens):
        raise ValueError(f"pattern {pattern!r}: must start and end with a word that is not optional")
    return pattern


class Pattern(Strict):
    """A rule pattern with its own score (how sure a match alone makes the code)."""

    match: str
    score: float = Field(ge=0.0, le=1.0)


PatternSpec = str | Pattern


def pattern_text(spec: PatternSpec) -> str:
    return spec.match if isinstance(spec, Pattern) else spec


class Example(Strict):
    """An example excerpt in a CEO's voice. ``near_miss`` examples do NOT take the code."""

    text: str = Field(min_length=20)
    near_miss: bool = False
    weight: Literal[1, 2, 3] | None = None


class Code(Strict):
    id: str = Field(pattern=CODE_ID)
    label: str = Field(min_length=3)
    definition: str = Field(min_length=10)
    when_to_use: str = Field(min_length=10)
    when_not_to_use: str = Field(min_length=10)
    confusable_with: list[str] = []
    patterns: list[PatternSpec] = []
    requires: str | None = Field(
        default=None, description="name of a cue set that must occur in the same sentence as a pattern"
    )
    unless: str | None = Field(
        default=None, description="name of a cue set that must NOT occur in the sentence of a pattern"
    )
    examples: list[Example]

    @field_validator("examples")
    @classmethod
    def _ten_positive(cls, examples: list[Example]) -> list[Example]:
        positives = sum(1 for e in examples if not e.near_miss)
        if positives < 10:
            raise ValueError(f"needs at least 10 positive examples, has {positives}")
        return examples


class Family(Strict):
    label: str
    description: str
    multi_label: bool = True
    weighted: bool = Field(default=False, description="codes carry a 1-3 centralisation weight")
    codes: list[Code] = Field(min_length=1)


class WeightLevel(Strict):
    value: Literal[1, 2, 3]
    label: str
    definition: str
    cues: list[PatternSpec] = Field(min_length=1)
    examples: list[str] = Field(min_length=2)


class GrowthStage(Strict):
    code: str = Field(pattern=CODE_ID)
    min_schools: int = Field(ge=1)
    max_schools: int | None = Field(default=None, ge=1)


class RuleSettings(Strict):
    default_score: float = Field(default=0.9, ge=0, le=1)
    min_score: float = Field(default=0.5, ge=0, le=1, description="suggestions below are dropped")
    cue_boost: float = Field(
        default=0.0, ge=0, le=1,
        description="an area hit with a weight cue in its sentence counts as 1-(1-s)(1-cue_boost): the text shows who holds the function")
    question_boost: float = Field(
        default=0.0, ge=0, le=1,
        description="a hit whose code the question also matches counts as 1-(1-s)(1-question_boost): the question's topic is a prior")


class Codebook(Strict):
    name: str
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    rules: RuleSettings = RuleSettings()
    growth_stages: list[GrowthStage] = Field(min_length=1)
    cues: dict[str, list[PatternSpec]] = {}
    weights: list[WeightLevel]
    families: dict[str, Family]

    def pattern_lists(self) -> list[tuple[str, list[PatternSpec]]]:
        """Every pattern list with its path in the file."""
        lists = [(f"families -> {f} -> codes -> {i} -> patterns", c.patterns)
                 for f, fam in self.families.items() for i, c in enumerate(fam.codes)]
        lists += [(f"cues -> {name}", specs) for name, specs in self.cues.items()]
        lists += [(f"weights -> {i} -> cues", w.cues) for i, w in enumerate(self.weights)]
        return lists

    def codes(self) -> list[Code]:
        return [code for family in self.families.values() for code in family.codes]

    def code(self, code_id: str) -> Code:
        for code in self.codes():
            if code.id == code_id:
                return code
        raise KeyError(code_id)

    def family_of(self, code_id: str) -> str:
        return code_id.split(".", 1)[0]

    def is_weighted(self, code_id: str) -> bool:
        """Whether the code's family carries the 1-3 centralisation weight (only ``area``)."""
        return self.families[self.family_of(code_id)].weighted

    def ids(self) -> list[str]:
        return [code.id for code in self.codes()]

    def code_or_family(self, value: str) -> str | None:
        """``value`` as a filter on code IDs: a code ID as it is, a family (``area`` or
        ``area.``) as its prefix ``area.``, whatever its case; None when it is neither."""
        value = value.strip().casefold()
        if value in self.ids():
            return value
        return value.rstrip(".") + "." if value.rstrip(".") in self.families else None

    def weighted_ids(self) -> list[str]:
        return [c for c in self.ids() if self.is_weighted(c)]

    def weight_level(self, value: int) -> WeightLevel:
        return next(w for w in self.weights if w.value == value)
