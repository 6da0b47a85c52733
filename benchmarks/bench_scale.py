"""Benchmark for issue 7: the warehouse scaled up synthetically to 1,000,000 excerpts;
every named query and a full-text search must answer in under 1 s.

The sample round is coded once (rules.v1); its interviews, turns, excerpts and codings
are then copied in SQL, each copy a new trust with new ids (case attributes rotated so
groups differ), until the excerpt count is reached. The full-text index is built over
all of it. Each query is timed warm (best of 3) with the effective basis.

Usage: .venv/bin/python benchmarks/bench_scale.py [--excerpts 1000000] [--keep FILE] [--record]
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
from matcoder.warehouse.fts import build_index  # noqa: E402
from matcoder.codebook.loader import default_codebook  # noqa: E402
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
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    build_index(con)
    index_s = time.perf_counter() - t1
    counts = con.execute("SELECT (SELECT count(*) FROM interviews), (SELECT count(*) FROM excerpts), "
                         "(SELECT count(*) FROM codings)").fetchone()
    con.close()
    return {"interviews": counts[0], "excerpts": counts[1], "codings": counts[2], "scale_up_s": round(load_s, 1),
            "fts_index_s": round(index_s, 1)}


def timed(fn, repeat: int = 3) -> float:
    fn()  # warm
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--excerpts", type=int, default=1_000_000)
    ap.add_argument("--keep", metavar="FILE", help="keep the scaled warehouse here")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.keep) if args.keep else Path(tmp) / "scaled.duckdb"
        env = dict(os.environ, PREFECT_HOME=str(Path(tmp) / "prefect"))
        subprocess.run([str(ROOT / ".venv" / "bin" / "matcoder"), "run", str(ROOT / "transcripts_sample"), "--coder",
                        "rules.v1", "--warehouse", str(db), "--quiet"], check=True, env=env, capture_output=True)
        result = scale(db, args.excerpts)
        book = default_codebook()
        con = duckdb.connect(str(db), read_only=True)
        times = {}
        for name in available():
            params = {"code": "area.curriculum_pedagogy", "limit": "50"} if name == "excerpts" else {}
            times[name] = round(timed(lambda: run(con, name, params, book)), 3)
        times["fts: 'exam boards'"] = round(timed(lambda: full_text(con, "exam boards", limit=20)), 3)
        times["fts: 'regional hub' + code + cluster"] = round(timed(
            lambda: full_text(con, "regional hub", codes=["breakpoint"], limit=20)), 3)
        con.close()
    result["seconds"] = times
    result["all_under_1s"] = all(v < 1 for v in times.values())
    print(json.dumps(result, indent=2))
    if args.record:
        slowest = max(times, key=times.get)
        record("named queries + full-text search, scaled warehouse",
               f"{result['excerpts']:,} excerpts, {result['codings']:,} codings, {result['interviews']:,} interviews",
               f"slowest {slowest} {times[slowest]} s; " + ", ".join(f"{k} {v} s" for k, v in times.items()),
               f"fts index {result['fts_index_s']} s")

if __name__ == "__main__":
    main()
