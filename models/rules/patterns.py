"""Matching the codebook's word-pattern language, fast.

Each excerpt is tokenised once (``TOKEN``: words with inner apostrophes, and single
punctuation marks) and rendered as a *key* string: for every token
``" " + lemma + "\\x01" + lower``. Lemmas come from spaCy's English lookup table
(spacy-lookups-data), applied to the lower-cased token. Pattern words are tokenised
and lemmatised the same way, so ``schools`` in a pattern matches ``School`` in text
and ``non-negotiable`` matches its three tokens. A pattern compiles to one regular
expression over the key; it runs only when the excerpt contains one of its first
words (its *anchors*), which is what keeps 10,000 excerpts within seconds (spaCy's
Matcher, with set predicates and ``{0,N}`` gaps, took over two minutes here).

Sentences end at ``.``, ``!``, ``?`` and ``…`` tokens; gaps (``~N``) never cross one.

Verbatim speech is read past: the tokens of fillers, discourse markers and repeated words
(``verbatim.disfluencies``: "erm", ", you know,", "we, we") are skipped, so "agreed, erm,
together" matches "agreed together"; every kept token keeps its offsets into the source
text, so evidence quotes the speech as it was transcribed.
"""
from __future__ import annotations

import bisect
import itertools
import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from matcoder.verbatim import disfluencies

TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
SENT_END = frozenset(".!?…")
_SEP = "\x01"
_GAP_UNIT = rf"(?: (?![.!?…]{_SEP})[^ ]+)"

_CACHE: dict[str, str] = {}
# Revision of how a text is matched against the patterns, part of the identity of every
# coder that reads the rules, so a warehouse coded under an earlier one is recoded on
# the next run. match2: typeset hyphens match as plain ones (see _TYPOGRAPHIC);
# match3: fillers, discourse markers and repeated words skipped (verbatim.disfluencies),
# and school counts read anew (growth.py: schools joining and one school in passing are
# not the trust's size; "when there were four of us" and "the original six" are).
MATCHING = "match3"
# Word processors' and reports' forms matched as the patterns' plain ones: the curly
# apostrophe, the hyphen and the non-breaking hyphen ("non‑negotiable").
_TYPOGRAPHIC = str.maketrans({"’": "'", "\u2010": "-", "\u2011": "-"})
_TYPOGRAPHIC_CHARS = frozenset(map(chr, _TYPOGRAPHIC))


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    """spaCy's English lookup lemmas, read from the spacy-lookups-data package (the same
    table ``spacy.blank("en")``'s lookup lemmatizer uses, without importing spaCy)."""
    path = resources.files("spacy_lookups_data") / "data" / "en_lemma_lookup.json.gz"
    return json.loads(gzip.decompress(path.read_bytes()))


def lemma(word: str) -> str:
    """Lookup lemma of the lower-cased word ('Academies' -> 'academy')."""
    lower = word.casefold().translate(_TYPOGRAPHIC)
    found = _CACHE.get(lower)
    if found is None:
        found = _CACHE[lower] = _table().get(lower, lower).casefold()
    return found


class Analysed:
    """One excerpt, tokenised, with its key string for pattern matching. Tokens are
    parallel lists: ``starts``/``ends`` (character offsets), ``words``, ``lowers``,
    ``norms`` (lemmas) and ``sents`` (sentence number)."""

    __slots__ = ("text", "starts", "ends", "words", "lowers", "norms", "sents", "key", "positions", "forms")

    def __init__(self, text: str):
        self.text = text
        spans = [m.span() for m in TOKEN.finditer(text)]
        skipped = disfluencies(text)
        if skipped:
            spans = [s for s in spans if not _inside(s[0], skipped)]
        self.starts = [a for a, _ in spans]
        self.ends = [b for _, b in spans]
        self.words = words = [text[a:b] for a, b in spans]
        lowers = [w.lower() for w in words]
        if any(c in text for c in _TYPOGRAPHIC_CHARS):
            lowers = [w.translate(_TYPOGRAPHIC) for w in lowers]
        self.lowers = lowers
        cache = _CACHE
        self.norms = norms = [cache.get(w) or lemma(w) for w in lowers]
        ends_sentence = [w in SENT_END for w in words]
        self.sents = list(itertools.accumulate([0] + ends_sentence[:-1])) if words else []
        pieces = [f" {n}{_SEP}{w}" for n, w in zip(norms, lowers)]
        self.positions = [0] + list(itertools.accumulate(len(p) for p in pieces))[:-1] if pieces else []
        self.key = "".join(pieces) + " "
        self.forms = set(norms) | set(lowers)

    def __len__(self) -> int:
        return len(self.words)

    def token_span(self, start: int, end: int) -> tuple[int, int]:
        """Key-string match [start, end) -> token indices [first, last + 1)."""
        first = bisect.bisect_left(self.positions, start)
        last = bisect.bisect_right(self.positions, end - 1)
        return first, last


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``offset`` falls in one of the sorted, disjoint ``spans``."""
    k = bisect.bisect_right(spans, (offset, float("inf"))) - 1
    return k >= 0 and spans[k][0] <= offset < spans[k][1]


def _words(word: str) -> list[str]:
    return TOKEN.findall(word)


def _unit(word: str) -> tuple[str, set[str]]:
    """Regex for one pattern token (may be several text tokens) and its anchor forms."""
    exact = word.startswith("=")
    parts = _words(word.lstrip("="))
    if exact:
        pieces = [f" [^ {_SEP}]+{_SEP}{re.escape(p.casefold())}(?= )" for p in parts]
        return "".join(pieces), {parts[0].casefold()} if parts else set()
    pieces = [f" {re.escape(lemma(p))}{_SEP}[^ ]+" for p in parts]
    return "".join(pieces), {lemma(parts[0])} if parts else set()


@dataclass(frozen=True)
class CompiledPattern:
    text: str
    regex: re.Pattern
    anchors: frozenset[str]


class PatternIndex:
    """Patterns by anchor word, so an excerpt only tries the patterns it could match."""

    def __init__(self) -> None:
        self.items: list[tuple[object, CompiledPattern]] = []
        self.by_anchor: dict[str, list[int]] = {}

    def add(self, payload: object, pattern: CompiledPattern) -> None:
        for anchor in pattern.anchors:
            self.by_anchor.setdefault(anchor, []).append(len(self.items))
        self.items.append((payload, pattern))

    def candidates(self, doc: Analysed) -> list[tuple[object, CompiledPattern]]:
        found: set[int] = set()
        for form in doc.forms:
            hit = self.by_anchor.get(form)
            if hit:
                found.update(hit)
        return [self.items[i] for i in sorted(found)]


def compile_pattern(pattern: str) -> CompiledPattern:
    """One pattern string (syntax checked by the codebook schema) -> regex."""
    units: list[str] = []
    anchors: set[str] | None = None
    for tok in pattern.split():
        if tok.startswith("~"):
            units.append(f"{_GAP_UNIT}{{0,{int(tok[1:])}}}")
            continue
        optional = tok.endswith("?")
        alternatives = tok.rstrip("?").split("|")
        compiled = [_unit(w) for w in alternatives]
        body = compiled[0][0] if len(compiled) == 1 else "(?:" + "|".join(c[0] for c in compiled) + ")"
        if optional:
            body = f"(?:{body})?"
        elif anchors is None:
            anchors = set().union(*(c[1] for c in compiled))
        units.append(body)
    if not anchors:
        raise ValueError(f"pattern {pattern!r} has no required word")
    return CompiledPattern(pattern, re.compile("".join(units)), frozenset(anchors))
