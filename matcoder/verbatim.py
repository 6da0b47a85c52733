"""Speech as verbatim transcripts write it: the hesitations both coders read past.

Transcription services deliver phone interviews verbatim: "erm", "you know,", "we, we
had". The codebook's patterns and the training material are written without them, so a
filler between two words of a pattern ("agreed, erm, together") hides it from the rules,
and a dense run of them moves an answer's vector. ``disfluencies`` finds their spans; the
rules skip the tokens inside them (``patterns.Analysed``, keeping every offset into the
source text, so evidence still quotes it exactly) and the embedding reads the text
without them (``fluent``). Hedges ("sort of", "kind of") are left alone: they are often
content ("the kind of school we want").

Cross-validated on a copy of the dev set with fillers inserted at seeded places (about
one per twelve words, and one per six), training on the clean folds: see the README's
*Verbatim speech*.
"""
from __future__ import annotations

import re

# Filler words, any case, lengthened or not: er, erm, errm, um, umm, uh, uhm, ah, hmm, mm.
_FILLER = r"(?<!-)(?:e+r+m*|u+h*m+|u+h+|a+h+|h+m+|m{2,})(?!-)"  # not part of a hyphenated word
# A filler word with the comma after it ("erm, ", " erm").
FILLER = re.compile(rf"(?i)\b{_FILLER}\b,?")
# A discourse marker followed by its comma: "you know, the back office", "I mean, we".
MARKER = re.compile(r"(?i)\b(?:you know|I mean)\s*,")
# A comma before a hesitation usually ends a clause ("we'd grown to eleven, erm, every
# school" keeps "eleven,") unless it follows a word no clause ends on ("a, erm, forum").
COMMA_BEFORE = re.compile(r"(?i)\b(?:a|an|the|our|their|my|your|its|this|to|of|in|on|at|for|with|by|from|and|"
                          r"but|or|we|I|they|it|he|she|is|was|were|are|be|had|have|has|would|will)(,\s*)$")
# A word said twice ("we, we had", "the the", "we er, we"): the first saying goes.
REPEAT = re.compile(rf"(?i)\b([a-z]+)\b,?\s+(?:{_FILLER}\b,?\s+)?(?=\1\b)")


def disfluencies(text: str) -> list[tuple[int, int]]:
    """Character spans [start, end) of the fillers, discourse markers and repeated words
    in ``text``, sorted and not overlapping."""
    found = [(m.start(), m.end()) for m in REPEAT.finditer(text)]
    for rx in (FILLER, MARKER):
        for m in rx.finditer(text):
            before = COMMA_BEFORE.search(text, max(0, m.start() - 12), m.start())
            found.append((before.start(1) if before else m.start(), m.end()))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def fluent(text: str) -> str:
    """``text`` without its ``disfluencies`` (spaces tidied); text without any comes back
    unchanged."""
    spans = disfluencies(text)
    if not spans:
        return text
    pieces, at = [], 0
    for start, end in spans:
        pieces.append(text[at:start])
        at = end
    pieces.append(text[at:])
    out = re.sub(r"[ \t]{2,}", " ", " ".join(p.strip(" \t") for p in pieces if p.strip(" \t")))
    out = re.sub(r" ([,.;:!?])", r"\1", out)
    out = re.sub(r",+(?=[,.;:!?])", "", out)  # "to us, erm." -> "to us."
    out = re.sub(r"([.!?])(?:\s*[.,;:])+", r"\1", out)  # "together. ." -> "together."
    out = re.sub(r"^[\s,.;:!?]+", "", out).strip()
    # a sentence whose first word went starts with a capital still (sentences are split on it)
    return re.sub(r"(^|[.!?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), out)
