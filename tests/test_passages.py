"""A passage longer than one excerpt (from code-excerpts or a gold file) is coded in the
flow's parts, and its codes are the union of theirs, with evidence in the passage."""
from __future__ import annotations

import json
from pathlib import Path

from matcoder.cli import main
from matcoder.codebook.loader import default_codebook
from matcoder.models.base import ExcerptInput
from matcoder.models.embedding.coder import EnsembleCoder
from matcoder.models.passages import parts, predict_passages
from matcoder.models.rules.coder import RuleCoder
from matcoder.segment import segment_turn

PASSAGE = (
    "When I took over we had four primaries and a secondary, and every one of them bought its own payroll, its own "
    "HR advice and its own IT support, usually from whoever the previous bursar knew. That stopped in my second year. "
    "Finance, payroll, HR casework and the IT contracts now sit with our operations director and her team at the "
    "centre, and no school runs its own any more; it is one system for everyone, and heads do not get to opt out of "
    "it. The curriculum is the opposite story. I have never told a head which phonics scheme or which exam board to "
    "use, and I will not start now. Each school writes its own curriculum for its own children, and the heads guard "
    "that fiercely; the trust's part is to ask good questions about it, not to write it. And my own diary has changed "
    "beyond recognition. Most weeks I am with the regional director, the diocese or the local authority, or sitting "
    "on the sector panels, arguing the case for the trust and for the area's children, and I spend far less time in "
    "schools than I used to. That outward work is now most of the job.")


def test_a_passage_over_180_words_is_cut_as_the_flow_cuts_an_answer():
    assert len(PASSAGE.split()) > 180
    cut = parts(ExcerptInput("p", PASSAGE, "What changed?"))
    spans = segment_turn(PASSAGE)
    assert len(cut) == len(spans) >= 2
    for (part, offset), span in zip(cut, spans):
        assert offset == span.start and part.text == PASSAGE[span.start:span.end] and part.question == "What changed?"
    short = ExcerptInput("s", "Finance is run centrally for every school.")
    assert parts(short) == [(short, 0)]
    # a pseudonymised passage is cut at the same sentences
    named = PASSAGE.replace("the trust's", "Fenmoor's")
    masked = parts(ExcerptInput("p", named, None, PASSAGE.replace("the trust's", "[MAT]'s")))
    assert [p.pseudonymised for p, _ in masked] == [PASSAGE[s.start:s.end].replace("the trust's", "[MAT]'s")
                                                    for s in spans]


def test_the_passage_gets_every_code_of_its_parts_with_evidence_pointing_into_it():
    coder = RuleCoder(default_codebook())
    got = predict_passages(coder, [ExcerptInput("p", PASSAGE), ExcerptInput("s", "Thank you.")])
    by_part = coder.predict([p for p, _ in parts(ExcerptInput("p", PASSAGE))])
    assert {s.excerpt_id for s in got} == {"p"}
    assert sorted(s.code for s in got) == sorted({s.code for s in by_part})  # one suggestion per code
    for s in got:
        assert all(PASSAGE[e.start:e.end] == e.text for e in s.evidence if e.end > e.start), s.code
        mine = [x for x in by_part if x.code == s.code]
        assert s.score == max(x.score for x in mine)
        weighted = [x for x in mine if x.weight is not None]
        assert s.weight == (max(weighted, key=lambda x: x.score).weight if weighted else None)
        # every part's evidence, each once (a span keeps its rule, text and length when moved)
        assert ({(e.rule, e.text, e.end - e.start) for e in s.evidence}
                == {(e.rule, e.text, e.end - e.start) for x in mine for e in x.evidence})
    twice = [s for s in got if len([x for x in by_part if x.code == s.code]) == 2]
    assert twice, "the passage should have a code both parts give"
    # a short excerpt is coded exactly as the coder codes it
    short = [ExcerptInput("a", "Finance and HR are run centrally for every school, no exceptions.")]
    assert predict_passages(coder, short) == coder.predict(short)


def test_code_excerpts_codes_a_long_passage_as_the_union_of_its_parts(tmp_path: Path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": "p", "text": PASSAGE}) + "\n", encoding="utf-8")
    assert main(["code-excerpts", "--input", str(src), "--output", str(out)]) == 0
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    coder = EnsembleCoder(default_codebook())
    by_part = coder.predict([p for p, _ in parts(ExcerptInput("p", PASSAGE))])
    assert {c["code"] for c in line["codes"]} == {s.code for s in by_part}
    codes = {c["code"]: c for c in line["codes"]}
    assert codes["area.shared_services"]["weight"] == 3 and codes["area.curriculum_pedagogy"]["weight"] == 1
    assert "ceo.outward_facing" in codes
    for c in line["codes"]:
        assert all(PASSAGE[e["start"]:e["end"]] == e["text"] for e in c["evidence"] if e["end"] > e["start"])


def test_a_passage_coding_needs_review_when_every_part_does_or_the_part_giving_its_weight_does():
    from matcoder.models.base import CodeSuggestion
    from matcoder.models.passages import _merge

    def part(score, weight, flagged):
        return CodeSuggestion("p", "area.shared_services", weight, score, "embedding", "ensemble", "v1",
                              needs_review=flagged)

    sure_code_doubtful_weight = [part(0.9, None, False), part(0.6, 3, True)]
    merged = _merge(sure_code_doubtful_weight)
    assert (merged.score, merged.weight, merged.needs_review) == (0.9, 3, True)
    merged = _merge([part(0.9, None, False), part(0.6, 3, False)])
    assert (merged.weight, merged.needs_review) == (3, False)
    merged = _merge([part(0.9, 2, False), part(0.6, 3, True)])  # the weight comes from the sure part
    assert (merged.weight, merged.needs_review) == (2, False)
    assert _merge([part(0.5, None, True), part(0.4, None, True)]).needs_review
