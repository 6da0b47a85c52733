"""Case-attribute filters given on the command line (``--where cluster=1``,
``--where n_schools>=10``): parsed against a fixed list of ``interviews`` columns,
turned into SQL with bound values (a value never becomes SQL text).

A value is read as the case sheet reads it (``phase=Predominantly primary`` is
``primary``, ``interview=MAT27 final.docx`` the interview id ``mat27-final``,
``pupils>=10,000``), and one no case can hold (``cluster=4``, ``phase=infant``, an
interview the warehouse does not hold) is an error: a filter that silently matched
nothing would read as "no quotes on this"."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from matcoder.cases import VOCAB, vocab_value
from matcoder.errors import UsageError
from matcoder.ingest.reader import interview_id_of

# column -> (SQL type, accepted spellings on the command line)
COLUMNS = {
    "interview_id": ("VARCHAR", ("interview", "interview_id")),
    "pseudonym": ("VARCHAR", ("pseudonym", "case", "mat")),
    "n_schools": ("INTEGER", ("n_schools", "schools")),
    "n_pupils": ("INTEGER", ("n_pupils", "pupils")),
    "phase": ("VARCHAR", ("phase",)),
    "school_type": ("VARCHAR", ("school_type", "type")),
    "geography": ("VARCHAR", ("geography",)),
    "grew_rapidly": ("BOOLEAN", ("grew_rapidly", "rapid_growth")),
    "strategy_cluster": ("INTEGER", ("strategy_cluster", "cluster")),
    "performance": ("VARCHAR", ("performance",)),
}
_ALIAS = {alias: col for col, (_, aliases) in COLUMNS.items() for alias in aliases}
_EXPR = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|!=|=|>|<)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: object

    def sql(self, alias: str = "i") -> str:
        column = f"{alias}.{self.column}"
        if self.column == "pseudonym":  # "mat 27" and "MAT27" find MAT 27
            column = f"lower(replace({column}, ' ', ''))"
        return f"{column} {'<>' if self.op == '!=' else self.op} ?"


def folded_pseudonym(value: str) -> str:
    """A pseudonym as filters compare it, with SQL's ``lower(replace(pseudonym, ' ', ''))``:
    ``mat27`` and ``MAT 27`` are one case."""
    return value.replace(" ", "").lower()


def _typed(column: str, raw: str, expr: str) -> object:
    kind = COLUMNS[column][0]
    if column in VOCAB:
        try:
            return vocab_value(column, raw)
        except ValueError as exc:
            raise UsageError(f"--where {expr}: {column}: {exc}") from None
    if column == "interview_id":
        return interview_id_of(raw)
    if column == "pseudonym":
        return folded_pseudonym(raw)
    if kind == "INTEGER":
        try:
            value = int(raw.replace(",", ""))
        except ValueError:
            raise UsageError(f"--where {expr}: {column} takes a whole number") from None
        if column == "strategy_cluster" and value not in (1, 2, 3):
            raise UsageError(f"--where {expr}: {column} is 1, 2 or 3")
        return value
    if kind == "BOOLEAN":
        value = raw.lower()
        if value not in ("true", "false", "yes", "no", "1", "0"):
            raise UsageError(f"--where {expr}: {column} takes yes or no")
        return value in ("true", "yes", "1")
    return raw


def column_for(name: str) -> str | None:
    """The ``interviews`` column an attribute name on the command line stands for
    (``cluster``, ``Phase``), or None."""
    return _ALIAS.get(name.strip().casefold())


def parse(expressions: Sequence[str], con=None) -> list[Condition]:
    """The conditions; with the warehouse's connection ``con``, an ``interview=`` value
    must name an interview it holds (by id or file name), else a UsageError."""
    out = []
    for expr in expressions:
        m = _EXPR.match(expr)
        if not m or m.group(1) not in _ALIAS:
            names = ", ".join(sorted(_ALIAS))
            raise UsageError(f"--where {expr!r}: expected ATTRIBUTE=VALUE (or >=, <=, >, <, !=) with an "
                             f"attribute among: {names}")
        column = _ALIAS[m.group(1)]
        if m.group(2) not in ("=", "!=") and COLUMNS[column][0] != "INTEGER":
            raise UsageError(f"--where {expr}: {column} can only be compared with = or !=")
        value = _typed(column, m.group(3), expr)
        if column == "interview_id" and con is not None:
            from matcoder.warehouse.load import interview_ids

            value = interview_ids(con, [m.group(3)])[0]
        out.append(Condition(column, m.group(2), value))
    return out


def where_sql(conditions: Sequence[Condition], alias: str = "i") -> tuple[str, list]:
    """(" AND ..." fragment, values); empty when there are no conditions."""
    if not conditions:
        return "", []
    return " AND " + " AND ".join(c.sql(alias) for c in conditions), [c.value for c in conditions]


def code_sql(codes: Sequence[str], column: str) -> tuple[str, list]:
    """("(... OR ...)", values) matching any of ``codes`` on ``column``: a code ID
    (``area.governance``) exactly, a family (``area`` or ``area.``) by prefix; ("", [])
    when there are none."""
    parts, values = [], []
    for c in codes:
        if "." in c.rstrip("."):
            parts.append(f"{column} = ?")
            values.append(c)
        else:
            parts.append(f"starts_with({column}, ?)")
            values.append(c.rstrip(".") + ".")
    return ("(" + " OR ".join(parts) + ")" if parts else ""), values
