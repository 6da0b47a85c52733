"""``matcoder review push``: excerpts to Label Studio as tasks, with the coder's
proposals as predictions.

- One project per title (default ``matcoder review``), created on first push with the
  labelling config generated from the codebook; the config is replaced when the
  codebook changes.
- An excerpt is never pushed twice to a project: ``review_tasks`` records each task,
  and before choosing excerpts the push reconciles with the server (tasks a killed push
  created but never recorded are recorded now, as ``recovered``).
- Excerpts already in the project whose interview was coded by another model version
  since get fresh predictions, and the project's model version follows the coder (Label
  Studio shows only predictions whose version matches the project's).
- Strategies: ``uncertain`` (flagged codings, then lowest scores first), ``random`` (a
  seeded sample: the unbiased set for agreement estimates), ``filter`` (document
  order). Filters (interview, code, case attribute) apply to all three.
"""
from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from matcoder.codebook.loader import codebook_hash
from matcoder.codebook.schema import Codebook
from matcoder.models.base import weight_probability
from matcoder.privacy.pseudonymise import WarehouseNames
from matcoder.review.client import LabelStudio
from matcoder.review.config import TEXT, config_hash, label_config, weight_tag
from matcoder.review.server import ReviewError
from matcoder.warehouse.connect import fetch_dicts
from matcoder.warehouse.filters import Condition, code_sql, where_sql
from matcoder.warehouse.load import now

STRATEGIES = ("uncertain", "random", "filter")
DEFAULT_PROJECT = "matcoder review"
BATCH = 250


@dataclass
class PushOptions:
    project: str = DEFAULT_PROJECT
    strategy: str = "uncertain"
    limit: int | None = 200
    seed: int = 0
    interviews: Sequence[str] = ()
    codes: Sequence[str] = ()
    where: Sequence[Condition] = ()


@dataclass
class PushResult:
    project_id: int
    url: str
    pushed: int = 0
    recovered: int = 0
    refreshed: int = 0
    already: int = 0
    model_versions: dict[str, int] = field(default_factory=dict)


def case_line(row: dict) -> str:
    """What the reviewer sees about the case: pseudonym and attributes, never a name."""
    parts = [row["pseudonym"] or "case without pseudonym"]
    if row["strategy_cluster"] is not None:
        parts.append(f"cluster {row['strategy_cluster']}")
    if row["n_schools"] is not None:
        parts.append(f"{row['n_schools']} schools")
    if row["n_pupils"] is not None:
        parts.append(f"{row['n_pupils']:,} pupils")
    for key, label in (("phase", "phase"), ("school_type", "schools"), ("performance", "performing")):
        if row[key]:
            parts.append(f"{row[key]} {label}")
    if row["geography"]:
        parts.append(row["geography"].replace("_", " ").replace("1h", "1 hour"))
    if row["grew_rapidly"] is not None:
        parts.append("grew rapidly" if row["grew_rapidly"] else "steady growth")
    return " · ".join(parts)


def _ensure_project(con, ls: LabelStudio, book: Codebook, title: str, model_version: str | None) -> int:
    config = label_config(book)
    chash = config_hash(config)
    row = con.execute("SELECT project_id, config_hash FROM review_projects WHERE server = ? AND title = ?",
                      [ls.url, title]).fetchone()
    project = ls.project(row[0]) if row else None
    if project is None:
        project = ls.find_project(title) or ls.create_project(
            title, config, "Review machine-proposed codes (codebook " + book.version + "). Tick the codes the "
            "excerpt shows, untick wrong ones, set each area's centralisation (1-3). Skip only if unreadable.",
            model_version)
        con.execute("DELETE FROM review_projects WHERE server = ? AND title = ?", [ls.url, title])
        con.execute("INSERT INTO review_projects (server, project_id, title, config_hash, codebook_hash, "
                    "model_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [ls.url, project["id"], title, "", codebook_hash(book), model_version, now()])
    pid = int(project["id"])
    if project.get("label_config") != config:
        ls.update_project(pid, label_config=config)
    con.execute("UPDATE review_projects SET config_hash = ?, codebook_hash = ? WHERE server = ? AND project_id = ?",
                [chash, codebook_hash(book), ls.url, pid])
    return pid


def _reconcile(con, ls: LabelStudio, pid: int) -> int:
    """Record tasks the server has but the warehouse does not (a push killed between the
    import and its record). Returns how many were recovered."""
    recorded = con.execute("SELECT count(*) FROM review_tasks WHERE server = ? AND project_id = ?",
                           [ls.url, pid]).fetchone()[0]
    project = ls.project(pid) or {}
    if project.get("task_number", recorded) == recorded:
        return 0
    known = {e for (e,) in con.execute("SELECT excerpt_id FROM review_tasks WHERE server = ? AND project_id = ?",
                                       [ls.url, pid]).fetchall()}
    missing = []
    for task in ls.tasks(pid, fields="task_only"):
        excerpt_id = (task.get("data") or {}).get("excerpt_id")
        if excerpt_id and excerpt_id not in known:
            known.add(excerpt_id)
            missing.append((ls.url, pid, excerpt_id, task["id"], None, "recovered", now()))
    if missing:
        con.executemany("INSERT INTO review_tasks VALUES (?, ?, ?, ?, ?, ?, ?)", missing)
    return len(missing)


def _candidates(con, ls: LabelStudio, pid: int, opts: PushOptions) -> list[str]:
    where, params = where_sql(opts.where)
    if opts.interviews:
        where += f" AND e.interview_id IN ({', '.join('?' * len(opts.interviews))})"
        params += list(opts.interviews)
    match, code_values = code_sql(opts.codes, "c.code_id")
    if match:
        where += f" AND EXISTS (SELECT 1 FROM effective_codings c WHERE c.excerpt_id = e.excerpt_id AND {match})"
        params += code_values
    rows = con.execute(f"""
        SELECT e.excerpt_id,
               coalesce(bool_or(c.needs_review), false) AS flagged,
               min(c.score) AS low, count(c.code_id) AS n
        FROM excerpts e JOIN interviews i USING (interview_id)
        LEFT JOIN codings c ON c.excerpt_id = e.excerpt_id AND c.source <> 'human'
        WHERE NOT EXISTS (SELECT 1 FROM review_tasks t WHERE t.server = ? AND t.project_id = ?
                          AND t.excerpt_id = e.excerpt_id) {where}
        GROUP BY e.excerpt_id, e.interview_id, e.turn, e.start
        ORDER BY e.interview_id, e.turn, e.start""", [ls.url, pid, *params]).fetchall()
    ids = [r[0] for r in rows]
    if opts.strategy == "random":
        random.Random(opts.seed).shuffle(ids)
    elif opts.strategy == "uncertain":
        order = {r[0]: (not r[1], r[3] == 0, r[2] if r[2] is not None else 1.0) for r in rows}
        ids.sort(key=order.__getitem__)
    return ids[:opts.limit] if opts.limit else ids


def _excerpt_rows(con, excerpt_ids: Sequence[str]) -> list[dict]:
    """The excerpts with their case attributes and model proposals, in the given order."""
    ids = list(excerpt_ids)
    return fetch_dicts(con, """
        SELECT e.excerpt_id, e.interview_id, e.text, e.question, i.coder, i.pseudonym, i.n_schools, i.n_pupils,
               i.phase, i.school_type, i.geography, i.grew_rapidly, i.strategy_cluster, i.performance,
               list({'code': c.code_id, 'weight': c.weight, 'score': c.score, 'source': c.source,
                     'flag': c.needs_review, 'evidence': c.evidence}
                    ORDER BY c.code_id) FILTER (WHERE c.code_id IS NOT NULL) AS proposals
        FROM excerpts e JOIN interviews i USING (interview_id)
        LEFT JOIN codings c ON c.excerpt_id = e.excerpt_id AND c.source <> 'human'
        WHERE e.excerpt_id IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY ALL ORDER BY min(list_position(?::VARCHAR[], e.excerpt_id))""", [ids, ids])


def prediction(row: dict, book: Codebook) -> dict:
    """The coder's proposals as one Label Studio prediction (codes per family, weights
    per area code); the score is the least confident proposal's."""
    proposals = row["proposals"] or []
    result = []
    for family in book.families:
        chosen = [p["code"] for p in proposals if p["code"].startswith(family + ".")]
        if chosen:
            result.append({"from_name": family, "to_name": TEXT, "type": "choices", "value": {"choices": chosen}})
    for p in proposals:
        if p["weight"] is not None:
            result.append({"from_name": weight_tag(p["code"]), "to_name": TEXT, "type": "choices",
                           "value": {"choices": [str(p["weight"])]}})
    scores = [p["score"] for p in proposals if p["score"] is not None]
    return {"model_version": row["coder"], "score": round(min(scores), 4) if scores else 1.0, "result": result}


def _weight_p(evidence: str | None) -> float | None:
    """The weight classifier's probability for the weight it set, from a coding's evidence."""
    return weight_probability([e["rule"] for e in json.loads(evidence)]) if evidence else None


def _proposals_text(row: dict) -> str:
    """One line per proposal: code, weight (with the weight classifier's probability when
    it set the weight), score, source, and ``(check)`` when flagged for review."""
    lines = []
    for p in row["proposals"] or []:
        weight = f" weight {p['weight']}" if p["weight"] is not None else ""
        wp = _weight_p(p["evidence"]) if p["weight"] is not None else None
        weight += f" (p {wp:.2f})" if wp is not None else ""
        flag = " (check)" if p["flag"] else ""
        lines.append(f"{p['code']}{weight}: score {p['score']:.2f} from {p['source']}{flag}")
    return "\n".join(lines) or "no codes proposed"


def task(row: dict, book: Codebook, names: WarehouseNames) -> dict:
    return {"data": {"excerpt_id": row["excerpt_id"], "text": names.shareable(row, "text"),
                     "question": names.shareable(row, "question") or "(no question: the answer opens the interview)",
                     "case": case_line(row), "proposals": _proposals_text(row)},
            "predictions": [prediction(row, book)]}


def _refresh(con, ls: LabelStudio, pid: int, book: Codebook) -> int:
    """New predictions for tasks whose interview was recoded by another model version."""
    stale = [r[0] for r in con.execute("""
        SELECT t.excerpt_id FROM review_tasks t JOIN excerpts e USING (excerpt_id) JOIN interviews i USING (interview_id)
        WHERE t.server = ? AND t.project_id = ? AND t.model_version IS DISTINCT FROM i.coder""",
                                       [ls.url, pid]).fetchall()]
    for start in range(0, len(stale), BATCH):
        rows = _excerpt_rows(con, stale[start:start + BATCH])
        tasks = dict(con.execute(
            f"SELECT excerpt_id, task_id FROM review_tasks WHERE server = ? AND project_id = ? AND excerpt_id IN "
            f"({', '.join('?' * len(rows))})", [ls.url, pid, *[r['excerpt_id'] for r in rows]]).fetchall())
        ls.import_predictions(pid, [{"task": tasks[r["excerpt_id"]], **prediction(r, book)} for r in rows])
        con.executemany("UPDATE review_tasks SET model_version = ? WHERE server = ? AND project_id = ? "
                        "AND excerpt_id = ?", [(r["coder"], ls.url, pid, r["excerpt_id"]) for r in rows])
    return len(stale)


def push(con, ls: LabelStudio, book: Codebook, opts: PushOptions) -> PushResult:
    """Push excerpts chosen by ``opts``; each batch is recorded as soon as the server has
    it, so an interrupted push resumes without duplicates."""
    if opts.strategy not in STRATEGIES:
        raise ReviewError(f"unknown strategy {opts.strategy!r}: choose one of {', '.join(STRATEGIES)}")
    names = WarehouseNames(con)  # excerpt text leaves pseudonymised, always
    versions = Counter(v for (v,) in con.execute("SELECT coder FROM interviews").fetchall())
    current = versions.most_common(1)[0][0] if versions else None
    pid = _ensure_project(con, ls, book, opts.project, current)
    result = PushResult(pid, f"{ls.url}/projects/{pid}/data", model_versions=dict(versions))
    result.recovered = _reconcile(con, ls, pid)
    ids = _candidates(con, ls, pid, opts)
    for start in range(0, len(ids), BATCH):
        rows = _excerpt_rows(con, ids[start:start + BATCH])
        task_ids = ls.import_tasks(pid, [task(r, book, names) for r in rows])
        stamp = now()
        con.executemany("INSERT INTO review_tasks VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(ls.url, pid, r["excerpt_id"], t, r["coder"], opts.strategy, stamp)
                         for r, t in zip(rows, task_ids)])
        result.pushed += len(rows)
    result.refreshed = _refresh(con, ls, pid, book)
    if current:
        ls.update_project(pid, model_version=current)
        con.execute("UPDATE review_projects SET model_version = ? WHERE server = ? AND project_id = ?",
                    [current, ls.url, pid])
    result.already = con.execute("SELECT count(*) FROM review_tasks WHERE server = ? AND project_id = ?",
                                 [ls.url, pid]).fetchone()[0] - result.pushed - result.recovered
    return result
