"""``matcoder query``, ``quotes``, ``search``, ``report``, ``warehouse index``: the
analyst layer's command-line side. All read-only except ``warehouse index``."""
from __future__ import annotations

import sys
from pathlib import Path

from matcoder.errors import UsageError


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {pair!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_query(args) -> int:
    from matcoder.output import render
    from matcoder.codebook.loader import load_codebook
    from matcoder.warehouse import filters
    from matcoder.warehouse.connect import connect
    from matcoder.warehouse.named_queries import available, run

    if args.list or not args.name:
        for q in available().values():
            params = ", ".join(f"{p.name}" + (f"={p.default}" if p.default else "") for p in q.params)
            print(f"{q.name}: {q.purpose}" + (f"\n    params: {params}" if params else ""))
        return 0
    with connect(Path(args.warehouse), read_only=True) as con:
        columns, rows = run(con, args.name, _params(args.param), load_codebook(args.codebook), args.basis,
                            filters.parse(args.where, con))
    _write(render(columns, rows, args.format), args.output)
    return 0


def _checked_codes(book, codes: list[str]) -> list[str]:
    """``--code`` values as code IDs or family prefixes; a usage error for any other."""
    checked = [book.code_or_family(code) for code in codes]
    for code, found in zip(codes, checked):
        if found is None:
            raise UsageError(f"--code {code!r} is neither a code nor a family (see `matcoder codebook ids`)")
    return checked


def cmd_quotes(args) -> int:
    from matcoder.analysis import quotes as qb
    from matcoder.codebook.loader import load_codebook
    from matcoder.warehouse import filters
    from matcoder.warehouse.connect import connect

    book = load_codebook(args.codebook)
    codes = _checked_codes(book, args.code)
    with connect(Path(args.warehouse), read_only=True) as con:
        found = qb.select(con, book, codes, args.weight, filters.parse(args.where, con), args.per_code, args.max_words)
    chosen = qb.selection(codes, args.weight, args.where, args.per_code)
    if args.format == "docx":
        if not args.output:
            raise UsageError("--format docx needs --output FILE.docx")
        qb.write_docx(found, book, Path(args.output), chosen=chosen)
        print(f"wrote {args.output} ({len(found)} quotes)", file=sys.stderr)
        return 0
    _write(qb.markdown(found, book, chosen=chosen) if args.format == "md" else qb.csv_text(found), args.output)
    return 0


def cmd_search(args) -> int:
    from matcoder.analysis import search
    from matcoder.codebook.loader import load_codebook
    from matcoder.output import render
    from matcoder.privacy.pseudonymise import WarehouseNames
    from matcoder.warehouse import filters
    from matcoder.warehouse.connect import connect

    codes = _checked_codes(load_codebook(args.codebook), args.code)
    with connect(Path(args.warehouse), read_only=True) as con:
        how = search.semantic if args.semantic else search.full_text
        rows = how(con, args.text, codes, filters.parse(args.where, con), args.limit)
        names = WarehouseNames(con)
        shown = [(*r[:-1], names.text(r[0], r[-1])) for r in rows]
    _write(render(search.COLUMNS, shown, args.format, width=120), args.output)
    return 0


def cmd_report(args) -> int:
    from matcoder.analysis.report import build
    from matcoder.codebook.loader import load_codebook
    from matcoder.warehouse.connect import connect

    with connect(Path(args.warehouse), read_only=True) as con:
        path = build(con, load_codebook(args.codebook), Path(args.out), args.basis,
                     Path(args.survey) if args.survey else None, args.per_code)
    print(f"wrote {path} (open it in a browser; figures also as PNG in {path.parent})")
    return 0


def cmd_warehouse_index(args) -> int:
    from matcoder.warehouse.fts import build_index
    from matcoder.warehouse.connect import writer

    with writer(Path(args.warehouse), "warehouse-index") as con:
        build_index(con)
    print("full-text index rebuilt")
    return 0


def register(sub, warehouse_opt, warehouse_sub) -> None:
    from matcoder.warehouse.named_queries import BASES

    def common(p, where=True):
        warehouse_opt(p)
        p.add_argument("--codebook", metavar="FILE", help="codebook YAML (default codebook/codebook.yaml)")
        if where:
            p.add_argument("--where", action="append", default=[], metavar="ATTR=VALUE",
                           help="case attribute filter, e.g. cluster=1, schools>=10, phase=primary (repeatable)")

    q = sub.add_parser("query", help="run a named analyst query (warehouse/queries/*.sql)")
    q.add_argument("name", nargs="?", help="query name (see --list)")
    q.add_argument("--list", action="store_true", help="list the named queries and their parameters")
    q.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="query parameter (repeatable)")
    q.add_argument("--basis", choices=list(BASES), default="effective",
                   help="effective (default: human codings win), model (machine codings only), human (reviewed only)")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    q.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    common(q)
    q.set_defaults(func=cmd_query)

    qb = sub.add_parser("quotes", help="the quote bank: best quotes per code, cited and pseudonymised")
    qb.add_argument("--code", action="append", default=[], metavar="CODE", help="code or family (repeatable)")
    qb.add_argument("--weight", action="append", type=int, choices=(1, 2, 3), default=[],
                    help="only area codings with this weight (repeatable)")
    qb.add_argument("--per-code", type=int, default=5, help="quotes per code (default 5)")
    qb.add_argument("--max-words", type=int, default=80, help="trim longer excerpts at sentence boundaries (80)")
    qb.add_argument("--format", choices=("md", "docx", "csv"), default="md")
    qb.add_argument("--output", metavar="FILE", help="write to FILE (required for docx)")
    common(qb)
    qb.set_defaults(func=cmd_quotes)

    s = sub.add_parser("search", help="full-text (BM25) or --semantic search over excerpts")
    s.add_argument("text", help="words to find, or a sentence with --semantic")
    s.add_argument("--semantic", action="store_true", help="rank by embedding similarity instead of BM25")
    s.add_argument("--code", action="append", default=[], metavar="CODE", help="code or family (repeatable)")
    s.add_argument("--limit", type=int, default=20)
    s.add_argument("--format", choices=("table", "csv", "json"), default="table")
    s.add_argument("--output", metavar="FILE")
    common(s)
    s.set_defaults(func=cmd_search)

    r = sub.add_parser("report", help="a self-contained HTML report with figures and the quote bank")
    r.add_argument("--out", default="report", metavar="DIR", help="output folder (default ./report)")
    r.add_argument("--basis", choices=list(BASES), default="effective")
    r.add_argument("--survey", metavar="FILE", help="survey CSV (pseudonym + 0-10 score per area) to triangulate")
    r.add_argument("--per-code", type=int, default=3, help="quotes per code in the report (default 3)")
    common(r, where=False)
    r.set_defaults(func=cmd_report)

    ix = warehouse_sub.add_parser("index", help="rebuild the full-text search index")
    warehouse_opt(ix)
    ix.set_defaults(func=cmd_warehouse_index)
