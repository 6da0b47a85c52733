"""Search over excerpts: full text (DuckDB's ``fts`` extension, BM25, English stemmer)
and semantic (cosine similarity of all-MiniLM-L6-v2 embeddings to a query sentence),
both filterable by code and case attribute. Results are pseudonymised.

The ``fts`` extension cannot be downloaded here: it is installed from the
``duckdb-extension-fts`` wheel, whose version is pinned to DuckDB's own. The index is
rebuilt at the end of every run (``matcoder warehouse index`` rebuilds it on demand).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import duckdb
import numpy as np

from matcoder.errors import WarehouseError
from matcoder.warehouse.filters import Condition, where_sql

COLUMNS = ["interview_id", "excerpt_id", "case", "cluster", "codes", "score", "text"]


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


def _filters(codes: Sequence[str], where: Sequence[Condition]) -> tuple[str, list]:
    clause, values = where_sql(where)
    if codes:
        parts = []
        for c in codes:
            if "." in c.rstrip("."):
                parts.append("f.code_id = ?")
                values.append(c)
            else:
                parts.append("starts_with(f.code_id, ?)")
                values.append(c.rstrip(".") + ".")
        clause += (" AND EXISTS (SELECT 1 FROM effective_codings f WHERE f.excerpt_id = e.excerpt_id AND ("
                   + " OR ".join(parts) + "))")
    return clause, values


_SELECT = """SELECT e.interview_id, e.excerpt_id, i.pseudonym AS "case", i.strategy_cluster AS cluster,
       (SELECT string_agg(f.code_id, ' ' ORDER BY f.code_id) FROM effective_codings f
        WHERE f.excerpt_id = e.excerpt_id) AS codes"""


def full_text(con, query: str, codes: Sequence[str] = (), where: Sequence[Condition] = (),
              limit: int = 20) -> list[tuple]:
    """BM25 (k1 1.2, b 0.75: the fts extension's own formula and defaults) over the index
    tables directly: scoring only the documents that contain a query term, instead of
    ``match_bm25`` evaluated for every excerpt, keeps a million-excerpt search fast."""
    if not has_index(con):
        raise WarehouseError("the warehouse has no full-text index yet: run `matcoder warehouse index`")
    load_fts(con)
    clause, values = _filters(codes, where)
    return con.execute(f"""
        WITH tokens AS (SELECT DISTINCT stem(unnest(fts_main_excerpts.tokenize(?)), 'english') AS t),
        term_tf AS (
            SELECT terms.termid, terms.docid, count(*) AS tf
            FROM fts_main_excerpts.terms terms JOIN fts_main_excerpts.dict dict USING (termid)
            JOIN tokens ON dict.term = tokens.t
            GROUP BY ALL),
        scores AS (
            SELECT t.docid, sum(log(((st.num_docs - d.df + 0.5) / (d.df + 0.5)) + 1)
                               * ((t.tf * 2.2) / (t.tf + 1.2 * (0.25 + 0.75 * docs.len / st.avgdl)))) AS score
            FROM term_tf t JOIN fts_main_excerpts.dict d USING (termid)
            JOIN fts_main_excerpts.docs docs USING (docid), fts_main_excerpts.stats st
            GROUP BY t.docid),
        top AS (
            SELECT e.excerpt_id, s.score
            FROM scores s JOIN fts_main_excerpts.docs d USING (docid)
            JOIN excerpts e ON e.excerpt_id = d.name JOIN interviews i USING (interview_id)
            WHERE true {clause}
            ORDER BY s.score DESC, e.excerpt_id LIMIT ?)
        {_SELECT}, round(top.score, 4) AS score, e.text
        FROM top JOIN excerpts e USING (excerpt_id) JOIN interviews i USING (interview_id)
        ORDER BY top.score DESC, e.excerpt_id""", [query, *values, limit]).fetchall()


def full_text_reference(con, query: str, limit: int = 20) -> list[tuple[str, float]]:
    """The extension's own ``match_bm25`` over every excerpt (slow; the tests compare)."""
    load_fts(con)
    return con.execute("""SELECT excerpt_id, round(score, 4) FROM (SELECT excerpt_id,
        fts_main_excerpts.match_bm25(excerpt_id, ?) AS score FROM excerpts) WHERE score IS NOT NULL
        ORDER BY score DESC, excerpt_id LIMIT ?""", [query, limit]).fetchall()


def semantic(con, query: str, codes: Sequence[str] = (), where: Sequence[Condition] = (),
             limit: int = 20, encoder=None) -> list[tuple]:
    """Excerpts closest in meaning to ``query`` (vectors come from the embedding cache,
    so only excerpts never encoded before cost time)."""
    from matcoder.models.embedding.encoder import Encoder

    clause, values = _filters(codes, where)
    rows = con.execute(f"""{_SELECT}, e.text FROM excerpts e JOIN interviews i USING (interview_id)
        WHERE true {clause} ORDER BY e.excerpt_id""", values).fetchall()
    if not rows:
        return []
    encoder = encoder or Encoder()
    vectors = encoder.encode([r[-1] for r in rows])
    q = encoder.encode([query])[0]
    sims = vectors @ q
    order = np.argsort(-sims, kind="stable")[:limit]
    return [(*rows[k][:-1], round(float(sims[k]), 4), rows[k][-1]) for k in order]
