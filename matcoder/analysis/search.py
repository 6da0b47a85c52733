"""Search over excerpts: full text (DuckDB's ``fts`` extension, BM25, English stemmer)
and semantic (cosine similarity of all-MiniLM-L6-v2 embeddings to a query sentence),
both filterable by code and case attribute. Rows carry the source text; whoever shows
them pseudonymises it (``matcoder search`` does, per interview).

The index and the extension are ``warehouse/fts.py``'s.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from matcoder.errors import WarehouseError
from matcoder.warehouse.fts import has_index, load_fts
from matcoder.warehouse.filters import Condition, code_sql, where_sql

COLUMNS = ["interview_id", "excerpt_id", "case", "cluster", "codes", "score", "text"]


def _filters(codes: Sequence[str], where: Sequence[Condition]) -> tuple[str, list]:
    clause, values = where_sql(where)
    match, code_values = code_sql(codes, "f.code_id")
    if match:
        clause += f" AND EXISTS (SELECT 1 FROM effective_codings f WHERE f.excerpt_id = e.excerpt_id AND {match})"
        values += code_values
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
    top = con.execute(f"""
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
            GROUP BY t.docid)
        SELECT e.excerpt_id, round(s.score, 4)
        FROM scores s JOIN fts_main_excerpts.docs d USING (docid)
        JOIN excerpts e ON e.excerpt_id = d.name JOIN interviews i USING (interview_id)
        WHERE true {clause}
        ORDER BY s.score DESC, e.excerpt_id LIMIT ?""", [query, *values, limit]).fetchall()
    return _details(con, top)


def full_text_reference(con, query: str, limit: int = 20) -> list[tuple[str, float]]:
    """The extension's own ``match_bm25`` over every excerpt (slow; the tests compare)."""
    load_fts(con)
    return con.execute("""SELECT excerpt_id, round(score, 4) FROM (SELECT excerpt_id,
        fts_main_excerpts.match_bm25(excerpt_id, ?) AS score FROM excerpts) WHERE score IS NOT NULL
        ORDER BY score DESC, excerpt_id LIMIT ?""", [query, limit]).fetchall()


def semantic(con, query: str, codes: Sequence[str] = (), where: Sequence[Condition] = (),
             limit: int = 20, encoder=None) -> list[tuple]:
    """Excerpts closest in meaning to ``query``, read as the coder reads them (names as
    roles), so their vectors come from the embedding cache and only excerpts never
    encoded before cost time."""
    from matcoder.models.embedding.encoder import Encoder
    from matcoder.models.embedding.roles import embedding_text
    from matcoder.privacy.pseudonymise import WarehouseNames

    clause, values = _filters(codes, where)
    rows = con.execute(f"""SELECT e.excerpt_id, e.interview_id, e.text FROM excerpts e
        JOIN interviews i USING (interview_id) WHERE true {clause} ORDER BY e.excerpt_id""", values).fetchall()
    if not rows:
        return []
    encoder = encoder or Encoder()
    names = WarehouseNames(con)
    vectors = encoder.encode([embedding_text(names.text(iid, text)) for _, iid, text in rows])
    sims = vectors @ encoder.encode([query])[0]
    order = np.argsort(-sims, kind="stable")[:limit]
    return _details(con, [(rows[k][0], round(float(sims[k]), 4)) for k in order])


def _details(con, scored: list[tuple[str, float]]) -> list[tuple]:
    """Result rows (``COLUMNS``) for ranked (excerpt_id, score) pairs, in their order;
    the case and codes are looked up for these excerpts only."""
    ids = [e for e, _ in scored]
    found = {r[1]: r for r in con.execute(
        f"""{_SELECT}, e.text FROM excerpts e JOIN interviews i USING (interview_id)
        WHERE e.excerpt_id IN (SELECT unnest(?::VARCHAR[]))""", [ids]).fetchall()}
    return [(*found[e][:-1], score, found[e][-1]) for e, score in scored]
