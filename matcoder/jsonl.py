"""Reading JSONL files of records that carry an ``id``: each line validated by a
pydantic model (and, optionally, a check of its content); a bad line is named by the
file and its line number, and every bad line of a file is reported, not only the first."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from matcoder.errors import InputFileError

M = TypeVar("M", bound=BaseModel)
Check = Callable[[M], "str | None"]  # a record's problem, or None when it is fine
SHOWN = 5  # problems spelt out in one message; the rest are counted


@dataclass
class Lines(Generic[M]):
    """A file's good records by id (as text: 27 and "27" are one id), in file order, and
    one problem per bad line."""

    records: dict[str, M] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # "line 3: not JSON (...)"


def read_lines(path: Path, model: type[M], check: Check | None = None) -> Lines[M]:
    """Every line of ``path`` that validates, and a problem for every one that does not
    (not JSON, a field missing or of the wrong type, what ``check`` finds, an id seen on
    an earlier line); blank lines are skipped. The caller decides whether a bad line
    stops the file (``read_records``) or is skipped (``code-excerpts``). A file that
    cannot be read at all raises."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputFileError(path, f"cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputFileError(path, "not UTF-8 text") from None
    out: Lines[M] = Lines()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        problem, item = _parse(line, model, check)
        key = str(item.id) if item is not None else ""
        if problem is None and key in out.records:
            problem = f"duplicate id {key!r}"
        if problem is not None:
            out.problems.append(f"line {number}: {problem}")
        else:
            out.records[key] = item
    return out


def read_records(path: Path, model: type[M], check: Check | None = None) -> dict[str, M]:
    """Records by id, in file order; any bad line refuses the file, naming every bad line."""
    lines = read_lines(path, model, check)
    if lines.problems:
        raise InputFileError(path, summary(lines.problems))
    return lines.records


def summary(problems: list[str]) -> str:
    """One line for a file's problems: the first ``SHOWN`` spelt out, the rest counted."""
    if len(problems) == 1:
        return problems[0]
    more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return f"{len(problems)} bad lines: " + "; ".join(problems[:SHOWN]) + more


def _parse(line: str, model: type[M], check: Check | None) -> tuple[str | None, M | None]:
    try:
        item = model.model_validate(json.loads(line))
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg})", None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"]))
        return (f"{where}: {err['msg']}" if where else err["msg"]), None
    return (check(item) if check else None), item
