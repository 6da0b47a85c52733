"""Shared fixtures: real files, a real DuckDB file per test, and one Prefect test
harness (a temporary local API) for the whole session."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = ROOT / "transcripts_sample"

# Prefect state for the test session lives in a temp dir, never in ~/.prefect.
_PREFECT_HOME = tempfile.mkdtemp(prefix="matcoder-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Embedding vectors are cached per test session, not in ~/.cache.
os.environ["MATCODER_CACHE"] = tempfile.mkdtemp(prefix="matcoder-cache-")


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture
def round_dir(tmp_path: Path) -> Path:
    """A copy of the small interview round in tests/fixtures/round."""
    target = tmp_path / "round"
    shutil.copytree(FIXTURES / "round", target)
    return target


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "test.duckdb"


def write_docx(path: Path, paragraphs: list[tuple[str | None, str]], bold_labels: bool = True,
               title: str | None = "Interview transcript") -> Path:
    """A real DOCX: (label, text) paragraphs; label None = continuation paragraph."""
    from docx import Document

    doc = Document()
    if title:
        doc.add_heading(title, level=1)
        doc.add_paragraph("Date: 12 March")
    for label, text in paragraphs:
        p = doc.add_paragraph()
        if label and bold_labels:
            p.add_run(label).bold = True
            if text:  # text "" = the label alone in its own bold paragraph
                p.add_run(" " + text)
        elif label:
            p.add_run(f"{label}: {text}")
        else:
            p.add_run(text)
    doc.save(path)
    return path


def coded_sample_round(tmp_path_factory, name: str, coder: str = "rules.v1") -> Path:
    """A fresh warehouse with the sample round coded by ``coder`` (one per test module
    that needs it: modules that write to it must not share it)."""
    from matcoder.cli import main

    path = tmp_path_factory.mktemp(name) / "w.duckdb"
    assert main(["run", str(SAMPLES), "--warehouse", str(path), "--coder", coder, "--quiet"]) == 0
    return path


def read_sql(path: Path, query: str, params=()) -> list[tuple]:
    """Rows of one query over a warehouse file, opened read-only and closed again."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()
