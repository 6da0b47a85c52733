"""DuckDB's full-text index over excerpt text. The ``fts`` extension cannot be
downloaded here: it is installed from the ``duckdb-extension-fts`` wheel, whose version
is pinned to DuckDB's own. The index is rebuilt at the end of every run
(``matcoder warehouse index`` rebuilds it on demand); ``matcoder search`` reads it."""
from __future__ import annotations

from pathlib import Path

import duckdb

from matcoder.errors import WarehouseError


def fts_extension() -> Path:
    import duckdb_extension_fts

    root = Path(duckdb_extension_fts.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    found = sorted(root.rglob("fts.duckdb_extension"))
    if not found:
        raise WarehouseError(f"the fts extension for DuckDB {duckdb.__version__} is not in {root}: "
                             "duckdb and duckdb-extension-fts must carry the same version (run scripts/setup.sh)")
    return found[0]


def load_fts(con) -> None:
    con.execute(f"INSTALL '{fts_extension()}'")
    con.execute("LOAD fts")


def build_index(con) -> None:
    """(Re)build the full-text index over excerpt text."""
    load_fts(con)
    con.execute("PRAGMA create_fts_index('excerpts', 'excerpt_id', 'text', stemmer = 'english', "
                "stopwords = 'english', overwrite = 1)")


def has_index(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'fts_main_excerpts'")
                .fetchone()[0])
