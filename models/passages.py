"""Passages longer than one excerpt, coded as the flow codes a long answer.

The flow never gives a coder more than 180 words at a time: a longer answer is cut at
sentence ends into excerpts of about 120 words (``segment.segment_turn``). Text from
outside the flow (``code-excerpts``, ``evaluate`` on a gold file) can be a passage an
expert coded as one unit, several hundred words about several topics. Read whole, its
embedding is an average over all of them, under every topic's threshold, and the model
reads only its first 256 word pieces. So a passage is cut the way the flow cuts an
answer, each part is coded, and the passage gets every code a part gets: the part that
scores it highest gives its score and source; the weight comes from the best-scoring
part that fixes one; the evidence is every part's, with offsets into the passage; it
needs review if every part that gives the code says so, or if the part its weight comes
from does (a doubtful weight is flagged there).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from matcoder.models.base import CodeSuggestion, Coder, Evidence, ExcerptInput
from matcoder.segment import Span, segment_turn


def parts(excerpt: ExcerptInput) -> list[tuple[ExcerptInput, int]]:
    """The excerpt as the flow would cut it: (part, its offset in the excerpt's text).
    A pseudonymised text is cut the same way when it falls into as many parts (names
    replaced by roles can move a cut); otherwise the excerpt stays whole."""
    spans = segment_turn(excerpt.text)
    if len(spans) < 2:
        return [(excerpt, 0)]
    masked: list[str | None] = [None] * len(spans)
    if excerpt.pseudonymised:
        masked_spans = segment_turn(excerpt.pseudonymised)
        if len(masked_spans) != len(spans):
            return [(excerpt, 0)]
        masked = [_cut(excerpt.pseudonymised, s) for s in masked_spans]
    return [(ExcerptInput(f"{excerpt.id}#{j}", _cut(excerpt.text, s), excerpt.question, m), s.start)
            for j, (s, m) in enumerate(zip(spans, masked))]


def predict_passages(coder: Coder, excerpts: Sequence[ExcerptInput]) -> list[CodeSuggestion]:
    """``coder.predict``, with every excerpt over 180 words coded in parts (see the module's
    doc). An excerpt's suggestions come together, in the order its parts give them."""
    # parts go to the coder under their position, so no caller's id can collide with a part's
    cut = [(e, p, offset) for e in excerpts for p, offset in parts(e)]
    by_code: dict[tuple[str, str], list[CodeSuggestion]] = {}
    for s in coder.predict([replace(p, id=str(n)) for n, (_, p, _) in enumerate(cut)]):
        excerpt, _, offset = cut[int(s.excerpt_id)]
        moved = replace(s, excerpt_id=excerpt.id, evidence=tuple(_shift(ev, offset) for ev in s.evidence))
        by_code.setdefault((excerpt.id, s.code), []).append(moved)
    return [_merge(found) for found in by_code.values()]


def _merge(found: list[CodeSuggestion]) -> CodeSuggestion:
    if len(found) == 1:
        return found[0]
    best = max(found, key=lambda s: s.score)
    weighted = [s for s in found if s.weight is not None]
    weighing = max(weighted, key=lambda s: s.score) if weighted else None
    evidence = tuple(dict.fromkeys(ev for s in found for ev in s.evidence))
    doubt = all(s.needs_review for s in found) or (weighing is not None and weighing.needs_review)
    return replace(best, weight=weighing.weight if weighing else None, evidence=evidence, needs_review=doubt)


def _cut(text: str, span: Span) -> str:
    return text[span.start:span.end]


def _shift(evidence: Evidence, offset: int) -> Evidence:
    """Evidence with a span (a rule's cue) points into the passage; evidence without one
    (an embedding probability, start = end = 0) stays as it is."""
    if evidence.end <= evidence.start:
        return evidence
    return replace(evidence, start=evidence.start + offset, end=evidence.end + offset)
