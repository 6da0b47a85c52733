"""Numbered SQL migrations (``migrations/NNN_name.sql``), one transaction per file,
recorded in ``schema_migrations`` with a checksum. A warehouse that already has data
is copied to ``<file>.bak-<version>`` before it is upgraded."""
from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from matcoder.errors import WarehouseError
from matcoder.warehouse.load import transaction

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def available(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise WarehouseError(f"{path}: migration files are named NNN_name.sql")
        found.append(Migration(int(m.group(1)), m.group(2), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise WarehouseError(f"{directory}: two migrations share a number")
    return found


def _ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL,
        applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)""")


def applied(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return {}
    return dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())


def pending(con: duckdb.DuckDBPyConnection, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    done = applied(con)
    for m in available(directory):
        if m.version in done and done[m.version] != m.checksum:
            raise WarehouseError(
                f"migration {m.path.name} was changed after it was applied; add a new migration instead"
            )
    known = {m.version for m in available(directory)}
    newer = sorted(set(done) - known)
    if newer:
        raise WarehouseError(
            f"warehouse has migration {newer[-1]} that this matcoder does not know: upgrade matcoder"
        )
    return [m for m in available(directory) if m.version not in done]


def migrate(con: duckdb.DuckDBPyConnection, db_path: Path | None = None,
            directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply pending migrations; back the file up first when it already holds a schema."""
    todo = pending(con, directory)
    if not todo:
        return []
    if db_path is not None and applied(con):
        con.execute("CHECKPOINT")
        backup = Path(f"{db_path}.bak-{max(applied(con))}")
        shutil.copy2(db_path, backup)
    _ensure_table(con)
    for m in todo:
        try:
            with transaction(con):
                con.execute(m.sql)
                con.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
                            [m.version, m.name, m.checksum])
        except duckdb.Error as exc:
            raise WarehouseError(f"migration {m.path.name} failed: {exc}") from None
    return todo
