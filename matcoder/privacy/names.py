"""The names pseudonymisation replaces: the case sheet's name columns (per interview)
and a project-wide names file (CSV ``name,role``; role one of MAT, school, name, place,
county, organisation), stored in the warehouse's private ``case_names`` table."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from matcoder.cases import HEADER_ROWS, CaseRecord, split_names
from matcoder.errors import InputFileError
from matcoder.privacy.pseudonymise import ROLES as PSEUDONYM_ROLES
from matcoder.sheets import read_tables

ROLES = tuple(r for r in PSEUDONYM_ROLES if r not in ("CEO", "Interviewer"))  # speakers come from the transcript


@dataclass(frozen=True)
class NameRow:
    interview_id: str | None
    name: str
    role: str
    source: str


def case_name_rows(cases: Mapping[str, CaseRecord]) -> list[NameRow]:
    return [NameRow(iid, name, role, "case sheet") for iid, case in sorted(cases.items())
            for name, role in case.names()]


# A row of column names, as a team heads its list: "name,role", "Names,Type".
_HEADER_NAMES = {"name", "names", "full name", "full names"}
_HEADER_ROLES = {"role", "roles", "type", "kind", "category"}


def _is_header(row: list[str]) -> bool:
    role = row[1].strip().casefold() if len(row) > 1 else ""
    return row[0].strip().casefold() in _HEADER_NAMES or role in _HEADER_ROLES


# Role words, singular and plural, and the role each stands for: a worksheet so named gives
# that role to its rows that name none ("Schools"); a cell holding one is no name.
_ROLE_WORDS = {**{r.casefold(): r for r in ROLES}, **{r.casefold() + "s": r for r in ROLES},
               "people": "name", "staff": "name", "trust": "MAT", "trusts": "MAT", "counties": "county",
               "organization": "organisation", "organizations": "organisation"}


def _sheet_role(sheet: str | None) -> str:
    return _ROLE_WORDS.get((sheet or "").strip().casefold(), "name")


def read_names_file(path: Path) -> list[NameRow]:
    """A project-wide list: ``name,role`` per line (header optional), CSV or .xlsx, every
    worksheet of a workbook read (a team may keep people and schools apart; a sheet left
    unread would leave its names in the text), a row without a role taking its sheet's
    (``_sheet_role``). Several names in one cell, separated by ``;`` or on lines of their
    own (Alt+Enter in Excel), are separate names, as in the case sheet: joined, none
    would be found."""
    rows = []
    for sheet, table in read_tables(path, "names file"):
        default = _sheet_role(sheet)
        for line_no, row in enumerate(table, start=1):
            # the header may stand below a title, as on a case sheet; a title is read as a
            # name (harmless: it is replaced where said), so no real name above it is dropped
            if not row or not row[0].strip() or (line_no <= HEADER_ROWS and _is_header(row)):
                continue
            role = row[1].strip() if len(row) > 1 and row[1].strip() else default
            match = next((r for r in ROLES if r.casefold() == role.casefold()), None)
            if match is None:
                where = f"sheet {sheet!r}, row" if sheet is not None else "line"
                raise InputFileError(path, f"{where} {line_no}: role {role!r} is not one of {', '.join(ROLES)}")
            # a role is no name: a sheet listing the roles (for a drop-down in the role
            # column) must not turn every "school" in the talk into "[name]"
            rows += [NameRow(None, name, match, path.name) for name in split_names(row[0])
                     if name.casefold() not in _ROLE_WORDS]
    return rows


def replace_names(con, rows: list[NameRow], sources: tuple[str, ...]) -> None:
    """Replace the names that came from ``sources`` in one transaction."""
    from matcoder.warehouse.load import insert_rows, transaction

    with transaction(con):
        con.execute(f"DELETE FROM case_names WHERE source IN ({', '.join('?' * len(sources))})", list(sources))
        insert_rows(con, "case_names", rows)
