"""The warehouse on a real DuckDB file: migrations, constraints, one-transaction loads."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from matcoder.errors import WarehouseError
from matcoder.warehouse import load as wl
from matcoder.warehouse.checks import run_checks
from matcoder.warehouse.connect import connect
from matcoder.warehouse.lock import run_lock
from matcoder.warehouse.migrate import available, migrate, pending

NOW = datetime(2026, 1, 1)


def fresh(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    migrate(con, path)
    con.execute("INSERT INTO codes VALUES ('area.governance', 'area', 'Governance', 'd', true, 'h'),"
                "('ceo.culture_values', 'ceo', 'Culture', 'd', false, 'h')")
    return con


def interview(iid="m1", content="c1", run="r1") -> wl.InterviewRow:
    return wl.InterviewRow(iid, f"{iid}.txt", "txt", content, "MAT 1", 4, 900, "primary", "mixed",
                           "all_within_1h", False, 3, "higher", True, "rules.v1", "h", run, NOW)


def rows(iid="m1", text="We rewrote the scheme of delegation.", run="r1"):
    turns = [wl.TurnRow(iid, 0, "I", "interviewer", None, "How?"), wl.TurnRow(iid, 1, "C", "interviewee", None, text)]
    ex = [wl.ExcerptRow(f"{iid}:1:0-{len(text)}", iid, 1, 0, len(text), text, "How?")]
    cod = [wl.CodingRow(f"c-{iid}-{run}", ex[0].excerpt_id, "area.governance", 3, 0.9, "rules", "rules", "v1", "h",
                        run, None, NOW, None)]
    return turns, ex, cod


def test_migrations_apply_once_and_list_nothing_pending(tmp_path: Path):
    con = fresh(tmp_path / "w.duckdb")
    assert pending(con) == []
    assert migrate(con, tmp_path / "w.duckdb") == []
    assert [v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()] == \
        [m.version for m in available()]


def test_new_migration_backs_up_and_applies_and_changed_one_is_refused(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    fresh(path).close()
    mig = tmp_path / "mig"
    mig.mkdir()
    for m in available():
        (mig / m.path.name).write_text(m.sql, encoding="utf-8")
    (mig / "999_extra.sql").write_text("CREATE TABLE extra (x INTEGER);", encoding="utf-8")
    with connect(path) as con:
        assert [m.name for m in pending(con, mig)] == ["extra"]
        migrate(con, path, mig)
        assert con.execute("SELECT count(*) FROM extra").fetchone()[0] == 0
    assert Path(f"{path}.bak-{available()[-1].version}").exists()
    (mig / "999_extra.sql").write_text("CREATE TABLE extra (y INTEGER);", encoding="utf-8")
    with connect(path) as con, pytest.raises(WarehouseError, match="999_extra.sql was changed after it was applied"):
        pending(con, mig)


def test_failed_migration_leaves_nothing_behind(tmp_path: Path):
    mig = tmp_path / "mig"
    mig.mkdir()
    (mig / "001_bad.sql").write_text("CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;", encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(WarehouseError, match="migration 001_bad.sql failed"):
        migrate(con, None, mig)
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'").fetchone()[0] == 0


@pytest.mark.parametrize("sql,fragment", [
    ("INSERT INTO codings VALUES ('x','e','area.governance',4,0.5,'rules','a','v','h','r',NULL,now(),NULL,false)", "CHECK"),
    ("INSERT INTO codings VALUES ('x','e','ceo.culture_values',2,0.5,'rules','a','v','h','r',NULL,now(),NULL,false)", "CHECK"),
    ("INSERT INTO codings VALUES ('x','e','area.governance',NULL,0.5,'human','a','v','h','r',NULL,now(),NULL,false)", "CHECK"),
    ("INSERT INTO codings VALUES ('x','e','area.governance',NULL,0.5,'robot','a','v','h','r',NULL,now(),NULL,false)", "CHECK"),
    ("INSERT INTO excerpts VALUES ('e','m',1,5,5,'','q')", "CHECK"),
    ("INSERT INTO excerpts VALUES ('e','m',1,0,4,'abc','q')", "CHECK"),
    ("INSERT INTO codes VALUES ('Bad Id','area','l','d',true,'h')", "CHECK"),
])
def test_schema_rules_reject_bad_rows(tmp_path: Path, sql, fragment):
    con = fresh(tmp_path / "w.duckdb")
    with pytest.raises(duckdb.ConstraintException, match=fragment):
        con.execute(sql)


def test_replace_interview_is_idempotent_and_keeps_unchanged_human_codings(tmp_path: Path):
    con = fresh(tmp_path / "w.duckdb")
    turns, ex, cod = rows()
    wl.replace_interview(con, interview(), turns, ex, cod)
    human = wl.CodingRow("h1", ex[0].excerpt_id, "area.governance", 2, 1.0, "human", "labelstudio", "1", "h", None,
                         "rev@x", NOW, None)
    wl.insert_rows(con, "codings", [human])
    turns2, ex2, cod2 = rows(run="r2")
    retired = wl.replace_interview(con, interview(run="r2"), turns2, ex2, cod2)
    assert retired == 0
    assert con.execute("SELECT source, run_id FROM codings ORDER BY source").fetchall() == [("human", None), ("rules", "r2")]
    assert run_checks(con) == {}


EVIDENCE = '[{"rule": "area.governance#0 \'scheme of delegation\'", "start": 7, "end": 27, "text": "x"}]'


def test_evidence_is_stored_as_json_sql_can_read_into(tmp_path: Path):
    con = fresh(tmp_path / "w.duckdb")
    turns, ex, cod = rows()
    wl.replace_interview(con, interview(), turns, ex, [replace(cod[0], evidence=EVIDENCE)])
    assert con.execute("SELECT json_type(evidence), evidence->>'$[0].rule', evidence->'$[0].end' FROM codings"
                       ).fetchall() == [("ARRAY", "area.governance#0 'scheme of delegation'", "27")]


def test_evidence_an_older_loader_stored_as_a_string_is_turned_into_its_array(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    mig = tmp_path / "mig"
    mig.mkdir()
    for m in available():
        if m.name != "evidence_as_json":
            (mig / m.path.name).write_text(m.sql, encoding="utf-8")
    con = duckdb.connect(str(path))
    migrate(con, path, mig)
    con.execute("INSERT INTO codes VALUES ('area.governance', 'area', 'Governance', 'd', true, 'h')")
    turns, ex, cod = rows()
    wl.replace_interview(con, interview(), turns, ex, cod)
    con.execute("UPDATE codings SET evidence = to_json(?::VARCHAR)", [EVIDENCE])  # as the old loader wrote it
    assert con.execute("SELECT json_type(evidence), evidence->>'$[0].rule' FROM codings").fetchall() == [("VARCHAR", None)]
    assert run_checks(con) == {"evidence_is_json": [(cod[0].coding_id, "VARCHAR")]}  # `warehouse check` sees it
    assert [m.name for m in migrate(con, path)] == ["evidence_as_json"]
    assert con.execute("SELECT json_type(evidence), evidence->>'$[0].text' FROM codings").fetchall() == [("ARRAY", "x")]
    assert run_checks(con) == {}


def test_changed_excerpt_retires_human_codings_instead_of_dropping_them(tmp_path: Path):
    con = fresh(tmp_path / "w.duckdb")
    turns, ex, cod = rows()
    wl.replace_interview(con, interview(), turns, ex, cod)
    wl.insert_rows(con, "codings", [wl.CodingRow("h1", ex[0].excerpt_id, "area.governance", 2, 1.0, "human",
                                                 "labelstudio", "1", "h", None, "rev@x", NOW, None)])
    turns2, ex2, cod2 = rows(text="We rewrote the scheme of delegation twice.", run="r2")
    assert wl.replace_interview(con, interview(content="c2", run="r2"), turns2, ex2, cod2) == 1
    assert con.execute("SELECT coding_id, reason FROM retired_codings").fetchall() == [
        ("h1", "excerpt changed when its transcript changed")]
    assert con.execute("SELECT count(*) FROM codings WHERE source = 'human'").fetchone()[0] == 0
    assert run_checks(con) == {}


def test_a_failing_load_rolls_back_the_whole_interview(tmp_path: Path):
    con = fresh(tmp_path / "w.duckdb")
    turns, ex, cod = rows()
    wl.replace_interview(con, interview(), turns, ex, cod)
    turns2, ex2, _ = rows(text="Completely different answer now.", run="r2")
    bad = [wl.CodingRow("dup", ex2[0].excerpt_id, "area.governance", 3, 0.9, "rules", "rules", "v1", "h", "r2", None,
                        NOW, None)] * 2
    with pytest.raises(duckdb.ConstraintException):
        wl.replace_interview(con, interview(content="c2", run="r2"), turns2, ex2, bad)
    assert con.execute("SELECT content_hash FROM interviews").fetchall() == [("c1",)]
    assert con.execute("SELECT text FROM excerpts").fetchall() == [("We rewrote the scheme of delegation.",)]
    assert con.execute("SELECT count(*) FROM codings").fetchone()[0] == 1


def test_a_batch_of_new_interviews_lands_whole_or_not_at_all(tmp_path: Path):
    con = fresh(tmp_path / "w.duckdb")
    wl.start_run(con, "r1", "/round", "h", "rules.v1", "0")

    def new(iid, codings=None):
        turns, ex, cod = rows(iid)
        return wl.NewInterview(interview(iid), turns, ex, cod if codings is None else codings, f"{iid}.txt")

    dup = rows("m3")[2] * 2  # the same coding_id twice: the primary key refuses the batch
    with pytest.raises(duckdb.ConstraintException):
        wl.insert_new_interviews(con, [new("m2"), new("m3", dup)], "r1")
    for table in ("interviews", "turns", "excerpts", "codings", "run_files"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    wl.insert_new_interviews(con, [new("m2"), new("m3")], "r1")
    assert con.execute("SELECT interview_id, count(*) FROM excerpts GROUP BY 1 ORDER BY 1").fetchall() == [
        ("m2", 1), ("m3", 1)]
    assert con.execute("SELECT count(*) FROM codings").fetchone()[0] == 2
    assert con.execute("SELECT source_file, outcome FROM run_files ORDER BY 1").fetchall() == [
        ("m2.txt", "loaded"), ("m3.txt", "loaded")]
    assert run_checks(con) == {}


def test_checks_find_violations(tmp_path: Path):
    con = fresh(tmp_path / "w.duckdb")
    turns, ex, cod = rows()
    wl.replace_interview(con, interview(), turns, ex, cod)
    con.execute("UPDATE turns SET text = 'Something else entirely!!!!!!' WHERE turn = 1")
    con.execute("INSERT INTO codings VALUES ('o','ghost','area.governance',NULL,0.5,'rules','a','v','h','r',NULL,now(),NULL,false)")
    failures = run_checks(con)
    assert set(failures) == {"excerpt_offsets", "orphans"}
    assert ("coding without excerpt", "o") in failures["orphans"]


def test_remove_interview(tmp_path: Path):
    con = fresh(tmp_path / "w.duckdb")
    turns, ex, cod = rows()
    wl.replace_interview(con, interview(), turns, ex, cod)
    assert wl.remove_interview(con, "m1") == {"codings": 1, "excerpts": 1}
    assert wl.remove_interview(con, "m1") == {}
    assert con.execute("SELECT count(*) FROM turns").fetchone()[0] == 0


def test_run_lock_names_the_run_in_progress(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    with run_lock(db, "run-A"):
        import subprocess
        import sys
        code = ("import sys; from pathlib import Path; from matcoder.warehouse.lock import run_lock\n"
                "from matcoder.errors import WarehouseError\n"
                f"try:\n    run_lock(Path({str(db)!r}), 'run-B').__enter__()\nexcept WarehouseError as e:\n"
                "    print(e); sys.exit(3)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 3
        assert "is being written by run run-A" in out.stdout
    with run_lock(db, "run-C"):  # released after use
        pass


def test_read_only_open_of_missing_warehouse_is_a_clear_error(tmp_path: Path):
    with pytest.raises(WarehouseError, match="does not exist yet: run `matcoder run` first"):
        with connect(tmp_path / "nope.duckdb", read_only=True):
            pass
