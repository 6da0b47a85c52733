"""Child process of test_crash: loads pickled interview versions into a warehouse with
the real loader, over and over, until it is killed. Prints "started" once, then "cycle"
each time it is back where it began, so that the test can time a cycle and spread its
kills over it. Not a test module."""
import pickle
import sys
from pathlib import Path

import duckdb

from matcoder.warehouse import load as wl


def shared(db: str, versions) -> None:
    """A run's load step as the flow does it: under the run lock, the connection given
    up between interviews."""
    from matcoder.warehouse.connect import TimeSharedWriter
    from matcoder.warehouse.lock import run_lock

    with run_lock(Path(db), "crash-run"):
        writer = TimeSharedWriter(Path(db), hold=0.5)
        print("started", flush=True)
        while True:
            for version in versions:
                for interview, turns, excerpts, codings in version:
                    wl.replace_interview(writer.get(), interview, turns, excerpts, codings)


def new_batches(db: str, version) -> None:
    """New interviews as the flow loads them (batches, one transaction each); once all
    are in, remove them one by one and start again."""
    con = duckdb.connect(db)
    print("started", flush=True)
    while True:
        present = {iid for (iid,) in con.execute("SELECT interview_id FROM interviews").fetchall()}
        todo = [v for v in version if v[0].interview_id not in present]
        if not todo:
            for interview, *_ in version:
                wl.remove_interview(con, interview.interview_id)
            print("cycle", flush=True)
            continue
        for i in range(0, len(todo), 4):
            wl.insert_new_interviews(con, [wl.NewInterview(iv, t, e, c, iv.source_file)
                                           for iv, t, e, c in todo[i:i + 4]], "crash-test")


def main(db: str, rows_file: str, mode: str) -> None:
    versions = pickle.loads(Path(rows_file).read_bytes())
    if mode == "shared":
        return shared(db, versions)
    if mode == "new":
        return new_batches(db, versions[0])
    con = duckdb.connect(db)
    print("started", flush=True)
    while True:
        for version in versions:
            for interview, turns, excerpts, codings in version:
                wl.replace_interview(con, interview, turns, excerpts, codings)
            if mode == "once":
                con.close()
                return
        print("cycle", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
