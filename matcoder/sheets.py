"""The team's sheets (case sheet, names list) as rows of strings: CSV or Excel.

Research teams keep these in Excel, and Excel writes CSV with commas, or semicolons or
tabs in some settings. Whatever they save, the pipeline must read it or refuse it by
name: a case sheet passed over in silence would load interviews without attributes, and
its trust, school and people names would not be pseudonymised.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from matcoder.errors import InputFileError
from matcoder.ingest.text import decode_bytes

EXCEL = (".xlsx", ".xlsm")
UNREADABLE = {".xls": "an old Excel workbook", ".ods": "a LibreOffice sheet", ".numbers": "a Numbers sheet"}
DELIMITERS = (",", ";", "\t")
# what a team may save a sheet as, in the order one is chosen when a folder holds several
SUFFIXES = (".csv", *EXCEL, *UNREADABLE)


def find_sheet(folder: Path, stem: str) -> Path | None:
    """The folder's sheet called ``stem`` (``cases``), whatever the case of its name
    (``Cases.CSV``, as Windows and Excel may save it) or its suffix among ``SUFFIXES``
    (CSV first), which ``read_tables`` then reads or refuses by name; None when there is none."""
    try:
        entries = {p.name.casefold(): p for p in sorted(folder.iterdir()) if p.is_file()}
    except OSError:
        return None
    return next((entries[n] for n in (f"{stem}{s}" for s in SUFFIXES) if n in entries), None)


def read_tables(path: Path, what: str) -> list[tuple[str | None, list[list[str]]]]:
    """(worksheet name, rows) for every worksheet of an .xlsx workbook, in order; for a
    CSV file (UTF-8 with or without BOM, UTF-16, Windows-1252; comma, semicolon or tab,
    see ``_delimiter``) one table named None."""
    suffix = path.suffix.lower()
    if suffix in UNREADABLE:
        raise InputFileError(path, f"{what} is {UNREADABLE[suffix]}: save it as .xlsx or .csv")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot read {what} ({exc.strerror})") from None
    if suffix in EXCEL:
        return _workbook_tables(data, path, what)
    text = decode_bytes(data, str(path))
    return [(None, list(csv.reader(io.StringIO(text), delimiter=_delimiter(text))))]


def _delimiter(text: str) -> str:
    """The delimiter most of the first lines hold the same number of (Excel writes every
    row as wide as the sheet), outside quotes: a title line above the header, or a
    notes cell with commas in a semicolon sheet, does not decide it. Comma when none."""
    lines = [re.sub(r'"[^"]*"', "", line) for line in text.split("\n", 10)[:10] if line.strip()]

    def agreement(delimiter: str) -> tuple[int, int]:
        counts = Counter(n for n in (line.count(delimiter) for line in lines) if n)
        return max(((lines_, n) for n, lines_ in counts.items()), default=(0, 0))

    return max(DELIMITERS, key=agreement)


def _workbook_tables(data: bytes, path: Path, what: str) -> list[tuple[str | None, list[list[str]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for a broken file
        raise InputFileError(path, f"{what} is not a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        return [(sheet.title, [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)])
                for sheet in book.worksheets]
    finally:
        book.close()


def _cell(value) -> str:
    """A cell as the CSV Excel would save shows it: 12 not 12.0, yes/no for a tick."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)
