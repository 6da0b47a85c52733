"""The command line: exit codes, one-line messages, JSON where output is data."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matcoder.cli import main
from matcoder.models.rules.patterns import MATCHING
from test_codebook import SPEC_IDS

MATCODER = [sys.executable, "-m", "matcoder.cli"]


def test_console_script_help_lists_every_subcommand():
    out = subprocess.run(MATCODER + ["-h"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("run", "codebook", "code-excerpts", "warehouse"):
        assert command in out.stdout


def test_run_imports_the_embedding_stack_offline_and_without_progress_bars():
    # `run` imports sentence_transformers early, in a thread; the Hugging Face libraries read
    # these settings at import, so they must be set first (a fresh process: nothing imported yet)
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    probe = ("from matcoder.cli import _warm_up_embeddings; _warm_up_embeddings(); "
             "import huggingface_hub.constants as c, transformers.utils.logging as t; "
             "print(c.HF_HUB_OFFLINE, t.is_progress_bar_enabled())")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False"]


def test_a_reader_that_stops_reading_is_not_an_internal_error():
    # `matcoder codebook ids | head -3`: the pipe is closed before the command writes
    # (it is closed at once, while Python is still importing), so every write fails
    proc = subprocess.Popen(MATCODER + ["codebook", "ids"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait() == 141, err
    assert err == ""


def test_usage_errors_exit_2_with_one_line(capsys):
    assert main(["run", "--no-such-option"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "matcoder: unrecognized arguments: --no-such-option"
    assert main(["codebook", "show"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == \
        "matcoder: codebook show: the following arguments are required: code"
    assert main(["codebook", "show", "area.nope"]) == 2
    assert capsys.readouterr().err.strip() == "matcoder: unknown code 'area.nope'; `matcoder codebook ids` lists them"


def test_codebook_ids_and_show(capsys):
    assert main(["codebook", "ids"]) == 0
    assert capsys.readouterr().out.split() == SPEC_IDS
    assert main(["codebook", "show", "area.governance"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == "area.governance" and len(shown["examples"]) >= 10


def test_codebook_schema_accepts_the_codebook_and_rejects_a_broken_one(capsys):
    import jsonschema
    import yaml

    from matcoder.codebook.loader import DEFAULT_PATH

    assert main(["codebook", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    book = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(book, schema)  # the committed codebook is what the schema describes
    del book["families"]
    with pytest.raises(jsonschema.ValidationError, match="'families' is a required property"):
        jsonschema.validate(book, schema)


def test_review_config_is_the_labelling_config_for_the_codebook(capsys):
    from matcoder.codebook.loader import default_codebook

    assert main(["review", "config"]) == 0
    xml = capsys.readouterr().out
    book = default_codebook()
    assert xml.startswith("<View>") and all(f'value="{c}"' in xml for c in book.ids())
    assert all(f'name="weight__{c[5:]}"' in xml for c in book.weighted_ids())


def test_codebook_validate_good_and_broken(capsys, tmp_path: Path):
    assert main(["codebook", "validate"]) == 0
    assert "valid, 38 codes in 4 families" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\nfamilies: {}\n", encoding="utf-8")
    assert main(["codebook", "validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml: version: Input should be a valid string" in err
    assert "bad.yaml: growth_stages: Field required" in err


def test_code_excerpts_round_trip_with_evidence(capsys, tmp_path: Path):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x) for x in [
        {"id": "a", "text": "Finance and HR are run centrally for every school.", "question": "Back office?"},
        {"id": "b", "text": "Thank you."},
        {"id": "c", "text": "The trustees rewrote the scheme of delegation once we got to twelve schools."},
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["code-excerpts", "--input", str(src), "--output", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c"]
    a = {c["code"]: c for c in lines[0]["codes"]}
    assert a["area.shared_services"]["weight"] == 3 and a["area.shared_services"]["source"] == "rules"
    assert a["area.shared_services"]["evidence"]
    # the review flag goes out too: each coding's, as the coder set it
    from matcoder.models.embedding.coder import EnsembleCoder
    from matcoder.models.base import ExcerptInput
    from matcoder.codebook.loader import default_codebook

    direct = EnsembleCoder(default_codebook()).predict([ExcerptInput("a", "Finance and HR are run centrally for every "
                                                                     "school.", "Back office?")])
    assert {c: v["needs_review"] for c, v in a.items()} == {s.code: s.needs_review for s in direct}
    assert lines[1]["codes"] == []
    assert {"area.governance", "breakpoint.governance_delegation", "growth.established"} <= {
        c["code"] for c in lines[2]["codes"]}


def test_code_excerpts_leaves_out_bad_lines_naming_each_and_codes_the_rest(capsys, tmp_path: Path):
    src = tmp_path / "in.jsonl"
    good = {"id": "a", "text": "Finance and HR are run centrally for every school."}
    src.write_text("\n".join([json.dumps(good), '{"id": "b"', '{"id": "c"}', '{"id": "d", "text": "  "}',
                              json.dumps({"id": "a", "text": "again"}), "[1]",
                              json.dumps({"id": "e", "text": "The trustees set up three area boards."})]) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["code-excerpts", "--input", str(src), "--output", str(out), "--coder", "rules.v1"]) == 3
    err = capsys.readouterr().err
    for message in ("line 2: not JSON", "line 3: text: Field required", "line 4: text is empty",
                    "line 5: duplicate id 'a'", "line 6: Input should be a valid dictionary"):
        assert f"in.jsonl: {message}" in err
    assert "5 bad line(s) left out" in err
    assert f"coded 2 excerpt(s) with rules.v1+{MATCHING}:" in err  # which coder (for ensemble.v1 down to its artefact)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["a", "e"]
    assert "area.shared_services" in {c["code"] for c in lines[0]["codes"]}


def test_numeric_ids_come_back_as_written_and_match_gold_ids(capsys, tmp_path: Path):
    src, out, gold = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "gold.jsonl"
    text = "Finance and HR are run centrally for every school."
    src.write_text(json.dumps({"id": 27, "text": text}) + "\n" + json.dumps({"id": "28", "text": "Thank you."})
                   + "\n" + json.dumps({"id": "27", "text": "again"}) + "\n", encoding="utf-8")
    assert main(["code-excerpts", "--input", str(src), "--output", str(out), "--coder", "rules.v1"]) == 3
    assert "line 3: duplicate id '27'" in capsys.readouterr().err  # 27 and "27" are one id
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == [27, "28"]
    gold.write_text(json.dumps({"id": 27, "text": text, "codes": [{"code": "area.shared_services", "weight": 3}]})
                    + "\n" + json.dumps({"id": 28, "text": "Thank you.", "codes": []}) + "\n", encoding="utf-8")
    assert main(["evaluate", "--gold", str(gold), "--predictions", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["missing_predictions"] == [] and report["weights"]["exact"] == 1.0
    assert report["scored"] == f"predictions {out}" and report["gold"] == str(gold)
    assert main(["evaluate", "--gold", str(gold), "--coder", "rules.v1", "--format", "table"]) == 0
    assert capsys.readouterr().out.startswith(f"gold: {gold}\nscored: coder rules.v1+{MATCHING}\ncodebook: ")
    gold.write_text(gold.read_text(encoding="utf-8") + json.dumps({"id": 29, "text": "x", "codes": []}) + "\n",
                    encoding="utf-8")
    out.write_text(out.read_text(encoding="utf-8") + json.dumps({"id": 30, "codes": []}) + "\n", encoding="utf-8")
    assert main(["evaluate", "--gold", str(gold), "--predictions", str(out)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["missing_predictions"] == ["29"]
    assert "out.jsonl: 1 gold excerpt(s) have no line in it: scored as no codes" in captured.err
    assert "out.jsonl: 1 line(s) name no gold excerpt: not scored" in captured.err


def test_code_excerpts_with_no_readable_file_writes_nothing(capsys, tmp_path: Path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\xff\xfe{not utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["code-excerpts", "--input", str(src), "--output", str(out)]) == 1
    assert "in.jsonl: not UTF-8 text" in capsys.readouterr().err
    assert not out.exists()


def test_warehouse_commands_on_a_missing_file(capsys, tmp_path: Path):
    assert main(["warehouse", "check", "--warehouse", str(tmp_path / "none.duckdb")]) == 1
    assert "does not exist yet" in capsys.readouterr().err
    assert main(["warehouse", "migrate", "--warehouse", str(tmp_path / "new.duckdb")]) == 0
    from matcoder.warehouse.migrate import available

    applied = json.loads(capsys.readouterr().out)["applied"]
    assert applied[:2] == ["001_init", "002_needs_review"]
    assert applied == [f"{m.version:03d}_{m.name}" for m in available()]
    assert main(["warehouse", "migrate", "--list", "--warehouse", str(tmp_path / "new.duckdb")]) == 0
    assert json.loads(capsys.readouterr().out) == []
