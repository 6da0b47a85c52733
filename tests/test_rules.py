"""The rule coder: what fires, the weight it reads, and the evidence it gives."""
from __future__ import annotations

import pytest

from matcoder.codebook.loader import default_codebook
from matcoder.models.base import ExcerptInput
from matcoder.models.rules.coder import RuleCoder
from matcoder.models.rules.patterns import MATCHING


@pytest.fixture(scope="module")
def coder() -> RuleCoder:
    return RuleCoder(default_codebook()).build()


def codes(coder, text: str) -> dict[str, int | None]:
    return {s.code: s.weight for s in coder.predict([ExcerptInput("x", text)])}


def test_weight_is_read_from_the_cue_in_the_same_sentence(coder):
    got = codes(coder, "Finance is run centrally. Each head decides their own curriculum.")
    assert got["area.shared_services"] == 3
    assert got["area.curriculum_pedagogy"] == 1
    # the only cue is in the other sentence, and two areas are coded: no weight for curriculum
    got = codes(coder, "We talked about the curriculum at length. Finance is run centrally.")
    assert got["area.shared_services"] == 3
    assert got["area.curriculum_pedagogy"] is None


def test_weight_is_empty_without_a_cue_and_shared_cues_give_two(coder):
    assert codes(coder, "We talked a lot about the curriculum last year.")["area.curriculum_pedagogy"] is None
    assert codes(coder, "The heads agreed together to use one tracking system for pupil data.")[
        "area.information_management"] in (2, 3)
    assert codes(coder, "Schools can opt in to the HR service as long as they give a term's notice.")[
        "area.shared_services"] == 2


def test_typographic_apostrophes_and_hyphens_match_as_plain_ones(coder):
    plain = "We've one finance system now - it's non-negotiable for every school."
    for typeset in ("We\u2019ve one finance system now \u2013 it\u2019s non\u2011negotiable for every school.",
                    "We\u2019ve one finance system now \u2013 it\u2019s non\u2010negotiable for every school."):
        assert codes(coder, typeset) == codes(coder, plain) == {"area.shared_services": 3}


@pytest.mark.parametrize("text,stages", [
    ("We are a trust of eleven academies in one county.", {"growth.established"}),
    ("Going from four to nine schools in two years changed everything.", {"growth.starter", "growth.established"}),
    ("When we were three, I could visit every school before lunch.", {"growth.starter"}),
    ("We have twenty-three schools across two regions.", {"growth.national"}),
    ("We have 45 schools and a big central team.", {"growth.system_leader"}),
    ("Two of our schools have new heads this year.", set()),
    ("Three more schools are joining in September.", set()),
    ("We were two years in before the first inspection.", set()),
    # a target is a plan, not the trust's size; a hedge or a habit is not a target
    ("We're eleven now and we'd like to be thirty-five schools by 2030.", {"growth.established"}),
    ("The board's plan is to grow to forty schools.", set()),
    ("I would say we were about nine schools at that point.", {"growth.established"}),
    ("When we were three schools, I would visit every one of them.", {"growth.starter"}),
    # schools joining are not the size, nor is one school named in passing; "of us" is
    ("Then we took on four schools on the coast.", set()),
    ("Two primaries joined us last year.", set()),
    ("We had a break-in at one primary over the summer.", set()),
    ("We were just one school until 2016.", {"growth.starter"}),
    ("We began in 2013 with one secondary that had been turned around.", {"growth.starter"}),
    ("We had a long dispute with one school about its budget.", set()),
    ("When there were five of us, the heads met on Fridays.", {"growth.starter"}),
    ("By the time there were seven, I was doing both jobs badly.", {"growth.established"}),
    ("When the eleventh and twelfth schools joined, the hub struggled.", {"growth.established"}),
    ("The original six are all within twenty minutes of each other.", {"growth.established"}),
    ("Now, at 23, I couldn't possibly do that.", {"growth.national"}),
])
def test_growth_stage_from_explicit_counts(coder, text, stages):
    got = {c for c in codes(coder, text) if c.startswith("growth.") and c != "growth.future_plan"}
    assert got == stages


def test_future_plan(coder):
    assert "growth.future_plan" in codes(coder, "We plan to grow to fifteen schools, but only within an hour of the centre.")
    assert "growth.future_plan" not in codes(coder, "We grew very quickly between 2013 and 2016.")


def test_break_point_needs_a_shift_in_the_same_sentence(coder):
    shifted = codes(coder, "The scheme of delegation had to be rewritten when we got to twelve schools.")
    assert "breakpoint.governance_delegation" in shifted and "area.governance" in shifted
    steady = codes(coder, "Our scheme of delegation is clear. The board has eight trustees.")
    assert "area.governance" in steady
    assert not any(c.startswith("breakpoint.") for c in steady)


def test_ceo_behaviours_from_first_person_statements(coder):
    assert "ceo.hands_on_operational" in codes(coder, "I still run the secondary school as well as being CEO.")
    assert "ceo.building_team" in codes(coder, "The first person I appointed was a finance director.")
    assert "ceo.outward_facing" in codes(coder, "A lot of my time is spent with the regional schools commissioner.")


def test_evidence_spans_are_exact_slices_and_name_the_rule(coder):
    text = "Safeguarding is audited centrally in every school. The heads agreed together on uniform."
    for s in coder.predict([ExcerptInput("e1", text)]):
        assert s.source == "rules" and s.agent == "rules" and s.agent_version == f"v1+{MATCHING}"
        assert 0 < s.score <= 1 and s.evidence
        for e in s.evidence:
            assert text[e.start:e.end] == e.text
            assert e.rule


def test_one_suggestion_per_code_even_when_pattern_and_count_agree(coder):
    out = coder.predict([ExcerptInput("e", "We are a small trust of three primaries.")])
    assert [s.code for s in out].count("growth.starter") == 1
    starter = next(s for s in out if s.code == "growth.starter")
    assert len(starter.evidence) == 2 and starter.score > 0.9


def test_codebook_examples_mostly_fire_and_near_misses_mostly_do_not(coder):
    """A sanity floor on the instrument itself (the real measure is the dev set in the
    README). The rules favour precision, so a weak lone mention in an example may not
    fire: the floor for positives is 0.7, the ceiling for near misses 0.25."""
    book = default_codebook()
    inputs, expected = [], []
    for code in book.codes():
        for i, ex in enumerate(code.examples):
            inputs.append(ExcerptInput(f"{code.id}:{i}", ex.text))
            expected.append((code.id, ex.near_miss))
    got: dict[str, set[str]] = {}
    for s in coder.predict(inputs):
        got.setdefault(s.excerpt_id, set()).add(s.code)
    pos = [(c in got.get(x.id, set())) for x, (c, near) in zip(inputs, expected) if not near]
    neg = [(c in got.get(x.id, set())) for x, (c, near) in zip(inputs, expected) if near]
    assert sum(pos) / len(pos) > 0.7
    assert sum(neg) / len(neg) < 0.25
