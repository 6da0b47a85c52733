"""The analyst layer on the sample round: named queries against direct SQL, human
codings winning, search, the quote bank (cited, pseudonymised, exact text) and the
HTML report rendered in headless Chromium."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from conftest import coded_sample_round, read_sql
from matcoder.cli import main
from matcoder.codebook.loader import default_codebook
from matcoder.warehouse.named_queries import available, run as run_query

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def wh(tmp_path_factory, prefect_harness) -> Path:
    return coded_sample_round(tmp_path_factory, "analysis")


sql = read_sql


def query(capsys, wh: Path, *args) -> list[dict]:
    assert main(["query", *args, "--warehouse", str(wh), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


MODEL = "FROM codings c JOIN excerpts e USING (excerpt_id) JOIN interviews i USING (interview_id) WHERE c.source <> 'human'"


def test_every_named_query_runs_and_documents_itself(wh, capsys):
    queries = available()
    assert {"code_frequency", "centralisation_profile", "co_occurrence", "breakpoints_by_stage", "ceo_by_size",
            "excerpts"} <= set(queries)
    con = duckdb.connect(str(wh), read_only=True)
    for name, q in queries.items():
        assert q.purpose
        for basis in ("effective", "model", "human"):
            run_query(con, name, {}, default_codebook(), basis)
    con.close()
    assert main(["query", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in queries)


def test_counts_match_direct_sql(wh, capsys):
    got = {(r["code_id"], r["strategy_cluster"]): (r["cases"], r["excerpts"]) for r in query(capsys, wh, "code_frequency")}
    want = {(c, str(k)): (n, m) for c, k, n, m in sql(wh, "SELECT c.code_id, i.strategy_cluster, count(DISTINCT "
                                                          f"i.interview_id), count(DISTINCT c.excerpt_id) {MODEL} GROUP BY 1, 2")}
    assert got == want and len(got) > 20
    by_phase = query(capsys, wh, "code_frequency", "--param", "attribute=phase", "--param", "family=ceo")
    assert {r["code_id"].split(".")[0] for r in by_phase} == {"ceo"}
    assert sum(r["excerpts"] for r in by_phase) == sql(
        wh, f"SELECT count(*) FROM (SELECT DISTINCT c.code_id, i.phase, c.excerpt_id {MODEL} AND c.code_id LIKE 'ceo.%')")[0][0]
    profile = query(capsys, wh, "centralisation_profile")
    want = sql(wh, f"SELECT i.pseudonym, c.code_id, count(*), round(avg(c.weight), 2) {MODEL} AND c.weight IS NOT NULL "
                   "GROUP BY 1, 2 ORDER BY 1, 2")
    assert [(r["case"], r["area"], r["weighted"], r["mean_weight"]) for r in profile] == [tuple(w) for w in want]
    assert all(r["devolved"] + r["shared"] + r["centralised"] == r["weighted"] for r in profile)
    pair_sql = ("SELECT a.code_id, b.code_id, count(DISTINCT a.excerpt_id), count(DISTINCT e.interview_id) FROM codings a "
                "JOIN codings b ON a.excerpt_id = b.excerpt_id AND a.code_id < b.code_id JOIN excerpts e "
                "ON e.excerpt_id = a.excerpt_id JOIN interviews i USING (interview_id) WHERE true {} GROUP BY 1, 2")
    for args, extra in (((), ""), (("--param", "family=area"), "AND a.code_id LIKE 'area.%' AND b.code_id LIKE 'area.%'"),
                        (("--where", "cluster=2"), "AND i.strategy_cluster = 2")):
        pairs = {(r["code_a"], r["code_b"]): (r["excerpts"], r["cases"]) for r in query(capsys, wh, "co_occurrence", *args)}
        want = {(a, b): (n, m) for a, b, n, m in sql(wh, pair_sql.format(extra))}
        assert pairs == want and len(pairs) > 3 and any(n > m for n, m in pairs.values()), args
    stages = query(capsys, wh, "breakpoints_by_stage")
    assert stages and all(r["growth_stage"] in {"growth.starter", "growth.established", "growth.national",
                                                "growth.system_leader"} for r in stages)
    one = stages[0]
    assert one["excerpts"] == sql(wh, "SELECT count(DISTINCT b.excerpt_id) FROM codings b JOIN codings s USING (excerpt_id) "
                                      "WHERE b.code_id = ? AND s.code_id = ?", [one["breakpoint"], one["growth_stage"]])[0][0]
    sizes = query(capsys, wh, "ceo_by_size")
    assert sizes and all(r["behaviour"].startswith("ceo.") and r["cases"] <= r["trusts_in_band"] for r in sizes)
    rows = query(capsys, wh, "excerpts", "--param", "code=area.", "--param", "weight=3", "--where", "cluster=2")
    assert rows and all(r["code_id"].startswith("area.") and r["weight"] == 3 and r["cluster"] == 2 for r in rows)
    assert len(rows) == sql(wh, f"SELECT count(*) {MODEL} AND c.code_id LIKE 'area.%' AND c.weight = 3 "
                                "AND i.strategy_cluster = 2")[0][0]


def test_evidence_is_json_sql_reads_and_audit_shows_with_spans_into_the_excerpt(wh, capsys):
    assert sql(wh, "SELECT DISTINCT json_type(evidence) FROM codings WHERE evidence IS NOT NULL") == [("ARRAY",)]
    spans = sql(wh, "SELECT e.excerpt_id, e.text, c.code_id, ev->>'rule', (ev->>'start')::INT, (ev->>'end')::INT, "
                    "ev->>'text' FROM codings c JOIN excerpts e USING (excerpt_id), "
                    "unnest(CAST(c.evidence AS JSON[])) AS t(ev) WHERE (ev->>'end')::INT > (ev->>'start')::INT")
    assert len(spans) > 100 and all(text[a:b] == said for _, text, _, _, a, b, said in spans)
    excerpt_id, _, code, rule, *_ = spans[0]
    assert main(["audit", excerpt_id, "--warehouse", str(wh)]) == 0
    history = json.loads(capsys.readouterr().out)
    [coding] = [c for c in history["codings"] if c["code_id"] == code]
    assert rule in [e["rule"] for e in coding["evidence"]]


def test_human_codings_win_and_the_model_basis_compares(wh, capsys, tmp_path):
    copy = tmp_path / "w.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    excerpt, code = con.execute("SELECT excerpt_id, code_id FROM codings WHERE code_id LIKE 'area.%' "
                                "ORDER BY 1, 2 LIMIT 1").fetchone()
    other = "area.governance" if code != "area.governance" else "area.workforce"
    now = datetime(2026, 11, 23)
    con.execute("INSERT INTO reviews VALUES ('s', 1, 1, 1, ?, 'rev@example.org', false, 1, ?, 'x', ?)", [excerpt, now, now])
    con.execute("INSERT INTO codings (coding_id, excerpt_id, code_id, weight, score, source, agent, agent_version, "
                "codebook_hash, run_id, reviewer, created_at, evidence, needs_review) VALUES "
                "('h1', ?, ?, 3, NULL, 'human', 'labelstudio', 'project-1', 'x', NULL, 'rev@example.org', ?, NULL, false)",
                [excerpt, other, now])
    con.close()
    effective = query(capsys, copy, "excerpts", "--param", "limit=100000")
    mine = {(r["code_id"], r["basis"]) for r in effective if r["excerpt_id"] == excerpt}
    assert mine == {(other, "human")}
    model = query(capsys, copy, "excerpts", "--param", "limit=100000", "--basis", "model")
    assert (code, "model") in {(r["code_id"], r["basis"]) for r in model if r["excerpt_id"] == excerpt}
    human = query(capsys, copy, "excerpts", "--param", "limit=100000", "--basis", "human")
    assert {r["excerpt_id"] for r in human} == {excerpt}
    # the quote bank puts the reviewed quote first and says how many are not yet reviewed
    assert main(["quotes", "--code", other, "--per-code", "4", "--warehouse", str(copy)]) == 0
    md = capsys.readouterr().out
    cites = [line for line in md.splitlines() if line.startswith("> — ")]
    assert len(cites) == 4 and cites[0].endswith("; weight 3 (centralised), reviewed")
    assert not any(line.endswith("reviewed") for line in cites[1:])
    assert ("4 quotes. Selection: codes area.governance; at most 4 per code. "
            "3 of them machine-coded and not yet reviewed") in md


def test_co_occurrence_summary_follows_every_change_and_is_filled_on_upgrade(wh, capsys, tmp_path):
    """co_occurrence reads code_pairs, kept per interview by the writers: a write that
    bypasses them is caught by the warehouse check, and refreshing puts it right."""
    from matcoder.warehouse.checks import run_checks
    from matcoder.warehouse.load import refresh_code_pairs, remove_interview
    from matcoder.warehouse.migrate import migrate

    copy = tmp_path / "w.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    excerpt, interview = con.execute("SELECT excerpt_id, interview_id FROM excerpts JOIN codings USING (excerpt_id) "
                                     "GROUP BY ALL HAVING count(*) >= 2 ORDER BY 1 LIMIT 1").fetchone()
    now = datetime(2026, 11, 23)
    con.execute("INSERT INTO reviews VALUES ('s', 1, 1, 1, ?, 'rev@example.org', false, 2, ?, 'x', ?)", [excerpt, now, now])
    for k, code in enumerate(("area.governance", "ceo.strategic_enabler")):
        con.execute("INSERT INTO codings (coding_id, excerpt_id, code_id, weight, score, source, agent, agent_version, "
                    "codebook_hash, run_id, reviewer, created_at, evidence, needs_review) VALUES "
                    "(?, ?, ?, NULL, NULL, 'human', 'labelstudio', 'project-1', 'x', NULL, 'rev@example.org', ?, NULL, "
                    "false)", [f"h{k}", excerpt, code, now])
    assert "code_pairs_current" in run_checks(con)  # written past the writers: stale, and the check says so
    refresh_code_pairs(con, [interview])
    assert run_checks(con) == {}
    con.close()
    pair = ("area.governance", "ceo.strategic_enabler")
    human = {(r["code_a"], r["code_b"]): (r["excerpts"], r["cases"])
             for r in query(capsys, copy, "co_occurrence", "--basis", "human")}
    assert human == {pair: (1, 1)}
    direct = ("SELECT count(*) FROM (SELECT excerpt_id FROM effective_codings WHERE code_id IN {} "
              "GROUP BY 1 HAVING count(DISTINCT code_id) = 2)")
    effective = {(r["code_a"], r["code_b"]): r["excerpts"] for r in query(capsys, copy, "co_occurrence")}
    model = {(r["code_a"], r["code_b"]): r["excerpts"] for r in query(capsys, copy, "co_occurrence", "--basis", "model")}
    assert effective[pair] == sql(copy, direct.format(pair))[0][0] >= 1
    assert effective != model and sum(effective.values()) < sum(model.values())

    con = duckdb.connect(str(copy))
    before = con.execute("SELECT count(*) FROM code_pairs").fetchone()[0]
    assert remove_interview(con, interview)
    assert con.execute("SELECT count(*) FROM code_pairs WHERE interview_id = ?", [interview]).fetchone()[0] == 0
    after = con.execute("SELECT count(*) FROM code_pairs").fetchone()[0]
    assert 0 < after < before
    assert run_checks(con) == {}
    # a warehouse from before migration 005, with data: upgrading fills the summary
    con.execute("DROP TABLE code_pairs")
    con.execute("DROP MACRO TABLE code_pairs_of")
    con.execute("DELETE FROM schema_migrations WHERE version = 5")
    con.close()
    con = duckdb.connect(str(copy))
    assert [m.version for m in migrate(con, copy)] == [5]
    assert con.execute("SELECT count(*) FROM code_pairs").fetchone()[0] == after and run_checks(con) == {}
    con.close()


def test_bad_parameters_are_usage_errors(wh, capsys):
    assert main(["query", "code_frequency", "--param", "attribute=text; DROP TABLE codings", "--warehouse", str(wh)]) == 2
    assert "not a case attribute" in capsys.readouterr().err
    assert main(["query", "nope", "--warehouse", str(wh)]) == 2
    assert main(["query", "excerpts", "--param", "colour=red", "--warehouse", str(wh)]) == 2
    assert main(["query", "excerpts", "--where", "colour=red", "--warehouse", str(wh)]) == 2
    assert sql(wh, "SELECT count(*) FROM codings")[0][0] > 0


def names_of(wh: Path) -> list[str]:
    """Every name the case sheet lists and every speaker name, with their parts."""
    names = [n for (n,) in sql(wh, "SELECT name FROM case_names")]
    names += [s for (s,) in sql(wh, "SELECT DISTINCT speaker FROM turns") if " " in s and s[0].isupper()
              and not s.lower().startswith(("interviewer", "chief"))]
    return names


def test_quote_bank_is_cited_pseudonymised_and_exact(wh, capsys, tmp_path):
    assert main(["quotes", "--per-code", "3", "--format", "csv", "--warehouse", str(wh)]) == 0
    quotes = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len({q["code"] for q in quotes}) > 25
    names = names_of(wh)
    assert len(names) > 30
    con = duckdb.connect(str(wh), read_only=True)
    from matcoder.privacy.pseudonymise import Pseudonymiser, interview_names

    for q in quotes:
        assert re.fullmatch(r"MAT \d+ \(cluster [123]\)", q["citation"]), q["citation"]
        for name in names:
            assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", q["quote"], re.IGNORECASE), (name, q["quote"])
        iid, turn = con.execute("SELECT interview_id, turn FROM excerpts WHERE excerpt_id = ?", [q["excerpt_id"]]).fetchone()
        source = con.execute("SELECT text FROM turns WHERE interview_id = ? AND turn = ?", [iid, turn]).fetchone()[0]
        shared = Pseudonymiser(interview_names(con, iid)).text(source)
        body = q["quote"].removeprefix("… ").removesuffix(" …")
        assert body in shared, q["excerpt_id"]
        assert len(body.split()) <= 80 or "…" not in q["quote"]
    con.close()
    # a trimmed quote starts and ends at sentence boundaries
    trimmed = [q for q in quotes if q["quote"].endswith(" …")]
    assert trimmed and all(re.search(r"[.!?’”\"]$", q["quote"].removesuffix(" …")) for q in trimmed)

    out = tmp_path / "bank.docx"
    assert main(["quotes", "--code", "area", "--weight", "3", "--where", "cluster=2", "--format", "docx",
                 "--output", str(out), "--warehouse", str(wh)]) == 0
    from docx import Document

    paragraphs = [p.text for p in Document(str(out)).paragraphs]
    assert any(p.startswith("“") for p in paragraphs)
    cites = [p for p in paragraphs if p.startswith("MAT ")]
    assert cites and all("cluster 2" in p and "weight 3" in p for p in cites)
    # the bank says what it was drawn from, as the analyst asked for it
    assert " quotes. Selection: codes area; cluster=2; weight 3; at most 5 per code. " in paragraphs[1]
    assert main(["quotes", "--code", "area.governance", "--format", "md", "--warehouse", str(wh)]) == 0
    md = capsys.readouterr().out
    assert "## Governance (`area.governance`)" in md and "> — MAT " in md
    assert main(["quotes", "--code", "Area.Governance", "--per-code", "1", "--format", "md", "--warehouse", str(wh)]) == 0
    assert "\n1 quote. Selection: codes area.governance; at most 1 per code. " in capsys.readouterr().out


def test_full_text_and_semantic_search(wh, capsys):
    rows = json.loads(_run(capsys, "search", "exam boards", "--warehouse", str(wh), "--format", "json"))
    assert rows and all(re.search(r"exam board", r["text"], re.IGNORECASE) for r in rows[:3])
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    # the fast BM25 over the index tables gives exactly the extension's match_bm25
    from matcoder.analysis.search import full_text, full_text_reference

    con = duckdb.connect(str(wh), read_only=True)
    for words in ("exam boards", "finance director central team", "governance"):
        assert [(r[1], r[5]) for r in full_text(con, words, limit=15)] == full_text_reference(con, words, limit=15)
    con.close()
    only = json.loads(_run(capsys, "search", "school", "--code", "ceo.outward_facing", "--where", "cluster=1",
                           "--warehouse", str(wh), "--format", "json"))
    assert only and all("ceo.outward_facing" in r["codes"] and r["cluster"] == 1 for r in only)
    sem = json.loads(_run(capsys, "search", "we bought a single finance system for every school", "--semantic",
                          "--limit", "5", "--warehouse", str(wh), "--format", "json"))
    assert len(sem) == 5 and sem[0]["score"] >= sem[-1]["score"]
    assert any("area.shared_services" in (r["codes"] or "") or "area.information_management" in (r["codes"] or "")
               for r in sem)


def test_search_without_an_index_says_how_to_build_one_and_warehouse_index_does(wh, capsys, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    con.execute("DROP SCHEMA fts_main_excerpts CASCADE")
    con.close()
    assert main(["search", "exam boards", "--warehouse", str(copy)]) == 1
    assert "no full-text index yet: run `matcoder warehouse index`" in capsys.readouterr().err
    assert main(["warehouse", "index", "--warehouse", str(copy)]) == 0
    capsys.readouterr()
    args = ("search", "exam boards", "--format", "json", "--warehouse")
    assert json.loads(_run(capsys, *args, str(copy))) == json.loads(_run(capsys, *args, str(wh))) != []


def _run(capsys, *args) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed (scripts/setup.sh does it)")
def test_report_renders_in_headless_chromium(wh, capsys, tmp_path):
    survey = tmp_path / "survey.csv"
    survey.write_text("pseudonym,curriculum_pedagogy,area.shared_services,workforce\nMAT 7,9,8,6\nMAT 24,5,9,4\n"
                      "MAT 27,2,7,3\n", encoding="utf-8")
    out = tmp_path / "report"
    assert main(["report", "--out", str(out), "--survey", str(survey), "--warehouse", str(wh)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    for fig in ("centralisation_heatmap", "codes_by_cluster", "codes_by_size", "breakpoints_by_stage", "triangulation"):
        assert f"<figure id='{fig}'>" in page and (out / f"{fig}.png").stat().st_size > 10_000
    assert page.count("src='data:image/png;base64,") == 5 and "http://" not in page and "https://" not in page
    assert "— MAT " in page
    for name in names_of(wh):
        assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", page, re.IGNORECASE), name
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2000", f"--screenshot={shot}",
                    (out / "report.html").as_uri()], check=True, capture_output=True, timeout=120)
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 2000)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200  # figures drawn, not a blank page


@pytest.mark.parametrize("typed, stored", [
    (("phase=Predominantly primary", "performance=Higher"), ("phase=primary", "performance=higher")),
    (("geography=Each within 1 hour of another", "mat=mat27"), ("geography=chained_within_1h", "pseudonym=MAT 27")),
    (("interview=MAT11 transcript (final).txt", "pupils>=10,000"), ("interview=mat11-transcript-final", "pupils>=10000"))])
def test_a_filter_value_is_read_as_the_case_sheet_reads_it(wh, capsys, typed, stored):
    """An analyst types a value as the case sheet or a report writes it; a filter that
    matched nothing for the spelling would read as "no excerpts on this"."""
    def rows(filters):
        return query(capsys, wh, "excerpts", *[arg for f in filters for arg in ("--where", f)])

    assert rows(typed) == rows(stored) and rows(stored)


@pytest.mark.parametrize("where, message", [("cluster=4", "strategy_cluster is 1, 2 or 3"),
                                            ("phase=infant", "phase: 'infant' is not one of: mixed, primary, secondary")])
def test_a_filter_value_no_case_can_hold_is_a_usage_error(wh, capsys, where, message):
    assert main(["quotes", "--where", where, "--warehouse", str(wh)]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("query_name, typed, stored", [
    ("excerpts", "code=area", "code=area."), ("code_frequency", "family=Area", "family=area"),
    ("centralisation_profile", "case=mat27", "case=MAT 27"), ("code_frequency", "attribute=Cluster", "attribute=strategy_cluster"),
    ("ceo_by_size", "behaviour=CEO.Outward_Facing", "behaviour=ceo.outward_facing")])
def test_a_query_parameter_is_read_whatever_its_case_or_form(wh, capsys, query_name, typed, stored):
    assert query(capsys, wh, query_name, "--param", typed) == query(capsys, wh, query_name, "--param", stored)
    assert query(capsys, wh, query_name, "--param", stored)


@pytest.mark.parametrize("args, message", [
    (("query", "excerpts", "--param", "code=area.governace"), "code='area.governace': expected a code ID or a family"),
    (("query", "excerpts", "--param", "weight=4"), "weight='4': expected 1, 2 or 3"),
    (("query", "excerpts", "--param", "limit=all"), "limit='all': expected a whole number"),
    (("query", "code_frequency", "--param", "family=areas"), "expected a family (area, breakpoint, growth, ceo)"),
    (("query", "ceo_by_size", "--param", "behaviour=area.governance"), "expected a code of the ceo family"),
    (("search", "finance", "--code", "area.financ"), "--code 'area.financ' is neither a code nor a family")])
def test_a_parameter_no_query_can_match_is_a_usage_error(wh, capsys, args, message):
    """A slip in a code or a weight answered with zero rows reads as "nothing on this"."""
    assert main([*args, "--warehouse", str(wh)]) == 2
    assert message in capsys.readouterr().err


def test_a_code_in_the_quote_bank_is_read_whatever_its_case(wh, capsys):
    banks = [_run(capsys, "quotes", "--code", code, "--format", "csv", "--warehouse", str(wh))
             for code in ("Area.Governance", "area.governance")]
    assert banks[0] == banks[1] and "area.governance" in banks[1]


def test_an_interview_is_named_by_id_or_file_name_and_one_not_held_is_a_usage_error(wh, capsys, tmp_path):
    """`review push --interview` with a slip would push nothing in silence, `--where
    interview=` would answer nothing, and `privacy check --interview` would report no
    names: each is refused (push before Label Studio is asked: none runs here, and none
    is needed to refuse)."""
    assert main(["review", "push", "--interview", "mat27_teams_recordin.vtt", "--warehouse", str(wh)]) == 2
    assert "interview 'mat27_teams_recordin.vtt' is not in the warehouse" in capsys.readouterr().err
    for command in (["query", "excerpts"], ["quotes"], ["search", "finance"], ["review", "push"]):
        assert main([*command, "--where", "interview=mat72.docx", "--warehouse", str(wh)]) == 2, command
        assert "interview 'mat72.docx' is not in the warehouse" in capsys.readouterr().err
    assert main(["privacy", "check", "--interview", "mat72", "--warehouse", str(wh)]) == 2  # not "0 candidates"
    assert "interview 'mat72' is not in the warehouse" in capsys.readouterr().err
    copy = tmp_path / "w.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))  # a name the pseudonymiser does not know, in one answer (same length)
    con.execute("UPDATE excerpts SET text = 'Ask Quenby Marchbank. ' || substr(text, 23) WHERE excerpt_id = "
                "(SELECT min(excerpt_id) FROM excerpts WHERE interview_id = 'mat27-teams-recording')")
    con.close()
    assert main(["privacy", "check", "--interview", "mat27_teams_recording.vtt", "--warehouse", str(copy),
                 "--format", "json"]) == 1  # the file name reads as its interview: the name is found
    assert any("Quenby" in f["candidate"] for f in json.loads(capsys.readouterr().out))
    assert main(["warehouse", "remove", "mat27_teams_recording.vtt", "--warehouse", str(copy)]) == 0
    assert capsys.readouterr().out.startswith("removed mat27-teams-recording: ")
    assert sql(copy, "SELECT count(*) FROM interviews WHERE interview_id = 'mat27-teams-recording'") == [(0,)]
    assert main(["warehouse", "remove", "mat27_teams_recording.vtt", "--warehouse", str(copy)]) == 2
