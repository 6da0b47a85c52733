"""``matcoder``: one entry point whose subcommands mirror the flows.

Domain errors become one line on stderr and a non-zero exit (2 usage, 3 some input
files rejected, 1 anything else the user must fix); never a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from matcoder import __version__
from matcoder.errors import MatcoderError, UsageError
from matcoder.output import print_json

EXIT_REJECTED = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors: one line, exit 2
        self.print_usage(sys.stderr)
        command = self.prog.partition(" ")[2]  # "matcoder codebook show" -> "codebook show"
        raise UsageError(f"{command}: {message}" if command else message)


def _quiet_prefect() -> None:
    """Prefect settings for a command-line run: no telemetry, and Prefect's own logs
    only when MATCODER_DEBUG is set (matcoder prints progress and errors itself)."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "DEBUG" if os.environ.get("MATCODER_DEBUG") else "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


def _summary_text(s: dict) -> str:
    w = s["warehouse"]
    lines = [
        f"run {s['run_id']} ({s['coder']}, codebook {s['codebook_hash'][:12]})",
        "files: " + ", ".join(f"{len(s['files'][k])} {k}" for k in ("loaded", "recoded", "unchanged"))
        + f", {len(s['rejected'])} rejected",
        f"warehouse: {w['interviews']} interviews, {w['turns']} turns ({w['answers']} answers), "
        f"{w['excerpts']} excerpts, {w['codings']} codings",
        "codings by family: " + (", ".join(f"{k} {v}" for k, v in w["codings_by_family"].items()) or "none"),
    ]
    for r in s["rejected"]:
        lines.append(f"rejected: {r['file']}: {r['problem']}")
    for name in s["without_case_row"]:
        lines.append(f"no case-sheet row (attributes left empty): {name}")
    for name in s["case_rows_without_transcript"]:
        lines.append(f"case-sheet row without a transcript in the folder (a misspelt file name?): {name}")
    if s["not_in_folder"]:
        lines.append("kept, not in this folder (remove with `matcoder warehouse remove`): "
                     + ", ".join(s["not_in_folder"]))
    for name in s["ignored_files"]:
        lines.append(f"ignored (not a transcript type): {name}")
    for name in s["folders_not_read"]:
        lines.append(f"not read (a subfolder holding transcripts; only the folder's own files are read): {name}/")
    for f in s["names_in_file_names"]:
        lines.append(f"a name in the file name ({', '.join(f['names'])}): {f['file']}: the interview id "
                     f"{f['interview_id']!r} made from it is not pseudonymised and shows in query, search and "
                     "audit output and in Label Studio; rename the file and run again, then "
                     f"`matcoder warehouse remove {f['interview_id']}`")
    for check, n in s["check_failures"].items():
        lines.append(f"DATA CHECK FAILED: {check}: {n} row(s)")
    return "\n".join(lines)


def _warm_up_embeddings() -> None:
    """Import the embedding stack (~6 s) while Prefect's temporary API boots in its own
    process; the coder then finds the modules loaded. Nothing is computed here."""
    from matcoder.models.embedding.encoder import offline_and_quiet

    offline_and_quiet()  # read at import: set before it
    import sentence_transformers  # noqa: F401  (imported for its side effect: loaded modules)


def _sheet_in(folder: Path, stem: str) -> str | None:
    from matcoder.sheets import find_sheet

    found = find_sheet(folder, stem)
    return str(found) if found else None


def cmd_run(args) -> int:
    _quiet_prefect()
    if args.coder != "rules.v1":
        threading.Thread(target=_warm_up_embeddings, name="warm-up", daemon=True).start()
    from matcoder.flows.code_interviews import RunConfig, code_interviews

    folder = Path(args.folder)
    cases = args.cases or _sheet_in(folder, "cases")
    names = args.names or _sheet_in(folder, "names")
    config = RunConfig(folder=str(folder), warehouse=str(args.warehouse), cases=cases, names=names, coder=args.coder,
                       codebook=args.codebook, interviewer_labels=tuple(args.interviewer_label),
                       interviewee_labels=tuple(args.interviewee_label), keep_staging=args.keep_staging,
                       quiet=args.quiet)
    summary = code_interviews(config)
    if args.json:
        print_json(summary)
    else:
        print(_summary_text(summary))
    if summary["check_failures"]:
        return 1
    return EXIT_REJECTED if summary["rejected"] else 0


def cmd_codebook_validate(args) -> int:
    from matcoder.codebook.loader import codebook_hash, load_codebook
    from matcoder.models.rules.coder import PatternCompileError, RuleCoder

    book = load_codebook(args.file)
    try:
        RuleCoder(book).build()
    except PatternCompileError as exc:
        raise MatcoderError(f"{Path(args.file or 'codebook.yaml').name}: {exc}") from None
    print(f"{args.file or 'codebook/codebook.yaml'}: valid, {len(book.ids())} codes in "
          f"{len(book.families)} families, hash {codebook_hash(book)[:12]}")
    return 0


def cmd_codebook_ids(args) -> int:
    from matcoder.codebook.loader import load_codebook

    print("\n".join(load_codebook(args.file).ids()))
    return 0


def cmd_codebook_show(args) -> int:
    from matcoder.codebook.loader import load_codebook

    book = load_codebook(args.file)
    try:
        code = book.code(args.code)
    except KeyError:
        raise UsageError(f"unknown code {args.code!r}; `matcoder codebook ids` lists them") from None
    print_json(code.model_dump(mode="json"))
    return 0


def cmd_codebook_schema(args) -> int:
    from matcoder.codebook.loader import SCHEMA_PATH, json_schema

    if args.write:
        SCHEMA_PATH.write_text(json_schema(), encoding="utf-8")
        print(f"wrote {SCHEMA_PATH}")
    else:
        sys.stdout.write(json_schema())
    return 0


def cmd_code_excerpts(args) -> int:
    from matcoder.excerpt_io import code_jsonl

    n_in, n_codes, problems, coder = code_jsonl(Path(args.input), Path(args.output), args.coder, args.codebook,
                                                explain=not args.no_evidence)
    for problem in problems:
        print(f"matcoder: {args.input}: {problem}; left out", file=sys.stderr)
    print(f"coded {n_in} excerpt(s) with {coder}: {n_codes} code(s) -> {args.output}"
          + (f"; {len(problems)} bad line(s) left out" if problems else ""), file=sys.stderr)
    return EXIT_REJECTED if problems else 0


def cmd_evaluate(args) -> int:
    from matcoder.codebook.loader import codebook_hash, load_codebook
    from matcoder.models.evaluation import as_codes, as_scores, coded_by, evaluate, markdown, read_coded, table
    from matcoder.models.registry import get_coder

    book = load_codebook(args.codebook)
    notes: list[str] = []
    if args.coders:
        from matcoder.models.evaluation import agreement, agreement_table

        if len(args.coders) < 2:
            raise UsageError("--coders needs two or more files")
        files = [{k: as_codes(v) for k, v in read_coded(Path(p), book, notes).items()} for p in args.coders]
        _print_notes(notes)
        result = agreement(files, book.ids())
        if args.format == "json":
            print_json(result)
        else:
            sys.stdout.write(agreement_table(result, [Path(p).stem for p in args.coders], args.format == "markdown"))
        return 0
    if not args.gold:
        raise UsageError("evaluate needs --gold (or --coders A.jsonl B.jsonl ...)")
    gold = read_coded(Path(args.gold), book, notes)
    if args.predictions:
        lines = read_coded(Path(args.predictions), book, notes)
        predicted, scores = {k: as_codes(v) for k, v in lines.items()}, as_scores(lines)
        if lines.keys() - gold.keys():
            notes.append(f"{args.predictions}: {len(lines.keys() - gold.keys())} line(s) name no gold excerpt: "
                         "not scored")
    else:
        missing = [k for k, v in gold.items() if not v.text]
        if missing:
            raise UsageError(f"{args.gold}: gold line {missing[0]!r} has no text to code; pass --predictions")
        scores = {}
        coder = get_coder(args.coder, book)
        predicted = coded_by(coder, gold, scores)
    report = evaluate({k: as_codes(v) for k, v in gold.items()}, predicted, book.ids(), scores, book.weighted_ids())
    # what was scored: a file, or a coder named down to its artefact, reading and arithmetic
    scored = f"predictions {args.predictions}" if args.predictions else f"coder {coder.identity}"
    provenance = {"gold": args.gold, "scored": scored,
                  "codebook": f"{book.name} {book.version} ({codebook_hash(book)[:12]})"}
    if args.predictions and report.missing_predictions:
        notes.append(f"{args.predictions}: {len(report.missing_predictions)} gold excerpt(s) have no line in it: "
                     "scored as no codes")
    _print_notes(notes)
    if args.format == "json":
        print_json({**provenance, **report.to_json()})
    elif args.format == "markdown":
        sys.stdout.write(markdown(report))
    else:
        sys.stdout.write("".join(f"{k}: {v}\n" for k, v in provenance.items()) + "\n" + table(report))
    return 0


def _print_notes(notes: list[str]) -> None:
    for note in notes:
        print(f"matcoder: note: {note}", file=sys.stderr)


def cmd_train(args) -> int:
    from matcoder.codebook.loader import load_codebook
    from matcoder.models.embedding.classifier import ARTEFACTS_DIR
    from matcoder.training import gold_items, reviewed_items, train_artefact
    from matcoder.warehouse.connect import connect

    book = load_codebook(args.codebook)
    notes: list[str] = []
    extra = [item for path in args.gold for item in gold_items(Path(path), book, notes)]
    _print_notes(notes)
    warehouse = Path(args.warehouse)
    if warehouse.exists():
        with connect(warehouse, read_only=True) as con:
            extra += reviewed_items(con)
    artefact = train_artefact(book, extra, out_dir=Path(args.out) if args.out else ARTEFACTS_DIR)
    meta = dict(artefact.meta)
    meta["path"] = str(artefact.path)
    if not args.verbose:
        meta["codes"] = {c: m.get("cv", m) for c, m in meta["codes"].items()}
    print_json(meta)
    return 0


def cmd_warehouse_migrate(args) -> int:
    from matcoder.warehouse.connect import connect
    from matcoder.warehouse.migrate import migrate, pending

    with connect(Path(args.warehouse), read_only=args.list) as con:
        if args.list:
            print_json([{"version": m.version, "name": m.name} for m in pending(con)])
            return 0
        done = migrate(con, Path(args.warehouse))
    print_json({"applied": [f"{m.version:03d}_{m.name}" for m in done]})
    return 0


def cmd_warehouse_check(args) -> int:
    from matcoder.warehouse.checks import run_checks
    from matcoder.warehouse.connect import connect

    with connect(Path(args.warehouse), read_only=True) as con:
        failures = run_checks(con)
    print_json({name: [list(map(str, r)) for r in rows[:20]] for name, rows in failures.items()})
    return 1 if failures else 0


def cmd_warehouse_remove(args) -> int:
    from matcoder.warehouse.connect import connect
    from matcoder.warehouse.fts import build_index, has_index
    from matcoder.warehouse.load import interview_ids, remove_interview

    with connect(Path(args.warehouse)) as con:
        interview_id = interview_ids(con, [args.interview_id])[0]
        removed = remove_interview(con, interview_id)
        if removed and has_index(con):
            build_index(con)  # else the index keeps the removed text's words and counts them in BM25
    print(f"removed {interview_id}: {removed}")
    return 0


def cmd_privacy_check(args) -> int:
    from matcoder.privacy.check import allow_list, check_warehouse
    from matcoder.warehouse.connect import connect
    from matcoder.warehouse.load import interview_ids

    with connect(Path(args.warehouse), read_only=True) as con:
        # a slip in the id must not pass as "0 candidate names"
        interview = interview_ids(con, [args.interview])[0] if args.interview else None
        found = check_warehouse(con, interview, allow_list([Path(p) for p in args.allow]))
    if args.format == "json":
        print_json(found)
    else:
        for f in found:
            print(f"{f['interview_id']}\t{f['candidate']}\t{f['context']}")
        print(f"{len(found)} candidate name(s) after pseudonymisation; add real names to the case sheet "
              "(trust, school_names, people, places, county) or names.csv, ordinary words to an --allow file",
              file=sys.stderr)
    return 1 if found else 0


def cmd_audit(args) -> int:
    from matcoder.warehouse.audit import history
    from matcoder.warehouse.connect import connect

    with connect(Path(args.warehouse), read_only=True) as con:
        found = history(con, args.excerpt_id)
    if found is None:
        raise UsageError(f"excerpt {args.excerpt_id!r} is not in the warehouse (nor in its retired codings)")
    print_json(found)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from matcoder.models.registry import CODERS, DEFAULT_CODER
    from matcoder.warehouse.connect import DEFAULT_WAREHOUSE

    p = _Parser(prog="matcoder", description="Code qualitative interviews with MAT CEOs: "
                "ingest transcripts, propose codes, load coded excerpts into DuckDB.")
    p.add_argument("--version", action="version", version=f"matcoder {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def warehouse_opt(sp):
        sp.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE),
                        help=f"DuckDB file (default {DEFAULT_WAREHOUSE})")

    r = sub.add_parser("run", help="code a folder of transcripts into the warehouse (the code_interviews flow)",
                       description="Ingest every transcript in DIR (.txt .md .docx .vtt .srt), segment the "
                       "answers into excerpts, code them, and load them into the warehouse. "
                       "Exit 0 when every file went in, 3 when some were rejected, 2 on usage errors.")
    r.add_argument("folder", nargs="?", default="transcripts_sample", metavar="DIR",
                   help="folder of transcripts (default transcripts_sample)")
    r.add_argument("--cases", metavar="FILE", help="case sheet, CSV or .xlsx "
                   "(default DIR/cases.csv, else DIR/cases.xlsx, when present)")
    r.add_argument("--names", metavar="FILE", help="project-wide names to pseudonymise, name,role rows in CSV or .xlsx "
                   "(default DIR/names.csv, else DIR/names.xlsx, when present)")
    warehouse_opt(r)
    r.add_argument("--coder", default=DEFAULT_CODER, choices=CODERS, help="versioned coder name")
    r.add_argument("--codebook", metavar="FILE", help="codebook YAML (default codebook/codebook.yaml)")
    r.add_argument("--interviewer-label", action="append", default=[], metavar="LABEL",
                   help="extra speaker label of the interviewer (repeatable)")
    r.add_argument("--interviewee-label", action="append", default=[], metavar="LABEL",
                   help="extra speaker label of the interviewee (repeatable)")
    r.add_argument("--json", action="store_true", help="print the summary as JSON")
    r.add_argument("--quiet", action="store_true", help="no progress lines")
    r.add_argument("--keep-staging", action="store_true", help="keep the run's staging files")
    r.set_defaults(func=cmd_run)

    cb = sub.add_parser("codebook", help="validate and inspect the codebook").add_subparsers(
        dest="codebook_command", required=True, parser_class=_Parser)
    v = cb.add_parser("validate", help="check a codebook file (schema, cross-field rules, patterns)")
    v.add_argument("file", nargs="?", help="codebook YAML (default codebook/codebook.yaml)")
    v.set_defaults(func=cmd_codebook_validate)
    i = cb.add_parser("ids", help="every code ID, one per line")
    i.add_argument("--file", help="codebook YAML")
    i.set_defaults(func=cmd_codebook_ids)
    s = cb.add_parser("show", help="one code as JSON: definition, rules for use, patterns, examples")
    s.add_argument("code")
    s.add_argument("--file", help="codebook YAML")
    s.set_defaults(func=cmd_codebook_show)
    sc = cb.add_parser("schema", help="the codebook's JSON Schema")
    sc.add_argument("--write", action="store_true", help="write codebook/codebook.schema.json")
    sc.set_defaults(func=cmd_codebook_schema)

    ce = sub.add_parser("code-excerpts", help="code a JSONL file of excerpts that are not part of an interview",
                        description='Input lines {"id", "text", "question"?}; output lines '
                        '{"id", "codes": [{"code", "weight", "score", "source", "needs_review", "evidence"}]}. Quotes '
                        'pseudonymised as reports print them are fine: the embedding reads [MAT] as '
                        '"the trust", [school] as "the school", [name] as "a colleague". A text over 180 '
                        'words is coded in the parts the flow would cut it into, and gets every code '
                        'of its parts. A bad line (not JSON, no id, empty text, an id seen before) is '
                        'named on stderr and left out, the rest are coded; exit 3 when any was left out.')
    ce.add_argument("--input", required=True, metavar="IN.jsonl")
    ce.add_argument("--output", required=True, metavar="OUT.jsonl")
    ce.add_argument("--coder", default=DEFAULT_CODER, choices=CODERS)
    ce.add_argument("--codebook", metavar="FILE")
    ce.add_argument("--no-evidence", action="store_true", help="leave out the rules and spans that fired")
    ce.set_defaults(func=cmd_code_excerpts)

    ev = sub.add_parser("evaluate", help="score a coder (or a predictions file) against gold codings",
                        description='Gold and predictions are JSONL lines {"id", "text", "codes": '
                        '[{"code", "weight"}]}. Without --predictions the gold texts are coded by --coder. '
                        'Comparing two human coders: --gold A.jsonl --predictions B.jsonl (kappa), '
                        'or --coders A.jsonl B.jsonl C.jsonl (alpha). When every predicted coding has a '
                        '"score" (as the coders give), their calibration is reported too.')
    ev.add_argument("--gold", metavar="GOLD.jsonl", help="reference codings (a second human coder works too)")
    ev.add_argument("--coders", nargs="+", metavar="CODER.jsonl",
                    help="two or more coders' files: Krippendorff's alpha per code, family and weight")
    ev.add_argument("--predictions", metavar="PRED.jsonl", help="codings to score (default: run --coder)")
    ev.add_argument("--coder", default=DEFAULT_CODER, choices=CODERS)
    ev.add_argument("--codebook", metavar="FILE")
    ev.add_argument("--format", choices=("json", "table", "markdown"), default="json",
                    help="json (default), a terminal table, or the README's markdown tables")
    ev.set_defaults(func=cmd_evaluate)

    tr = sub.add_parser("train", help="train a new embed.v1 artefact (codebook examples, gold files, human codings)",
                        description="Writes models/artefacts/embed.v1/<id>/ with the model name, codebook hash, "
                        "training-set hash, cross-validated metrics and date; coders use the newest "
                        "artefact that matches the current codebook and embedding model.")
    tr.add_argument("--gold", action="append", default=[], metavar="GOLD.jsonl",
                    help="fully coded excerpts to train on as well (repeatable)")
    warehouse_opt(tr)
    tr.add_argument("--codebook", metavar="FILE")
    tr.add_argument("--out", metavar="DIR", help="artefact folder (default models/artefacts/embed.v1)")
    tr.add_argument("--verbose", action="store_true", help="per-code thresholds and positives too")
    tr.set_defaults(func=cmd_train)

    wh = sub.add_parser("warehouse", help="warehouse maintenance").add_subparsers(
        dest="warehouse_command", required=True, parser_class=_Parser)
    m = wh.add_parser("migrate", help="apply pending schema migrations (backup first)")
    warehouse_opt(m)
    m.add_argument("--list", action="store_true", help="only list pending migrations")
    m.set_defaults(func=cmd_warehouse_migrate)
    c = wh.add_parser("check", help="run the data checks; exit 1 when any fails")
    warehouse_opt(c)
    c.set_defaults(func=cmd_warehouse_check)
    rm = wh.add_parser("remove", help="delete one interview and everything coded on it")
    rm.add_argument("interview_id", help="the interview's id, or its transcript's file name")
    warehouse_opt(rm)
    rm.set_defaults(func=cmd_warehouse_remove)

    pv = sub.add_parser("privacy", help="pseudonymisation checks").add_subparsers(
        dest="privacy_command", required=True, parser_class=_Parser)
    pc = pv.add_parser("check", help="list name-like words that survive pseudonymisation (exit 1 when any)")
    warehouse_opt(pc)
    pc.add_argument("--interview", metavar="ID", help="only this interview, by id or file name")
    pc.add_argument("--allow", action="append", default=[], metavar="FILE",
                    help="extra allow-list, one word per line (repeatable)")
    pc.add_argument("--format", choices=("table", "json"), default="table")
    pc.set_defaults(func=cmd_privacy_check)

    au = sub.add_parser("audit", help="the history of one excerpt: runs, codings, reviews, retired codings")
    au.add_argument("excerpt_id")
    warehouse_opt(au)
    au.set_defaults(func=cmd_audit)

    from matcoder.analysis.commands import register as register_analysis
    from matcoder.review.commands import register as register_review

    register_analysis(sub, warehouse_opt, wh)

    register_review(sub, _Parser, warehouse_opt)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        from matcoder.models.embedding.precision import wanted_precision

        wanted_precision()  # a bad MATCODER_PRECISION is named before any work starts
        code = args.func(args)
        sys.stdout.flush()  # here, so a reader that has gone is met inside this try
        return code
    except BrokenPipeError:
        # The reader stopped reading (`matcoder query ... | head`): not an error of
        # ours. Point stdout at /dev/null so the flush at exit does not fail again,
        # and exit as a command killed by SIGPIPE does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except MatcoderError as exc:
        print(f"matcoder: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("matcoder: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a user error: one line, details on request
        if os.environ.get("MATCODER_DEBUG"):
            raise
        print(f"matcoder: internal error: {type(exc).__name__}: {exc} "
              "(set MATCODER_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
