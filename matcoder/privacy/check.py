"""The second net (``matcoder privacy check``): capitalised, name-like words that
survive pseudonymisation and are neither ordinary English words (spaCy's English lookup
vocabulary) nor on the allow-list. They are candidates for a person, school, trust or
place the case sheet missed; a human decides."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from matcoder.privacy.pseudonymise import (ALLOW_FILE, SENTENCE_START, WarehouseNames, allowed_words,
                                          names_in_reference, vocabulary)

_WORD = r"[A-Z][a-zA-Z'’-]*[a-zA-Z]"
_SEQUENCE = re.compile(rf"{_WORD}(?:\s+(?:of\s+|the\s+|de\s+|van\s+)?{_WORD})*")


@dataclass(frozen=True)
class Candidate:
    name: str
    start: int
    end: int
    context: str


def allow_list(extra: Iterable[Path] = ()) -> frozenset[str]:
    """The built-in allow-list, the codebook's own words (labels of codes and families),
    and any extra files."""
    from matcoder.codebook.loader import default_codebook

    book = default_codebook()
    words = {w.casefold() for text in [c.label for c in book.codes()] + [f.label for f in book.families.values()]
             for w in re.findall(r"[A-Za-z]+", text)}
    for path in (ALLOW_FILE, *extra):
        words |= allowed_words(path)
    return frozenset(words)


def _ordinary(word: str, allowed: frozenset[str]) -> bool:
    w = word.casefold().replace("’", "'").split("'")[0]
    return w in allowed or w in vocabulary() or (w.endswith("s") and w[:-1] in vocabulary())


def candidates(text: str, allowed: frozenset[str], width: int = 40) -> list[Candidate]:
    """Name-like sequences in ``text`` (already pseudonymised)."""
    out = []
    for m in _SEQUENCE.finditer(text):
        start, words = m.start(), list(re.finditer(_WORD, m.group(0)))
        at_start = bool(SENTENCE_START.search(text[:start]))
        while len(words) > 1 and words[0].group(0).casefold() in allowed:  # "So Fenmoor Academies"
            words.pop(0)
            at_start = False
        first, last = m.start() + words[0].start(), m.start() + words[-1].end()
        tokens = [w.group(0) for w in words]
        if all(_ordinary(w, allowed) for w in tokens):
            continue
        if len(tokens) == 1 and at_start and tokens[0].casefold().endswith("ly"):  # "Honestly, ..."
            continue
        lo, hi = max(0, first - width), min(len(text), last + width)
        context = ("…" if lo else "") + text[lo:hi].replace("\n", " ") + ("…" if hi < len(text) else "")
        out.append(Candidate(text[first:last], first, last, context))
    return out


def check_warehouse(con, interview: str | None = None, allowed: frozenset[str] | None = None) -> list[dict]:
    """Candidates in every interviewee excerpt and question, after pseudonymisation;
    and the known names an interview id holds (it is made from the file name and shown
    as it is), which are not candidates but certain."""
    allowed = allowed if allowed is not None else allow_list()
    scope = " WHERE interview_id = ?" if interview else ""
    names = WarehouseNames(con)
    found: list[dict] = [
        {"interview_id": iid, "excerpt_id": None, "in": "interview id", "candidate": r.original,
         "context": f"the interview id {iid} (made from the file name: rename the file)"}
        for (iid,) in con.execute(f"SELECT interview_id FROM interviews{scope} ORDER BY 1",
                                  [interview] if interview else []).fetchall()
        for r in names_in_reference(names(iid), iid)]
    sql = "SELECT interview_id, excerpt_id, text, question FROM excerpts"
    rows = con.execute(sql + scope + " ORDER BY interview_id, turn, start", [interview] if interview else []).fetchall()
    seen_questions: set[tuple[str, str]] = set()
    for iid, excerpt_id, text, question in rows:
        parts = [("excerpt", text)]
        if question and (iid, question) not in seen_questions:
            seen_questions.add((iid, question))
            parts.append(("question", question))
        for where, value in parts:
            for c in candidates(names.text(iid, value), allowed):
                found.append({"interview_id": iid, "excerpt_id": excerpt_id, "in": where, "candidate": c.name,
                              "context": c.context})
    return found
