"""Growth stage from explicit school counts.

Counts are found where a number sits next to a school noun or after a size phrase:

- "eleven academies", "14 schools", "a 14-school trust", "nine primary schools"
- "from four to nine schools" (both counts)
- "when we were three", "now we are at thirteen", "we have grown to twenty-two",
  "when there were four of us", "the original six"

Counts of a subset ("two of our schools", "three more schools", "another four
academies", "we took on four schools", "two schools joined", "at one primary") are not
the trust's size and are skipped (one school is the size only when the text says so:
"we were one school", "just one academy"), and so are targets: a stage
code says what size the trust had or has, so a count that a future or wish marker
leads in its sentence ("we'd like to be thirty schools", "the plan is to grow to
forty", "we will be twenty by 2030") is a plan (``growth.future_plan``), not a stage.
"""
from __future__ import annotations

from dataclasses import dataclass

from matcoder.models.rules.numbers import TENS, UNITS, compound_value
from matcoder.models.rules.patterns import Analysed

SCHOOL_NOUNS = {"school", "academy", "primary", "primaries", "secondary", "secondaries", "academie"}
SUBSET_BEFORE = {"more", "another", "further", "additional", "extra", "new", "other", "first", "last", "the"}
SUBSET_AFTER = {"more", "of", "other", "new", "further", "additional", "extra"}
SIZE_LEADS = [("we", "be"), ("we're",), ("we're", "at"), ("we're", "now"), ("we", "be", "at"), ("now", "at"), ("grow", "to"), ("up", "to"),
              ("get", "to"), ("reach",), ("we", "have"), ("we", "be", "now"), ("we", "be", "only"), ("the", "original"),
              ("there", "be"), ("now", ",", "at")]
# schools added to or leaving the trust, not its size: "we took on four schools", "two joined"
ADDED_BEFORE = [("take", "on"), ("add",), ("bring", "in"), ("welcome",), ("lose",), ("absorb",)]
ADDED_AFTER = {"join", "convert", "leave"}
ONE_SIZE_BEFORE = {"just", "only", "single", "be", "a", "have"}  # "we were one school", "a one-school trust"
STARTS = {"start", "begin", "found", "open", "launch", "set"}  # "we began in 2013 with one secondary"
ADJECTIVES = {"primary", "secondary", "special", "junior", "infant", "free", "church", "small",
              "rural", "local", "all-through", "through", "high", "good", "outstanding"}


FUTURE = {"will", "would", "shall", "want", "plan", "planning", "aim", "hope", "intend", "target", "ambition",
          "aspire", "aspiration", "could", "might", "expect", "envisage", "goal"}
HEDGES = {"say", "think", "guess", "imagine", "have", "'ve"}  # "I would say we were nine": not a plan
FUTURE_WINDOW = 6


def _future_before(doc: Analysed, i: int) -> bool:
    """A future or wish marker among the few tokens before token i, in its sentence."""
    for k in range(max(0, i - FUTURE_WINDOW), i):
        if doc.sents[k] != doc.sents[i]:
            continue
        word = doc.lowers[k]
        if doc.norms[k] in FUTURE or word in FUTURE or word.endswith(("'ll", "'d")):
            if k + 1 < len(doc) and doc.norms[k + 1] in HEDGES:
                continue
            return True
    return False


@dataclass(frozen=True)
class Count:
    value: int
    start: int  # token indices
    end: int


def _number_at(doc: Analysed, i: int) -> tuple[int, int] | None:
    """(value, end token) of a number starting at token i."""
    t = doc.norms[i]
    if t.replace(",", "").isdigit() or t in UNITS or t in TENS:
        if t in TENS and i + 2 < len(doc) and doc.words[i + 1] == "-" and doc.norms[i + 2] in UNITS:
            return compound_value([t, doc.norms[i + 2]]), i + 3
        if t in TENS and i + 1 < len(doc) and doc.norms[i + 1] in UNITS and doc.norms[i + 1] != "one":
            return compound_value([t, doc.norms[i + 1]]), i + 2
        value = compound_value([t])
        return (value, i + 1) if value is not None else None
    return None


def _school_noun_follows(doc: Analysed, j: int) -> bool:
    k = j
    if k < len(doc) and doc.words[k] == "-":  # "14-school trust"
        k += 1
    for _ in range(2):
        if k < len(doc) and doc.norms[k] in SCHOOL_NOUNS:
            return True
        if k < len(doc) and doc.norms[k] in ADJECTIVES:
            k += 1
        else:
            return False
    return k < len(doc) and doc.norms[k] in SCHOOL_NOUNS


AFTER_SIZE = {"then", "and", "at", "by", "in", "when", "so", "but", "or", "now", "back", "schools", "be"}


def _size_phrase_before(doc: Analysed, i: int, end: int) -> bool:
    """'we were three' / 'grown to nine': the number must close the phrase, so that
    'we were two years in' is not a count."""
    if end < len(doc) and not (not doc.words[end][0].isalnum() or doc.norms[end] in AFTER_SIZE):
        return False
    for lead in SIZE_LEADS:
        n = len(lead)
        if i - n >= 0 and tuple(doc.norms[k] for k in range(i - n, i)) == lead:
            return True
    return False


def _added(doc: Analysed, i: int, end: int) -> bool:
    """The count at tokens [i, end) is of schools joining or leaving ("took on four
    schools", "two primaries joined"); not an ordinal ("when the twelfth school joined"
    the trust became twelve)."""
    if doc.lowers[end - 1].endswith(("th", "st", "nd", "rd")):
        return False
    if any(i - len(lead) >= 0 and tuple(doc.norms[i - len(lead):i]) == lead for lead in ADDED_BEFORE):
        return True
    k = end
    while k < len(doc) and k < end + 3 and (doc.norms[k] in SCHOOL_NOUNS or doc.norms[k] in ADJECTIVES):
        k += 1
    return k < len(doc) and doc.norms[k] in ADDED_AFTER


def _one_is_size(doc: Analysed, i: int) -> bool:
    """'one school' at token i is the trust's size: "we were one school", "just one
    academy", "we started in 2012 with one secondary"; not "at one primary"."""
    prev = doc.norms[i - 1] if i else ""
    if prev in ONE_SIZE_BEFORE:
        return True
    return prev in {"with", "as"} and any(doc.norms[k] in STARTS and doc.sents[k] == doc.sents[i]
                                          for k in range(max(0, i - 7), i - 1))


def _of_us(doc: Analysed, i: int, end: int) -> bool:
    """'when there were four of us': the trust's schools counted as "us"."""
    return (i >= 2 and tuple(doc.norms[i - 2:i]) == ("there", "be") and end + 1 < len(doc)
            and doc.norms[end] == "of" and doc.norms[end + 1] == "us")


def school_counts(doc: Analysed) -> list[Count]:
    counts: list[Count] = []
    i = 0
    while i < len(doc):
        norm = doc.norms[i]
        found = _number_at(doc, i) if (norm[0].isdigit() or norm in UNITS or norm in TENS) else None
        if not found:
            i += 1
            continue
        value, end = found
        prev = doc.norms[i - 1] if i else ""
        after = doc.norms[end] if end < len(doc) else ""
        ours = _of_us(doc, i, end)
        subset = not ours and (prev in SUBSET_BEFORE or after in SUBSET_AFTER
                               or (i >= 2 and doc.norms[i - 2] in {"another"})
                               or _added(doc, i, end) or (value == 1 and not _one_is_size(doc, i)))
        plausible = 1 <= value <= 400 and not _future_before(doc, i)
        if plausible and not subset and (ours or _school_noun_follows(doc, end) or _size_phrase_before(doc, i, end)):
            counts.append(Count(value, i, end))
            # "from four to nine schools": the first number of a range counts too
            if prev == "to" and i >= 3:
                before = _number_at(doc, i - 2)
                if before and before[1] == i - 1 and doc.norms[i - 3] in {"from", "between"}:
                    counts.append(Count(before[0], i - 2, i - 1))
        i = end
    return counts
