"""Data tests: each ``checks/*.sql`` returns the rows that violate one rule; zero rows
passes. Run by pytest and at the end of every load."""
from __future__ import annotations

from pathlib import Path

import duckdb

CHECKS_DIR = Path(__file__).with_name("checks")


def run_checks(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Violations by check name (only failing checks appear)."""
    failures = {}
    for path in sorted(CHECKS_DIR.glob("*.sql")):
        rows = con.execute(path.read_text(encoding="utf-8")).fetchall()
        if rows:
            failures[path.stem] = rows
    return failures
