"""The review loop against a real Label Studio server started on a free loopback port
(its first start runs Django migrations: about 40 s, once per session)."""
from __future__ import annotations

import json
import os
import re
import socket
import stat
from pathlib import Path

import duckdb
import pytest
import requests

from conftest import coded_sample_round, read_sql
from matcoder.cli import main
from matcoder.review import server
from matcoder.review.client import LabelStudio

pytestmark = pytest.mark.usefixtures("prefect_harness")
ACCEPTED, CORRECTED, REJECTED, SKIPPED = range(4)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ls(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("labelstudio")
    settings = server.start(data_dir, "127.0.0.1", free_port())
    yield settings
    server.stop(data_dir)


@pytest.fixture(scope="module")
def round_wh(tmp_path_factory, prefect_harness) -> Path:
    """Coded by the flow's default coder, whose proposals carry review flags and the
    weight classifier's probabilities."""
    return coded_sample_round(tmp_path_factory, "review-wh", "ensemble.v1")


q = read_sql


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def checked(capsys, wh: str) -> tuple[int, dict]:
    """`matcoder warehouse check`: exit code and the failing checks."""
    code, out, _ = cli(capsys, "warehouse", "check", "--warehouse", wh)
    return code, json.loads(out)


def signup(url: str, invite_path: str, email: str, password: str) -> str:
    """A reviewer joins through the invite link, as in a browser; returns their API token."""
    s = requests.Session()
    s.get(url + invite_path)
    r = s.post(url + invite_path, data={"email": email, "password": password,
                                        "csrfmiddlewaretoken": s.cookies.get("csrftoken")},
               headers={"Referer": url + invite_path}, allow_redirects=False)
    assert r.status_code == 302, r.text[:300]
    return s.get(url + "/api/current-user/token").json()["token"]


def annotate(url: str, token: str, task_id: int, result: list[dict], cancelled: bool = False) -> dict:
    r = requests.post(f"{url}/api/tasks/{task_id}/annotations", headers={"Authorization": f"Token {token}"},
                      json={"result": result, "was_cancelled": cancelled, "lead_time": 12.5})
    assert r.status_code == 201, r.text[:300]
    return r.json()


def choices(name: str, values: list[str]) -> dict:
    return {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": values}}


def test_the_server_is_hardened(ls):
    assert ls.url.startswith("http://127.0.0.1:")
    env_file = ls.data_dir / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    password = server._read_env(env_file)["LABEL_STUDIO_PASSWORD"]
    assert password not in server.log_file(ls.data_dir).read_text(errors="replace")
    assert requests.get(f"{ls.url}/api/projects").status_code == 401
    assert requests.get(f"{ls.url}/api/projects", headers={"Authorization": "Token wrong"}).status_code == 401
    s = requests.Session()
    s.get(f"{ls.url}/user/signup/")
    r = s.post(f"{ls.url}/user/signup/", data={"email": "intruder@example.org", "password": "Str0ng-passw0rd",
                                               "csrfmiddlewaretoken": s.cookies.get("csrftoken")},
               headers={"Referer": f"{ls.url}/user/signup/"}, allow_redirects=False)
    assert r.status_code == 403
    # a second server on the same port is refused instead of silently moving
    with pytest.raises(server.ReviewError, match="already in use"):
        server.start(ls.data_dir.parent / "other", "127.0.0.1", ls.port)


def test_push_annotate_pull_agreement(ls, round_wh, capsys):
    wh, base = str(round_wh), ("--data-dir", str(ls.data_dir), "--warehouse", str(round_wh))
    n_excerpts = q(round_wh, "SELECT count(*) FROM excerpts")[0][0]
    model_before = q(round_wh, "SELECT coding_id FROM codings ORDER BY 1")

    code, out, err = cli(capsys, "review", "push", *base, "--limit", "0")
    assert code == 0, err
    pushed = json.loads(out)
    assert pushed["pushed"] == n_excerpts
    client = LabelStudio(ls)
    tasks = list(client.tasks(pushed["project_id"]))
    assert len(tasks) == n_excerpts
    project = client.project(pushed["project_id"])
    coder = q(round_wh, "SELECT DISTINCT coder FROM interviews")[0][0]
    assert project["model_version"] == coder and all(t["predictions"][0]["model_version"] == coder for t in tasks)
    assert "<Choices name=\"area\"" in project["label_config"]

    # nothing identifying reaches the reviewers: no case-sheet name, no speaker name
    names = [n for (n,) in q(round_wh, "SELECT name FROM case_names")]
    names += [w for (s,) in q(round_wh, "SELECT DISTINCT speaker FROM turns") for w in s.split()
              if w[0].isupper() and w.lower() not in ("interviewer", "ceo", "chief", "executive", "respondent", "q", "a")]
    assert len(names) > 30
    shown = "\n".join(f"{t['data']['text']}\n{t['data']['question']}\n{t['data']['case']}" for t in tasks)
    leaked = [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", shown, re.IGNORECASE)]
    assert leaked == [] and "[MAT]" in shown and "[school]" in shown

    # each task lists the model's proposals: flagged ones marked, a classifier's weight with its probability
    model = {}
    for e, c, w, flag, ev in q(round_wh, "SELECT excerpt_id, code_id, weight, needs_review, evidence FROM codings "
                                         "WHERE source <> 'human'"):
        p = next((float(x["rule"].rsplit("p=", 1)[1]) for x in json.loads(ev or "[]")
                  if x["rule"].startswith("embed.v1 weight=")), None)
        model.setdefault(e, []).append((c, w, flag, p))
    for t in tasks:
        lines = t["data"]["proposals"].splitlines()
        mine = model.get(t["data"]["excerpt_id"], [])
        assert len(lines) == len(mine) or (not mine and lines == ["no codes proposed"])
        for c, w, flag, p in mine:
            [line] = [x for x in lines if x.startswith(c + ":") or x.startswith(c + " ")]
            assert line.endswith("(check)") == bool(flag)
            assert (f" weight {w} (p {p:.2f}):" in line) if p is not None and w is not None else " (p " not in line
    assert any("(p " in t["data"]["proposals"] for t in tasks)

    # never twice: a second push sends nothing
    code, out, _ = cli(capsys, "review", "push", *base, "--limit", "0")
    assert json.loads(out)["pushed"] == 0 and len(list(client.tasks(pushed["project_id"]))) == n_excerpts

    # the reviewer sees the proposals as predictions; pick tasks with an area code proposed
    with_area = [t for t in tasks if any(r["from_name"] == "area" for r in t["predictions"][0]["result"])]
    assert len(with_area) >= 4
    admin = server._read_env(ls.data_dir / ".env")["LABEL_STUDIO_USER_TOKEN"]
    picked = with_area[:4]
    proposal = picked[ACCEPTED]["predictions"][0]["result"]
    annotate(ls.url, admin, picked[ACCEPTED]["id"], proposal)  # accept as proposed
    corrected = picked[CORRECTED]
    old_area = next(r for r in corrected["predictions"][0]["result"] if r["from_name"] == "area")["value"]["choices"]
    new_area = [c for c in ("area.governance", "area.workforce") if c not in old_area][:1]
    annotate(ls.url, admin, corrected["id"], [choices("area", new_area), choices(f"weight__{new_area[0][5:]}", ["3"]),
                                              choices("ceo", ["ceo.strategic_enabler"])])
    annotate(ls.url, admin, picked[REJECTED]["id"], [])  # every proposal rejected
    annotate(ls.url, admin, picked[SKIPPED]["id"], [], cancelled=True)
    code, invite, _ = cli(capsys, "review", "invite", "--data-dir", str(ls.data_dir))
    assert code == 0 and invite.strip() == client.invite_url() and "/user/signup/?token=" in invite
    second = signup(ls.url, invite.strip()[len(ls.url):], "second.reviewer@example.org", "An0ther-Reviewer!")
    annotate(ls.url, second, picked[ACCEPTED]["id"], [choices("area", ["area.school_improvement"]),
                                                       choices("weight__school_improvement", ["1"])])

    code, out, err = cli(capsys, "review", "pull", *base)
    assert code == 0, err
    result = json.loads(out)
    assert (result["verdicts"], result["cancelled"]) == (4, 1)
    eid = {k: t["data"]["excerpt_id"] for k, t in enumerate(picked)}
    human = lambda e, who: dict(q(round_wh, "SELECT code_id, weight FROM codings WHERE source = 'human' "
                                            "AND excerpt_id = ? AND reviewer = ?", [e, who]))
    accepted_codes = {c for r in proposal if r["from_name"] in ("area", "breakpoint", "growth", "ceo")
                      for c in r["value"]["choices"]}
    assert set(human(eid[ACCEPTED], "admin@matcoder.local")) == accepted_codes
    assert human(eid[CORRECTED], "admin@matcoder.local") == {new_area[0]: 3, "ceo.strategic_enabler": None}
    assert human(eid[REJECTED], "admin@matcoder.local") == {}
    assert q(round_wh, "SELECT count(*) FROM codings WHERE source = 'human' AND excerpt_id = ?", [eid[SKIPPED]]) == [(0,)]
    # model codings stay; human ones win in the analyst view; a rejection leaves nothing
    assert q(round_wh, "SELECT coding_id FROM codings WHERE source <> 'human' ORDER BY 1") == model_before
    effective = lambda e: {c for (c,) in q(round_wh, "SELECT code_id FROM effective_codings WHERE excerpt_id = ?", [e])}
    assert effective(eid[CORRECTED]) == {new_area[0], "ceo.strategic_enabler"}
    assert effective(eid[REJECTED]) == set()
    model_of = lambda e: {c for (c,) in q(round_wh, "SELECT code_id FROM codings WHERE source <> 'human' "
                                                    "AND excerpt_id = ?", [e])}
    assert effective(eid[SKIPPED]) == model_of(eid[SKIPPED]) != set()
    # a reviewer's coding names its annotation, readable by SQL
    assert q(round_wh, "SELECT count(*), count(evidence->>'annotation') FROM codings WHERE source = 'human'") == \
        [(len(accepted_codes) + 3, len(accepted_codes) + 3)]
    # the co-occurrence summary follows the pull: the corrected excerpt's pair is a reviewer's
    pair = tuple(sorted((new_area[0], "ceo.strategic_enabler")))
    human_pairs = lambda: {(r["code_a"], r["code_b"]): r["excerpts"] for r in json.loads(
        cli(capsys, "query", "co_occurrence", "--basis", "human", "--warehouse", wh, "--format", "json")[1])}
    reviewed_pair = human_pairs().get(pair, 0)
    assert reviewed_pair >= 1
    assert checked(capsys, wh) == (0, {})
    # training learns from verdicts, including the rejection (an item with no codes)
    from matcoder.training import human_items
    from matcoder.warehouse.load import human_codings

    con = duckdb.connect(wh, read_only=True)
    items = {it.text: it.positives for it in human_items(human_codings(con))}
    con.close()
    text_of = lambda e: q(round_wh, "SELECT text FROM excerpts WHERE excerpt_id = ?", [e])[0][0]
    assert items[text_of(eid[REJECTED])] == {} and text_of(eid[SKIPPED]) not in items
    # both reviewers kept, their disagreement listed
    assert set(human(eid[ACCEPTED], "second.reviewer@example.org")) == {"area.school_improvement"}
    code, out, _ = cli(capsys, "review", "disagreements", "--warehouse", wh)
    listed = [d for d in json.loads(out) if d["excerpt_id"] == eid[ACCEPTED]]
    assert {d["code"] for d in listed} == accepted_codes | {"area.school_improvement"}

    # pulling again changes nothing; a corrected annotation corrects the warehouse
    before = q(round_wh, "SELECT * FROM codings ORDER BY coding_id")
    code, out, _ = cli(capsys, "review", "pull", *base)
    assert json.loads(out)["verdicts"] == 0 and q(round_wh, "SELECT * FROM codings ORDER BY coding_id") == before
    annotation = client.tasks(pushed["project_id"])
    ann_id = next(a["id"] for t in annotation if t["id"] == corrected["id"] for a in t["annotations"])
    r = requests.patch(f"{ls.url}/api/annotations/{ann_id}", headers={"Authorization": f"Token {admin}"},
                       json={"result": [choices("area", new_area), choices(f"weight__{new_area[0][5:]}", ["2"])]})
    assert r.status_code == 200
    code, out, _ = cli(capsys, "review", "pull", *base)
    assert json.loads(out)["verdicts"] == 1
    assert human(eid[CORRECTED], "admin@matcoder.local") == {new_area[0]: 2}
    assert human_pairs().get(pair, 0) == reviewed_pair - 1  # the reviewer took the CEO code back
    assert checked(capsys, wh) == (0, {})

    code, out, err = cli(capsys, "review", "agreement", "--warehouse", wh, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["reviewed_excerpts"] == 3 and set(report["reviewers"]) == {"admin@matcoder.local",
                                                                              "second.reviewer@example.org"}
    fam = {f["family"]: f for f in report["model_vs_reviewers"]["families"]}
    assert fam["area"]["support"] >= 1 and fam["area"]["tp"] <= fam["area"]["predicted"]
    weights = report["model_vs_reviewers"]["weights"]
    assert weights["found"] == fam["area"]["tp"] and (weights["with_empty"] is None) == (weights["found"] == 0)
    assert sum(map(sum, weights["confusion"])) == weights["found"]  # every area code both gave, by weights
    assert report["reviewer_vs_reviewer"]["excerpts"] == 1
    # the review flags: every model coding on the three reviewed excerpts, flagged or not, and
    # the ones the consensus kept as proposed; the rejected excerpt's are kept by nobody
    reviewed = [eid[ACCEPTED], eid[CORRECTED], eid[REJECTED]]
    model_rows = q(round_wh, "SELECT excerpt_id, code_id, weight, needs_review FROM codings "
                             "WHERE source <> 'human' AND list_contains(?, excerpt_id)", [reviewed])
    consensus = {(e, c): w for e, c, w in q(round_wh, "SELECT excerpt_id, code_id, weight FROM effective_codings "
                                                      "WHERE basis = 'human'")}
    flags = report["review_flags"]
    for name, flagged in (("flagged", True), ("unflagged", False)):
        mine = [(e, c, w) for e, c, w, f in model_rows if bool(f) == flagged]
        kept = [(e, c) for e, c, w in mine if (e, c) in consensus and consensus[e, c] == w]
        assert flags[name]["codings"] == len(mine) and flags[name]["kept"] == len(kept)
        assert all(e != eid[REJECTED] for e, _ in kept)
    assert flags["flagged"]["codings"] + flags["unflagged"]["codings"] == len(model_rows) > 0
    assert flags["unflagged"]["kept"] + flags["flagged"]["kept"] >= 1  # the accepted excerpt's codes
    code, out, _ = cli(capsys, "review", "agreement", "--warehouse", wh)
    assert "model vs reviewers" in out and "reviewer vs reviewer" in out and "with an empty weight" in out
    assert "reviewers \\ model" in out and "model weight above reviewers (more central)" in out
    assert "kept as proposed: flagged" in out


def test_interrupted_push_resumes_and_a_new_model_version_refreshes_predictions(ls, round_wh, capsys, tmp_path):
    import shutil

    wh = tmp_path / "copy.duckdb"
    shutil.copy(round_wh, wh)
    base = ("--data-dir", str(ls.data_dir), "--warehouse", str(wh), "--project", "resume test")
    code, out, _ = cli(capsys, "review", "push", *base, "--strategy", "random", "--limit", "20")
    first = json.loads(out)
    assert code == 0 and first["pushed"] == 20
    # a push killed after Label Studio took a batch but before the warehouse recorded it
    client = LabelStudio(ls)
    con = duckdb.connect(str(wh))
    rows = con.execute("SELECT excerpt_id FROM excerpts WHERE excerpt_id NOT IN (SELECT excerpt_id FROM review_tasks "
                       "WHERE project_id = ?) ORDER BY 1 LIMIT 5", [first["project_id"]]).fetchall()
    con.close()
    client.import_tasks(first["project_id"], [{"data": {"excerpt_id": e, "text": "x", "question": "q", "case": "c", "proposals": ""}} for (e,) in rows])
    code, out, _ = cli(capsys, "review", "push", *base, "--strategy", "filter", "--limit", "0")
    second = json.loads(out)
    n_excerpts = q(wh, "SELECT count(*) FROM excerpts")[0][0]
    assert second["recovered"] == 5 and second["pushed"] == n_excerpts - 25
    ids = [t["data"]["excerpt_id"] for t in client.tasks(first["project_id"])]
    assert len(ids) == len(set(ids)) == n_excerpts
    # the interview is recoded by a new model version: its tasks get fresh predictions
    con = duckdb.connect(str(wh))
    iid = con.execute("SELECT interview_id FROM interviews ORDER BY 1 LIMIT 1").fetchone()[0]
    con.execute("UPDATE interviews SET coder = 'rules.v2-test' WHERE interview_id = ?", [iid])
    n_iid = con.execute("SELECT count(*) FROM excerpts WHERE interview_id = ?", [iid]).fetchone()[0]
    con.close()
    code, out, _ = cli(capsys, "review", "push", *base)
    assert json.loads(out)["refreshed"] == n_iid
    versions = [p["model_version"] for t in client.tasks(first["project_id"]) if t["data"]["excerpt_id"].startswith(iid + ":")
                for p in t["predictions"]]
    assert "rules.v2-test" in versions


def test_server_down_or_token_wrong_is_one_message_and_nothing_written(ls, round_wh, capsys, tmp_path, monkeypatch):
    import shutil

    wh = tmp_path / "copy.duckdb"
    shutil.copy(round_wh, wh)
    before = q(wh, "SELECT (SELECT count(*) FROM review_tasks), (SELECT count(*) FROM codings)")
    monkeypatch.setenv("MATCODER_LS_TOKEN", "not-the-token")
    code, _, err = cli(capsys, "review", "push", "--data-dir", str(ls.data_dir), "--warehouse", str(wh))
    assert code == 1 and "refused the API token" in err and "not-the-token" not in err and len(err.splitlines()) == 1
    monkeypatch.delenv("MATCODER_LS_TOKEN")
    monkeypatch.setenv("MATCODER_LS_URL", f"http://127.0.0.1:{free_port()}")
    code, _, err = cli(capsys, "review", "pull", "--data-dir", str(ls.data_dir), "--warehouse", str(wh))
    assert code == 1 and "not reachable" in err and "matcoder review serve" in err
    assert q(wh, "SELECT (SELECT count(*) FROM review_tasks), (SELECT count(*) FROM codings)") == before


def test_serve_status_reports_the_running_server(ls, capsys):
    code, out, _ = cli(capsys, "review", "serve", "--status", "--data-dir", str(ls.data_dir))
    state = json.loads(out)
    assert code == 0 and state["answering"] and state["url"] == ls.url
    assert os.environ.get("LABEL_STUDIO_PASSWORD") is None  # nothing leaked into our own environment
