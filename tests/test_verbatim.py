"""Verbatim speech: fillers, discourse markers and repeated words are read past by both
coders, and evidence still quotes the transcript as it was written."""
from __future__ import annotations

import pytest

from matcoder.codebook.loader import default_codebook
from matcoder.models.base import ExcerptInput
from matcoder.models.embedding.roles import embedding_text
from matcoder.models.rules.coder import RuleCoder
from matcoder.models.rules.patterns import Analysed
from matcoder.verbatim import disfluencies, fluent


@pytest.mark.parametrize("speech, read", [
    ("The heads agreed erm together on one policy.", "The heads agreed together on one policy."),
    # a comma before a hesitation stays when a clause can end there, goes when none can
    ("We'd grown to eleven, um, every school had signed.", "We'd grown to eleven, every school had signed."),
    ("One school has a, erm, parents' forum.", "One school has a parents' forum."),
    ("I didn't er know that.", "I didn't know that."),
    ("Erm, finance is ours. Um. So we, we agreed it.", "Finance is ours. So we agreed it."),
    ("The HR, you know, side is central.", "The HR, side is central."),
    ("I mean, the the data comes to us, errm.", "The data comes to us."),
    ("So we er, we moved. Uh, then it grew.", "So we moved. Then it grew."),
    # words that only look like fillers, hedges and ellipses are left alone
    ("The summer term, the emergency plan and a hmmm-free umbrella... the kind of school we are.",
     "The summer term, the emergency plan and a hmmm-free umbrella... the kind of school we are."),
])
def test_fluent_reads_past_fillers_markers_and_repeats(speech, read):
    assert fluent(speech) == read


def test_text_without_disfluencies_comes_back_unchanged():
    text = "Every school keeps its own curriculum.\n\nThe trust runs payroll; heads agree the rest."
    assert disfluencies(text) == [] and fluent(text) is text


def test_the_rules_skip_filler_tokens_but_keep_source_offsets():
    text = "We agreed erm together, you know, that the the curriculum is ours."
    doc = Analysed(text)
    assert doc.words == ["We", "agreed", "together", ",", "that", "the", "curriculum", "is", "ours", "."]
    assert all(text[a:b] == w for a, b, w in zip(doc.starts, doc.ends, doc.words))


@pytest.fixture(scope="module")
def rules() -> RuleCoder:
    return RuleCoder(default_codebook()).build()


@pytest.mark.parametrize("speech, code, weight, quoted", [
    ("The heads agreed erm together on one behaviour policy.", "ceo.consensus_building", None,
     "agreed erm together"),
    ("Finance is, you know, non-negotiable for every school.", "area.shared_services", 3, "non-negotiable"),
])
def test_a_filler_inside_a_pattern_does_not_hide_it_from_the_rules(rules, speech, code, weight, quoted):
    got = {s.code: s for s in rules.predict([ExcerptInput("x", speech)])}
    assert got[code].weight == weight
    for e in got[code].evidence:  # evidence quotes the speech as transcribed
        assert speech[e.start:e.end] == e.text
    assert quoted in {e.text for e in got[code].evidence}


def test_the_embedding_reads_speech_without_fillers_and_with_roles_as_words():
    assert embedding_text("Erm, the LGBs, you know, report to [MAT].") == "The local governing bodies, report to the trust."
