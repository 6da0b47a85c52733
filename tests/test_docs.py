"""Docs that cannot drift: README commands, CLI coverage, generated tables."""
from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT
from matcoder.cli import build_parser

README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert commands[0].startswith("scripts/setup.sh && .venv/bin/matcoder run transcripts_sample")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci


def test_every_cli_command_is_documented():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        nested = [a for a in p._actions if a.dest.endswith("_command")]
        children = list(nested[0].choices) if nested else [None]
        for child in children:
            command = f"matcoder {name}" + (f" {child}" if child else "")
            assert f"`{command}" in README, f"`{command}` is not in the README"


def test_every_case_sheet_header_is_documented():
    """A team reads in the README which of its headers are taken for which column: a
    `region` column taken as names to hide must not come as a surprise."""
    from matcoder.cases import ALIASES

    section = README.split("### The case sheet", 1)[1].split("\n### ", 1)[0]
    missing = [alias for aliases in ALIASES.values() for alias in aliases if f"`{alias}`" not in section]
    assert not missing, f"case-sheet headers not in the README's case sheet section: {missing}"


def test_every_codebook_family_is_documented():
    from matcoder.codebook.loader import default_codebook

    for family in default_codebook().families:
        assert f"- `{family}`:" in README, family


def test_generated_readme_sections_are_current():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "refresh_readme.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, "README.md is stale: run .venv/bin/python scripts/refresh_readme.py"


def test_samples_have_a_readme_and_byte_exact_attributes():
    assert "invented" in (ROOT / "transcripts_sample" / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "transcripts_sample" / ".gitattributes").read_text().splitlines()[0] == "* -text"
    assert (ROOT / "ARCHITECTURE.md").exists()
