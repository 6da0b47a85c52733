"""Reading JSONL files of records that carry an ``id``: each line validated by a
pydantic model; a bad line names the file and its line number."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from matcoder.errors import InputFileError

M = TypeVar("M", bound=BaseModel)


def read_records(path: Path, model: type[M]) -> dict[str, M]:
    """Records by id, in file order; blank lines are skipped, duplicate ids refused."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise InputFileError(path, f"cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputFileError(path, "not UTF-8 text") from None
    out: dict[str, M] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = model.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputFileError(path, f"line {number}: not JSON ({exc.msg})") from None
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputFileError(path, f"line {number}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
        if item.id in out:
            raise InputFileError(path, f"line {number}: duplicate id {item.id!r}")
        out[item.id] = item
    return out
