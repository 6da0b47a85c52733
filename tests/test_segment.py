"""Segmentation invariants, property-based: every excerpt is an exact slice of its turn,
excerpts never overlap, and together they cover every non-space character once."""
from __future__ import annotations

import unicodedata

from hypothesis import given, settings, strategies as st

from matcoder.ingest.model import Transcript, Turn
from matcoder.segment import segment_transcript, segment_turn, sentence_spans

sentence = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(st.text(min_size=1, max_size=12).filter(lambda w: w.strip() != ""), min_size=1, max_size=30),
    st.sampled_from([".", "?", "!", "…", ".”", "", " e.g.", "."]),
)
turn_text = st.lists(sentence, min_size=1, max_size=40).flatmap(
    lambda sents: st.lists(st.sampled_from([" ", "  ", "\n", "\n\n", " \n \n"]), min_size=len(sents),
                           max_size=len(sents)).map(lambda seps: "".join(s + sep for s, sep in zip(sents, seps)))
).map(lambda t: unicodedata.normalize("NFC", t))


def covered_once(text: str, spans) -> bool:
    hits = [0] * len(text)
    for s in spans:
        for i in range(s.start, s.end):
            hits[i] += 1
    return all(h == (0 if ch.isspace() else 1) or (ch.isspace() and h <= 1) for ch, h in zip(text, hits))


@settings(max_examples=300, deadline=None)
@given(turn_text, st.integers(20, 200), st.integers(5, 150))
def test_spans_are_ordered_slices_covering_every_character_once(text, max_words, target):
    spans = segment_turn(text, max_words=max_words, target_words=target, min_words=min(40, target))
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    for a, b in zip(spans, spans[1:]):
        assert a.end <= b.start
    for s in spans:
        piece = text[s.start:s.end]
        assert piece and piece == piece.strip()
    assert covered_once(text, spans)
    solid = lambda t: "".join(ch for ch in t if not ch.isspace())  # noqa: E731
    assert "".join(solid(text[s.start:s.end]) for s in spans) == solid(text)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=400))
def test_arbitrary_unicode_never_breaks_the_slice_invariant(raw):
    text = unicodedata.normalize("NFC", raw)
    spans = segment_turn(text, max_words=15, target_words=8, min_words=3)
    assert covered_once(text, spans)
    assert (not spans) == (text.strip() == "" or all(ch.isspace() for ch in text))


def test_short_answer_is_one_excerpt_and_long_answer_is_cut_at_sentence_boundaries():
    short = "We pooled the back office. It was the first thing we did."
    assert len(segment_turn(short)) == 1
    long = " ".join(f"Sentence number {i} talks about schools and trusts and many other things here." for i in range(40))
    spans = segment_turn(long)
    assert len(spans) > 2
    for s in spans:
        piece = long[s.start:s.end]
        assert piece.startswith("Sentence number") and piece.endswith("here.")
        assert 40 <= len(piece.split()) <= 140


def test_an_unpunctuated_answer_is_cut_between_words_into_even_runs():
    """Automatic captions often have no full stops: a 425-word "sentence" would be one
    excerpt, most of it past what the embedding model reads. It is cut between words."""
    clause = "so we moved all the schools onto one finance system and the heads were worried at first"
    text = " ".join([clause] * 25)  # 425 words, no punctuation
    spans = segment_turn(text)
    sizes = [len(text[s.start:s.end].split()) for s in spans]
    assert sizes == [107, 107, 107, 104] and sum(sizes) == len(text.split())
    assert covered_once(text, spans) and all(text[s.start:s.end] == text[s.start:s.end].strip() for s in spans)
    punctuated = ". ".join([clause.capitalize()] * 25) + "."  # the same words in sentences: cut only between them
    assert all(punctuated[s.start:s.end].endswith("first.") for s in segment_turn(punctuated))


def test_abbreviations_and_paragraphs():
    text = "Dr. Smith joined us. We had e.g. three schools.\n\nThen we grew."
    spans = sentence_spans(text)
    assert [text[s.start:s.end] for s, _ in spans] == ["Dr. Smith joined us.", "We had e.g. three schools.",
                                                       "Then we grew."]
    assert [para for _, para in spans] == [False, True, True]


def test_segment_transcript_questions_skip_backchannels_and_ids_are_spans():
    turns = [Turn(index=0, speaker="I", role="interviewer", text="How did governance change as you grew?"),
             Turn(index=1, speaker="C", role="interviewee", text="We rewrote the scheme of delegation."),
             Turn(index=2, speaker="I", role="interviewer", text="Right."),
             Turn(index=3, speaker="C", role="interviewee", text="And the local boards became advisory.")]
    t = Transcript(interview_id="mat9", source_file="x.txt", source_format="txt", content_hash="h", header=[],
                   turns=turns)
    excerpts = segment_transcript(t)
    assert [e.question for e in excerpts] == ["How did governance change as you grew?"] * 2
    assert [e.excerpt_id for e in excerpts] == ["mat9:1:0-36", "mat9:3:0-37"]
    for e in excerpts:
        assert turns[e.turn].text[e.start:e.end] == e.text
