"""Benchmark for issue 7: the warehouse scaled up synthetically to 1,000,000 excerpts;
every named query and a full-text search must answer in under 1 s.

The sample round is coded once (rules.v1); its interviews, turns, excerpts and codings
are then copied in SQL, each copy a new trust with new ids (case attributes rotated so
groups differ), until the excerpt count is reached. One excerpt in REVIEWED_EVERY gets
a reviewer's verdict that keeps about three in four of the model's codes, so the
human-wins logic has real work in every query. The full-text index is built over
all of it. Each query is timed warm (best of 3) with the effective basis, once
without and once with a case-attribute filter (``--where cluster=2``).

Usage: .venv/bin/python benchmarks/bench_scale.py [--excerpts 1000000] [--keep FILE] [--reuse] [--record]
(``--reuse`` times the queries on a warehouse an earlier ``--keep FILE`` scaled up.)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from results import record  # noqa: E402

from matcoder.analysis.search import full_text  # noqa: E402
from matcoder.warehouse.checks import CHECKS_DIR  # noqa: E402
from matcoder.warehouse.fts import build_index  # noqa: E402
from matcoder.warehouse.load import refresh_code_pairs  # noqa: E402
from matcoder.codebook.loader import default_codebook  # noqa: E402
from matcoder.warehouse.filters import parse as parse_where  # noqa: E402
from matcoder.warehouse.named_queries import available, run  # noqa: E402


def scale(db: Path, target: int) -> dict:
    con = duckdb.connect(str(db))
    per_copy = con.execute("SELECT count(*) FROM excerpts").fetchone()[0]
    copies = -(-target // per_copy) - 1
    t0 = time.perf_counter()
    con.execute("CREATE TEMP TABLE k AS SELECT range AS k FROM range(1, ?)", [copies + 1])
    suffix = "'-x' || k.k"
    con.execute(f"""INSERT INTO interviews SELECT i.interview_id || {suffix}, i.source_file || {suffix}, source_format,
        content_hash, 'MAT ' || (1000 + k.k * 100 + row_number() OVER (PARTITION BY k.k ORDER BY i.interview_id)),
        n_schools + (k.k % 7), n_pupils, phase, school_type, geography, grew_rapidly,
        1 + ((coalesce(strategy_cluster, 1) + k.k) % 3), performance, has_case_row, coder, codebook_hash, run_id,
        loaded_at FROM interviews i, k""")
    con.execute(f"""INSERT INTO turns SELECT t.interview_id || {suffix}, turn, speaker, role, timestamp, text
        FROM turns t, k""")
    con.execute(f"""INSERT INTO excerpts SELECT e.interview_id || {suffix} || ':' || turn || ':' || start || '-' || "end",
        e.interview_id || {suffix}, turn, start, "end", text, question FROM excerpts e, k""")
    con.execute(f"""INSERT INTO codings SELECT c.coding_id || {suffix},
        split_part(c.excerpt_id, ':', 1) || {suffix} || ':' || split_part(c.excerpt_id, ':', 2) || ':' ||
        split_part(c.excerpt_id, ':', 3), code_id, weight, score, source, agent, agent_version, codebook_hash, run_id,
        reviewer, created_at, evidence, needs_review FROM codings c, k WHERE c.coding_id NOT LIKE '%-x%'""")
    add_reviews(con)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    refresh_code_pairs(con, None)  # the rows above went in by SQL, past the writers that keep it current
    pairs_s = time.perf_counter() - t1
    some = [i for (i,) in con.execute("SELECT interview_id FROM interviews ORDER BY hash(interview_id) LIMIT 20").fetchall()]
    refresh_s = timed(lambda: refresh_code_pairs(con, some))  # what each write adds (a load batch, a pull)
    check_s = timed(lambda: con.execute((CHECKS_DIR / "code_pairs_current.sql").read_text()).fetchall(), repeat=1)
    t1 = time.perf_counter()
    build_index(con)
    index_s = time.perf_counter() - t1
    result = {**counts(con), "scale_up_s": round(load_s, 1), "code_pairs_build_s": round(pairs_s, 1),
              "code_pairs_refresh_20_interviews_s": round(refresh_s, 2), "code_pairs_check_s": round(check_s, 1),
              "fts_index_s": round(index_s, 1)}
    con.close()
    return result


REVIEWED_EVERY = 50


def add_reviews(con) -> None:
    con.execute(f"""CREATE TEMP TABLE picked AS SELECT excerpt_id, row_number() OVER () AS n FROM excerpts
        WHERE hash(excerpt_id) % {REVIEWED_EVERY} = 0""")
    con.execute("""INSERT INTO reviews SELECT 'http://bench', 1, n, n, excerpt_id, 'reviewer-a', false, 0,
        now(), '', now() FROM picked""")
    con.execute("""INSERT INTO codings SELECT c.coding_id || '-h', c.excerpt_id, code_id, weight, NULL, 'human',
        'label-studio', 'bench', codebook_hash, NULL, 'reviewer-a', now(), NULL, false
        FROM codings c JOIN picked USING (excerpt_id) WHERE hash(c.coding_id) % 4 <> 0""")


def counts(con) -> dict:
    n = con.execute("SELECT (SELECT count(*) FROM interviews), (SELECT count(*) FROM excerpts), "
                    "(SELECT count(*) FROM codings), (SELECT count(*) FROM reviewed_excerpts)").fetchone()
    return {"interviews": n[0], "excerpts": n[1], "codings": n[2], "reviewed_excerpts": n[3]}


def timed(fn, repeat: int = 3) -> float:
    fn()  # warm
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def query_times(db: Path) -> dict[str, float]:
    book = default_codebook()
    cluster = parse_where(["cluster=2"])
    con = duckdb.connect(str(db), read_only=True)
    times = {}
    for name in available():
        params = {"code": "area.curriculum_pedagogy", "limit": "50"} if name == "excerpts" else {}
        times[name] = round(timed(lambda: run(con, name, params, book)), 3)
        times[f"{name} --where cluster=2"] = round(timed(lambda: run(con, name, params, book, where=cluster)), 3)
    times["fts: 'exam boards'"] = round(timed(lambda: full_text(con, "exam boards", limit=20)), 3)
    times["fts: 'regional hub' + code + cluster"] = round(timed(
        lambda: full_text(con, "regional hub", codes=["breakpoint"], where=cluster, limit=20)), 3)
    con.close()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--excerpts", type=int, default=1_000_000)
    ap.add_argument("--keep", metavar="FILE", help="keep the scaled warehouse here")
    ap.add_argument("--reuse", action="store_true", help="time the queries on the --keep FILE as it is")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.keep) if args.keep else Path(tmp) / "scaled.duckdb"
        if args.reuse:
            if not (args.keep and db.exists()):
                raise SystemExit("--reuse needs --keep FILE naming a warehouse scaled up earlier")
            with duckdb.connect(str(db), read_only=True) as con:
                result = counts(con)
        else:
            env = dict(os.environ, PREFECT_HOME=str(Path(tmp) / "prefect"))
            subprocess.run([str(ROOT / ".venv" / "bin" / "matcoder"), "run", str(ROOT / "transcripts_sample"),
                            "--coder", "rules.v1", "--warehouse", str(db), "--quiet"], check=True, env=env,
                           capture_output=True)
            result = scale(db, args.excerpts)
        times = query_times(db)
    result["seconds"] = times
    result["all_under_1s"] = all(v < 1 for v in times.values())
    print(json.dumps(result, indent=2))
    if args.record:
        slowest = max(times, key=times.get)
        record("named queries + full-text search, scaled warehouse",
               f"{result['excerpts']:,} excerpts ({result['reviewed_excerpts']:,} reviewed), {result['codings']:,} "
               f"codings, {result['interviews']:,} interviews",
               f"slowest {slowest} {times[slowest]} s; " + ", ".join(f"{k} {v} s" for k, v in times.items()),
               f"fts index {result['fts_index_s']} s" if "fts_index_s" in result else "-")

if __name__ == "__main__":
    main()
