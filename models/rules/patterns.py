"""The spaCy side of the codebook's word-pattern language.

The pipeline is ``spacy.blank("en")`` + sentencizer + ``lower_lemma``, a component that
stores the lookup lemma (spacy-lookups-data) of each lower-cased token in
``token.norm_``. Pattern words are lemmatised the same way, so ``schools`` in a pattern
matches ``School``; ``=word`` matches the exact lower-cased form.
"""
from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.lookups import Table, load_lookups
from spacy.tokens import Doc


@lru_cache(maxsize=1)
def _table() -> Table:
    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


_CACHE: dict[str, str] = {}


def lemma(word: str) -> str:
    """Lookup lemma of the lower-cased word ('Academies' -> 'academy')."""
    lower = word.casefold()
    found = _CACHE.get(lower)
    if found is None:
        found = _CACHE[lower] = _table().get(lower, lower).casefold()
    return found


@Language.component("lower_lemma")
def lower_lemma(doc: Doc) -> Doc:
    for token in doc:
        token.norm_ = lemma(token.lower_)
    return doc


def build_pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lower_lemma")
    return nlp


def compile_pattern(pattern: str, nlp: Language) -> list[dict]:
    """One pattern string -> one spaCy Matcher pattern (list of token specs)."""
    specs: list[dict] = []
    for tok in pattern.split():
        if tok.startswith("~"):
            specs.append({"OP": "{0," + tok[1:] + "}"})
            continue
        optional = tok.endswith("?")
        tok = tok.rstrip("?")
        if "|" in tok:
            words = tok.split("|")
            if any(w.startswith("=") for w in words):
                spec = {"LOWER": {"IN": [w.lstrip("=").casefold() for w in words]}}
            else:
                spec = {"NORM": {"IN": sorted({lemma(w) for w in words})}}
            parts = [spec]
        elif tok.startswith("="):
            parts = [{"LOWER": t.lower_} for t in nlp.make_doc(tok[1:])]
        else:
            parts = [{"NORM": lemma(t.text)} for t in nlp.make_doc(tok)]
        if optional:
            if len(parts) != 1:
                raise ValueError(f"pattern {pattern!r}: '{tok}?' is several tokens and cannot be optional")
            parts[0] = {**parts[0], "OP": "?"}
        specs.extend(parts)
    return specs
