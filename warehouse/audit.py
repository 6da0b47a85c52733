"""``matcoder audit EXCERPT_ID``: everything the warehouse knows about one excerpt's
codings, oldest first: the runs that loaded or recoded its interview, each current
coding with its run, codebook hash and model version (or reviewer and time), codings
retired since, and its Label Studio tasks and reviews."""
from __future__ import annotations

import json

from matcoder.warehouse.connect import fetch_dicts as _rows


def history(con, excerpt_id: str) -> dict | None:
    excerpt = _rows(con, 'SELECT excerpt_id, interview_id, turn, start, "end", text FROM excerpts '
                         "WHERE excerpt_id = ?", [excerpt_id])
    retired = _rows(con, "SELECT * FROM retired_codings WHERE excerpt_id = ? ORDER BY created_at", [excerpt_id])
    if not excerpt and not retired:
        return None
    interview_id = excerpt[0]["interview_id"] if excerpt else excerpt_id.split(":", 1)[0]
    out: dict = {"excerpt": excerpt[0] if excerpt else None}
    out["interview"] = (_rows(con, "SELECT interview_id, source_file, content_hash, pseudonym, coder, codebook_hash, "
                                   "run_id, loaded_at FROM interviews WHERE interview_id = ?", [interview_id]) or [None])[0]
    out["runs"] = _rows(con, """
        SELECT r.run_id, r.started_at, r.finished_at, r.status, r.coder, r.codebook_hash, r.matcoder_version,
               f.outcome, f.problem
        FROM run_files f JOIN runs r USING (run_id)
        WHERE f.source_file = (SELECT source_file FROM interviews WHERE interview_id = ?)
        ORDER BY r.started_at""", [interview_id])
    codings = _rows(con, "SELECT coding_id, code_id, weight, score, source, agent, agent_version, codebook_hash, "
                         "run_id, reviewer, created_at, needs_review, evidence FROM codings WHERE excerpt_id = ? "
                         "ORDER BY created_at, source, code_id", [excerpt_id])
    for c in codings + retired:
        if isinstance(c.get("evidence"), str):
            c["evidence"] = json.loads(c["evidence"])
    out["codings"] = codings
    out["retired_codings"] = retired
    out["review_tasks"] = _rows(con, "SELECT * FROM review_tasks WHERE excerpt_id = ? ORDER BY pushed_at", [excerpt_id])
    out["reviews"] = _rows(con, "SELECT * FROM reviews WHERE excerpt_id = ? ORDER BY reviewed_at", [excerpt_id])
    out["effective"] = _rows(con, "SELECT code_id, weight, basis, votes, reviewers FROM effective_codings "
                                  "WHERE excerpt_id = ? ORDER BY code_id", [excerpt_id])
    return out
