"""``code-excerpts``: code a JSONL list of excerpts with the same coder as the flow; an
excerpt over 180 words is coded in the parts the flow would cut it into
(``models/passages.py``). A bad line (not JSON, no id, no text, an id seen before) is
reported with its line number and left out; the other lines are coded."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr

from matcoder.codebook.loader import load_codebook
from matcoder.jsonl import read_lines
from matcoder.models.base import CodeSuggestion, ExcerptInput
from matcoder.models.passages import predict_passages
from matcoder.models.registry import get_coder


class ExcerptLine(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: StrictStr | StrictInt  # written back as it came: 27 stays a number, "27" a string
    text: str
    question: str | None = None


def read_excerpts(path: Path) -> tuple[list[ExcerptInput], dict[str, str | int], list[str]]:
    """The good ``{"id", "text", "question"?}`` lines of ``path``, each line's id as it
    was written (by excerpt id), and a problem ("line 3: not JSON (...)") for each bad one."""
    lines = read_lines(path, ExcerptLine, lambda e: None if e.text.strip() else "text is empty")
    excerpts = [ExcerptInput(key, e.text, e.question) for key, e in lines.records.items()]
    return excerpts, {key: e.id for key, e in lines.records.items()}, lines.problems


def suggestion_json(s: CodeSuggestion, explain: bool = True) -> dict:
    item = {"code": s.code, "weight": s.weight, "score": s.score, "source": s.source, "needs_review": s.needs_review}
    if explain:
        item["evidence"] = [{"rule": e.rule, "start": e.start, "end": e.end, "text": e.text} for e in s.evidence]
    return item


def code_jsonl(input_path: Path, output_path: Path, coder_name: str, codebook: str | None,
               explain: bool = True) -> tuple[int, int, list[str], str]:
    """Code the good lines of ``input_path`` into ``output_path`` (written whole or not at
    all): (excerpts coded, codes given, problems of the lines left out, the coder's
    identity: version, artefact, reading and arithmetic)."""
    excerpts, written_ids, problems = read_excerpts(input_path)
    coder = get_coder(coder_name, load_codebook(codebook))
    by_id: dict[str, list[dict]] = {e.id: [] for e in excerpts}
    suggestions = predict_passages(coder, excerpts)  # a passage over 180 words is coded in parts
    for s in suggestions:
        by_id[s.excerpt_id].append(suggestion_json(s, explain))
    tmp = output_path.with_name(output_path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for e in excerpts:
            codes = sorted(by_id[e.id], key=lambda c: c["code"])
            fh.write(json.dumps({"id": written_ids[e.id], "codes": codes}, ensure_ascii=False) + "\n")
    tmp.replace(output_path)
    return len(excerpts), len(suggestions), problems, coder.identity
