"""Prefect flow ``code_interviews``: ingest -> segment -> code -> load.

Each task does its own I/O and one call into the plain-Python core. Tasks pass ids
and paths; text travels through the run's staging files. Only ``load`` writes to the
warehouse, under the run lock: an interview it already holds is replaced or recoded in
its own transaction; new interviews go in batches, each batch one transaction.
"""
from __future__ import annotations

import shutil
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from matcoder import __version__
from matcoder.cases import CaseRecord, load_cases
from matcoder.codebook.loader import codebook_hash, load_codebook
from matcoder.errors import InputFileError, UsageError
from matcoder.ingest.reader import discover, interview_id_for, read_transcript
from matcoder.ingest.speakers import RoleConfig, guessed_roles
from matcoder.models.base import ExcerptInput
from matcoder.models.registry import get_coder
from matcoder import records
from matcoder.segment import segment_transcript
from matcoder.staging import Staging
from matcoder.warehouse import load as wl
from matcoder.warehouse.checks import run_checks
from matcoder.warehouse.connect import TimeSharedWriter, connect
from matcoder.warehouse.fts import build_index
from matcoder.privacy.names import case_name_rows, read_names_file, replace_names
from matcoder.privacy.pseudonymise import Pseudonymiser, interview_names, names_in_reference
from matcoder.warehouse.lock import run_lock
from matcoder.warehouse.migrate import migrate
from matcoder.warehouse.summary import warehouse_summary

TASK = dict(cache_policy=NONE, persist_result=False)


@dataclass(frozen=True)
class RunConfig:
    folder: str
    warehouse: str
    cases: str | None = None
    names: str | None = None
    coder: str = "rules.v1"
    codebook: str | None = None
    interviewer_labels: tuple[str, ...] = ()
    interviewee_labels: tuple[str, ...] = ()
    keep_staging: bool = False
    quiet: bool = False


@dataclass
class FileOutcome:
    source_file: str
    outcome: str  # loaded | unchanged | recoded | rejected
    interview_id: str | None = None
    problem: str | None = None
    roles_note: str | None = None  # the roles guessed from talk, for the progress line
    names_in_file_name: list[str] = field(default_factory=list)  # roles, as "[CEO]"
    excerpts: int = 0
    codings: int = 0
    new: bool = False  # not in the warehouse when the run read it


@dataclass
class Plan:
    run_id: str
    book_hash: str
    coder: str
    staging: str
    cases: dict[str, CaseRecord] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _say(config: RunConfig, message: str) -> None:
    if not config.quiet:
        print(message, file=sys.stderr, flush=True)


@task(name="prepare", **TASK)
def prepare(config: RunConfig, run_id: str) -> Plan:
    """Migrate the warehouse, register the codebook, open the run record, read the case sheet."""
    book = load_codebook(config.codebook)
    book_hash = codebook_hash(book)
    coder = get_coder(config.coder, book).identity
    db = Path(config.warehouse)
    with connect(db) as con:
        migrate(con, db)
        wl.register_codes(con, records.code_rows(book, book_hash))
        wl.start_run(con, run_id, str(Path(config.folder).resolve()), book_hash, coder, __version__)
    plan = Plan(run_id, book_hash, coder, str(db.parent / "staging" / run_id))
    if config.cases:
        plan.cases, plan.warnings = load_cases(Path(config.cases))
    _store_names(config, plan, db)
    return plan


def _store_names(config: RunConfig, plan: Plan, db: Path) -> None:
    """The names to pseudonymise, from this run's case sheet and names file (a run
    without one keeps the names stored before: forgetting a name would leak it)."""
    rows, sources = [], []
    if config.cases:
        rows += case_name_rows(plan.cases)
        sources.append("case sheet")
    if config.names:
        names = read_names_file(Path(config.names))
        rows += names
        sources.append(Path(config.names).name)
    if sources:
        with connect(db) as con:
            replace_names(con, rows, tuple(sources))


def _ingest_one(path: Path, config: RunConfig, plan: Plan, staging: Staging, con) -> FileOutcome:
    roles = RoleConfig(extra_interviewer=config.interviewer_labels, extra_interviewee=config.interviewee_labels)
    try:
        transcript = read_transcript(path, roles)
    except InputFileError as exc:
        return FileOutcome(path.name, "rejected", problem=exc.problem)
    staging.put_transcript(transcript)
    outcome = FileOutcome(path.name, "loaded", interview_id=transcript.interview_id,
                          names_in_file_name=_names_in_file_name(path, transcript, con))
    guessed = guessed_roles(transcript.turns, roles)
    if guessed:
        outcome.roles_note = "roles from talk: " + "; ".join(
            f"{role} {' and '.join(guessed[role])}" for role in ("interviewee", "interviewer") if role in guessed)
    state = wl.interview_state(con, transcript.interview_id)
    outcome.new = state is None
    if state and state[0] == transcript.content_hash:
        same_coder = state[1] == plan.coder and state[2] == plan.book_hash
        # the excerpts as this version cuts them: a changed segmentation rule recodes (and
        # re-cuts) the interview rather than leaving its old excerpts in place
        same_cut = same_coder and wl.excerpt_ids(con, transcript.interview_id) == {
            e.excerpt_id for e in segment_transcript(transcript)}
        outcome.outcome = "unchanged" if same_cut else "recoded"
    return outcome


def _speakers(transcript) -> list[tuple[str, str]]:
    return sorted({(t.speaker, t.role) for t in transcript.turns})


def _names_in_file_name(path: Path, transcript, con) -> list[str]:
    """The roles of the names pseudonymisation replaces that the file name holds
    ("Jane Smith MAT27.docx"): the interview id is made from the file name, and ids are
    not pseudonymised (they show in query, search and audit output and in Label Studio)."""
    names = Pseudonymiser(interview_names(con, transcript.interview_id, _speakers(transcript)))
    return sorted({f"[{r.role}]" for r in names_in_reference(names, path.stem)})


@task(name="ingest", **TASK)
def ingest(paths: list[str], config: RunConfig, plan: Plan) -> list[FileOutcome]:
    """Read each transcript into the staging area or reject it with one line, and decide
    what the load must do: unchanged transcript, coder and excerpts, nothing; same
    transcript with another coder or codebook, or cut into other excerpts by a changed
    segmentation rule, recode; otherwise load."""
    staging = Staging(Path(plan.staging))
    outcomes: list[FileOutcome] = []
    seen: dict[str, str] = {}
    with connect(Path(config.warehouse)) as con:
        for i, name in enumerate(paths, start=1):
            path = Path(name)
            outcome = _ingest_one(path, config, plan, staging, con)
            if outcome.interview_id in seen:
                outcome = FileOutcome(path.name, "rejected", problem=(
                    f"same interview id {outcome.interview_id!r} as {seen[outcome.interview_id]}"))
            elif outcome.interview_id:
                seen[outcome.interview_id] = path.name
            outcomes.append(outcome)
            _say(config, f"[{i}/{len(paths)}] {path.name}: "
                 + (f"rejected: {outcome.problem}" if outcome.outcome == "rejected" else outcome.outcome)
                 + (f" ({outcome.roles_note})" if outcome.roles_note else ""))
    return outcomes


@task(name="segment", **TASK)
def segment(interview_ids: list[str], plan: Plan) -> dict[str, int]:
    """Cut every answer of these interviews into excerpts (staged)."""
    staging = Staging(Path(plan.staging))
    counts = {}
    for iid in interview_ids:
        excerpts = segment_transcript(staging.transcript(iid))
        staging.put_excerpts(iid, excerpts)
        counts[iid] = len(excerpts)
    return counts


@task(name="code", **TASK)
def code(interview_ids: list[str], config: RunConfig, plan: Plan) -> dict[str, int]:
    """Code every staged excerpt of these interviews in one batch (one model load)."""
    staging = Staging(Path(plan.staging))
    coder = get_coder(config.coder, load_codebook(config.codebook))
    batch = {iid: staging.excerpts(iid) for iid in interview_ids}
    names = _pseudonymisers(interview_ids, config, staging)
    inputs = [ExcerptInput(e.excerpt_id, e.text, e.question, names[iid].text(e.text))
              for iid, ex in batch.items() for e in ex]
    suggestions = coder.predict(inputs)
    by_interview: dict[str, list] = {iid: [] for iid in interview_ids}
    owner = {e.excerpt_id: iid for iid, ex in batch.items() for e in ex}
    for s in suggestions:
        by_interview[owner[s.excerpt_id]].append(s)
    for iid, items in by_interview.items():
        staging.put_suggestions(iid, items)
    return {iid: len(items) for iid, items in by_interview.items()}


def _pseudonymisers(interview_ids: list[str], config: RunConfig, staging: Staging) -> dict[str, Pseudonymiser]:
    """Per interview, the names its text may hold (speakers, case sheet, names file; as
    stored by ``prepare``), so that the embedding reads "[MAT]" where the CEO said the
    trust's name: a name should not move an answer's codes."""
    with connect(Path(config.warehouse)) as con:
        return {iid: Pseudonymiser(interview_names(con, iid, _speakers(staging.transcript(iid))))
                for iid in interview_ids}


def _load_one(con, outcome: FileOutcome, plan: Plan, staging: Staging) -> None:
    transcript = staging.transcript(outcome.interview_id)
    row = _interview_row(transcript, plan)
    if outcome.outcome == "unchanged":
        wl.update_attributes(con, row)
    else:
        codings = _coding_rows(transcript.interview_id, plan, staging, row.loaded_at)
        excerpts = staging.excerpts(transcript.interview_id)
        if outcome.outcome == "recoded" and wl.excerpt_ids(con, transcript.interview_id) == {
                e.excerpt_id for e in excerpts}:
            wl.recode_interview(con, row, codings)
        else:  # changed transcript, or segmentation that no longer matches: replace it all
            outcome.outcome = "loaded"
            wl.replace_interview(con, row, records.turn_rows(transcript), records.excerpt_rows(excerpts), codings)
        outcome.codings = len(codings)
    wl.record_file(con, plan.run_id, outcome.source_file, outcome.outcome)


def _interview_row(transcript, plan: Plan) -> wl.InterviewRow:
    return records.interview_row(transcript, plan.cases.get(transcript.interview_id), plan.coder,
                                 plan.book_hash, plan.run_id, wl.now())


def _coding_rows(interview_id: str, plan: Plan, staging: Staging, when) -> list:
    return records.coding_rows(staging.suggestions(interview_id), plan.book_hash, plan.run_id, when)


def _new_interview(outcome: FileOutcome, plan: Plan, staging: Staging) -> wl.NewInterview:
    transcript = staging.transcript(outcome.interview_id)
    row = _interview_row(transcript, plan)
    codings = _coding_rows(transcript.interview_id, plan, staging, row.loaded_at)
    outcome.codings = len(codings)
    return wl.NewInterview(row, records.turn_rows(transcript),
                           records.excerpt_rows(staging.excerpts(transcript.interview_id)), codings,
                           outcome.source_file)


NEW_BATCH_EXCERPTS = 1000  # new interviews per transaction: about this many excerpts


@task(name="load", **TASK)
def load(outcomes: list[FileOutcome], config: RunConfig, plan: Plan) -> list[FileOutcome]:
    """Write the run's interviews: each one the warehouse holds in its own transaction
    (replace, recode, or refresh attributes), new ones in batches of about
    ``NEW_BATCH_EXCERPTS`` excerpts, each batch one transaction. The connection is given
    up between transactions every few seconds so that read-only commands keep working
    during a long load."""
    staging = Staging(Path(plan.staging))
    writer = TimeSharedWriter(Path(config.warehouse))
    batch: list[wl.NewInterview] = []
    try:
        for outcome in outcomes:
            if outcome.outcome == "rejected":
                continue
            if outcome.new and outcome.outcome == "loaded":
                batch.append(_new_interview(outcome, plan, staging))
                if sum(len(b.excerpts) for b in batch) >= NEW_BATCH_EXCERPTS:
                    wl.insert_new_interviews(writer.get(), batch, plan.run_id)
                    batch = []
            else:
                _load_one(writer.get(), outcome, plan, staging)
        if batch:  # not opening the file (and checkpointing it) for nothing
            wl.insert_new_interviews(writer.get(), batch, plan.run_id)
    finally:
        writer.close()
    return outcomes


@task(name="finish", **TASK)
def finish(outcomes: list[FileOutcome], config: RunConfig, plan: Plan, ignored: list[str],
           folders: list[str]) -> dict:
    """Record rejected files, run the data checks, close the run, and summarise."""
    with connect(Path(config.warehouse)) as con:
        for o in outcomes:
            if o.outcome == "rejected":
                wl.record_file(con, plan.run_id, o.source_file, "rejected", o.problem)
        failures = run_checks(con)
        build_index(con)  # full-text search over the excerpts as they now are
        present = {o.interview_id for o in outcomes if o.interview_id}
        in_folder = {interview_id_for(Path(o.source_file)) for o in outcomes}  # rejected files too
        summary = warehouse_summary(con)
        summary.update({
            "run_id": plan.run_id,
            "coder": plan.coder,
            "codebook_hash": plan.book_hash,
            "files": {kind: sorted(o.source_file for o in outcomes if o.outcome == kind)
                      for kind in ("loaded", "recoded", "unchanged")},
            "rejected": [{"file": o.source_file, "problem": o.problem} for o in outcomes if o.outcome == "rejected"],
            "ignored_files": ignored,
            "folders_not_read": folders,
            "names_in_file_names": [{"file": o.source_file, "interview_id": o.interview_id,
                                     "names": o.names_in_file_name} for o in outcomes
                                    if o.names_in_file_name and o.outcome != "rejected"],
            "case_sheet_warnings": plan.warnings,
            "without_case_row": sorted(o.source_file for o in outcomes
                                       if o.interview_id and o.interview_id not in plan.cases and config.cases),
            "case_rows_without_transcript": sorted(record.interview for iid, record in plan.cases.items()
                                                   if iid not in in_folder),
            "not_in_folder": [iid for (iid,) in con.execute(
                "SELECT interview_id FROM interviews ORDER BY 1").fetchall() if iid not in present],
            "check_failures": {k: len(v) for k, v in failures.items()},
        })
        wl.finish_run(con, plan.run_id, "failed" if failures else "completed", summary)
    if not config.keep_staging:
        shutil.rmtree(plan.staging, ignore_errors=True)
    return summary


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


@flow(name="code_interviews", log_prints=False, validate_parameters=False)
def code_interviews(config: RunConfig) -> dict:
    folder = Path(config.folder)
    if not folder.is_dir():
        raise UsageError(f"transcript folder {folder} does not exist or is not a folder")
    run_id = new_run_id()
    with run_lock(Path(config.warehouse), run_id):
        try:
            return _run(config, run_id, folder)
        except BaseException as exc:
            _mark_failed(config, run_id, exc)
            raise


def _mark_failed(config: RunConfig, run_id: str, exc: BaseException) -> None:
    """Close the run record as failed; interviews already loaded stay (each was one
    transaction), the rest are untouched and load on the next run."""
    try:
        with connect(Path(config.warehouse)) as con:
            if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'").fetchone()[0]:
                wl.finish_run(con, run_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
    except Exception as inner:  # the original error matters more; say why the record could not be closed
        _say(config, f"warning: could not mark run {run_id} as failed: {inner}")


def _run(config: RunConfig, run_id: str, folder: Path) -> dict:
    plan = prepare(config, run_id)
    for warning in plan.warnings:  # not progress: shown under --quiet too
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    paths, ignored = discover(folder)
    inputs = {Path(f).resolve() for f in (config.cases, config.names) if f}
    ignored_names = [p.name for p in ignored if not p.is_dir() and p.resolve() not in inputs]
    folders = [p.name for p in ignored if p.is_dir()]
    outcomes = ingest([str(p) for p in paths], config, plan)
    new = [o.interview_id for o in outcomes if o.outcome in ("loaded", "recoded")]
    for iid, n in segment(new, plan).items():
        next(o for o in outcomes if o.interview_id == iid).excerpts = n
    to_code = [o.interview_id for o in outcomes if o.outcome in ("loaded", "recoded")]
    if to_code:
        _say(config, f"coding {len(to_code)} interview(s) with {plan.coder} ...")
        code(to_code, config, plan)
    outcomes = load(outcomes, config, plan)
    return finish(outcomes, config, plan, ignored_names, folders)
