"""Typed records that ingest produces and every later step consumes."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["interviewer", "interviewee"]


class RawTurn(BaseModel):
    """A speaker turn as read from the file, before roles are assigned."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    speaker: str
    text: str
    timestamp: str | None = None


class Turn(BaseModel):
    """One speaker turn; ``text`` is NFC-normalised with ``\\n`` line endings."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    index: int
    speaker: str
    role: Role
    text: str
    timestamp: str | None = None


class Transcript(BaseModel):
    """One interview read from one file."""

    model_config = ConfigDict(extra="forbid")
    interview_id: str
    source_file: str
    source_format: Literal["txt", "docx", "vtt", "srt"]
    content_hash: str
    header: list[str]
    turns: list[Turn]

    def answers(self) -> list[Turn]:
        return [t for t in self.turns if t.role == "interviewee"]
