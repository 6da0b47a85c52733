"""Pseudonymisation: planted names in odd casings and possessives, the case sheet's name
columns and a project names file, speaker labels, and the second net."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from matcoder.cli import main
from matcoder.privacy.pseudonymise import Pseudonymiser

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
