"""Pseudonymisation: planted names in odd casings and possessives, the case sheet's name
columns and a project names file, speaker labels, and the second net."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from matcoder.cli import main
from matcoder.privacy.pseudonymise import Pseudonymiser, speaker_names

pytestmark = pytest.mark.usefixtures("prefect_harness")

PLANTED = """Interviewer: Thanks for making time. How did Quillstone Learning Partnership begin?
Bartholomew Ferrante-Nkemelu: QUILLSTONE LEARNING PARTNERSHIP started when Wrenfield Primary and \
Haddow Brook Academy came together in Sallowby. Quillstone's board asked me, Bartholomew, to lead it.
Interviewer: And the central team?
Bartholomew Ferrante-Nkemelu: Our finance director, Imogen Tarrant-Vey, built the central team. \
imogen tarrant-vey is brilliant. wrenfield primary kept its own curriculum, but Haddow Brook's \
timetable is set centrally now. Schools around sallowby and in Pembleshire county share one HR team. \
Mrs Tarrant-Vey's view is that Ferrante-Nkemelu's trust should grow to twelve schools. \
We also work with Thistlecombe Infants, who are not in the trust yet.
"""
SHEET = ("interview,pseudonym,schools,cluster,trust,school_names,people,places,county\n"
         "planted.txt,MAT 91,2,2,Quillstone Learning Partnership,Wrenfield Primary;Haddow Brook Academy,"
         "Imogen Tarrant-Vey,Sallowby,Pembleshire\n")
NAMES = ["Quillstone", "Wrenfield", "Haddow Brook", "Sallowby", "Pembleshire", "Imogen", "Tarrant-Vey",
         "Bartholomew", "Ferrante-Nkemelu"]


def spy_on_coder_inputs(monkeypatch) -> list:
    """The excerpts the flow's (real) coder is given, recorded as it codes them."""
    from matcoder.flows import code_interviews

    seen, real = [], code_interviews.get_coder

    def recording(name, book):
        coder = real(name, book)
        predict = coder.predict
        coder.predict = lambda excerpts: seen.extend(excerpts) or predict(excerpts)
        return coder

    monkeypatch.setattr(code_interviews, "get_coder", recording)
    return seen


def test_offsets_map_back_and_ordinary_words_survive():
    p = Pseudonymiser([("Orchard Hill", "school"), ("Fenmoor Academies", "MAT"), ("David Okonkwo", "name")])
    text = "At Orchard Hill the orchard flowered. FENMOOR ACADEMIES and Fenmoor’s board; okonkwo's view."
    out = p(text)
    assert out.text == "At [school] the orchard flowered. [MAT] and [MAT]’s board; [name]'s view."
    for r in out.replacements:
        assert text[r.start:r.end] == r.original
    # an offset after a replacement maps back to the same character in the source
    i = out.text.index("flowered")
    assert text[out.source_offset(i):].startswith("flowered")
    assert out.source_offset(out.text.index("[MAT]")) == text.index("FENMOOR")


def test_no_word_of_a_name_is_left_showing_when_it_is_said_in_part():
    """An organisation said without its last words ("Bishop Wand" of Bishop Wand School), a
    person's two-letter surname, a hyphenated place said by its head ("Stoke"): ordinary
    words ("wand", "ng", "stoke" are in the vocabulary), so the second net would not find
    them either."""
    p = Pseudonymiser([("Bishop Wand School", "school"), ("Sir John Cass's Foundation Primary", "school"),
                       ("Tom Ng", "name"), ("Jane M. Smith", "name"), ("Stoke-on-Trent", "place")])
    text = ("Bishop Wand's head and Sir John Cass agreed. I asked Ng, and then M. Smith. "
            "The Bishop Wand School pupils, and a bishop with a wand. Schools in Stoke, and in Stoke-on-Trent.")
    assert p.text(text) == ("[school]'s head and [school] agreed. I asked [name], and then M. [name]. "
                            "The [school] pupils, and a bishop with a wand. Schools in [place], and in [place].")


def test_role_labels_are_not_names_but_named_speakers_are():
    labels = [("Interviewer", "interviewer"), ("Chief Executive", "interviewee"), ("INT", "interviewer"),
              ("Answer", "interviewee"), ("Speaker 2", "interviewee"), ("Dana Whitlock", "interviewee"),
              ("Sam Okoro", "interviewer")]
    assert speaker_names(labels) == [("Dana Whitlock", "CEO"), ("Sam Okoro", "Interviewer")]
    p = Pseudonymiser(speaker_names(labels))
    assert p.text("As Chief Executive my answer to Sam was what Dana said: the int. budget.") == (
        "As Chief Executive my answer to [Interviewer] was what [CEO] said: the int. budget.")


def test_the_name_in_a_qualified_speaker_label_is_a_name():
    labels = [("Interviewer (SO)", "interviewer"), ("Respondent (Dana Whitlock)", "interviewee"),
              ("Sam Okoro (Interviewer)", "interviewer"), ("CEO (MAT 27)", "interviewee")]
    assert speaker_names(labels) == [("SO", "Interviewer"), ("Dana Whitlock", "CEO"), ("Sam Okoro", "Interviewer")]
    assert Pseudonymiser(speaker_names(labels)).text("So Dana told Sam so, and SO agreed.") == (
        "So [CEO] told [Interviewer] so, and [Interviewer] agreed.")


def test_a_surname_first_name_is_one_name_either_way_round():
    """A speaker labelled "Whitlock, Dana" (Teams' directory order) is "Dana Whitlock" in
    the talk: one name, one bracket, as "Whitlock, Dana" is."""
    p = Pseudonymiser(speaker_names([("Whitlock, Dana (CEO)", "interviewee"), ("Owen, Sarah", "interviewer")]))
    assert p.text("Sarah Owen asked Dana Whitlock; Whitlock, Dana replied, and Dana thanked Sarah.") == (
        "[Interviewer] asked [CEO]; [CEO] replied, and [CEO] thanked [Interviewer].")


def test_a_job_written_beside_a_name_in_a_names_cell_is_no_name():
    """A team writes "Dana Whitlock (CEO)" or "Tom Ng, Finance Director" in a names cell;
    before, "CEO", "Chair", "Trustees", "Finance" and "Director" were each a name, so every
    one of them said in the talk became "[name]"."""
    p = Pseudonymiser([("Dana Whitlock (CEO)", "name"), ("Sarah Owen - Chair of Trustees", "name"),
                       ("Mr Tom Ng, Finance Director", "name"), ("Whitlock, Jo", "name"),
                       ("Ravi Mehta (Head of Maths)", "name")])
    assert p.text("As CEO I report to the Chair of Trustees; the Finance Director, Tom Ng, and Dana Whitlock "
                  "agree. Sarah chairs, Mr Ng minutes, Jo Whitlock listens. Maths is Ravi's.") == (
        "As CEO I report to the Chair of Trustees; the Finance Director, [name], and [name] agree. [name] chairs, "
        "Mr [name] minutes, [name] listens. Maths is [name]'s.")


def test_a_name_that_is_one_ordinary_word_is_replaced_only_with_its_capital():
    """Before, a place listed as "Reading" turned every "reading" in the talk into "[place]"
    (the phonics, the scheme), in what the embedding reads and in every quote."""
    p = Pseudonymiser([("Reading", "place"), ("March", "place"), ("Okonkwo", "name"), ("Orchard Hill", "school")])
    assert p.text("Our reading scheme began in march in Reading, as okonkwo said of orchard hill.") == (
        "Our reading scheme began in march in [place], as [name] said of [school].")


def test_pronouns_platform_markers_and_titles_in_speaker_labels_are_not_names():
    """Meeting software's display names: "(she/her)" and "(Guest)" after a name are no
    names (else every "she" and "guest" in the talk becomes a role), and a title is no part
    of the name it opens: "Prof" stays, "Mark Ellis" is one name."""
    labels = [("Dana Whitlock (she/her)", "interviewee"), ("Sam Okoro (Guest)", "interviewer"),
              ("Prof. Mark Ellis (He / Him)", "interviewer"), ("Rev. Canon Tim Wood (External)", "interviewee")]
    assert speaker_names(labels) == [("Dana Whitlock", "CEO"), ("Sam Okoro", "Interviewer"),
                                     ("Prof. Mark Ellis", "Interviewer"), ("Rev. Canon Tim Wood", "CEO")]
    p = Pseudonymiser(speaker_names(labels))
    assert p.text("She said her Guest list was External. Prof Ellis met Mark Ellis, Tim Wood and the Canon.") == (
        "She said her Guest list was External. Prof [Interviewer] met [Interviewer], [CEO] and the Canon.")


def test_accents_do_not_count_either_way():
    """The case sheet and the transcriber may not agree on accents (or the sheet may hold
    decomposed characters, as some Mac exports do)."""
    p = Pseudonymiser([("Zoë Brontë", "name"), ("Siobhan Kelly", "name"), ("Fe\u0301lix Moreau", "name")])
    text = "Zoe Bronte and Siobhán met Félix; ZOË agreed, and the café stayed."
    out = p(text)
    assert out.text == "[name] and [name] met [name]; [name] agreed, and the café stayed."
    assert [r.original for r in out.replacements] == ["Zoe Bronte", "Siobhán", "Félix", "ZOË"]
    assert all(text[r.start:r.end] == r.original for r in out.replacements)


def test_speakers_labelled_by_initials_that_are_words_leave_the_talk_alone():
    """Speakers labelled "SO" and "AN" (their initials): "so" and "an" in the talk are words,
    the initials in capitals are the speaker; a short name in capitals ("TOM") is taken
    inside a sentence, not where it opens one; initials that are no word ("JO") go in any case."""
    p = Pseudonymiser(speaker_names([("SO", "interviewer"), ("AN", "interviewee"), ("TOM", "interviewer"),
                                     ("JO", "interviewer")]))
    text = "So we did it in an odd year, as SO asked. An answer: I told Tom; tom-toms. Jo and jo."
    assert p.text(text) == ("So we did it in an odd year, as [Interviewer] asked. An answer: "
                            "I told [Interviewer]; tom-toms. [Interviewer] and [Interviewer].")


def test_planted_names_never_leave_and_the_second_net_finds_the_missed_one(tmp_path: Path, capsys, monkeypatch):
    folder = tmp_path / "round"
    folder.mkdir()
    (folder / "planted.txt").write_text(PLANTED, encoding="utf-8")
    (folder / "cases.csv").write_text(SHEET, encoding="utf-8")
    wh = tmp_path / "w.duckdb"
    coded = spy_on_coder_inputs(monkeypatch)
    assert main(["run", str(folder), "--warehouse", str(wh), "--coder", "rules.v1", "--quiet"]) == 0
    capsys.readouterr()
    # the coder is given each excerpt with its names as roles too (what the embedding reads)
    assert coded and any(re.search(n, e.text, re.IGNORECASE) for e in coded for n in NAMES)
    for e in coded:
        assert "[MAT]" in e.pseudonymised or not re.search("quillstone", e.text, re.IGNORECASE)
        assert not any(re.search(n, e.pseudonymised, re.IGNORECASE) for n in NAMES), e.pseudonymised
    con = duckdb.connect(str(wh), read_only=True)
    from matcoder.privacy.pseudonymise import WarehouseNames

    shareable = WarehouseNames(con).shareable
    rows = con.execute("SELECT interview_id, text, question FROM excerpts").fetchall()
    raw = " ".join(r[1] for r in rows)
    assert all(re.search(n, raw, re.IGNORECASE) for n in NAMES)  # the names are there to be hidden
    for iid, text, question in rows:
        row = {"interview_id": iid, "text": text, "question": question}
        for key in ("text", "question"):
            shared = shareable(row, key) or ""
            for name in NAMES:
                assert not re.search(name, shared, re.IGNORECASE), (name, shared)
    assert "[CEO]" in shareable({"interview_id": rows[0][0], "text": "Bartholomew said", "question": None}, "text")
    assert con.execute("SELECT count(*) FROM case_names").fetchone()[0] == 6
    con.close()
    # nor in a quote bank, query output, search hit or report
    outputs = []
    for args in (["quotes", "--format", "md"], ["quotes", "--format", "csv"], ["query", "excerpts", "--format", "json"],
                 ["search", "board", "--format", "json"]):
        assert main([*args, "--warehouse", str(wh)]) == 0
        outputs.append(capsys.readouterr().out)
    assert main(["report", "--out", str(tmp_path / "report"), "--warehouse", str(wh)]) == 0
    capsys.readouterr()
    outputs.append((tmp_path / "report" / "report.html").read_text(encoding="utf-8"))
    assert "MAT 91" in outputs[0]
    assert re.search(r"\[(MAT|school|name|place|county|CEO)\]", "".join(outputs))
    for out in outputs:
        for name in NAMES:
            assert not re.search(name, out, re.IGNORECASE), (name, out[:200])
    # Thistlecombe Infants is not on the case sheet: the check lists it, with context
    assert main(["privacy", "check", "--warehouse", str(wh), "--format", "json"]) == 1
    import json

    found = json.loads(capsys.readouterr().out)
    assert [f["candidate"] for f in found] == ["Thistlecombe Infants"]
    assert "not in the trust" in found[0]["context"]
    # the project-wide names file closes the gap on the next run
    (folder / "names.csv").write_text("name,role\nThistlecombe Infants,school\n", encoding="utf-8")
    assert main(["run", str(folder), "--warehouse", str(wh), "--coder", "rules.v1", "--quiet"]) == 0
    assert main(["privacy", "check", "--warehouse", str(wh)]) == 0


def test_a_known_name_an_interview_id_holds_is_listed_by_the_check(tmp_path: Path, capsys, round_dir: Path):
    """The id is made from the file name and shown as it is, never pseudonymised."""
    import json

    (round_dir / "beta.vtt").rename(round_dir / "beta_Sam Reyes.vtt")  # Sam Reyes answers in it
    wh = tmp_path / "w.duckdb"
    assert main(["run", str(round_dir), "--warehouse", str(wh), "--coder", "rules.v1", "--quiet"]) == 0
    capsys.readouterr()
    main(["privacy", "check", "--warehouse", str(wh), "--format", "json"])
    found = [f for f in json.loads(capsys.readouterr().out) if f["in"] == "interview id"]
    assert [(f["interview_id"], f["candidate"]) for f in found] == [("beta-sam-reyes", "sam reyes")]
    assert main(["privacy", "check", "--interview", "beta_Sam Reyes.vtt", "--warehouse", str(wh)]) == 1
    assert "the interview id beta-sam-reyes (made from the file name: rename the file)" in capsys.readouterr().out
