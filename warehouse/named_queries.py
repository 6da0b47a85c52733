"""Named analyst queries: ``warehouse/queries/NAME.sql``, run by ``matcoder query``.

A query file opens with a header::

    -- purpose: one line saying what it answers
    -- param NAME: what it is [default: VALUE] (identifier)

Value parameters are bound (``$name``; an empty default is NULL), never pasted into
SQL. An ``(identifier)`` parameter names a column and is checked against the case
attributes before it is substituted for ``{name}``. Three more placeholders and a value:

- ``{codings}``: the codings to count, by ``basis``: ``effective`` (default: reviewers'
  codes on reviewed excerpts, the model's elsewhere), ``model`` (machine codes only,
  to compare) or ``human`` (reviewed excerpts only);
- ``{stages}``: the codebook's growth stages as rows ``(code, min_schools, max_schools)``;
- ``{where}``: the ``--where`` case-attribute filters on ``interviews i`` (and
  ``$filtered``, true when there are any, so a query can skip the join without them);
- ``$basis``: the basis's name, for a query that reads a summary table kept per basis.

Parameters with these names are checked before the query runs, so a typing slip is an
error and not an empty answer: ``code`` (a code ID, or a family as its prefix ``area.``),
``family`` (``area``), ``behaviour`` and ``breakpoint`` (a code of that family),
``weight`` (1, 2 or 3), ``limit`` and ``min_excerpts`` (whole numbers); ``case`` is a
pseudonym whatever its case and spacing (``mat27``), for SQL that compares
``lower(replace(pseudonym, ' ', ''))``. An identifier may be any ``--where`` spelling
of a case attribute (``cluster``).

Columns named ``text`` or ``question`` are pseudonymised (by the row's
``interview_id``) before they are returned: query output is an export.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from matcoder.errors import UsageError
from matcoder.warehouse.filters import COLUMNS, Condition, column_for, folded_pseudonym, where_sql

QUERIES_DIR = Path(__file__).with_name("queries")
BASES = {
    "effective": "effective_codings",
    "model": "(SELECT excerpt_id, code_id, weight, score, 'model' AS basis FROM codings WHERE source <> 'human')",
    "human": "(SELECT * FROM effective_codings WHERE basis = 'human')",
}
_PARAM = re.compile(r"^--\s*param\s+(\w+):\s*(.*?)(?:\s*\[default:\s*(.*?)\])?\s*(\(identifier\))?\s*$")


@dataclass
class Param:
    name: str
    help: str
    default: str | None
    identifier: bool


@dataclass
class NamedQuery:
    name: str
    purpose: str
    sql: str
    params: list[Param] = field(default_factory=list)


def parse(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    purpose, params = "", []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        if line.lower().startswith("-- purpose:"):
            purpose = line.split(":", 1)[1].strip()
        elif m := _PARAM.match(line):
            params.append(Param(m.group(1), m.group(2), m.group(3) or None, bool(m.group(4))))
    if not purpose:
        raise UsageError(f"{path}: the header needs a '-- purpose:' line")
    return NamedQuery(path.stem, purpose, text, params)


def available(directory: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    return {p.stem: parse(p) for p in sorted(directory.glob("*.sql"))}


def stages_sql(book) -> str:
    rows = ", ".join(f"('{s.code}', {s.min_schools}, {s.max_schools or 1_000_000})" for s in book.growth_stages)
    return f"(SELECT * FROM (VALUES {rows}) AS t(code, min_schools, max_schools))"


def _checked(name: str, value: str, book) -> str:
    """A parameter's value as the query compares it (see the module docstring)."""
    value, ids = value.strip(), "see `matcoder codebook ids`"
    if name == "code":
        checked, expected = book.code_or_family(value), f"a code ID or a family ({ids})"
    elif name == "family":
        family = value.rstrip(".").casefold()
        checked = family if family in book.families else None
        expected = f"a family ({', '.join(book.families)})"
    elif name in ("behaviour", "breakpoint"):
        family = "ceo" if name == "behaviour" else name
        code = value.casefold()
        checked = code if code in book.ids() and book.family_of(code) == family else None
        expected = f"a code of the {family} family ({ids})"
    elif name == "weight":
        checked, expected = (value if value in ("1", "2", "3") else None), "1, 2 or 3"
    elif name in ("limit", "min_excerpts"):
        number = value.replace(",", "")
        checked, expected = (number if number.isdigit() else None), "a whole number"
    elif name == "case":
        checked, expected = folded_pseudonym(value), ""
    else:
        checked, expected = value, ""
    if checked is None:
        raise UsageError(f"--param {name}={value!r}: expected {expected}")
    return checked


def render(query: NamedQuery, given: dict[str, str], book, basis: str = "effective",
           where: Sequence[Condition] = ()) -> tuple[str, dict]:
    """(SQL, named values; the --where filters become named values too)."""
    known = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise UsageError(f"query {query.name} has no parameter {unknown[0]!r}; it takes: "
                         + (", ".join(known) or "none"))
    if basis not in BASES:
        raise UsageError(f"--basis must be one of {', '.join(BASES)}")
    sql = query.sql.replace("{codings}", BASES[basis]).replace("{stages}", stages_sql(book))
    values = {}
    for p in query.params:
        value = given.get(p.name, p.default)
        if p.identifier:
            column = column_for(value or "")
            if column is None:
                raise UsageError(f"--param {p.name}: {value!r} is not a case attribute ({', '.join(COLUMNS)})")
            sql = sql.replace("{" + p.name + "}", column)
        else:
            values[p.name] = _checked(p.name, value, book) if value not in (None, "") else None
    clause, positional = where_sql(where)
    if clause and "{where}" not in sql:
        raise UsageError(f"query {query.name} takes no --where filters")
    sql = sql.replace("{where}", clause)
    values["filtered"] = bool(clause)  # lets a query skip a join when there are no filters
    values["basis"] = basis  # for a query that reads a summary kept per basis (code_pairs)
    if positional:  # DuckDB binds either names or positions: turn the filters into names
        for k, v in enumerate(positional):
            sql = sql.replace("?", f"$where_{k}", 1)
            values[f"where_{k}"] = v
    return sql, {k: v for k, v in values.items() if f"${k}" in sql}


def run(con, name: str, given: dict[str, str], book, basis: str = "effective", where: Sequence[Condition] = (),
        pseudonymise: bool = True) -> tuple[list[str], list[tuple]]:
    queries = available()
    if name not in queries:
        raise UsageError(f"no query {name!r}: `matcoder query --list` shows them")
    sql, values = render(queries[name], given, book, basis, where)
    cur = con.execute(sql, values)
    columns = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if pseudonymise and {"text", "question"} & set(columns):
        rows = _pseudonymised(con, columns, rows)
    return columns, rows


def _pseudonymised(con, columns: list[str], rows: list[tuple]) -> list[tuple]:
    from matcoder.privacy.pseudonymise import WarehouseNames

    if "interview_id" not in columns:
        raise UsageError("a query that returns text must return interview_id too (to pseudonymise it)")
    at = columns.index("interview_id")
    targets = [i for i, c in enumerate(columns) if c in ("text", "question")]
    names = WarehouseNames(con)
    out = []
    for row in rows:
        row = list(row)
        for i in targets:
            row[i] = names.text(row[at], row[i])
        out.append(tuple(row))
    return out
