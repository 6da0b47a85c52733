"""The rule coder (``rules.v1``): codebook patterns, cue sets and weight cues, matched
on lower-cased lookup lemmas (see ``patterns.py`` for the matching itself).

How each family is coded:

- a code fires when one of its patterns matches; if the code ``requires`` a cue set
  (break points require ``shift``) the pattern and a cue of that set must share a
  sentence, and if it has an ``unless`` set (hands-on CEO work, ``unless: shift``,
  since leaving that work is a break point) they must not. Distinct, non-overlapping hits combine:
  score = 1 - prod(1 - pattern score); codes under ``rules.min_score`` are dropped.
- the weight of an area code comes from the weight cue nearest to one of that code's
  hits *in the same sentence* ("non-negotiable" -> 3, "agreed together" -> 2,
  "their own way" -> 1); no cue in the sentence, no weight. Such a cue also supports
  the code itself (``rules.cue_boost``): the text shows who holds the function.
- generic one-word patterns carry a low score, so one incidental mention is not
  enough; a second distinct hit, a weight cue, or a question on the same topic
  (``rules.question_boost``; the interview protocol makes the question a strong
  prior) lifts the code over ``rules.min_score``.
- growth stages come from explicit school counts (see ``growth.py``) mapped through
  the codebook's ``growth_stages``; ``growth.future_plan`` from its patterns.

Every suggestion carries the rules that fired and the spans that triggered them.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Sequence

from matcoder.codebook.schema import Codebook, Pattern, PatternSpec
from matcoder.models.base import CodeSuggestion, Evidence, ExcerptInput
from matcoder.models.rules.growth import school_counts
from matcoder.models.rules.patterns import MATCHING, Analysed, PatternIndex, compile_pattern

COUNT_SCORE = 0.9
EXCERPT_SCOPE = "(excerpt scope)"  # marks a weight taken from a cue outside the area's sentences
CUE_REACH = 4  # a weight cue supports the code only within this many tokens of a hit
LIST_REACH = 5  # weak hits closer than this are one mention ("attendance, safeguarding and ...")


@dataclass(frozen=True)
class _Rule:
    kind: str  # "code" | "cue" | "weight"
    target: str  # code id, cue set name, or weight level as text
    index: int
    text: str
    score: float

    @property
    def name(self) -> str:
        return f"{self.target}#{self.index} {self.text!r}"


@dataclass(frozen=True)
class _Hit:
    rule: _Rule
    start: int  # token indices
    end: int
    sent: int


def _gap(hit: "_Hit", others: list["_Hit"]) -> int:
    return min(max(hit.start - o.end, o.start - hit.end, 0) for o in others)


def _mentions(hits: list["_Hit"], strong: float) -> list["_Hit"]:
    """Hits that count as separate mentions: weak hits (score below ``strong``) close to
    an earlier weak hit are items of one list, so they do not add up."""
    kept: list[_Hit] = []
    for h in sorted(hits, key=lambda h: h.start):
        weak = h.rule.score < strong
        if weak and any(k.rule.score < strong and h.start - k.end < LIST_REACH for k in kept):
            continue
        kept.append(h)
    return kept


def _span_evidence(doc: Analysed, first: int, last: int, rule: str) -> Evidence:
    start, end = doc.starts[first], doc.ends[last - 1]
    return Evidence(rule, start, end, doc.text[start:end])


class PatternCompileError(ValueError):
    """A codebook pattern that does not compile; ``where`` is its path in the codebook."""

    def __init__(self, where: str, problem: str):
        self.where = where
        super().__init__(f"{where}: {problem}")


class RuleCoder:
    name = "rules"
    version = "v1"

    def __init__(self, codebook: Codebook):
        self.codebook = codebook
        self._index: PatternIndex | None = None
        self._codes = {code.id: code for code in codebook.codes()}

    @property
    def revision(self) -> str:
        """What, besides the codebook, decides the rules' codes: their version and the
        revision of how text is matched (``patterns.MATCHING``)."""
        return f"{self.version}+{MATCHING}"

    @property
    def identity(self) -> str:
        return f"{self.name}.{self.revision}"

    def fit(self, examples=()) -> None:
        """Rules are written, not trained: nothing to fit (kept for the shared protocol)."""

    # -- building ---------------------------------------------------------------------
    def _compile(self, kind: str, target: str, specs: Sequence[PatternSpec], where: str) -> None:
        default = self.codebook.rules.default_score
        for i, spec in enumerate(specs):
            text, score = (spec.match, spec.score) if isinstance(spec, Pattern) else (spec, default)
            try:
                compiled = compile_pattern(text)
            except (ValueError, re.error) as exc:
                raise PatternCompileError(f"{where} -> {i}", str(exc)) from None
            self._index.add(_Rule(kind, target, i, text, score), compiled)

    def build(self) -> "RuleCoder":
        """Compile every pattern (also how ``codebook validate`` checks that they compile)."""
        if self._index is not None:
            return self
        self._index = PatternIndex()
        book = self.codebook
        for fam_name, family in book.families.items():
            for ci, code in enumerate(family.codes):
                self._compile("code", code.id, code.patterns, f"families -> {fam_name} -> codes -> {ci} -> patterns")
        for name, specs in book.cues.items():
            self._compile("cue", name, specs, f"cues -> {name}")
        for wi, level in enumerate(book.weights):
            self._compile("weight", str(level.value), level.cues, f"weights -> {wi} -> cues")
        return self

    # -- coding -----------------------------------------------------------------------
    def predict(self, excerpts: Sequence[ExcerptInput]) -> list[CodeSuggestion]:
        self.build()
        out: list[CodeSuggestion] = []
        topics: dict[str, frozenset[str]] = {}  # the parts of one answer share its question
        for excerpt in excerpts:
            asked = frozenset()
            if excerpt.question and self.codebook.rules.question_boost:
                asked = topics.get(excerpt.question)
                if asked is None:
                    asked = topics[excerpt.question] = self._question_codes(excerpt.question)
            out.extend(self._code_doc(excerpt, Analysed(excerpt.text), asked))
        return out

    def weight_cues(self, text: str) -> list[tuple[int, float]]:
        """Every weight cue in ``text`` (nested ones dropped) as (level 1-3, pattern score):
        what the embedding coder's weight classifiers read of the rules."""
        self.build()
        hits = self._outermost([h for h in self._hits(Analysed(text)) if h.rule.kind == "weight"])
        return [(int(h.rule.target), h.rule.score) for h in hits]

    def _question_codes(self, question: str) -> frozenset[str]:
        """Codes whose patterns the interviewer's question matches (its topic)."""
        return frozenset(h.rule.target for h in self._hits(Analysed(question)) if h.rule.kind == "code")

    def _hits(self, doc: Analysed) -> list[_Hit]:
        hits = []
        key, sents, span = doc.key, doc.sents, doc.token_span
        for rule, compiled in self._index.candidates(doc):
            for m in compiled.regex.finditer(key):
                first, last = span(m.start(), m.end())
                hits.append(_Hit(rule, first, last, sents[first]))
        return hits

    @staticmethod
    def _outermost(hits: list[_Hit]) -> list[_Hit]:
        """Drop hits lying inside a longer accepted hit (so nested patterns do not add up)."""
        kept: list[_Hit] = []
        for h in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
            if not any(k.start <= h.start and h.end <= k.end for k in kept):
                kept.append(h)
        return sorted(kept, key=lambda h: h.start)

    @staticmethod
    def _evidence(doc: Analysed, hit: _Hit, rule_name: str | None = None) -> Evidence:
        return _span_evidence(doc, hit.start, hit.end, rule_name or hit.rule.name)

    def _suggest(self, excerpt: ExcerptInput, code: str, weight: int | None, score: float,
                 evidence: list[Evidence]) -> CodeSuggestion:
        return CodeSuggestion(excerpt.id, code, weight, round(score, 4), "rules", self.name, self.revision,
                              tuple(evidence))

    def _code_doc(self, excerpt: ExcerptInput, doc: Analysed, asked: frozenset[str]) -> list[CodeSuggestion]:
        hits = self._hits(doc)
        by_code: dict[str, list[_Hit]] = defaultdict(list)
        cue_sents: dict[str, set[int]] = defaultdict(set)
        weight_hits: list[_Hit] = []
        for h in hits:
            if h.rule.kind == "code":
                by_code[h.rule.target].append(h)
            elif h.rule.kind == "cue":
                cue_sents[h.rule.target].add(h.sent)
            else:
                weight_hits.append(h)
        weight_hits = self._outermost(weight_hits)
        suggestions: list[CodeSuggestion] = []
        settings = self.codebook.rules
        for code_id, code_hits in by_code.items():
            code = self._codes[code_id]
            if code.requires:
                code_hits = [h for h in code_hits if h.sent in cue_sents[code.requires]]
            if code.unless:
                code_hits = [h for h in code_hits if h.sent not in cue_sents[code.unless]]
            code_hits = self._outermost(code_hits)
            if not code_hits:
                continue
            weighted = self.codebook.is_weighted(code_id)
            weight, cue = self._weight_for(code_hits, weight_hits) if weighted else (None, None)
            miss = 1.0
            for h in _mentions(code_hits, settings.default_score):
                miss *= 1.0 - h.rule.score
            if cue is not None and _gap(cue, code_hits) <= CUE_REACH:
                miss *= 1.0 - settings.cue_boost * cue.rule.score
            if code_id in asked:
                miss *= 1.0 - settings.question_boost
            score = 1.0 - miss
            evidence = [self._evidence(doc, h) for h in code_hits]
            if cue is not None:
                evidence.append(self._evidence(doc, cue, f"weight.{cue.rule.target}#{cue.rule.index} {cue.rule.text!r}"))
            if code_id in asked:
                evidence.append(Evidence("question.topic", 0, 0, ""))
            suggestions.append(self._suggest(excerpt, code_id, weight, score, evidence))
        suggestions = self._single_area_weight(doc, suggestions, weight_hits)
        merged = self._merge(suggestions + self._growth_stages(excerpt, doc))
        return [s for s in merged if s.score >= settings.min_score]

    def _single_area_weight(self, doc: Analysed, suggestions: list[CodeSuggestion],
                            weight_hits: list[_Hit]) -> list[CodeSuggestion]:
        """With exactly one area code in the excerpt and no cue in its sentences, a weight
        cue elsewhere in the excerpt can only be about that area: use the strongest."""
        areas = [s for s in suggestions if self.codebook.is_weighted(s.code)
                 and s.score >= self.codebook.rules.min_score]
        if len(areas) != 1 or areas[0].weight is not None or not weight_hits:
            return suggestions
        cue = max(weight_hits, key=lambda w: (w.rule.score, -w.start))
        levels = {w.rule.target for w in weight_hits if w.rule.score >= cue.rule.score}
        if len(levels) > 1:  # equally strong cues for different levels: the text does not fix it
            return suggestions
        name = f"weight.{cue.rule.target}#{cue.rule.index} {cue.rule.text!r} {EXCERPT_SCOPE}"
        updated = replace(areas[0], weight=int(cue.rule.target),
                          evidence=areas[0].evidence + (self._evidence(doc, cue, name),))
        return [updated if s is areas[0] else s for s in suggestions]

    @staticmethod
    def _merge(suggestions: list[CodeSuggestion]) -> list[CodeSuggestion]:
        """One suggestion per code: a growth stage found both by a pattern and by a count
        keeps both pieces of evidence and the combined score."""
        merged: dict[str, CodeSuggestion] = {}
        for s in suggestions:
            if s.code in merged:
                m = merged[s.code]
                score = round(1.0 - (1.0 - m.score) * (1.0 - s.score), 4)
                s = replace(m, score=score, weight=m.weight if m.weight is not None else s.weight,
                            evidence=m.evidence + s.evidence)
            merged[s.code] = s
        return list(merged.values())

    @staticmethod
    def _weight_for(code_hits: list[_Hit], weight_hits: list[_Hit]) -> tuple[int | None, _Hit | None]:
        best: tuple[int, _Hit] | None = None
        for h in code_hits:
            for w in weight_hits:
                if w.sent != h.sent:
                    continue
                gap = max(w.start - h.end, h.start - w.end, 0)
                if best is None or gap < best[0]:
                    best = (gap, w)
        if best is None:
            return None, None
        return int(best[1].rule.target), best[1]

    def _growth_stages(self, excerpt: ExcerptInput, doc: Analysed) -> list[CodeSuggestion]:
        stages: dict[str, list[Evidence]] = defaultdict(list)
        for count in school_counts(doc):
            for stage in self.codebook.growth_stages:
                if count.value >= stage.min_schools and (stage.max_schools is None or count.value <= stage.max_schools):
                    stages[stage.code].append(_span_evidence(
                        doc, count.start, count.end, f"growth.count {count.value} -> {stage.code}"))
        return [self._suggest(excerpt, code, None, COUNT_SCORE, ev) for code, ev in stages.items()]
