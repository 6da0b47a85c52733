"""The text the embedding reads: bracketed roles as plain words.

Quotes from published reports, and our own pseudonymised text, carry names as
bracketed roles (``[MAT]``, ``[school]``, ``[name]``) and editorial marks (``[...]``,
``[inaudible]``). The classifiers were trained on text that says "the trust" and "the
school", so a bracket is read as the phrase it stands for: a trust's name then moves
an answer's vector no more than "the trust" does. The flow replaces names by roles
first (``ExcerptInput.pseudonymised``). Only the embedding reads this text; the rules
read the source text, to which their evidence offsets refer.
"""
from __future__ import annotations

import re

# Revision of this reading, part of the embedding coders' identity: a warehouse coded
# under an earlier reading is recoded on the next run, not left as it was.
# read1: the source text as it stands; read2: names as roles, roles read as words.
READING = "read2"

# role (casefolded, as the pseudonymiser and published reports write it) -> noun
ROLE_NOUNS = {
    "mat": "trust", "trust": "trust", "trust name": "trust", "mat name": "trust", "name of trust": "trust",
    "academy trust": "trust", "school": "school", "school name": "school", "name of school": "school",
    "academy": "academy", "academy name": "academy", "place": "area", "area": "area", "town": "town",
    "city": "city", "village": "village", "region": "region", "location": "area", "county": "county",
    "organisation": "organisation", "organization": "organisation", "ceo": "chief executive",
    "interviewer": "interviewer",
}
PERSON = {"name", "person", "names", "name of person"}  # -> "a colleague"
MARKS = re.compile(r"[^\S\n]*\[(?:\.\.\.|…|\.\s\.\s\.|inaudible|unclear|indistinct|laughs?|laughter|"
                   r"crosstalk|pause|sic)\][^\S\n]*", re.IGNORECASE)
DETERMINERS = {"the", "our", "their", "your", "my", "his", "her", "its", "a", "an", "this", "that", "these",
               "those", "each", "every", "one", "another", "which", "whose", "no", "any", "some"}
_BRACKET = re.compile(r"\[([^\[\]\n]{1,40})\]")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\s*$")
_SENTENCE_END = re.compile(r"(?:[.!?][\"'”’)]?\s+|\n\s*)$")


def embedding_text(text: str) -> str:
    """``text`` with editorial marks removed and every bracketed role read as words:
    ``[MAT]`` -> "the trust" ("our [MAT]" -> "our trust"), ``[name]`` -> "a colleague",
    any other bracket -> its words. Text without brackets comes back unchanged."""
    if "[" not in text:
        return text
    text = MARKS.sub(_mark, text)
    return _BRACKET.sub(lambda m: _phrase(m.group(1), text[max(0, m.start() - 30):m.start()], m.start() == 0),
                        text)


def _mark(m: re.Match) -> str:
    """A removed mark leaves one space between words, none at an edge or before punctuation."""
    return " " if m.start() > 0 and m.end() < len(m.string) and m.string[m.end()].isalnum() else ""


def _phrase(inner: str, before: str, first_in_text: bool) -> str:
    key = " ".join(inner.casefold().split())
    word = _WORD_BEFORE.search(before)
    after_determiner = bool(word) and word.group(1).casefold() in DETERMINERS
    if key in PERSON:
        phrase = "colleague" if after_determiner else "a colleague"
    else:
        noun = ROLE_NOUNS.get(key, inner.strip())
        first = noun.split()[0].casefold()
        phrase = noun if after_determiner or first in DETERMINERS else f"the {noun}"
    if first_in_text or _SENTENCE_END.search(before):
        phrase = phrase[0].upper() + phrase[1:]
    return phrase
