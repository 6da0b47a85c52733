"""Case-attribute filters given on the command line (``--where cluster=1``,
``--where n_schools>=10``): parsed against a fixed list of ``interviews`` columns,
turned into SQL with bound values (a value never becomes SQL text)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from matcoder.errors import UsageError

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
        return f"{alias}.{self.column} {'<>' if self.op == '!=' else self.op} ?"


def _typed(column: str, raw: str, expr: str) -> object:
    kind = COLUMNS[column][0]
    if kind == "INTEGER":
        try:
            return int(raw)
        except ValueError:
            raise UsageError(f"--where {expr}: {column} takes a whole number") from None
    if kind == "BOOLEAN":
        value = raw.lower()
        if value not in ("true", "false", "yes", "no", "1", "0"):
            raise UsageError(f"--where {expr}: {column} takes yes or no")
        return value in ("true", "yes", "1")
    return raw


def parse(expressions: Sequence[str]) -> list[Condition]:
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
        out.append(Condition(column, m.group(2), _typed(column, m.group(3), expr)))
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
