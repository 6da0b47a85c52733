"""Bytes to text: encoding detection, binary rejection, newline and NFC normalisation.

Offsets everywhere in matcoder are character offsets into NFC-normalised text with
``\n`` line endings; this module is where that normal form is made.
"""
from __future__ import annotations

import unicodedata

from matcoder.errors import InputFileError

_CONTROL_OK = {"\n", "\r", "\t", "\f"}


def normalise(text: str) -> str:
    """NFC-normalise and turn CRLF / CR into LF; drop a stray BOM."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    return unicodedata.normalize("NFC", text)


def decode_bytes(data: bytes, path: str) -> str:
    """Decode transcript bytes: UTF-8 (with or without BOM), UTF-16 with BOM, cp1252.

    Raises InputFileError for empty files and binary content.
    """
    if not data.strip():
        raise InputFileError(path, "file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputFileError(path, f"invalid UTF-16 text ({exc.reason})") from None
    elif b"\x00" in data:
        raise InputFileError(path, "binary content, not a text transcript (contains NUL bytes)")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise InputFileError(
                    path, "not readable as UTF-8 or Windows-1252 text (binary or corrupt)"
                ) from None
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _CONTROL_OK)
    if controls > max(3, len(text) // 200):
        raise InputFileError(path, "binary content, not a text transcript (control characters)")
    text = normalise(text)
    if not text.strip():
        raise InputFileError(path, "file is empty")
    return text
