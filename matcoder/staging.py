"""Per-run staging files. Flow tasks pass ids and paths, never transcript text; the
text travels through these JSON files (one per interview and step) instead."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from pydantic import TypeAdapter

from matcoder.ingest.model import Transcript
from matcoder.models.base import CodeSuggestion
from matcoder.segment import Excerpt


class Staging:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, interview_id: str, step: str) -> Path:
        return self.root / f"{interview_id}.{step}.json"

    def _write(self, path: Path, payload: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(payload, encoding="utf-8")
        os.replace(tmp, path)
        return path

    def put_transcript(self, transcript: Transcript) -> Path:
        return self._write(self._path(transcript.interview_id, "transcript"), transcript.model_dump_json())

    def transcript(self, interview_id: str) -> Transcript:
        return Transcript.model_validate_json(self._path(interview_id, "transcript").read_text("utf-8"))

    def put_excerpts(self, interview_id: str, excerpts: Sequence[Excerpt]) -> Path:
        return self._write(self._path(interview_id, "excerpts"),
                           TypeAdapter(list[Excerpt]).dump_json(list(excerpts)).decode())

    def excerpts(self, interview_id: str) -> list[Excerpt]:
        return TypeAdapter(list[Excerpt]).validate_json(self._path(interview_id, "excerpts").read_text("utf-8"))

    def put_suggestions(self, interview_id: str, suggestions: Sequence[CodeSuggestion]) -> Path:
        return self._write(self._path(interview_id, "codings"),
                           TypeAdapter(list[CodeSuggestion]).dump_json(list(suggestions)).decode())

    def suggestions(self, interview_id: str) -> list[CodeSuggestion]:
        return TypeAdapter(list[CodeSuggestion]).validate_json(self._path(interview_id, "codings").read_text("utf-8"))
