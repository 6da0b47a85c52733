"""Domain errors. Every error the user can cause derives from MatcoderError and
becomes a one-line message and a non-zero exit at the CLI edge."""
from __future__ import annotations

from pathlib import Path


class MatcoderError(Exception):
    """Base of every error matcoder reports to the user as one line."""

    exit_code = 1


class UsageError(MatcoderError):
    """The command was called wrongly (missing folder, bad option value)."""

    exit_code = 2


class InputFileError(MatcoderError):
    """One input file cannot be used. Names the file and the problem."""

    def __init__(self, path: Path | str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class CodebookError(MatcoderError):
    """The codebook file is invalid; the message carries the path inside the file."""


class WarehouseError(MatcoderError):
    """The warehouse cannot be opened or written (locked, needs migration...)."""
