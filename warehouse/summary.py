"""Counts that the closing summary of a run reports."""
from __future__ import annotations

import duckdb


def warehouse_summary(con: duckdb.DuckDBPyConnection) -> dict:
    one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    families = dict(con.execute(
        "SELECT split_part(code_id, '.', 1) AS family, count(*) FROM codings GROUP BY 1 ORDER BY 1").fetchall())
    return {
        "warehouse": {
            "interviews": one("SELECT count(*) FROM interviews"),
            "turns": one("SELECT count(*) FROM turns"),
            "answers": one("SELECT count(*) FROM turns WHERE role = 'interviewee'"),
            "excerpts": one("SELECT count(*) FROM excerpts"),
            "codings": one("SELECT count(*) FROM codings"),
            "codings_by_family": families,
        }
    }
