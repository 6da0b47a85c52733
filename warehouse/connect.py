"""Opening the warehouse. Writers (a run's load step, review push and pull, migrate,
index) hold the run lock and open it read-write; everything else opens it read-only
for one operation."""
from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from matcoder.errors import WarehouseError

# MATCODER_WAREHOUSE overrides the default file (tests and CI point it at a temp dir).
DEFAULT_WAREHOUSE = Path(os.environ.get("MATCODER_WAREHOUSE", "warehouse/matcoder.duckdb"))


def _lock_message(path: Path, exc: Exception) -> str:
    pid = re.search(r"PID (\d+)", str(exc))
    holder = f" (process {pid.group(1)})" if pid else ""
    return (f"warehouse {path} is being written by another matcoder process{holder}; "
            "wait for it to finish and try again")


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """Rows of one query as dicts keyed by column name."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _wait_s() -> float:
    return float(os.environ.get("MATCODER_LOCK_WAIT", "30"))


def open_connection(path: Path, read_only: bool = False, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file. DuckDB locks the file per process (one writer, or any number
    of readers); a run's load step gives the file up between transactions, so a brief
    conflict is waited out (``MATCODER_LOCK_WAIT`` seconds, default 30) before it is an
    error that names the holder."""
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"warehouse {path} does not exist yet: run `matcoder run` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + (_wait_s() if wait is None else wait)
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"cannot open warehouse {path}: {exc}") from None
            if time.monotonic() >= deadline:
                raise WarehouseError(_lock_message(path, exc)) from None
            time.sleep(0.05)


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_connection(path, read_only)
    if read_only:
        _refuse_outdated(con, Path(path))
    try:
        yield con
    finally:
        con.close()


def _refuse_outdated(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A read-only command cannot upgrade the schema: it names the command that does."""
    from matcoder.warehouse.migrate import pending

    todo = pending(con)
    if todo:
        con.close()
        raise WarehouseError(f"warehouse {path} was made by an older matcoder (schema migration "
                             f"{todo[0].path.name} pending): upgrade it with "
                             f"`matcoder warehouse migrate --warehouse {path}` (a backup is made first)")


class TimeSharedWriter:
    """A read-write connection that a long load gives up between transactions at least
    every ``hold`` seconds, so read-only commands get the file in between (they wait up
    to ``MATCODER_LOCK_WAIT``). Not more often: each close checkpoints the WAL into the
    file, and at 0.5 s that cost a 4,000-excerpt load 13 s of 41."""

    def __init__(self, path: Path, hold: float = 5.0):
        self.path, self.hold = Path(path), hold
        self.con: duckdb.DuckDBPyConnection | None = None
        self.opened = 0.0

    def get(self) -> duckdb.DuckDBPyConnection:
        if self.con is not None and time.monotonic() - self.opened > self.hold:
            self.close()
        if self.con is None:
            self.con = open_connection(self.path)
            self.opened = time.monotonic()
        return self.con

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


@contextmanager
def writer(path: Path, activity: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection for a command other than ``matcoder run`` (review push and
    pull): takes the run lock under ``activity``'s name and applies pending migrations."""
    from matcoder.warehouse.lock import run_lock
    from matcoder.warehouse.migrate import migrate

    path = Path(path)
    if not path.exists():
        raise WarehouseError(f"warehouse {path} does not exist yet: run `matcoder run` first")
    with run_lock(path, activity), connect(path) as con:
        migrate(con, path)
        yield con
