"""Opening the warehouse. Only the load step opens it read-write, one interview (one
transaction) at a time; everything else opens it read-only for one operation."""
from __future__ import annotations

import os
import re
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


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"warehouse {path} does not exist yet: run `matcoder run` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseError(_lock_message(path, exc)) from None
        raise WarehouseError(f"cannot open warehouse {path}: {exc}") from None
    try:
        yield con
    finally:
        con.close()


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
