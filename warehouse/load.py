"""Writing to the warehouse. Each function that changes an interview does it in one
transaction, so a run killed at any point leaves every interview either as it was or
fully updated. Rows arrive as the plain records below; this module knows SQL only."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields
from datetime import datetime, timezone
from typing import Any, Iterator, Sequence

import duckdb


@dataclass(frozen=True)
class CodeRow:
    code_id: str
    family: str
    label: str
    definition: str
    weighted: bool
    codebook_hash: str


@dataclass(frozen=True)
class InterviewRow:
    interview_id: str
    source_file: str
    source_format: str
    content_hash: str
    pseudonym: str | None
    n_schools: int | None
    n_pupils: int | None
    phase: str | None
    school_type: str | None
    geography: str | None
    grew_rapidly: bool | None
    strategy_cluster: int | None
    performance: str | None
    has_case_row: bool
    coder: str
    codebook_hash: str
    run_id: str
    loaded_at: datetime


ATTRIBUTES = ("pseudonym", "n_schools", "n_pupils", "phase", "school_type", "geography",
              "grew_rapidly", "strategy_cluster", "performance", "has_case_row")


@dataclass(frozen=True)
class TurnRow:
    interview_id: str
    turn: int
    speaker: str
    role: str
    timestamp: str | None
    text: str


@dataclass(frozen=True)
class ExcerptRow:
    excerpt_id: str
    interview_id: str
    turn: int
    start: int
    end: int
    text: str
    question: str | None


@dataclass(frozen=True)
class CodingRow:
    coding_id: str
    excerpt_id: str
    code_id: str
    weight: int | None
    score: float | None
    source: str
    agent: str
    agent_version: str
    codebook_hash: str
    run_id: str | None
    reviewer: str | None
    created_at: datetime
    evidence: str | None
    needs_review: bool = False


CODING_COLUMNS = ("coding_id, excerpt_id, code_id, weight, score, source, agent, agent_version, codebook_hash, "
                  "run_id, reviewer, created_at, evidence, needs_review")


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _json_value(value: Any, column_type: str) -> Any:
    """A row's value as the JSON reader should see it: a timestamp as ISO text, and for a
    JSON column the document a string holds (written as a string it would be stored as a
    JSON string, out of reach of SQL's JSON paths)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if column_type == "JSON" and isinstance(value, str):
        return json.loads(value)
    return value


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Any]) -> None:
    """Bulk-insert dataclass rows: written as newline-delimited JSON to a temporary file
    and read back by DuckDB's JSON reader with the table's own column types (binding
    thousands of parameters was the slowest part of a load). Runs inside the caller's
    transaction."""
    if not rows:
        return
    names = [f.name for f in fields(type(rows[0]))]
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?",
                             [table]).fetchall())
    spec = ", ".join(f"'{n}': '{types[n]}'" for n in names)
    cols = ", ".join(f'"{n}"' for n in names)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as fh:
        for row in rows:
            fh.write(json.dumps({n: _json_value(getattr(row, n), types[n]) for n in names}, ensure_ascii=False) + "\n")
        path = fh.name
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM read_json(?, format = 'newline_delimited', "
                    f"columns = {{{spec}}})", [path])
    finally:
        os.unlink(path)


@contextmanager
def transaction(con) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back on any exception
    (including KeyboardInterrupt), which then propagates."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def register_codes(con: duckdb.DuckDBPyConnection, codes: Sequence[CodeRow]) -> None:
    with transaction(con):
        for code in codes:
            con.execute("INSERT OR REPLACE INTO codes VALUES (?, ?, ?, ?, ?, ?)", list(astuple(code)))


def start_run(con, run_id: str, source_dir: str, codebook_hash: str, coder: str, version: str) -> None:
    con.execute("INSERT INTO runs (run_id, started_at, status, source_dir, codebook_hash, coder, "
                "matcoder_version) VALUES (?, ?, 'running', ?, ?, ?, ?)",
                [run_id, now(), source_dir, codebook_hash, coder, version])


def finish_run(con, run_id: str, status: str, summary: dict) -> None:
    con.execute("UPDATE runs SET status = ?, finished_at = ?, summary = ? WHERE run_id = ?",
                [status, now(), json.dumps(summary), run_id])


def record_file(con, run_id: str, source_file: str, outcome: str, problem: str | None = None) -> None:
    con.execute("INSERT OR REPLACE INTO run_files VALUES (?, ?, ?, ?)", [run_id, source_file, outcome, problem])


def interview_state(con, interview_id: str) -> tuple[str, str, str, str] | None:
    """(content_hash, coder, codebook_hash, source_file) of a loaded interview, or None."""
    return con.execute("SELECT content_hash, coder, codebook_hash, source_file FROM interviews "
                       "WHERE interview_id = ?", [interview_id]).fetchone()


def excerpt_ids(con, interview_id: str) -> set[str]:
    return {i for (i,) in con.execute("SELECT excerpt_id FROM excerpts WHERE interview_id = ?", [interview_id]).fetchall()}


def _model_codings_of(interview_id: str) -> str:
    return ("DELETE FROM codings WHERE source <> 'human' AND excerpt_id IN "
            f"(SELECT excerpt_id FROM excerpts WHERE interview_id = {_q(interview_id)})")


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class _Pair:
    excerpt_id: str
    text: str


@dataclass(frozen=True)
class NewInterview:
    """Everything one interview the warehouse does not hold yet brings to it."""
    interview: InterviewRow
    turns: Sequence[TurnRow]
    excerpts: Sequence[ExcerptRow]
    codings: Sequence[CodingRow]
    source_file: str


def insert_new_interviews(con, batch: Sequence[NewInterview], run_id: str) -> None:
    """Insert interviews that are not in the warehouse, with their run_files rows, in one
    transaction: the batch lands whole or not at all. Nothing of theirs exists yet, so
    there is nothing to retire or delete, and one insert per table serves them all (per
    interview, the statements cost a 4,000-excerpt load most of its 10 s)."""
    if not batch:
        return
    with transaction(con):
        insert_rows(con, "interviews", [b.interview for b in batch])
        insert_rows(con, "turns", [t for b in batch for t in b.turns])
        insert_rows(con, "excerpts", [e for b in batch for e in b.excerpts])
        insert_rows(con, "codings", [c for b in batch for c in b.codings])
        refresh_code_pairs(con, [b.interview.interview_id for b in batch])
        for b in batch:
            record_file(con, run_id, b.source_file, "loaded")


def replace_interview(con, interview: InterviewRow, turns: Sequence[TurnRow],
                      excerpts: Sequence[ExcerptRow], codings: Sequence[CodingRow]) -> int:
    """Replace everything of one interview in one transaction. Human codings whose
    excerpt survives unchanged (same id, same text) stay; the others move to
    ``retired_codings``. Returns how many human codings were retired."""
    iid = interview.interview_id
    with transaction(con):
        con.execute("CREATE TEMP TABLE IF NOT EXISTS new_excerpts (excerpt_id VARCHAR, text VARCHAR)")
        con.execute("DELETE FROM new_excerpts")
        insert_rows(con, "new_excerpts", [_Pair(e.excerpt_id, e.text) for e in excerpts])
        vanished = """FROM codings c JOIN excerpts e USING (excerpt_id)
            WHERE e.interview_id = ? AND c.source = 'human'
              AND NOT EXISTS (SELECT 1 FROM new_excerpts n WHERE n.excerpt_id = c.excerpt_id AND n.text = e.text)"""
        retired = con.execute(f"SELECT count(*) {vanished}", [iid]).fetchone()[0]
        if retired:
            con.execute(f"INSERT INTO retired_codings ({CODING_COLUMNS}, retired_by_run, reason) "
                        f"SELECT {', '.join('c.' + c.strip() for c in CODING_COLUMNS.split(','))}, ?, "
                        f"'excerpt changed when its transcript changed' {vanished}", [interview.run_id, iid])
            con.execute(f"DELETE FROM codings WHERE coding_id IN (SELECT c.coding_id {vanished})", [iid])
        con.execute(_model_codings_of(iid))
        con.execute("DELETE FROM excerpts WHERE interview_id = ?", [iid])
        con.execute("DELETE FROM turns WHERE interview_id = ?", [iid])
        con.execute("DELETE FROM interviews WHERE interview_id = ?", [iid])
        insert_rows(con, "interviews", [interview])
        insert_rows(con, "turns", turns)
        insert_rows(con, "excerpts", excerpts)
        insert_rows(con, "codings", codings)
        refresh_code_pairs(con, [iid])
    return retired


def recode_interview(con, interview: InterviewRow, codings: Sequence[CodingRow]) -> None:
    """Same transcript, new coder or codebook: replace model codings, keep the rest."""
    with transaction(con):
        con.execute(_model_codings_of(interview.interview_id))
        insert_rows(con, "codings", codings)
        refresh_code_pairs(con, [interview.interview_id])
        _set_attributes(con, interview, with_coder=True)


def _set_attributes(con, interview: InterviewRow, with_coder: bool) -> None:
    cols = list(ATTRIBUTES) + ["source_file"] + (["coder", "codebook_hash", "run_id", "loaded_at"] if with_coder else [])
    sets = ", ".join(f"{c} = ?" for c in cols)
    con.execute(f"UPDATE interviews SET {sets} WHERE interview_id = ?",
                [getattr(interview, c) for c in cols] + [interview.interview_id])


def update_attributes(con, interview: InterviewRow) -> bool:
    """Refresh case attributes of an unchanged interview; True when something changed."""
    current = con.execute(f"SELECT {', '.join(ATTRIBUTES)}, source_file FROM interviews WHERE interview_id = ?",
                          [interview.interview_id]).fetchone()
    wanted = tuple(getattr(interview, c) for c in ATTRIBUTES) + (interview.source_file,)
    if current == wanted:
        return False
    _set_attributes(con, interview, with_coder=False)
    return True


def interview_ids(con, given: Sequence[str]) -> list[str]:
    """The interview ids ``given`` names, each as an id or as its transcript's file name or
    path (``mat27_teams.vtt`` is ``mat27-teams``, see ``interview_id_of``); a UsageError names the first one the
    warehouse does not hold, which a command would otherwise pass over in silence."""
    from matcoder.errors import UsageError
    from matcoder.ingest.reader import interview_id_of

    known = {i for (i,) in con.execute("SELECT interview_id FROM interviews").fetchall()}
    out = []
    for value in given:
        iid = value if value in known else interview_id_of(value)
        if iid not in known:
            raise UsageError(f"interview {value!r} is not in the warehouse")
        out.append(iid)
    return out


def remove_interview(con, interview_id: str) -> dict[str, int]:
    """Delete one interview in one transaction; its human codings move to retired_codings.
    Returns what was removed (empty when the interview is not there)."""
    if interview_state(con, interview_id) is None:
        return {}
    in_interview = "excerpt_id IN (SELECT excerpt_id FROM excerpts WHERE interview_id = ?)"
    with transaction(con):
        counts = {
            "codings": con.execute(f"SELECT count(*) FROM codings WHERE {in_interview}", [interview_id]).fetchone()[0],
            "excerpts": con.execute("SELECT count(*) FROM excerpts WHERE interview_id = ?", [interview_id]).fetchone()[0],
        }
        con.execute(f"INSERT INTO retired_codings ({CODING_COLUMNS}, retired_by_run, reason) "
                    f"SELECT {CODING_COLUMNS}, NULL, 'interview removed' FROM codings "
                    f"WHERE source = 'human' AND {in_interview}", [interview_id])
        con.execute(f"DELETE FROM codings WHERE {in_interview}", [interview_id])
        for table in ("excerpts", "turns", "interviews"):
            con.execute(f"DELETE FROM {table} WHERE interview_id = ?", [interview_id])
        refresh_code_pairs(con, [interview_id])
    return counts


def refresh_code_pairs(con, interview_ids: Sequence[str] | None) -> None:
    """Recompute the ``code_pairs`` rows of these interviews (all of them: None) from
    their codings and reviews. Every writer that changes either calls it inside its own
    transaction, so the co-occurrence summary is never out of step with the codings."""
    ids = None if interview_ids is None else sorted(set(interview_ids))
    if ids == []:
        return
    con.execute("DELETE FROM code_pairs WHERE $ids IS NULL OR list_contains($ids, interview_id)", {"ids": ids})
    con.execute("INSERT INTO code_pairs SELECT * FROM code_pairs_of(?)", [ids])


def human_codings(con) -> list[tuple[str, str, str | None, str, str | None, int | None]]:
    """(excerpt_id, text, question, reviewer, code_id, weight) of every human coding, plus
    one row with code_id None for every verdict (a review that rejected every proposal
    still says which codes the excerpt does not take)."""
    return con.execute(
        "SELECT e.excerpt_id, e.text, e.question, c.reviewer, c.code_id, c.weight FROM codings c "
        "JOIN excerpts e USING (excerpt_id) WHERE c.source = 'human' "
        "UNION ALL SELECT e.excerpt_id, e.text, e.question, r.reviewer, NULL, NULL FROM reviews r "
        "JOIN excerpts e USING (excerpt_id) WHERE NOT r.cancelled ORDER BY 1, 4, 5 NULLS FIRST").fetchall()
