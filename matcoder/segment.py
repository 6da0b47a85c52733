"""Answers to excerpts.

Rule: an interviewee turn of at most ``max_words`` words is one excerpt. A longer turn
is cut at sentence boundaries into parts of about ``target_words``: sentences are added
to the current part until the next would take it past ``target_words``; a paragraph
break closes a part that already has ``min_words``; a last part shorter than
``min_words`` joins the one before. A sentence is cut only when it is longer than
``max_words`` on its own, as unpunctuated speech is (automatic captions often have no
full stops): into even runs of whole words, none over ``target_words``, so that no
excerpt runs past what the embedding model reads (256 word pieces) unseen.

Offsets are character offsets into the turn's NFC-normalised text; every excerpt is
``turn.text[start:end]``, has no leading or trailing white space, and the excerpts of a
turn cover each of its non-space characters exactly once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from matcoder.ingest.model import Transcript

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "e.g", "i.e", "etc", "vs", "cf", "no", "approx",
}
# end punctuation (plus closing quotes/brackets), then white space
SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _is_abbreviation(text: str, punct_at: int) -> bool:
    m = re.search(r"([\w.]+)$", text[max(0, punct_at - 12):punct_at])
    return bool(m) and m.group(1).casefold().rstrip(".") in ABBREVIATIONS


def sentence_spans(text: str) -> list[tuple[Span, bool]]:
    """Sentences as (span, ends_paragraph). A blank line (paragraph break) always ends a
    sentence; a single line break is white space (hard-wrapped text)."""
    cuts: list[tuple[int, bool]] = []
    for m in re.finditer(r"\n[^\S\n]*\n", text):
        cuts.append((m.start(), True))
    for m in SENTENCE_END.finditer(text):
        nxt = re.match(r"\s+(\S)", text[m.end():])
        if not nxt:
            continue
        following = nxt.group(1)
        if (following.isupper() or following.isdigit() or following in "\"'“‘([") and not (
            text[m.start()] == "." and _is_abbreviation(text, m.start())
        ):
            cuts.append((m.end(), False))
    cuts.sort()
    spans: list[tuple[Span, bool]] = []
    pos = 0
    for cut, para in cuts + [(len(text), True)]:
        span = _trim(text, pos, cut)
        if span:
            spans.append((span, para))
        elif para and spans:
            spans[-1] = (spans[-1][0], True)
        pos = max(pos, cut)
    return spans


def word_count(text: str) -> int:
    """Words as every length rule here counts them: runs of non-space characters."""
    return len(text.split())


def _words(text: str, span: Span) -> int:
    return word_count(text[span.start:span.end])


def _runs(text: str, span: Span, max_words: int, target_words: int) -> list[Span]:
    """``span`` as it is when it has at most ``max_words`` words; otherwise cut into
    even runs of whole words of at most ``target_words`` each."""
    words = [(span.start + m.start(), span.start + m.end()) for m in re.finditer(r"\S+", text[span.start:span.end])]
    if len(words) <= max_words:
        return [span]
    size = -(-len(words) // -(-len(words) // target_words))  # even runs: ceil(n / ceil(n / target))
    return [Span(words[j][0], words[min(j + size, len(words)) - 1][1]) for j in range(0, len(words), size)]


def segment_turn(text: str, max_words: int = 180, target_words: int = 120,
                 min_words: int = 40) -> list[Span]:
    """Cut one answer into excerpt spans (see module docstring for the rule)."""
    sentences = [(run, ends_paragraph and run.end == span.end) for span, ends_paragraph in sentence_spans(text)
                 for run in _runs(text, span, max_words, target_words)]
    if not sentences:
        return []
    whole = Span(sentences[0][0].start, sentences[-1][0].end)
    if _words(text, whole) <= max_words:
        return [whole]
    parts: list[list[Span]] = [[]]
    count = 0
    for span, ends_paragraph in sentences:
        n = _words(text, span)
        if parts[-1] and count + n > target_words and count >= min_words:
            parts.append([])
            count = 0
        parts[-1].append(span)
        count += n
        if ends_paragraph and count >= min_words:
            parts.append([])
            count = 0
    parts = [p for p in parts if p]
    if len(parts) > 1 and sum(_words(text, s) for s in parts[-1]) < min_words:
        tail = parts.pop()
        parts[-1].extend(tail)
    return [Span(p[0].start, p[-1].end) for p in parts]


class Excerpt(BaseModel):
    """A coded unit: ``text == turn.text[start:end]``; id = interview:turn:start-end."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    excerpt_id: str
    interview_id: str
    turn: int
    start: int
    end: int
    text: str
    question: str | None


def _is_substantive(question: str) -> bool:
    return question.rstrip().endswith("?") or len(question.split()) >= 4


def segment_transcript(transcript: Transcript, max_words: int = 180, target_words: int = 120,
                       min_words: int = 40) -> list[Excerpt]:
    """Excerpts of every interviewee turn, each with the question it answers: the last
    substantive interviewer turn before it (a back-channel "Right." is skipped)."""
    excerpts: list[Excerpt] = []
    question: str | None = None
    for turn in transcript.turns:
        if turn.role == "interviewer":
            if question is None or _is_substantive(turn.text):
                question = turn.text
            continue
        for span in segment_turn(turn.text, max_words, target_words, min_words):
            excerpts.append(Excerpt(
                excerpt_id=f"{transcript.interview_id}:{turn.index}:{span.start}-{span.end}",
                interview_id=transcript.interview_id, turn=turn.index, start=span.start, end=span.end,
                text=turn.text[span.start:span.end], question=question))
    return excerpts
