"""The codebook: fixed IDs, a committed JSON Schema, exact errors for broken files."""
from __future__ import annotations

import copy

import pytest
import yaml

from matcoder.codebook.loader import DEFAULT_PATH, SCHEMA_PATH, codebook_hash, json_schema, load_codebook, parse_codebook
from matcoder.errors import CodebookError

SPEC_IDS = [
    "area.vision_values", "area.extracurricular", "area.curriculum_pedagogy", "area.pupil_policies_pastoral",
    "area.information_management", "area.parent_community", "area.workforce", "area.leadership_management",
    "area.governance", "area.school_improvement", "area.comms_branding", "area.shared_services",
    "breakpoint.compliance_oversight", "breakpoint.governance_delegation", "breakpoint.growth_capacity",
    "breakpoint.alignment_new_schools", "breakpoint.communications_cohesion", "breakpoint.ceo_role",
    "breakpoint.school_improvement_model", "breakpoint.curriculum_localisation",
    "breakpoint.collaboration_distance", "breakpoint.regional_operations", "breakpoint.local_decision_making",
    "breakpoint.glass_ceiling", "breakpoint.glass_floor",
    "growth.starter", "growth.established", "growth.national", "growth.system_leader", "growth.future_plan",
    "ceo.hands_on_operational", "ceo.strategic_enabler", "ceo.outward_facing", "ceo.building_team",
    "ceo.quality_assurance", "ceo.culture_values", "ceo.turnaround_intervention", "ceo.consensus_building",
]


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def broken(raw: dict, change) -> str:
    data = copy.deepcopy(raw)
    change(data)
    with pytest.raises(CodebookError) as info:
        parse_codebook(yaml.safe_dump(data, sort_keys=False))
    return str(info.value)


def test_ids_are_exactly_the_spec():
    assert load_codebook().ids() == SPEC_IDS


def test_committed_json_schema_matches_the_model():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == json_schema()


def test_hash_ignores_comments_and_layout_but_not_content(raw):
    book = load_codebook()
    text = "# a comment\n" + yaml.safe_dump(raw, sort_keys=True, width=60)
    assert codebook_hash(parse_codebook(text)) == codebook_hash(book)
    changed = copy.deepcopy(raw)
    changed["families"]["area"]["codes"][0]["label"] = "Vision, mission and values"
    assert codebook_hash(parse_codebook(yaml.safe_dump(changed))) != codebook_hash(book)


def test_every_code_has_ten_positive_original_examples(raw):
    for code in load_codebook().codes():
        assert sum(not e.near_miss for e in code.examples) >= 10, code.id
        assert code.when_not_to_use and code.definition


def test_unknown_key(raw):
    msg = broken(raw, lambda d: d["families"]["area"]["codes"][3].update(colour="red"))
    assert msg == "codebook.yaml: families -> area -> codes -> 3 -> colour: Extra inputs are not permitted"


def test_malformed_id(raw):
    msg = broken(raw, lambda d: d["families"]["area"]["codes"][3].update(id="Area.Pupils"))
    assert msg.startswith("codebook.yaml: families -> area -> codes -> 3 -> id: String should match pattern")


def test_duplicate_id(raw):
    def dup(d):
        d["families"]["area"]["codes"][4]["id"] = d["families"]["area"]["codes"][3]["id"]
    lines = broken(raw, dup).splitlines()
    assert ("codebook.yaml: families -> area -> codes -> 4 -> id: duplicate id "
            "'area.pupil_policies_pastoral' (also at families -> area -> codes -> 3)") in lines
    # the renamed code's id is gone, so references to it are reported too
    assert any("confusable_with -> 0: unknown code 'area.information_management'" in line for line in lines)


def test_wrong_family_prefix(raw):
    msg = broken(raw, lambda d: d["families"]["ceo"]["codes"][0].update(id="area.hands_on"))
    assert "families -> ceo -> codes -> 0 -> id: 'area.hands_on' does not start with its family prefix 'ceo.'" in msg


def test_weights_on_non_area_codes(raw):
    msg = broken(raw, lambda d: d["families"]["ceo"]["codes"][1]["examples"][0].update(weight=3))
    assert msg == ("codebook.yaml: families -> ceo -> codes -> 1 -> examples -> 0 -> weight: "
                   "weights are allowed only on area codes")
    msg = broken(raw, lambda d: d["families"]["breakpoint"].update(weighted=True))
    assert msg == "codebook.yaml: families -> breakpoint -> weighted: weights are allowed only on the 'area' family"


def test_pattern_that_does_not_compile(raw):
    msg = broken(raw, lambda d: d["families"]["area"]["codes"][8]["patterns"].insert(2, "trustee ~12 board"))
    assert msg.startswith("codebook.yaml: families -> area -> codes -> 8 -> patterns -> 2: pattern 'trustee ~12 board'")
    msg = broken(raw, lambda d: d["cues"]["shift"].append({"match": "~3 later", "score": 0.5}))
    assert "cues -> shift -> " in msg and "-> match: pattern '~3 later': must start and end with a word" in msg


def test_too_few_examples_and_bad_thresholds(raw):
    msg = broken(raw, lambda d: d["families"]["growth"]["codes"][4].update(examples=[{"text": "We will grow to twenty schools."}]))
    assert "families -> growth -> codes -> 4 -> examples: Value error, needs at least 10 positive examples, has 1" in msg \
        or "families -> growth -> codes -> 4 -> examples: needs at least 10 positive examples, has 1" in msg
    msg = broken(raw, lambda d: d["growth_stages"][1].update(min_schools=7))
    assert "growth_stages -> 1 -> min_schools: must be 6 (stages must be contiguous)" in msg


def test_not_yaml():
    with pytest.raises(CodebookError, match=r"codebook.yaml: not valid YAML at line 2"):
        parse_codebook("name: x\n  bad: [\n")
