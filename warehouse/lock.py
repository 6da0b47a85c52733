"""The run lock: one writing run per warehouse. A second run gets a message naming the
run in progress. The lock is an OS file lock (flock), so a killed run never leaves a
stale lock behind; read-only commands do not take it."""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from matcoder.errors import WarehouseError


def lock_path(db_path: Path) -> Path:
    return Path(f"{db_path}.lock")


@contextmanager
def run_lock(db_path: Path, run_id: str) -> Iterator[None]:
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
            except ValueError:
                holder = {}
            raise WarehouseError(
                f"warehouse {db_path} is being written by run {holder.get('run_id', '?')} "
                f"(process {holder.get('pid', '?')}, started {holder.get('started_at', '?')}); "
                "wait for it to finish"
            ) from None
        info = {"run_id": run_id, "pid": os.getpid(),
                "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)
