"""``matcoder review ...``: the command-line side of the review loop."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from matcoder.errors import UsageError
from matcoder.output import print_json


def _activity(name: str) -> str:
    return f"review-{name}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"


def cmd_serve(args) -> int:
    from matcoder.review import server

    data_dir = Path(args.data_dir)
    if args.stop:
        print("stopped Label Studio" if server.stop(data_dir) else f"no Label Studio running for {data_dir}")
        return 0
    if args.status:
        state = server.status(data_dir)
        print_json(state)
        return 0 if state.get("answering") else 1
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: Label Studio will listen on {args.host}, not only on this machine")
    s = server.start(data_dir, args.host, args.port)
    print(f"Label Studio is running at {s.url}/ (data in {s.data_dir}, log {server.log_file(s.data_dir)})")
    print(f"Log in as {s.username}; the password is LABEL_STUDIO_PASSWORD in {s.data_dir / '.env'} "
          "(mode 0600). Reviewers join through `matcoder review invite`.")
    print("Stop it with `matcoder review serve --stop`.")
    return 0


def _client(args):
    from matcoder.review.client import LabelStudio
    from matcoder.review.server import settings

    return LabelStudio(settings(Path(args.data_dir)))


def cmd_invite(args) -> int:
    print(_client(args).invite_url())
    return 0


def cmd_config(args) -> int:
    from matcoder.codebook.loader import load_codebook
    from matcoder.review.config import label_config

    print(label_config(load_codebook(args.codebook)), end="")
    return 0


def cmd_push(args) -> int:
    from matcoder.codebook.loader import load_codebook
    from matcoder.review.push import PushOptions, push
    from matcoder.warehouse import filters
    from matcoder.warehouse.connect import connect, writer
    from matcoder.warehouse.load import interview_ids

    book = load_codebook(args.codebook)
    unknown = [c for c in args.code if c not in book.ids()]
    if unknown:
        raise UsageError(f"unknown code {unknown[0]!r}: see `matcoder codebook ids`")
    interviews, where = [], []
    if args.interview or args.where:  # an id or a file name; a slip would push nothing in silence
        with connect(Path(args.warehouse), read_only=True) as con:
            interviews, where = interview_ids(con, args.interview), filters.parse(args.where, con)
    opts = PushOptions(project=args.project, strategy=args.strategy, limit=args.limit or None, seed=args.seed,
                       interviews=interviews, codes=args.code, where=where)
    ls = _client(args)
    ls.whoami()  # fail before the warehouse is opened for writing
    with writer(Path(args.warehouse), _activity("push")) as con:
        result = push(con, ls, book, opts)
    print_json(result.__dict__)
    return 0


def cmd_pull(args) -> int:
    from matcoder.codebook.loader import load_codebook
    from matcoder.review.pull import pull
    from matcoder.warehouse.connect import writer

    book = load_codebook(args.codebook)
    ls = _client(args)
    ls.whoami()
    with writer(Path(args.warehouse), _activity("pull")) as con:
        result = pull(con, ls, book, args.project, full=args.full)
    print_json(result.__dict__)
    return 0


def cmd_agreement(args) -> int:
    from matcoder.codebook.loader import load_codebook
    from matcoder.review.agreement import report
    from matcoder.warehouse.connect import connect

    with connect(Path(args.warehouse), read_only=True) as con:
        out = report(con, load_codebook(args.codebook), args.sample)
    if args.format == "json":
        print_json(out)
    else:
        print(agreement_table(out), end="")
    return 0


def agreement_table(out: dict) -> str:
    from matcoder.models.evaluation import _fmt, confusion_lines

    lines = [f"{out['reviewed_excerpts']} reviewed excerpts ({out['sample']}); reviewers: "
             + (", ".join(f"{r} ({n})" for r, n in out["reviewers"].items()) or "none")]
    vs = out.get("model_vs_reviewers")
    if vs:
        lines.append("model vs reviewers' consensus:")
        lines.append(f"  {'family':<12}{'support':>8}{'pred':>6}{'P':>7}{'R':>7}{'F1':>7}")
        for f in vs["families"]:
            lines.append(f"  {f['family']:<12}{f['support']:>8}{f['predicted']:>6}{_fmt(f['micro_precision']):>7}"
                         f"{_fmt(f['micro_recall']):>7}{_fmt(f['micro_f1']):>7}")
        w = vs["weights"]
        lines.append(f"  weights: exact {_fmt(w['exact'])} of {w['predicted_weighted']}, quadratic kappa "
                     f"{_fmt(w['quadratic_kappa'])}; with an empty weight as a value {_fmt(w['with_empty'])} "
                     f"of {w['found']} area codes both gave")
        if w["confusion"] is not None:
            lines += confusion_lines(w["confusion"], "    ", "reviewers", "model")
        flags = out["review_flags"]
        lines.append("  kept as proposed: " + "; ".join(
            f"{name} {_fmt(t['kept_share'])} of {t['codings']}" for name, t in flags.items()))
    rr = out.get("reviewer_vs_reviewer")
    if rr:
        lines.append(f"reviewer vs reviewer ({rr['excerpts']} excerpts with two or more reviewers):")
        for family, alpha in rr["family_mean_alpha"].items():
            lines.append(f"  {family:<12} mean alpha {_fmt(alpha)}")
        lines.append(f"  weight alpha {_fmt(rr['weight_alpha'])}")
        for pair, kappas in rr["pairwise_kappa"].items():
            lines.append(f"  {pair}: " + ", ".join(f"{k} kappa {_fmt(v)}" for k, v in kappas.items()
                                                   if k != "excerpts") + f" ({kappas['excerpts']} excerpts)")
    return "\n".join(lines) + "\n"


def cmd_disagreements(args) -> int:
    from matcoder.review.agreement import disagreements
    from matcoder.warehouse.connect import connect

    with connect(Path(args.warehouse), read_only=True) as con:
        print_json(disagreements(con))
    return 0


def register(sub, parser_class, warehouse_opt) -> None:
    from matcoder.review.push import DEFAULT_PROJECT, STRATEGIES
    from matcoder.review.server import DEFAULT_DATA_DIR, DEFAULT_PORT

    rv = sub.add_parser("review", help="human review in Label Studio: serve, push, pull, agreement").add_subparsers(
        dest="review_command", required=True, parser_class=parser_class)

    def data_dir_opt(p):
        p.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR),
                       help=f"Label Studio data directory (default {DEFAULT_DATA_DIR})")

    def project_opt(p):
        p.add_argument("--project", default=DEFAULT_PROJECT, help=f"project title (default {DEFAULT_PROJECT!r})")

    def codebook_opt(p):
        p.add_argument("--codebook", metavar="FILE", help="codebook YAML (default codebook/codebook.yaml)")

    s = rv.add_parser("serve", help="start Label Studio on 127.0.0.1 (or --stop it, or --status)")
    data_dir_opt(s)
    s.add_argument("--port", type=int, help=f"port (default {DEFAULT_PORT}, or the one used before)")
    s.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)")
    s.add_argument("--stop", action="store_true", help="stop the server")
    s.add_argument("--status", action="store_true", help="is it running and answering? (exit 1 when not)")
    s.set_defaults(func=cmd_serve)

    p = rv.add_parser("push", help="send excerpts as tasks with the coder's proposals as predictions")
    data_dir_opt(p), project_opt(p), codebook_opt(p), warehouse_opt(p)
    p.add_argument("--strategy", choices=STRATEGIES, default="uncertain",
                   help="uncertain (default): flagged and low-score first; random: a seeded sample for "
                   "unbiased agreement; filter: document order")
    p.add_argument("--limit", type=int, default=200, help="at most this many new tasks (0: all; default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random strategy")
    p.add_argument("--interview", action="append", default=[], metavar="ID",
                   help="only this interview, by id or file name (repeatable)")
    p.add_argument("--code", action="append", default=[], metavar="CODE", help="only excerpts coded CODE (repeatable)")
    p.add_argument("--where", action="append", default=[], metavar="ATTR=VALUE",
                   help="case attribute filter, e.g. cluster=1 or schools>=10 (repeatable)")
    p.set_defaults(func=cmd_push)

    pl = rv.add_parser("pull", help="fetch annotations since the last pull as human codings")
    data_dir_opt(pl), project_opt(pl), codebook_opt(pl), warehouse_opt(pl)
    pl.add_argument("--full", action="store_true", help="re-read every task, not only those changed since")
    pl.set_defaults(func=cmd_pull)

    a = rv.add_parser("agreement", help="model vs reviewers and reviewer vs reviewer (kappa, alpha, weights)")
    codebook_opt(a), warehouse_opt(a)
    a.add_argument("--sample", choices=("all", "random"), default="all",
                   help="random: only excerpts pushed by the random strategy (unbiased)")
    a.add_argument("--format", choices=("json", "table"), default="table")
    a.set_defaults(func=cmd_agreement)

    d = rv.add_parser("disagreements", help="excerpts where reviewers disagree on a code or a weight")
    warehouse_opt(d)
    d.set_defaults(func=cmd_disagreements)

    i = rv.add_parser("invite", help="print the signup link for new reviewers (open signup is off)")
    data_dir_opt(i)
    i.set_defaults(func=cmd_invite)

    c = rv.add_parser("config", help="print the Label Studio labelling config generated from the codebook")
    codebook_opt(c)
    c.set_defaults(func=cmd_config)
