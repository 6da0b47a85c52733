"""Benchmark for issue 5: push 2,000 excerpts with predictions to a real Label Studio
and pull their annotations back. Target: push + pull under one minute on this machine.

Setup (not timed): a ~2,000-excerpt round coded with rules.v1, a fresh Label Studio on a
free loopback port, and one annotation per task posted through the API (a reviewer
accepting the proposals) between the push and the pull.

Usage: .venv/bin/python benchmarks/bench_review.py [--excerpts 2000] [--record]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_embeddings import make_round  # noqa: E402
from results import record  # noqa: E402

import requests  # noqa: E402

from matcoder.review import server  # noqa: E402
from matcoder.review.client import LabelStudio  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def matcoder(*args: str, env: dict) -> dict:
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "matcoder"), *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--excerpts", type=int, default=2000)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "round").mkdir()
        make_round(tmp / "round", args.excerpts)
        env = dict(os.environ, PREFECT_HOME=str(tmp / "prefect"), MATCODER_CACHE=str(tmp / "cache"))
        wh = str(tmp / "w.duckdb")
        matcoder("run", str(tmp / "round"), "--warehouse", wh, "--coder", "rules.v1", "--json", "--quiet", env=env)
        settings = server.start(tmp / "ls", "127.0.0.1", free_port())
        try:
            base = ("--data-dir", str(settings.data_dir), "--warehouse", wh)
            t0 = time.perf_counter()
            pushed = matcoder("review", "push", *base, "--limit", str(args.excerpts), env=env)
            push_s = time.perf_counter() - t0
            client = LabelStudio(settings)
            tasks = list(client.tasks(pushed["project_id"]))
            session = requests.Session()
            session.headers["Authorization"] = f"Token {settings.token}"

            def accept(t: dict) -> None:
                r = session.post(f"{settings.url}/api/tasks/{t['id']}/annotations",
                                 json={"result": t["predictions"][0]["result"] if t["predictions"] else []})
                r.raise_for_status()

            t1 = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(accept, tasks))
            annotate_s = time.perf_counter() - t1
            t2 = time.perf_counter()
            pulled = matcoder("review", "pull", *base, env=env)
            pull_s = time.perf_counter() - t2
        finally:
            server.stop(settings.data_dir)
    result = {"excerpts_pushed": pushed["pushed"], "push_s": round(push_s, 1), "annotations_posted": len(tasks),
              "annotate_setup_s": round(annotate_s, 1), "verdicts_pulled": pulled["verdicts"],
              "human_codings": pulled["human_codings"], "pull_s": round(pull_s, 1),
              "push_plus_pull_s": round(push_s + pull_s, 1)}
    print(json.dumps(result, indent=2))
    if args.record:
        record("review push + pull (Label Studio 1.23, loopback)",
               f"{result['excerpts_pushed']} tasks with predictions, {result['verdicts_pulled']} annotations",
               f"push {result['push_s']} s + pull {result['pull_s']} s = {result['push_plus_pull_s']} s "
               "(CLI processes incl. start-up)",
               f"{round(result['excerpts_pushed'] / max(result['push_plus_pull_s'], 0.1), 1)}/s")

if __name__ == "__main__":
    main()
