"""Agreement statistics reproduce textbook values."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcoder.cli import main
from matcoder.codebook.loader import default_codebook
from matcoder.models.evaluation import (calibration, cohen_kappa, confusion_lines, evaluate, krippendorff_alpha,
                                        markdown, quadratic_kappa, read_coded)
from matcoder.training import gold_items


def test_cohen_kappa_textbook_example():
    # 50 items: both yes 20, A yes / B no 5, A no / B yes 10, both no 15 -> kappa 0.4
    pairs = [(1, 1)] * 20 + [(1, 0)] * 5 + [(0, 1)] * 10 + [(0, 0)] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_krippendorff_alpha_reliability_data_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units,
    # nominal alpha = 0.743 (None = value missing).
    A = [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None]
    B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3]
    C = [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None]
    D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]
    assert krippendorff_alpha(list(zip(A, B, C, D))) == pytest.approx(0.743, abs=5e-4)


def test_alpha_and_weighted_kappa_edges():
    assert krippendorff_alpha([(1, 1), (2, 2), (3, 3)], "interval") == pytest.approx(1.0)
    assert krippendorff_alpha([(False, False), (False, None)]) is None  # no variation: undefined, not 1
    assert krippendorff_alpha([(3, 3), (2, None)], "interval") is None  # no unit with two values apart
    assert quadratic_kappa([(1, 1), (2, 2), (3, 3), (1, 3)]) < quadratic_kappa([(1, 1), (2, 2), (3, 3), (1, 2)])


def test_evaluate_counts_and_weight_agreement():
    gold = {"a": {"area.governance": 3, "ceo.culture_values": None}, "b": {"area.workforce": 1}, "c": {}}
    pred = {"a": {"area.governance": 3}, "b": {"area.workforce": 2, "ceo.culture_values": None}, "c": {}}
    r = evaluate(gold, pred, ["area.governance", "area.workforce", "ceo.culture_values"])
    by = {s.code: s for s in r.codes}
    assert (by["ceo.culture_values"].tp, by["ceo.culture_values"].predicted, by["ceo.culture_values"].support) == (0, 1, 1)
    assert by["area.governance"].precision == 1.0 and by["area.governance"].kappa == pytest.approx(1.0)
    assert r.weights.gold_weighted == 2 and r.weights.exact == 0.5
    assert r.weights.found is None and r.weights.with_empty is None  # weighted codes not named


def test_weight_agreement_counting_an_empty_weight_as_a_value():
    """A weight given where the gold leaves it empty, or left empty where the gold has one,
    is a disagreement; two empty weights agree. The other figures see none of that."""
    gold = {"a": {"area.governance": None, "area.workforce": 2}, "b": {"area.governance": None},
            "c": {"area.workforce": 3, "ceo.culture_values": None}, "d": {"area.governance": 1}}
    pred = {"a": {"area.governance": 3, "area.workforce": 2}, "b": {"area.governance": None},
            "c": {"area.workforce": None, "ceo.culture_values": None}, "d": {}}
    codes = ["area.governance", "area.workforce", "ceo.culture_values"]
    w = evaluate(gold, pred, codes, weighted=["area.governance", "area.workforce"]).weights
    assert (w.found, w.with_empty) == (4, 0.5)  # d's governance was not found; a agrees on one of two, b, not c
    assert (w.gold_weighted, w.predicted_weighted, w.exact, w.exact_over_gold) == (2, 1, 1.0, 0.5)
    # gold down (1, 2, 3, empty), predicted across: a's workforce 2 -> 2, c's workforce 3 -> empty,
    # a's governance empty -> 3, b's governance empty -> empty
    assert w.confusion == [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 1]]


def test_weight_confusion_shows_which_way_the_weights_lean():
    """Agreement alone hides a coder that puts every function nearer the centre than the
    coders did; the confusion table and its above/below count show it."""
    gold = {"x": {"area.governance": 1}, "y": {"area.governance": 3}, "z": {"area.workforce": 2},
            "v": {"area.workforce": 2}}
    pred = {"x": {"area.governance": 3}, "y": {"area.governance": 2}, "z": {"area.workforce": 3},
            "v": {"area.workforce": 2}}
    codes = ["area.governance", "area.workforce"]
    w = evaluate(gold, pred, codes, weighted=codes).weights
    assert w.confusion == [[0, 0, 1, 0], [0, 1, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    lines = confusion_lines(w.confusion)
    assert lines[-1] == "predicted weight above gold (more central) 2, below 1"
    assert lines[1].split() == ["1", "0", "0", "1", "0"]
    assert evaluate(gold, pred, codes).weights.confusion is None  # weighted codes not named
    assert "| 2 | 0 | 1 | 1 | 0 |" in markdown(evaluate(gold, pred, codes, weighted=codes))


def test_calibration_of_scores_by_hand():
    gold = {"a": {"area.governance": 3}, "b": {}}
    scores = {"a": {"area.governance": 0.9, "area.workforce": 0.3}, "b": {"area.governance": 0.1}}
    c = calibration(gold, scores)
    # codings (0.9, right), (0.3, wrong), (0.1, wrong)
    assert c.codings == 3 and c.share_right == pytest.approx(1 / 3) and c.mean_score == pytest.approx(13 / 30)
    assert c.brier == pytest.approx((0.01 + 0.09 + 0.01) / 3)
    assert [(lo, n) for lo, _, n, _, _ in c.bins] == [(0.0, 1), (0.2, 1), (0.8, 1)]
    assert c.ece == pytest.approx((0.1 + 0.3 + 0.1) / 3)
    assert calibration(gold, scores, "ceo").codings == 0 and calibration(gold, scores, "ceo").brier is None
    report = evaluate(gold, {k: dict.fromkeys(v) for k, v in scores.items()}, ["area.governance", "area.workforce"],
                      scores)
    assert [c.family for c in report.calibration] == ["all", "area"]
    assert evaluate(gold, {}, ["area.governance"]).calibration is None


def test_cli_compares_human_coders(tmp_path: Path, capsys):
    lines = {"a": [{"id": "1", "codes": [{"code": "area.governance", "weight": 3}]},
                   {"id": "2", "codes": []}, {"id": "3", "codes": [{"code": "area.workforce", "weight": 1}]}],
             "b": [{"id": "1", "codes": [{"code": "area.governance", "weight": 3}]},
                   {"id": "2", "codes": [{"code": "area.workforce", "weight": 2}]},
                   {"id": "3", "codes": [{"code": "area.workforce", "weight": 1}]}]}
    for name, rows in lines.items():
        (tmp_path / f"{name}.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["evaluate", "--coders", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["coders"] == 2 and out["alpha"]["area.governance"] == pytest.approx(1.0)
    assert out["alpha"]["area.workforce"] < 1.0
    assert out["alpha"]["ceo.culture_values"] is None and out["applied"]["area.workforce"] == [1, 2]
    assert set(out["family_mean_alpha"]) == {"area"}  # no family scored on codes nobody applied
    assert out["family_mean_alpha"]["area"] == pytest.approx((1.0 + out["alpha"]["area.workforce"]) / 2)
    assert main(["evaluate", "--coders", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"),
                 "--format", "table"]) == 0
    text = capsys.readouterr().out
    assert "2 coders, 3 excerpts" in text and "applied: a" in text and "applied: b" in text
    assert [line.split()[1:] for line in text.splitlines() if line.startswith("area.workforce")] == [
        [f"{out['alpha']['area.workforce']:.3f}", "1", "2"]]
    assert main(["evaluate", "--gold", str(tmp_path / "a.jsonl"), "--predictions", str(tmp_path / "b.jsonl"),
                 "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {c["code"]: c["precision"] for c in report["codes"]}["area.workforce"] == 0.5
    assert report["calibration"] is None  # a human coder's file has no scores
    rows = [dict(r, codes=[dict(c, score=0.75) for c in r["codes"]]) for r in lines["b"]]
    (tmp_path / "scored.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["evaluate", "--gold", str(tmp_path / "a.jsonl"), "--predictions", str(tmp_path / "scored.jsonl"),
                 "--format", "json"]) == 0
    [overall, *_] = json.loads(capsys.readouterr().out)["calibration"]
    assert overall["codings"] == 3 and overall["share_right"] == pytest.approx(2 / 3)
    assert overall["brier"] == pytest.approx((2 * 0.25 ** 2 + 0.75 ** 2) / 3)


def test_evaluate_and_train_refuse_a_gold_file_with_codings_the_codebook_does_not_have(tmp_path: Path, capsys):
    rows = [{"id": "1", "text": "One finance team for all schools.", "codes": [{"code": "area.shared_services",
                                                                               "weight": 3}]},
            {"id": "2", "text": "Heads pick their own schemes.", "codes": [{"code": "area.curriculum", "weight": 1}]},
            {"id": "3", "text": "x", "codes": [{"code": "area.governance", "weight": 5}]},
            {"id": "4", "text": "x", "codes": [{"code": "area.governance", "weight": 0}]},
            {"id": "5", "text": "x", "codes": [{"code": "area.workforce"}, {"code": "area.workforce", "weight": 2}]},
            {"id": "6", "codes": [{"code": "area.workforce", "score": 1.5}]},
            {"id": "7", "text": "x", "codes": [{"code": "governance"}]}]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["evaluate", "--gold", str(gold), "--coder", "rules.v1"]) == 1
    err = capsys.readouterr().err
    assert "gold.jsonl: 6 bad lines: line 2: unknown code 'area.curriculum'" in err
    assert "and 1 more" in err
    for message in ("line 3: area.governance: weight 5 (must be one of 1, 2, 3, or null)",
                    "line 4: area.governance: weight 0", "line 5: area.workforce listed twice, with weights None and 2",
                    "line 6: area.workforce: score 1.5 outside 0-1"):
        assert message in err
    assert main(["evaluate", "--coders", str(gold), str(gold)]) == 1
    assert main(["train", "--gold", str(gold), "--warehouse", str(tmp_path / "none.duckdb"),
                 "--out", str(tmp_path / "art")]) == 1
    assert "line 2: unknown code 'area.curriculum'" in capsys.readouterr().err
    assert not (tmp_path / "art").exists()
    gold.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")  # the good line alone is fine
    assert main(["evaluate", "--gold", str(gold), "--coder", "rules.v1", "--format", "json"]) == 0


def test_codes_of_families_the_codebook_lacks_and_weights_on_unweighted_codes_are_set_aside_with_a_note(
        tmp_path: Path, capsys):
    # the coding frame's optional families (context.*, model.*) may be in an expert's file
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in [
        {"id": "1", "text": "The regional director would not let the school join us.",
         "codes": [{"code": "context.regulator"}, {"code": "ceo.outward_facing", "weight": 2}]},
        {"id": "2", "text": "All HR and payroll run from the centre.",
         "codes": [{"code": "area.shared_services", "weight": 3}, {"code": "model.in_house"}]}]) + "\n",
        encoding="utf-8")
    pred = tmp_path / "pred.jsonl"
    pred.write_text("\n".join(json.dumps(r) for r in [
        {"id": "1", "codes": [{"code": "ceo.outward_facing"}]},
        {"id": "2", "codes": [{"code": "area.shared_services", "weight": 3}]}]) + "\n", encoding="utf-8")
    assert main(["evaluate", "--gold", str(gold), "--predictions", str(pred), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "gold.jsonl: 2 coding(s) of families not in the codebook (context, model) set aside" in captured.err
    assert "gold.jsonl: 1 weight(s) on codes of unweighted families set aside" in captured.err
    report = json.loads(captured.out)
    assert {f["family"]: f["micro_f1"] for f in report["families"]}["ceo"] == 1.0
    assert report["weights"]["exact"] == 1.0 and report["weights"]["gold_weighted"] == 1
    assert (report["weights"]["found"], report["weights"]["with_empty"]) == (1, 1.0)
    assert report["weights"]["confusion"][2] == [0, 0, 1, 0]  # the one weight, 3 both sides
    items = gold_items(gold, default_codebook())
    assert [it.positives for it in items] == [{"ceo.outward_facing": None}, {"area.shared_services": 3}]


def test_code_ids_in_another_case_are_the_codebook_s_codes_and_a_misspelt_one_is_refused(tmp_path: Path, capsys):
    # an export from another tool may write code IDs in capitals; before, "Area.Shared_Services"
    # was set aside as a family the codebook lacks ("Area") and the excerpt scored as without it
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "1", "text": "All HR and payroll run from the centre.",
                                "codes": [{"code": "area.shared_services", "weight": 3}]}) + "\n", encoding="utf-8")
    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"id": "1", "codes": [{"code": " Area.Shared_Services", "weight": 3}]}) + "\n",
                    encoding="utf-8")
    assert main(["evaluate", "--gold", str(gold), "--predictions", str(pred), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "set aside" not in captured.err
    report = json.loads(captured.out)
    assert {f["family"]: f["micro_f1"] for f in report["families"]}["area"] == 1.0
    assert report["weights"]["exact"] == 1.0
    pred.write_text(json.dumps({"id": "1", "codes": [{"code": "AREA.Shared_Service"}]}) + "\n", encoding="utf-8")
    assert main(["evaluate", "--gold", str(gold), "--predictions", str(pred)]) == 1
    assert "line 1: unknown code 'area.shared_service'" in capsys.readouterr().err


def test_held_out_sets_share_no_text_with_training_material_and_use_only_codebook_codes():
    book = default_codebook()
    eval_dir = Path(__file__).resolve().parent.parent / "models" / "eval"
    training = {" ".join(t.split()).lower() for t in
                [e.text for c in book.codes() for e in c.examples]
                + [line.text for name in ("dev.jsonl", "dev_more.jsonl", "dev_spoken.jsonl", "acronyms.jsonl")
                   for line in read_coded(eval_dir / name, book).values()]}
    for name in ("heldout.jsonl", "heldout_long.jsonl", "heldout_long2.jsonl"):
        held = read_coded(eval_dir / name, book)
        assert len(held) >= 16, name
        for item in held.values():
            assert " ".join(item.text.split()).lower() not in training, (name, item.id)
            assert {c.code for c in item.codes} <= set(book.ids()), (name, item.id)  # no codes: a true negative
            assert all(c.weight is None or c.code.startswith("area.") for c in item.codes), (name, item.id)


def _benchmark(name: str):
    import importlib
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    return importlib.import_module(name)


def test_dev_cross_validation_deals_short_and_long_answers_into_every_fold_per_seed():
    cv = _benchmark("cv_dev")
    lengths = [20] * 12 + [cv.LONG_WORDS] * 8
    fold = cv.fold_of(lengths, 4, seed=0)
    for f in range(4):
        assert sum(1 for n, g in zip(lengths, fold) if g == f and n < cv.LONG_WORDS) == 3
        assert sum(1 for n, g in zip(lengths, fold) if g == f and n >= cv.LONG_WORDS) == 2
    assert (cv.fold_of(lengths, 4, seed=0) == fold).all()
    assert not (cv.fold_of(lengths, 4, seed=1) == fold).all()


def test_dev_cross_validation_scores_only_the_dev_items_and_trains_on_the_extra_ones(tmp_path):
    cv = _benchmark("cv_dev")
    dev_lines = (Path(__file__).resolve().parent.parent / "models" / "eval" / "dev.jsonl").read_text().splitlines()
    short = [line for line in dev_lines if len(json.loads(line)["text"].split()) < cv.LONG_WORDS][:6]
    long = [line for line in dev_lines if len(json.loads(line)["text"].split()) >= cv.LONG_WORDS][:4]
    dev, extra = tmp_path / "dev.jsonl", tmp_path / "extra.jsonl"
    dev.write_text("\n".join(short + long) + "\n")
    extra.write_text("\n".join(dev_lines[-5:]) + "\n")
    from matcoder.models.embedding.encoder import Encoder

    shared, calls = Encoder(), []

    def fold_encoder(training, seed, fold):
        calls.append((seed, fold, {it.text for it in training}))
        return shared

    scored: list[str] = []

    def score_text(text):
        scored.append(text)
        return text

    result = cv.cross_validate(dev, [extra], folds=2, seeds=(0,), fold_encoder=fold_encoder, score_text=score_text)
    assert result["short"]["items"] == 6 and result["long"]["items"] == 4
    texts = {json.loads(line)["text"] for line in short + long}
    assert sorted(scored) == sorted(texts)  # only the scored dev items are rewritten, each once
    extra_texts = {json.loads(line)["text"] for line in dev_lines[-5:]}
    assert [(s, f) for s, f, _ in calls] == [(0, 0), (0, 1)]
    # each fold's encoder is made from the other fold's dev items and every extra item
    assert calls[0][2] - extra_texts and not (calls[0][2] - extra_texts) & (calls[1][2] - extra_texts)
    assert all(extra_texts <= seen and (seen - extra_texts) < texts for _, _, seen in calls)
    assert {"area", "breakpoint", "growth", "ceo", "weight_exact"} <= set(result["long"])
    assert 0 < result["short"]["area"] <= 1


def test_the_verbatim_benchmark_makes_the_same_speech_for_a_seed_and_the_coders_read_past_it():
    import random

    from matcoder.verbatim import disfluencies

    speech = _benchmark("cv_verbatim").speech
    text = ("We had three schools then, and the heads agreed one policy. It worked for a while, "
            "but by the time we were nine the board could not see the risks, so we changed it.")
    said = speech(text, random.Random(1), rate=3)
    assert said == speech(text, random.Random(1), rate=3) != speech(text, random.Random(2), rate=3)
    assert len(said.split()) > len(text.split()) and speech(text, random.Random(1), rate=0) == text
    assert len(disfluencies(said)) >= 3 and disfluencies(text) == []


def test_the_tuning_experiment_learns_from_single_weight_texts_and_leaves_the_base_model_alone():
    from matcoder.models.embedding.classifier import TrainingItem
    from matcoder.models.embedding.encoder import Encoder

    tuned_cv = _benchmark("cv_tuned_encoder")
    items = [TrainingItem("Payroll is run centrally for every school.", {"area.shared_services": 3}),
             TrainingItem("Heads choose their own phonics scheme.", {"area.curriculum_pedagogy": 1}),
             TrainingItem("Finance is ours, teaching is theirs.",
                          {"area.shared_services": 3, "area.curriculum_pedagogy": 1}),  # two levels: left out
             TrainingItem("We agree the assessment calendar together.", {"area.curriculum_pedagogy": 2}),
             TrainingItem("Our heads meet every week.", {"area.leadership_management": None})]
    data = tuned_cv.weight_texts(items)
    assert [w for _, w in data] == [3, 1, 2]
    base = Encoder(use_cache=False, precision="fp32")
    texts = [t for t, _ in data]
    before = base.encode_raw(texts)
    encoder = tuned_cv.TunedEncoder(tuned_cv.tune(base.model, data * 4, epochs=1, lr=1e-4, seed=0), "test")
    after = encoder.encode(texts)
    assert (after * before).sum(axis=1).min() < 0.999  # tuning moved the vectors
    assert abs(base.encode_raw(texts) - before).max() < 1e-5  # on a copy
    assert encoder.identity != base.identity


def test_the_tuning_experiment_scores_a_gold_file_per_family(tmp_path):
    from matcoder.models.rules.coder import RuleCoder

    tuned_cv = _benchmark("cv_tuned_encoder")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "g1", "text": "Payroll and HR are run from the centre for every school.",
                                "codes": [{"code": "area.shared_services", "weight": 3}]}) + "\n"
                    + json.dumps({"id": "g2", "text": "Each head chooses the curriculum for their own school.",
                                  "codes": [{"code": "area.curriculum_pedagogy", "weight": 2}]}) + "\n")
    book = default_codebook()
    result = tuned_cv.scored(book, RuleCoder(book), gold)
    assert result["area"] == 1.0  # both areas found, nothing else
    assert result["weights"] == 2 and result["weight_exact"] == 0.5  # 3 right, 1 (devolved cue) against gold 2
