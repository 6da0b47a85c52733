"""The case sheet: one row per interview with the case attributes (descriptors).

Columns (header case and spacing are free; aliases in ``ALIASES``): ``interview``
(file name or stem of the transcript), ``pseudonym`` (``MAT 27``), ``schools``,
``pupils``, ``phase``, ``school_type``, ``geography``, ``grew_rapidly``, ``cluster``,
``performance``. Values are normalised to the vocabularies below. Optional name
columns (``trust``, ``school_names``, ``people``, ``places``, ``county``; several
names separated by ``;``) list the identifying names that pseudonymisation replaces
by ``[MAT]``, ``[school]``, ``[name]``, ``[place]`` and ``[county]``.

The header row is the first row with an ``interview`` column among the first
``HEADER_ROWS`` (teams put a title above it). Every worksheet of a workbook that has
one is read, so a sheet per round is read whole and a notes sheet is passed over.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from matcoder.errors import InputFileError
from matcoder.ingest.reader import interview_id_of
from matcoder.sheets import read_tables

ALIASES = {
    "interview": ("interview", "interview_id", "file", "transcript", "filename", "file_name", "transcript_file"),
    "pseudonym": ("pseudonym", "case", "mat", "trust_pseudonym"),
    "n_schools": ("schools", "n_schools", "number_of_schools", "no_of_schools", "academies"),
    "n_pupils": ("pupils", "n_pupils", "number_of_pupils", "no_of_pupils"),
    "phase": ("phase", "phase_mix"),
    "school_type": ("school_type", "type", "school_type_mix"),
    "geography": ("geography", "geographical_spread", "spread"),
    "grew_rapidly": ("grew_rapidly", "rapid_growth", "grew_rapidly_2012_2017"),
    "strategy_cluster": ("cluster", "strategy_cluster"),
    "performance": ("performance", "performance_band"),
    # identifying names, used only to pseudonymise (never loaded as attributes); several
    # names in one cell are separated by ";" or put on lines of their own (Alt+Enter in Excel)
    "trust_name": ("trust", "trust_name", "mat_name", "trust_names"),
    "school_names": ("school_names", "schools_named", "school_name"),
    "people": ("people", "people_named", "names", "person_names"),
    "places": ("places", "towns", "place_names", "town_names"),
    "counties": ("county", "counties", "local_authority", "local_authorities", "region"),
}
_WHOLE = r"(\d+)(?:\.0+)?"  # "6900", or "6900.0" as pandas writes a number column with gaps
HEADER_ROWS = 10  # rows searched for the header row; a title or a note may stand above it
NAME_ROLES = {"trust_name": "MAT", "school_names": "school", "people": "name", "places": "place",
              "counties": "county"}
VOCAB = {
    "phase": {"mixed": "mixed", "primary": "primary", "predominantly primary": "primary",
              "secondary": "secondary", "predominantly secondary": "secondary"},
    "school_type": {"mixed": "mixed", "converter": "converter",
                    "predominantly converter": "converter", "sponsored": "sponsored",
                    "predominantly sponsored": "sponsored"},
    "geography": {"all within 1 hour": "all_within_1h", "all_within_1h": "all_within_1h",
                  "each within 1 hour of another": "chained_within_1h",
                  "chained_within_1h": "chained_within_1h", "some isolation": "some_isolation",
                  "some_isolation": "some_isolation"},
    "performance": {"higher": "higher", "lower": "lower"},
}


def vocab_value(field: str, value) -> str:
    """``value`` as stored for the attribute ``field`` (``phase``): case, spacing and
    underscores free, ``Predominantly primary`` as ``primary``; ValueError otherwise."""
    key = " ".join(str(value).replace("_", " ").split()).casefold()
    table = VOCAB[field]
    if key in table:
        return table[key]
    if key.replace(" ", "_") in table:
        return table[key.replace(" ", "_")]
    raise ValueError(f"{value!r} is not one of: {', '.join(sorted(set(table.values())))}")


# what a team writes in a cell it has nothing for ("n/a", "TBC"); one without a letter or
# figure ("-", "?") is one too
_PLACEHOLDERS = {"n/a", "n.a.", "n.a", "na", "none", "nil", "null", "tbc", "tba", "tbd", "unknown", "not known",
                 "not applicable"}
# and in a name cell "no" (no other names): taken as a name, "none" or "-" would be
# replaced wherever the talk says it
_NO_NAME = _PLACEHOLDERS | {"no", "nothing"}


def _is_placeholder(cell: str) -> bool:
    return cell.casefold() in _PLACEHOLDERS or not any(c.isalnum() for c in cell)


def split_names(cell: str | None) -> list[str]:
    """The names in one name cell: separated by ``;`` or line breaks (Alt+Enter in
    Excel), spaces folded; a placeholder ("n/a", "none", "TBC") or a part with fewer than
    two letters ("-", "?", "x") is none."""
    names = (" ".join(part.split()) for part in re.split(r"[;\n]", cell or ""))
    return [name for name in names if sum(c.isalpha() for c in name) >= 2 and name.casefold() not in _NO_NAME]


class CaseRecord(BaseModel):
    """Attributes of one case (trust). Every attribute may be missing (null)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    interview: str
    pseudonym: str | None = None
    n_schools: int | None = None
    n_pupils: int | None = None
    phase: Literal["mixed", "primary", "secondary"] | None = None
    school_type: Literal["mixed", "converter", "sponsored"] | None = None
    geography: Literal["all_within_1h", "chained_within_1h", "some_isolation"] | None = None
    grew_rapidly: bool | None = None
    strategy_cluster: Literal[1, 2, 3] | None = None
    performance: Literal["higher", "lower"] | None = None
    trust_name: str | None = None
    school_names: str | None = None
    people: str | None = None
    places: str | None = None
    counties: str | None = None

    def names(self) -> list[tuple[str, str]]:
        """(name, bracketed role) pairs for pseudonymisation."""
        return [(name, role) for column, role in NAME_ROLES.items() for name in split_names(getattr(self, column))]

    @field_validator("phase", "school_type", "geography", "performance", mode="before")
    @classmethod
    def _vocab(cls, value, info):
        return None if value is None else vocab_value(info.field_name, value)

    @field_validator("n_schools", "n_pupils", mode="before")
    @classmethod
    def _count(cls, value):
        if value is None:
            return None
        match = re.fullmatch(_WHOLE, str(value).replace(",", "").strip())  # "6,900" too
        if not match:
            raise ValueError(f"{value!r} is not a whole number")
        return int(match[1])

    @field_validator("strategy_cluster", mode="before")
    @classmethod
    def _cluster(cls, value):
        match = re.fullmatch(rf"(?:cluster\s*)?{_WHOLE}", str(value).strip(), re.IGNORECASE) if value else None
        return int(match[1]) if match else value  # "2", "2.0", or "Cluster 2" as a sheet may say

    @property
    def interview_id(self) -> str:
        """The id of the transcript the row names, by file name or by a path to it."""
        return interview_id_of(self.interview)


def _column_map(header: list[str]) -> tuple[dict[int, str], list[str]]:
    lookup = {alias: field for field, aliases in ALIASES.items() for alias in aliases}
    mapping, unknown = {}, []
    for i, name in enumerate(header):
        key = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")
        if key in lookup:
            mapping[i] = lookup[key]
        elif key:
            unknown.append(name)
    return mapping, unknown


def _header_row(rows: list[list[str]]) -> int | None:
    """Index of the header row: the first of the sheet's first ``HEADER_ROWS`` rows
    with an ``interview`` column (a title, a date or a note may stand above it)."""
    for i, row in enumerate(rows[:HEADER_ROWS]):
        if "interview" in _column_map(row)[0].values():
            return i
    return None


def load_cases(path: Path) -> tuple[dict[str, CaseRecord], list[str]]:
    """Read the case sheet: every worksheet of a workbook with a header row (a notes
    sheet without one is passed over). Returns records by interview id, and one problem
    line per bad cell (left empty), row (left out when it names no interview or repeats
    one) or column (ignored)."""
    tables = read_tables(path, "case sheet")
    if not any(rows for _, rows in tables):
        raise InputFileError(path, "case sheet is empty")
    found = [(name, rows, header) for name, rows in tables if (header := _header_row(rows)) is not None]
    if not found:
        where = " of any worksheet" if len(tables) > 1 else ""
        headers = ", ".join(ALIASES["interview"])
        raise InputFileError(path, f"case sheet has no 'interview' column (the transcript file name; "
                                   f"headed one of {headers}) in the first {HEADER_ROWS} rows{where}")
    problems: list[str] = []
    records: dict[str, CaseRecord] = {}
    for name, rows, header in found:
        where = f"{path} (sheet {name!r})" if len(tables) > 1 else str(path)
        mapping, unknown = _column_map(rows[header])
        columns = {field: rows[header][i].strip() for i, field in mapping.items()}
        problems += [f"{where}: column {column!r} is not a case attribute; ignored" for column in unknown]
        for row_no, row in enumerate(rows[header + 1:], start=header + 2):
            if not any(cell.strip() for cell in row):
                continue
            record, row_problems = _record(row, mapping, columns)
            problems += [f"{where}: row {row_no}: {problem}" for problem in row_problems]
            if record is None:
                continue
            if record.interview_id in records:
                problems.append(f"{where}: row {row_no}: interview {record.interview!r} appears twice; "
                                f"the row before is kept")
            else:
                records[record.interview_id] = record
    return records, problems


def _record(row: list[str], mapping: dict[int, str], columns: dict[str, str]) -> tuple[CaseRecord | None, list[str]]:
    """The row's record and a problem per bad cell. A bad cell is left empty and the rest
    of the row stands: its name columns are what pseudonymisation replaces, so leaving
    out a row for a mistyped cluster would print the trust's name in quotes. A
    placeholder ("n/a", "-", "TBC") is an empty cell, not a bad one."""
    cells = {field: row[i].strip() if i < len(row) else "" for i, field in mapping.items()}
    values = {field: None if not cell or _is_placeholder(cell) else cell for field, cell in cells.items()}
    if not values.get("interview"):
        return None, ["no interview (the transcript file name); row left out"]
    if values.get("grew_rapidly") is not None:
        flag = values["grew_rapidly"].casefold()
        values["grew_rapidly"] = {"yes": True, "y": True, "true": True, "1": True,
                                  "no": False, "n": False, "false": False, "0": False}.get(flag, flag)
    problems = []
    try:
        return CaseRecord.model_validate(values), problems
    except ValidationError as exc:
        for err in exc.errors():
            field = err["loc"][0]
            problems.append(f"column {columns[field]!r}: {err['msg'].removeprefix('Value error, ')}; left empty")
            values[field] = None
    return CaseRecord.model_validate(values), problems
