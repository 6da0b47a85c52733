"""Domain objects to warehouse rows (the one place that knows both shapes)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Sequence

from matcoder.cases import CaseRecord
from matcoder.codebook.schema import Codebook
from matcoder.ingest.model import Transcript
from matcoder.models.base import CodeSuggestion
from matcoder.segment import Excerpt
from matcoder.warehouse.load import CodeRow, CodingRow, ExcerptRow, InterviewRow, TurnRow


def coding_id(excerpt_id: str, code: str, source: str, agent: str, reviewer: str | None = None) -> str:
    key = "|".join([excerpt_id, code, source, agent, reviewer or ""])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def code_rows(book: Codebook, book_hash: str) -> list[CodeRow]:
    return [CodeRow(code.id, fam_name, code.label, code.definition, family.weighted, book_hash)
            for fam_name, family in book.families.items() for code in family.codes]


def interview_row(t: Transcript, case: CaseRecord | None, coder: str, book_hash: str, run_id: str,
                  when: datetime) -> InterviewRow:
    attrs = case.model_dump(exclude={"interview"}) if case else {}
    return InterviewRow(
        interview_id=t.interview_id, source_file=t.source_file, source_format=t.source_format,
        content_hash=t.content_hash, pseudonym=attrs.get("pseudonym"), n_schools=attrs.get("n_schools"),
        n_pupils=attrs.get("n_pupils"), phase=attrs.get("phase"), school_type=attrs.get("school_type"),
        geography=attrs.get("geography"), grew_rapidly=attrs.get("grew_rapidly"),
        strategy_cluster=attrs.get("strategy_cluster"), performance=attrs.get("performance"),
        has_case_row=case is not None, coder=coder, codebook_hash=book_hash, run_id=run_id, loaded_at=when)


def turn_rows(t: Transcript) -> list[TurnRow]:
    return [TurnRow(t.interview_id, turn.index, turn.speaker, turn.role, turn.timestamp, turn.text)
            for turn in t.turns]


def excerpt_rows(excerpts: Sequence[Excerpt]) -> list[ExcerptRow]:
    return [ExcerptRow(e.excerpt_id, e.interview_id, e.turn, e.start, e.end, e.text, e.question) for e in excerpts]


def coding_rows(suggestions: Sequence[CodeSuggestion], book_hash: str, run_id: str,
                when: datetime) -> list[CodingRow]:
    rows = []
    for s in suggestions:
        evidence = json.dumps([{"rule": e.rule, "start": e.start, "end": e.end, "text": e.text}
                               for e in s.evidence], ensure_ascii=False) if s.evidence else None
        rows.append(CodingRow(coding_id(s.excerpt_id, s.code, s.source, s.agent), s.excerpt_id, s.code,
                              s.weight, s.score, s.source, s.agent, s.agent_version, book_hash, run_id,
                              None, when, evidence, s.needs_review))
    return rows
