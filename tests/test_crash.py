"""Crash safety: a load killed with SIGKILL at random points, 50 times, leaves every
interview either as it was or fully replaced, never half written or duplicated; the
next load completes to exactly what a clean load gives."""
from __future__ import annotations

import os
import pickle
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, SAMPLES
from matcoder import records
from matcoder.codebook.loader import codebook_hash, default_codebook
from matcoder.ingest.reader import discover, read_transcript
from matcoder.models.base import ExcerptInput
from matcoder.models.rules.coder import RuleCoder
from matcoder.segment import segment_transcript
from matcoder.warehouse.checks import run_checks
from matcoder.warehouse.load import now, register_codes
from matcoder.warehouse.migrate import migrate

KILLS = 50
pytestmark = pytest.mark.usefixtures("prefect_harness")


def versions() -> list[list[tuple]]:
    """Two versions of the sample round: as delivered, and with every answer changed."""
    book = default_codebook()
    coder, book_hash, when = RuleCoder(book), codebook_hash(book), now()
    out = []
    for tag in ("", " (revised)"):
        version = []
        for path in discover(SAMPLES)[0]:
            t = read_transcript(path)
            t = t.model_copy(update={"turns": [
                turn.model_copy(update={"text": turn.text + (tag if turn.role == "interviewee" else "")})
                for turn in t.turns]})
            excerpts = segment_transcript(t)
            suggestions = coder.predict([ExcerptInput(e.excerpt_id, e.text, e.question) for e in excerpts])
            version.append((records.interview_row(t, None, "rules.v1", book_hash, "crash-test", when),
                            records.turn_rows(t), records.excerpt_rows(excerpts),
                            records.coding_rows(suggestions, book_hash, "crash-test", when)))
        out.append(version)
    return out


def state(db: Path) -> dict[str, tuple[frozenset, frozenset]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert run_checks(con) == {}
        for table, key in (("excerpts", "excerpt_id"), ("codings", "coding_id"), ("interviews", "interview_id")):
            n, distinct = con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}").fetchone()
            assert n == distinct, f"duplicated {table}"
        out = {}
        for (iid,) in con.execute("SELECT interview_id FROM interviews").fetchall():
            ex = frozenset(r[0] for r in con.execute("SELECT text FROM excerpts WHERE interview_id = ?", [iid]).fetchall())
            co = frozenset(r[0] for r in con.execute("SELECT coding_id FROM codings JOIN excerpts USING (excerpt_id) "
                                                     "WHERE interview_id = ?", [iid]).fetchall())
            out[iid] = (ex, co)
        return out
    finally:
        con.close()


def expected(version: list[tuple]) -> dict[str, tuple[frozenset, frozenset]]:
    return {i.interview_id: (frozenset(e.text for e in ex), frozenset(c.coding_id for c in co))
            for i, _, ex, co in version}


def fresh_warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    migrate(con, path)
    book = default_codebook()
    register_codes(con, records.code_rows(book, codebook_hash(book)))
    con.close()


def child(db: Path, rows: Path, mode: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests"))
    return subprocess.Popen([sys.executable, str(ROOT / "tests" / "crash_child.py"), str(db), str(rows), mode],
                            stdout=subprocess.PIPE, text=True, env=env)


def cycle_seconds(db: Path, rows: Path, mode: str) -> float:
    """How long one of the child's cycles takes on this machine (the second, past any
    first-time work), so that the kills are spread over a cycle whatever its speed."""
    proc = child(db, rows, mode)
    try:
        assert proc.stdout.readline().strip() == "started"
        assert proc.stdout.readline().strip() == "cycle"
        start = time.monotonic()
        assert proc.stdout.readline().strip() == "cycle"
        return time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()


def killed(db: Path, rows: Path, mode: str, after: float) -> dict[str, tuple[frozenset, frozenset]]:
    """Start a loading child, SIGKILL it ``after`` seconds into its work, return the state."""
    proc = child(db, rows, mode)
    assert proc.stdout.readline().strip() == "started"
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return state(db)


def test_a_load_killed_at_random_points_50_times_loses_and_duplicates_nothing(tmp_path: Path):
    both = versions()
    rows = tmp_path / "rows.pickle"
    rows.write_bytes(pickle.dumps(both))
    allowed = [expected(v) for v in both]
    db = tmp_path / "w.duckdb"
    fresh_warehouse(db)
    rng = random.Random(20261123)
    cycle = cycle_seconds(db, rows, "forever")  # both versions loaded once
    seen_partial_rounds = 0
    for _ in range(KILLS):
        current = killed(db, rows, "forever", rng.uniform(0.0, cycle))
        for iid, got in current.items():
            assert got in (allowed[0][iid], allowed[1][iid]), f"{iid} is half written"
        seen_partial_rounds += len({(got == allowed[0][iid]) for iid, got in current.items()}) > 1
    # the kills landed in the middle of rounds (a mix of old and new interviews), not only between them
    assert seen_partial_rounds >= 5
    # the next load completes: exactly what a clean load of the same version gives
    proc = child(db, rows, "once")
    assert proc.wait(timeout=120) == 0
    clean = tmp_path / "clean.duckdb"
    fresh_warehouse(clean)
    assert child(clean, rows, "once").wait(timeout=120) == 0
    assert state(db) == state(clean) == allowed[0]  # "once" loads the round as delivered


def test_batches_of_new_interviews_killed_at_random_points_leave_no_interview_half_written(tmp_path: Path):
    version = versions()[0]
    rows = tmp_path / "rows.pickle"
    rows.write_bytes(pickle.dumps([version]))
    allowed = expected(version)
    db = tmp_path / "w.duckdb"
    fresh_warehouse(db)
    rng = random.Random(20261124)
    cycle = cycle_seconds(db, rows, "new")  # every interview inserted in batches, then removed
    counts = set()
    for _ in range(15):
        current = killed(db, rows, "new", rng.uniform(0.0, cycle))
        assert all(got == allowed[iid] for iid, got in current.items()), "an interview is half written"
        counts.add(len(current))
    assert len(counts - {0, len(allowed)}) >= 3  # most kills landed mid-round, not only at its ends


def test_while_a_run_writes_a_second_run_is_refused_by_name_and_readers_keep_working(tmp_path: Path, capsys):
    from matcoder.cli import main

    rows = tmp_path / "rows.pickle"
    rows.write_bytes(pickle.dumps(versions()))
    db = tmp_path / "w.duckdb"
    fresh_warehouse(db)
    proc = child(db, rows, "shared")
    try:
        assert proc.stdout.readline().strip() == "started"
        code = main(["run", str(SAMPLES), "--warehouse", str(db), "--coder", "rules.v1"])
        assert code == 1 and "being written by run crash-run" in capsys.readouterr().err
        for _ in range(5):  # read-only commands get the file between the writer's interviews
            assert main(["warehouse", "check", "--warehouse", str(db)]) == 0
            assert capsys.readouterr().out.strip() == "{}"
    finally:
        proc.kill()
        proc.wait()


def test_a_warehouse_from_an_older_version_is_refused_read_only_with_the_command_to_upgrade(tmp_path: Path, capsys):
    import shutil

    from matcoder.cli import main
    from matcoder.warehouse.migrate import MIGRATIONS_DIR

    old = tmp_path / "migrations"
    old.mkdir()
    for name in ("001_init.sql", "002_needs_review.sql"):
        shutil.copy(MIGRATIONS_DIR / name, old / name)
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    migrate(con, db, old)
    con.close()
    assert main(["warehouse", "check", "--warehouse", str(db)]) == 1
    err = capsys.readouterr().err
    assert f"`matcoder warehouse migrate --warehouse {db}`" in err and "003_review.sql" in err
    assert main(["warehouse", "migrate", "--warehouse", str(db)]) == 0
    assert Path(f"{db}.bak-2").exists()
    assert main(["warehouse", "check", "--warehouse", str(db)]) == 0
