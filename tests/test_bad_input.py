"""Broken files get one clear line naming the problem (the file is named by the caller)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLES
from matcoder.errors import InputFileError
from matcoder.ingest.reader import read_transcript
from matcoder.ingest.speakers import RoleConfig


def problem(path: Path) -> str:
    with pytest.raises(InputFileError) as info:
        read_transcript(path)
    assert info.value.path == str(path)
    assert "\n" not in str(info.value)
    return info.value.problem


def test_empty_and_whitespace_only(tmp_path: Path):
    (tmp_path / "e.txt").write_bytes(b"")
    (tmp_path / "w.vtt").write_bytes(b"  \n\n ")
    assert problem(tmp_path / "e.txt") == "file is empty"
    assert problem(tmp_path / "w.vtt") == "file is empty"


def test_binary_junk_with_transcript_extension(tmp_path: Path):
    import random

    rng = random.Random(7)
    (tmp_path / "junk.txt").write_bytes(bytes(rng.randrange(256) for _ in range(4000)))
    (tmp_path / "png.srt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert "binary" in problem(tmp_path / "junk.txt") or "not readable" in problem(tmp_path / "junk.txt")
    assert "binary" in problem(tmp_path / "png.srt")


def test_truncated_and_fake_docx(tmp_path: Path):
    data = (SAMPLES / "mat21.docx").read_bytes()
    (tmp_path / "cut.docx").write_bytes(data[: len(data) // 2])
    (tmp_path / "fake.docx").write_text("Interviewer: hello\nCEO: hi\n", encoding="utf-8")
    assert problem(tmp_path / "cut.docx").startswith("not a valid DOCX")
    assert problem(tmp_path / "fake.docx").startswith("not a valid DOCX")


@pytest.mark.parametrize("body,expected", [
    ("1\n00:00:01.000 --> 00:00:02.000\n<v A>hi</v>\n", "not a WebVTT file"),
    ("WEBVTT\n\n1\n00:00:01 --> 00:00:02\n<v A>hi</v>\n", "line 4: malformed cue timing"),
    ("WEBVTT\n\njust some words\nno timing here\n", "line 3: cue has no timing line"),
    ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nhello there\n", "no speakers found"),
])
def test_malformed_vtt(tmp_path: Path, body: str, expected: str):
    (tmp_path / "bad.vtt").write_text(body, encoding="utf-8")
    assert expected in problem(tmp_path / "bad.vtt")


def test_malformed_srt_timing(tmp_path: Path):
    (tmp_path / "bad.srt").write_text("1\n00:00:01,000 -> 00:00:02,000\nA: hi\n", encoding="utf-8")
    assert "line 2: malformed subtitle timing" in problem(tmp_path / "bad.srt")


def test_no_recognisable_speakers_and_single_speaker(tmp_path: Path):
    (tmp_path / "prose.txt").write_text("This is an essay about trusts.\nIt has no speakers at all.\n", encoding="utf-8")
    (tmp_path / "mono.txt").write_text("CEO: I talk.\nCEO: I talk more.\n", encoding="utf-8")
    assert problem(tmp_path / "prose.txt").startswith("no speaker turns found")
    assert "only one speaker ('CEO')" in problem(tmp_path / "mono.txt")
    # a layout read only for known labels: the message names the way to read it, and that way works
    dash = tmp_path / "dash.txt"
    dash.write_text("Interviewer - How did it start?\nDana Whitlock - With two schools.\n"
                    "Interviewer - And now?\nDana Whitlock - Fourteen.\n", encoding="utf-8")
    assert "--interviewee-label" in problem(dash)
    assert [t.role for t in read_transcript(dash, RoleConfig(extra_interviewee=("Dana Whitlock",))).turns] == [
        "interviewer", "interviewee"] * 2


def test_unsupported_extension(tmp_path: Path):
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4")
    assert "unsupported file type '.pdf'" in problem(tmp_path / "x.pdf")


def test_deeply_nested_docx_is_a_message_not_a_crash(tmp_path: Path):
    import zipfile

    src = zipfile.ZipFile(SAMPLES / "mat21.docx")
    nested = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
              + "<w:p>" * 5000 + "</w:p>" * 5000 + "</w:body></w:document>")
    with zipfile.ZipFile(tmp_path / "deep.docx", "w") as out:
        for item in src.infolist():
            out.writestr(item, nested if item.filename == "word/document.xml" else src.read(item.filename))
    assert "DOCX" in problem(tmp_path / "deep.docx")


@pytest.mark.usefixtures("prefect_harness")
def test_hostile_file_names_are_data(tmp_path: Path, capsys):
    """Shell and SQL metacharacters in a file name: loaded like any other file."""
    import duckdb

    from matcoder.cli import main

    folder = tmp_path / "round"
    folder.mkdir()
    name = "x'; DROP TABLE interviews; --$(touch pwned) `id` & echo.txt"
    (folder / name).write_text("Interviewer: How is the trust organised?\nCEO: We run finance and HR "
                               "centrally for every school.\n", encoding="utf-8")
    wh = tmp_path / "w.duckdb"
    assert main(["run", str(folder), "--warehouse", str(wh), "--coder", "rules.v1", "--quiet"]) == 0
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("SELECT source_file FROM interviews").fetchall() == [(name,)]
    con.close()
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_huge_file_and_invalid_utf8(tmp_path: Path):
    big = tmp_path / "huge.txt"
    with big.open("wb") as fh:  # sparse: 21 MB on paper, nothing on disk
        fh.truncate(21 * 1024 * 1024)
    assert "too large" in problem(big)
    bad = tmp_path / "latin.txt"
    bad.write_bytes("Interviewer: How did it start?\nCEO: We started small. ".encode() + b"\xff\xfe\xfa bytes \xc3\x28\n")
    # not UTF-8: read as Windows-1252 (what older transcription exports use), not dropped
    turns = read_transcript(bad).turns
    assert [t.role for t in turns] == ["interviewer", "interviewee"]
    assert turns[1].text == "We started small. ÿþú bytes Ã("
