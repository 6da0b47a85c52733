"""End to end: `matcoder run` through the Prefect flow into a real DuckDB file."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import SAMPLES
from matcoder.cli import main
from matcoder.codebook.loader import DEFAULT_PATH

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(capsys, folder: Path, warehouse: Path, *extra: str) -> tuple[int, dict, str]:
    code = main(["run", str(folder), "--warehouse", str(warehouse), "--json", *extra])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def table(warehouse: Path, sql: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def counts(warehouse: Path) -> tuple:
    return table(warehouse, "SELECT (SELECT count(*) FROM interviews), (SELECT count(*) FROM turns), "
                            "(SELECT count(*) FROM excerpts), (SELECT count(*) FROM codings)")[0]


def readme_run_args() -> list[str]:
    """The matcoder arguments of the README's first quick-start command."""
    from test_docs import quick_start_commands

    command = quick_start_commands()[0].split("&&", 1)[1].split()
    assert command[0] == ".venv/bin/matcoder"
    return command[1:]


def test_sample_round_loads_every_interview_and_a_second_run_changes_nothing(capsys, tmp_path: Path, monkeypatch):
    """The README's first command, pointed at a temporary warehouse."""
    wh = tmp_path / "w.duckdb"
    monkeypatch.chdir(SAMPLES.parent)
    code = main(readme_run_args() + ["--warehouse", str(wh), "--json"])
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert code == 0, err
    assert summary["rejected"] == [] and summary["check_failures"] == {}
    assert len(summary["files"]["loaded"]) == 12
    assert summary["warehouse"]["interviews"] == 12
    assert set(summary["warehouse"]["codings_by_family"]) == {"area", "breakpoint", "ceo", "growth"}
    assert "[12/12]" in err
    # roles guessed from who talks and who asks are shown; roles labels give are not
    assert ("mat27_teams_recording.vtt: loaded (roles from talk: interviewee Claire Donnelly; "
            "interviewer Alex Reed)\n") in err
    assert "mat35.txt: loaded\n" in err
    # every interviewee answer is found as excerpts, and every sample has its case attributes
    assert table(wh, "SELECT count(*) FROM turns t WHERE role = 'interviewee' AND NOT EXISTS "
                     "(SELECT 1 FROM excerpts e WHERE e.interview_id = t.interview_id AND e.turn = t.turn)") == [(0,)]
    assert table(wh, "SELECT count(*) FROM interviews WHERE pseudonym IS NULL OR strategy_cluster IS NULL") == [(0,)]
    before = counts(wh), table(wh, "SELECT coding_id FROM codings ORDER BY 1")
    code, summary, _ = run(capsys, SAMPLES, wh)
    assert code == 0 and len(summary["files"]["unchanged"]) == 12
    assert (counts(wh), table(wh, "SELECT coding_id FROM codings ORDER BY 1")) == before
    assert table(wh, "SELECT status, count(*) FROM runs GROUP BY 1") == [("completed", 2)]


def test_a_changed_transcript_replaces_only_its_own_rows(capsys, round_dir: Path, warehouse: Path):
    code, first, _ = run(capsys, round_dir, warehouse)
    assert code == 0 and first["warehouse"]["interviews"] == 3
    loaded = dict(table(warehouse, "SELECT interview_id, run_id FROM interviews"))
    alpha = round_dir / "alpha.txt"
    alpha.write_text(alpha.read_text(encoding="utf-8").replace("non-negotiable", "agreed by the heads together"),
                     encoding="utf-8")
    code, second, _ = run(capsys, round_dir, warehouse)
    assert code == 0
    assert second["files"] == {"loaded": ["alpha.txt"], "recoded": [], "unchanged": ["beta.vtt", "gamma.srt"]}
    now = dict(table(warehouse, "SELECT interview_id, run_id FROM interviews"))
    assert now["alpha"] == second["run_id"] != loaded["alpha"]
    assert now["beta"] == loaded["beta"] and now["gamma"] == loaded["gamma"]
    assert table(warehouse, "SELECT count(*) FROM excerpts WHERE text LIKE '%non-negotiable%'") == [(0,)]
    assert table(warehouse, "SELECT count(*) FROM excerpts WHERE text LIKE '%agreed by the heads together%'") == [(1,)]


def test_bad_files_are_rejected_one_line_each_and_the_rest_loads(capsys, round_dir: Path, warehouse: Path):
    (round_dir / "empty.txt").write_bytes(b"")
    (round_dir / "junk.docx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    (round_dir / "broken.vtt").write_text("WEBVTT\n\n1\n00:01 --> 00:02\n<v A>x</v>\n", encoding="utf-8")
    (round_dir / "essay.txt").write_text("An essay.\nNo speakers here.\n", encoding="utf-8")
    code = main(["run", str(round_dir), "--warehouse", str(warehouse)])
    out, err = capsys.readouterr()
    assert code == 3
    rejected = [line for line in out.splitlines() if line.startswith("rejected: ")]
    assert sorted(rejected) == sorted([
        "rejected: broken.vtt: line 4: malformed cue timing '00:01 --> 00:02'",
        "rejected: empty.txt: file is empty",
        "rejected: essay.txt: no speaker turns found (expected labels such as 'Interviewer:' and 'CEO:')",
        next(line for line in rejected if line.startswith("rejected: junk.docx: not a valid DOCX")),
    ])
    assert sorted(i for (i,) in table(warehouse, "SELECT interview_id FROM interviews")) == ["alpha", "beta", "gamma"]
    assert table(warehouse, "SELECT count(*) FROM turns WHERE interview_id IN ('empty', 'junk', 'broken', 'essay')") == [(0,)]
    assert table(warehouse, "SELECT source_file FROM run_files WHERE outcome = 'rejected' ORDER BY 1") == [
        ("broken.vtt",), ("empty.txt",), ("essay.txt",), ("junk.docx",)]
    before = counts(warehouse)
    assert main(["run", str(round_dir), "--warehouse", str(warehouse), "--quiet"]) == 3
    capsys.readouterr()
    assert counts(warehouse) == before


def test_a_file_removed_from_the_folder_is_kept_and_reported(capsys, round_dir: Path, warehouse: Path):
    run(capsys, round_dir, warehouse)
    (round_dir / "gamma.srt").unlink()
    code, summary, _ = run(capsys, round_dir, warehouse)
    assert code == 0 and summary["not_in_folder"] == ["gamma"]
    assert summary["warehouse"]["interviews"] == 3
    indexed = "SELECT count(*) FROM fts_main_excerpts.docs WHERE name LIKE 'gamma:%'"
    assert table(warehouse, indexed)[0][0] > 0
    assert main(["warehouse", "remove", "gamma", "--warehouse", str(warehouse)]) == 0
    capsys.readouterr()
    assert table(warehouse, "SELECT count(*) FROM excerpts WHERE interview_id = 'gamma'") == [(0,)]
    assert table(warehouse, indexed) == [(0,)]  # nor in the full-text index


def test_case_sheet_rows_missing_or_cells_invalid_are_reported_and_those_attributes_stay_null(
        capsys, round_dir: Path, warehouse: Path):
    (round_dir / "cases.csv").write_text("interview,pseudonym,schools,phase,cluster\nalpha.txt,MAT 90,9,primary,7\n"
                                         "beta,MAT 91,12,mixed,1\ngamam.srt,MAT 92,4,mixed,2\n", encoding="utf-8")
    code, summary, err = run(capsys, round_dir, warehouse, "--quiet")
    assert code == 0
    assert any("row 2: column 'cluster': Input should be 1, 2 or 3; left empty" in w
               for w in summary["case_sheet_warnings"])
    assert "warning:" in err  # under --quiet too: a warning is not progress
    assert summary["without_case_row"] == ["gamma.srt"]
    assert summary["case_rows_without_transcript"] == ["gamam.srt"]  # the misspelt row, named
    query = "SELECT interview_id, pseudonym, n_schools, strategy_cluster, has_case_row FROM interviews ORDER BY 1"
    assert table(warehouse, query) == [("alpha", "MAT 90", 9, None, True), ("beta", "MAT 91", 12, 1, True),
                                       ("gamma", None, None, None, False)]


def test_an_excel_case_sheet_in_the_folder_is_read_and_its_names_kept_for_pseudonymising(capsys, round_dir: Path,
                                                                                       warehouse: Path):
    from openpyxl import Workbook

    (round_dir / "cases.csv").unlink()  # a team that keeps its sheet in Excel
    book = Workbook()
    for row in [["Interview", "Pseudonym", "Schools", "Trust"], ["alpha.txt", "MAT 90", 9.0, "Fenmoor Learning"],
                ["beta", "MAT 91", 12, None], ["gamma", "MAT 92", 31, None]]:
        book.active.append(row)
    book.save(round_dir / "Cases.xlsx")  # named as Excel on Windows may save it
    code, summary, _ = run(capsys, round_dir, warehouse)
    assert code == 0 and summary["case_sheet_warnings"] == [], summary["case_sheet_warnings"]
    assert summary["without_case_row"] == [] and "Cases.xlsx" not in summary["ignored_files"]
    assert table(warehouse, "SELECT interview_id, pseudonym, n_schools FROM interviews ORDER BY 1") == [
        ("alpha", "MAT 90", 9), ("beta", "MAT 91", 12), ("gamma", "MAT 92", 31)]
    assert table(warehouse, "SELECT interview_id, name, role, source FROM case_names") == [
        ("alpha", "Fenmoor Learning", "MAT", "case sheet")]


def test_a_name_in_a_transcript_file_name_is_named_since_the_interview_id_carries_it(capsys, round_dir: Path,
                                                                                      warehouse: Path):
    """Interview ids are made from file names and are not pseudonymised: a file named
    after the CEO (a speaker) or the trust (a case-sheet name) is named in the summary."""
    (round_dir / "alpha.txt").rename(round_dir / "Fenmoor alpha.txt")
    (round_dir / "beta.vtt").rename(round_dir / "beta_Sam Reyes.vtt")  # Sam Reyes answers in it
    (round_dir / "cases.csv").write_text("interview,pseudonym,trust\nFenmoor alpha.txt,MAT 90,Fenmoor Learning\n"
                                         "gamma.srt,MAT 92,Reyes Academies\n", encoding="utf-8")
    code, summary, _ = run(capsys, round_dir, warehouse)
    assert code == 0
    assert sorted(summary["names_in_file_names"], key=lambda f: f["file"]) == [
        {"file": "Fenmoor alpha.txt", "interview_id": "fenmoor-alpha", "names": ["[MAT]"]},
        {"file": "beta_Sam Reyes.vtt", "interview_id": "beta-sam-reyes", "names": ["[CEO]"]}]
    assert main(["run", str(round_dir), "--warehouse", str(warehouse)]) == 0  # as the team reads it
    assert "a name in the file name ([CEO]): beta_Sam Reyes.vtt: the interview id 'beta-sam-reyes' made from it " \
           "is not pseudonymised" in capsys.readouterr().out


def test_a_codebook_change_recodes_without_reloading_transcripts(capsys, round_dir: Path, warehouse: Path,
                                                                tmp_path: Path):
    run(capsys, round_dir, warehouse)
    excerpts = table(warehouse, "SELECT excerpt_id FROM excerpts ORDER BY 1")
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["version"] = "1.0.1"
    book = tmp_path / "codebook.yaml"
    book.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    # the trained embedding artefact belongs to the committed codebook: detected, not ignored
    assert main(["run", str(round_dir), "--warehouse", str(warehouse), "--codebook", str(book)]) == 1
    assert "no embed.v1 artefact matches codebook" in capsys.readouterr().err
    code, summary, _ = run(capsys, round_dir, warehouse, "--codebook", str(book), "--coder", "rules.v1")
    assert code == 0 and sorted(summary["files"]["recoded"]) == ["alpha.txt", "beta.vtt", "gamma.srt"]
    assert table(warehouse, "SELECT excerpt_id FROM excerpts ORDER BY 1") == excerpts
    assert table(warehouse, "SELECT DISTINCT codebook_hash FROM codings") == [(summary["codebook_hash"],)]


@pytest.mark.parametrize("revision", ["READING", "MATCHING"])
def test_a_new_reading_of_the_text_recodes_unchanged_transcripts(capsys, round_dir: Path, warehouse: Path,
                                                                 monkeypatch, revision: str):
    """Same transcripts, codebook and artefact, but the embedding reads the text another
    way (``roles.READING``), or the rules, whose weight cues it also reads, match it
    another way (``patterns.MATCHING``): its codings could differ, so they are not kept
    as they were."""
    import matcoder.models.embedding.coder as coder

    code, first, _ = run(capsys, round_dir, warehouse)
    assert code == 0 and len(first["files"]["loaded"]) == 3
    monkeypatch.setattr(coder, revision, "read-next")
    code, second, _ = run(capsys, round_dir, warehouse)
    assert code == 0 and sorted(second["files"]["recoded"]) == ["alpha.txt", "beta.vtt", "gamma.srt"]
    assert table(warehouse, "SELECT DISTINCT coder FROM interviews") == [(second["coder"],)]
    assert "+read-next" in second["coder"] and first["coder"] != second["coder"]
    assert table(warehouse, "SELECT DISTINCT agent_version LIKE '%+read-next%' FROM codings "
                            "WHERE agent = 'ensemble'") == [(True,)]


def test_a_changed_segmentation_rule_recuts_unchanged_transcripts(capsys, round_dir: Path, warehouse: Path,
                                                                  monkeypatch):
    """Same transcripts and coder, but this version cuts answers into other excerpts: the
    warehouse gets the new excerpts rather than keeping the old ones as "unchanged"."""
    import matcoder.segment as seg

    code, first, _ = run(capsys, round_dir, warehouse)
    assert code == 0 and len(first["files"]["loaded"]) == 3
    before = table(warehouse, "SELECT count(*) FROM excerpts")[0][0]
    finer = seg.segment_turn
    monkeypatch.setattr(seg, "segment_turn", lambda text, *_: finer(text, max_words=20, target_words=12, min_words=4))
    code, second, _ = run(capsys, round_dir, warehouse)
    recut = sorted(second["files"]["loaded"] + second["files"]["recoded"])
    assert code == 0 and recut and sorted(recut + second["files"]["unchanged"]) == ["alpha.txt", "beta.vtt", "gamma.srt"]
    from matcoder.ingest.reader import read_transcript
    from matcoder.ingest.speakers import RoleConfig

    now = {e.excerpt_id for f in round_dir.iterdir() if f.name in first["files"]["loaded"]
           for e in seg.segment_transcript(read_transcript(f, RoleConfig()))}
    assert {i for (i,) in table(warehouse, "SELECT excerpt_id FROM excerpts")} == now  # every one as now cut
    assert table(warehouse, "SELECT count(*) FROM excerpts")[0][0] > before
    code, third, _ = run(capsys, round_dir, warehouse)  # the same rule again: nothing to do
    assert code == 0 and sorted(third["files"]["unchanged"]) == ["alpha.txt", "beta.vtt", "gamma.srt"]


def test_a_run_in_other_arithmetic_recodes_rather_than_mixes(capsys, round_dir: Path, warehouse: Path,
                                                            monkeypatch):
    """Codes made from float32 vectors are not kept beside a bfloat16 run's: the coder's
    revision names the arithmetic (``MATCODER_PRECISION``)."""
    monkeypatch.setenv("MATCODER_PRECISION", "fp32")
    code, first, _ = run(capsys, round_dir, warehouse)
    assert code == 0 and not first["coder"].endswith("+bf16")
    monkeypatch.setenv("MATCODER_PRECISION", "bf16")
    code, second, _ = run(capsys, round_dir, warehouse)
    assert code == 0 and second["coder"] == first["coder"] + "+bf16"
    assert sorted(second["files"]["recoded"]) == ["alpha.txt", "beta.vtt", "gamma.srt"]
    assert table(warehouse, "SELECT DISTINCT agent_version LIKE '%+bf16' FROM codings "
                            "WHERE agent = 'ensemble'") == [(True,)]


def test_missing_folder_is_a_usage_error(capsys, tmp_path: Path):
    assert main(["run", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert "does not exist or is not a folder" in capsys.readouterr().err


def test_a_subfolder_holding_transcripts_is_named_not_read_in_silence(capsys, round_dir: Path, warehouse: Path):
    """Only the folder's own files are read (a subfolder may keep drafts or old versions),
    but a subfolder with transcripts in it is named: a round sorted into folders by
    transcription service would otherwise lose those interviews without a word."""
    (round_dir / "teams" / "week 2").mkdir(parents=True)
    (round_dir / "alpha.txt").rename(round_dir / "teams" / "week 2" / "alpha.txt")
    (round_dir / "scans").mkdir()
    (round_dir / "scans" / "consent form.pdf").write_bytes(b"%PDF-1.4")
    (round_dir / ".git").mkdir()
    (round_dir / ".git" / "notes.txt").write_text("Interviewer: hidden?\n", encoding="utf-8")
    code, summary, _ = run(capsys, round_dir, warehouse)
    assert code == 0 and summary["folders_not_read"] == ["teams"]
    assert "alpha.txt" not in summary["files"]["loaded"] and summary["files"]["loaded"]
    assert main(["run", str(round_dir), "--warehouse", str(warehouse)]) == 0
    assert "not read (a subfolder holding transcripts; only the folder's own files are read): teams/" in \
        capsys.readouterr().out
