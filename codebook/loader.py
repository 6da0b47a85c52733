"""Load, validate and hash the codebook. Errors carry their path inside the file:
``codebook.yaml: families -> area -> codes -> 3 -> id: ...``."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from matcoder.codebook.schema import Codebook, Pattern, check_pattern, pattern_text
from matcoder.errors import CodebookError

DEFAULT_PATH = Path(__file__).with_name("codebook.yaml")
SCHEMA_PATH = Path(__file__).with_name("codebook.schema.json")


def _where(loc) -> str:
    return " -> ".join(str(part) for part in loc)


def _cross_checks(book: Codebook) -> list[str]:
    """Rules that span fields; each returns 'path: problem'."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    all_ids = set(book.ids())
    for fam_name, family in book.families.items():
        if family.weighted and fam_name != "area":
            problems.append(f"families -> {fam_name} -> weighted: weights are allowed only on the 'area' family")
        for i, code in enumerate(family.codes):
            where = f"families -> {fam_name} -> codes -> {i}"
            if code.id.split(".", 1)[0] != fam_name:
                problems.append(f"{where} -> id: {code.id!r} does not start with its family prefix '{fam_name}.'")
            if code.id in seen:
                problems.append(f"{where} -> id: duplicate id {code.id!r} (also at {seen[code.id]})")
            seen.setdefault(code.id, where)
            for j, other in enumerate(code.confusable_with):
                if other not in all_ids:
                    problems.append(f"{where} -> confusable_with -> {j}: unknown code {other!r}")
            for field in ("requires", "unless"):
                value = getattr(code, field)
                if value is not None and value not in book.cues:
                    problems.append(f"{where} -> {field}: unknown cue set {value!r}")
            for j, example in enumerate(code.examples):
                if example.weight is not None and not family.weighted:
                    problems.append(
                        f"{where} -> examples -> {j} -> weight: weights are allowed only on area codes"
                    )
    for where, specs in book.pattern_lists():
        for i, spec in enumerate(specs):
            try:
                check_pattern(pattern_text(spec))
            except ValueError as exc:
                suffix = " -> match" if isinstance(spec, Pattern) else ""
                problems.append(f"{where} -> {i}{suffix}: {exc}")
    values = sorted(w.value for w in book.weights)
    if values != [1, 2, 3]:
        problems.append(f"weights: need exactly one level each for 1, 2, 3 (found {values})")
    previous_max = 0
    for i, stage in enumerate(book.growth_stages):
        if stage.code not in all_ids:
            problems.append(f"growth_stages -> {i} -> code: unknown code {stage.code!r}")
        if stage.min_schools != previous_max + 1:
            problems.append(f"growth_stages -> {i} -> min_schools: must be {previous_max + 1} (stages must be contiguous)")
        if stage.max_schools is not None and stage.max_schools < stage.min_schools:
            problems.append(f"growth_stages -> {i} -> max_schools: smaller than min_schools")
        previous_max = stage.max_schools if stage.max_schools is not None else 10**9
        if stage.max_schools is None and i != len(book.growth_stages) - 1:
            problems.append(f"growth_stages -> {i} -> max_schools: only the last stage may be open-ended")
    return problems


def parse_codebook(text: str, name: str = "codebook.yaml") -> Codebook:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise CodebookError(f"{name}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise CodebookError(f"{name}: expected a mapping at the top level")
    try:
        book = Codebook.model_validate(data)
    except ValidationError as exc:
        lines = [f"{name}: {_where(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        raise CodebookError("\n".join(lines)) from None
    problems = _cross_checks(book)
    if problems:
        raise CodebookError("\n".join(f"{name}: {p}" for p in problems))
    return book


def load_codebook(path: Path | str | None = None) -> Codebook:
    path = Path(path) if path else DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CodebookError(f"{path}: cannot read codebook ({exc.strerror})") from None
    return parse_codebook(text, path.name)


@lru_cache(maxsize=8)
def default_codebook() -> Codebook:
    return load_codebook(DEFAULT_PATH)


def codebook_hash(book: Codebook) -> str:
    """Hash of the validated content (not the file bytes): comments and layout do not change it."""
    canonical = json.dumps(book.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def json_schema() -> str:
    return json.dumps(Codebook.model_json_schema(), indent=2, sort_keys=True) + "\n"
