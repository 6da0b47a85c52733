"""``code-excerpts``: code a JSONL list of excerpts with the same coder as the flow."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from matcoder.codebook.loader import load_codebook
from matcoder.errors import InputFileError
from matcoder.models.base import CodeSuggestion, ExcerptInput
from matcoder.models.registry import get_coder


class ExcerptLine(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    text: str
    question: str | None = None


def read_excerpts(path: Path) -> list[ExcerptInput]:
    """Read ``{"id", "text", "question"?}`` lines; a bad line names file and line number."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise InputFileError(path, f"cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputFileError(path, "not UTF-8 text") from None
    out, seen = [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = ExcerptLine.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputFileError(path, f"line {number}: not JSON ({exc.msg})") from None
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputFileError(path, f"line {number}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
        if item.id in seen:
            raise InputFileError(path, f"line {number}: duplicate id {item.id!r}")
        seen.add(item.id)
        out.append(ExcerptInput(item.id, item.text, item.question))
    return out


def suggestion_json(s: CodeSuggestion, explain: bool = True) -> dict:
    item = {"code": s.code, "weight": s.weight, "score": s.score, "source": s.source}
    if explain:
        item["evidence"] = [{"rule": e.rule, "start": e.start, "end": e.end, "text": e.text} for e in s.evidence]
    return item


def code_jsonl(input_path: Path, output_path: Path, coder_name: str, codebook: str | None,
               explain: bool = True) -> tuple[int, int]:
    excerpts = read_excerpts(input_path)
    coder = get_coder(coder_name, load_codebook(codebook))
    by_id: dict[str, list[dict]] = {e.id: [] for e in excerpts}
    suggestions = coder.predict(excerpts)
    for s in suggestions:
        by_id[s.excerpt_id].append(suggestion_json(s, explain))
    tmp = output_path.with_name(output_path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for e in excerpts:
            codes = sorted(by_id[e.id], key=lambda c: c["code"])
            fh.write(json.dumps({"id": e.id, "codes": codes}, ensure_ascii=False) + "\n")
    tmp.replace(output_path)
    return len(excerpts), len(suggestions)
