"""``matcoder review pull``: reviewer verdicts from Label Studio to ``human`` codings.

- Only tasks the server changed since the last pull are fetched (``pulled_until``, the
  newest task update seen, less a safety margin); applying a verdict twice changes
  nothing, so the margin costs no duplicates.
- Each annotation is a verdict by one reviewer: its codes replace that reviewer's
  earlier codes on the excerpt (a corrected annotation corrects the warehouse); an
  annotation with no codes rejects every proposal; a skipped (cancelled) annotation is
  recorded in ``reviews`` but is no verdict and carries no code; an annotation deleted
  on the server takes its codes with it.
- Model codings are never touched: ``effective_codings`` lets the human ones win, and
  agreement statistics compare the two.
- The whole pull is one transaction: killed half way, it leaves the warehouse as it
  was and the next pull starts from the same point.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from matcoder.codebook.loader import codebook_hash
from matcoder.codebook.schema import Codebook
from matcoder.records import coding_id
from matcoder.review.client import LabelStudio
from matcoder.review.config import code_of_weight_tag
from matcoder.review.push import DEFAULT_PROJECT
from matcoder.review.server import ReviewError
from matcoder.warehouse.load import CODING_COLUMNS, CodingRow, insert_rows, now, refresh_code_pairs, transaction

AGENT = "labelstudio"
MARGIN = timedelta(seconds=5)


@dataclass
class PullResult:
    project_id: int
    tasks_seen: int = 0
    verdicts: int = 0
    unchanged: int = 0
    cancelled: int = 0
    deleted: int = 0
    human_codings: int = 0
    orphaned: int = 0
    unknown_codes: dict[str, int] = field(default_factory=dict)


def parse_time(value: str) -> datetime:
    """Label Studio's ISO time (``...Z``) as naive UTC, the warehouse's convention."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)


def codes_of(result: list[dict], book: Codebook, unknown: dict[str, int]) -> dict[str, int | None]:
    """An annotation's result -> {code: weight}. Choice values are code IDs; a weight
    counts only for a code the reviewer kept."""
    known = set(book.ids())
    codes: dict[str, int | None] = {}
    weights: dict[str, int] = {}
    for item in result or []:
        if item.get("type") != "choices":
            continue
        name = item.get("from_name", "")
        choices = (item.get("value") or {}).get("choices") or []
        weight_code = code_of_weight_tag(name)
        if weight_code and choices and str(choices[0]) in ("1", "2", "3"):
            weights[weight_code] = int(choices[0])
        elif name in book.families:
            for choice in choices:
                if choice in known:
                    codes[choice] = None
                else:
                    unknown[choice] = unknown.get(choice, 0) + 1
    for code in codes:
        if book.is_weighted(code):
            codes[code] = weights.get(code)
    return codes


def _watermark(con, ls: LabelStudio, pid: int) -> str | None:
    row = con.execute("SELECT pulled_until FROM review_projects WHERE server = ? AND project_id = ?",
                      [ls.url, pid]).fetchone()
    if not row or not row[0]:
        return None
    return (parse_time(row[0]) - MARGIN).isoformat() + "Z"


def _project_id(con, ls: LabelStudio, title: str) -> int:
    row = con.execute("SELECT project_id FROM review_projects WHERE server = ? AND title = ?",
                      [ls.url, title]).fetchone()
    if row is None:
        raise ReviewError(f"no project {title!r} on {ls.url} in this warehouse: push excerpts first "
                          "(`matcoder review push`)")
    if ls.project(row[0]) is None:
        raise ReviewError(f"project {title!r} (id {row[0]}) is gone from {ls.url}")
    return row[0]


@dataclass(frozen=True)
class ReviewRow:
    server: str
    project_id: int
    annotation_id: int
    task_id: int
    excerpt_id: str
    reviewer: str
    cancelled: bool
    n_codes: int
    reviewed_at: datetime
    updated_at: str
    pulled_at: datetime


@dataclass
class _Changes:
    reviews: list[ReviewRow] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)  # annotation ids deleted on the server
    touched: set[tuple[str, str]] = field(default_factory=set)  # (excerpt, reviewer) whose codes are redone
    codings: list[CodingRow] = field(default_factory=list)
    orphans: list[CodingRow] = field(default_factory=list)


def pull(con, ls: LabelStudio, book: Codebook, project: str = DEFAULT_PROJECT, full: bool = False) -> PullResult:
    pid = _project_id(con, ls, project)
    users = ls.users()
    since = None if full else _watermark(con, ls, pid)
    tasks = list(ls.tasks(pid, updated_after=since))
    result = PullResult(pid, tasks_seen=len(tasks))
    stored: dict[int, dict[int, tuple[str, str]]] = {}
    for task_id, annotation_id, reviewer, updated in con.execute(
            "SELECT task_id, annotation_id, reviewer, updated_at FROM reviews WHERE server = ? AND project_id = ?",
            [ls.url, pid]).fetchall():
        stored.setdefault(task_id, {})[annotation_id] = (reviewer, updated)
    seen = [e for t in tasks if (e := (t.get("data") or {}).get("excerpt_id"))]
    excerpts = {e for (e,) in con.execute("SELECT excerpt_id FROM excerpts WHERE list_contains(?, excerpt_id)",
                                          [seen]).fetchall()}
    changes = _Changes()
    context = (ls.url, pid, users, book, codebook_hash(book), now(), excerpts)
    for t in tasks:
        _plan_task(t, stored.get(t["id"], {}), context, changes, result)
    newest = max((t["updated_at"] for t in tasks), default=None)
    _write(con, ls.url, pid, changes, newest)
    return result


def _plan_task(t: dict, stored: dict[int, tuple[str, str]], context, changes: _Changes, result: PullResult) -> None:
    server, pid, users, book, book_hash, stamp, excerpts = context
    excerpt_id = (t.get("data") or {}).get("excerpt_id")
    if not excerpt_id:
        return
    annotations = sorted(t.get("annotations") or [], key=lambda a: a["updated_at"])
    present = {a["id"] for a in annotations}
    touched: set[str] = set()
    for annotation_id, (reviewer, _) in stored.items():
        if annotation_id not in present:  # deleted on the server
            changes.gone.append(annotation_id)
            touched.add(reviewer)
            result.deleted += 1
    latest: dict[str, tuple[dict, dict]] = {}  # reviewer -> (newest verdict, its codes)
    for a in annotations:
        reviewer = users.get(a.get("completed_by"), f"user-{a.get('completed_by')}")
        cancelled = bool(a.get("was_cancelled"))
        unchanged = a["id"] in stored and stored[a["id"]][1] == a["updated_at"]
        codes = {} if cancelled else codes_of(a.get("result"), book, {} if unchanged else result.unknown_codes)
        if not cancelled:
            latest[reviewer] = (a, codes)
        if unchanged:
            result.unchanged += 1
            continue
        changes.reviews.append(ReviewRow(server, pid, a["id"], t["id"], excerpt_id, reviewer, cancelled, len(codes),
                                         parse_time(a["updated_at"]), a["updated_at"], stamp))
        touched.add(reviewer)
        result.cancelled += cancelled
        result.verdicts += not cancelled
    for reviewer in touched:
        changes.touched.add((excerpt_id, reviewer))
        if reviewer not in latest:
            continue
        a, codes = latest[reviewer]
        rows = [CodingRow(coding_id(excerpt_id, code, "human", AGENT, reviewer), excerpt_id, code, weight, None,
                          "human", AGENT, f"project-{pid}", book_hash, None, reviewer, parse_time(a["updated_at"]),
                          json.dumps({"server": server, "project": pid, "task": t["id"], "annotation": a["id"]}),
                          False) for code, weight in codes.items()]
        if excerpt_id in excerpts:
            changes.codings += rows
            result.human_codings += len(rows)
        else:
            changes.orphans += rows
            result.orphaned += len(rows)


def _write(con, server: str, pid: int, changes: _Changes, newest: str | None) -> None:
    """Everything a pull changes, in one transaction."""
    with transaction(con):
        redone = changes.gone + [r.annotation_id for r in changes.reviews]
        if redone:
            con.execute("DELETE FROM reviews WHERE server = ? AND project_id = ? AND list_contains(?, annotation_id)",
                        [server, pid, redone])
        if changes.touched:
            excerpts, reviewers = zip(*sorted(changes.touched))
            con.execute("DELETE FROM codings WHERE source = 'human' AND (excerpt_id, reviewer) IN "
                        "(SELECT (unnest(?::VARCHAR[]), unnest(?::VARCHAR[])))", [list(excerpts), list(reviewers)])
        insert_rows(con, "reviews", changes.reviews)
        insert_rows(con, "codings", changes.codings)
        _retire(con, changes.orphans)
        if changes.touched:
            refresh_code_pairs(con, [i for (i,) in con.execute(
                "SELECT DISTINCT interview_id FROM excerpts WHERE list_contains(?, excerpt_id)",
                [sorted({e for e, _ in changes.touched})]).fetchall()])
        if newest:
            con.execute("UPDATE review_projects SET pulled_until = greatest(coalesce(pulled_until, ''), ?) "
                        "WHERE server = ? AND project_id = ?", [newest, server, pid])


def _retire(con, rows: list[CodingRow]) -> None:
    """Verdicts on an excerpt no longer in the warehouse (its transcript changed after the
    push): kept in ``retired_codings``, never dropped."""
    for r in rows:
        con.execute(f"INSERT INTO retired_codings ({CODING_COLUMNS}, retired_by_run, reason) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                    [r.coding_id, r.excerpt_id, r.code_id, r.weight, r.score, r.source, r.agent, r.agent_version,
                     r.codebook_hash, r.run_id, r.reviewer, r.created_at, r.evidence, r.needs_review,
                     "excerpt no longer in the warehouse when its review was pulled"])
