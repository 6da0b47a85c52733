"""Benchmark for issue 4: embedding stage vs raw SentenceTransformer.encode, coder
throughput, a 4,000-excerpt round coded end to end, peak memory, and a learning curve.

Targets: the pipeline's embedding stage at >= 0.8 of raw encode throughput; a
4,000-excerpt round through `matcoder run` in under 2 minutes on 2 cores.

Usage: .venv/bin/python benchmarks/bench_embeddings.py [--excerpts 4000] [--rounds-only] [--record]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_rules import sample_excerpts  # noqa: E402
from results import record  # noqa: E402

from matcoder.codebook.loader import default_codebook  # noqa: E402
from matcoder.models.base import ExcerptInput  # noqa: E402
from matcoder.models.embedding.coder import EmbeddingCoder  # noqa: E402
from matcoder.models.embedding.encoder import Encoder  # noqa: E402
from matcoder.models.embedding.precision import VERDICTS_FILE  # noqa: E402
from matcoder.models.evaluation import as_codes, coded_by, evaluate, read_coded  # noqa: E402
from matcoder.models.registry import get_coder  # noqa: E402
from matcoder.segment import sentence_spans  # noqa: E402
from matcoder.training import gold_items  # noqa: E402


def unique(excerpts: list[ExcerptInput]) -> list[ExcerptInput]:
    """Make repeated sample texts, and each of their sentences, distinct so that no cache
    can serve them (the k-th repeat of a text gets " (k)" and k spaces after each
    sentence's first word, see ``distinct_sentences``)."""
    seen: Counter[str] = Counter()
    out = []
    for e in excerpts:
        k = seen[e.text]
        seen[e.text] += 1
        out.append(ExcerptInput(e.id, distinct_sentences(f"{e.text} ({k})", k), e.question))
    return out


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def encode_ratio(n: int) -> dict:
    """The embedding stage against raw encode in the same arithmetic (the stage's own
    overhead), and raw float32 encode (plain ``SentenceTransformer.encode``) beside them."""
    texts = unique(sample_excerpts(n))
    raw = Encoder(use_cache=False)
    raw.encode_raw(["warm up the model"])
    _, raw_s = timed(lambda: raw.encode_raw([e.text for e in texts]))
    fp32 = Encoder(use_cache=False, precision="fp32")
    _, fp32_s = timed(lambda: fp32.encode_raw([e.text for e in texts]))
    with tempfile.TemporaryDirectory() as tmp:
        coder = EmbeddingCoder(default_codebook(), encoder=Encoder(cache_path=Path(tmp) / "c.sqlite"))
        coder.encoder.encode(["warm up the model"])
        _, stage_s = timed(lambda: coder.scores(texts))
        _, cached_s = timed(lambda: coder.scores(texts))
    return {"n": n, "precision": raw.precision, "raw_encode_per_s": round(n / raw_s, 1),
            "raw_fp32_encode_per_s": round(n / fp32_s, 1), "embedding_stage_per_s": round(n / stage_s, 1),
            "ratio": round(raw_s / stage_s, 3), "ratio_to_fp32_raw": round(fp32_s / stage_s, 3),
            "cached_stage_per_s": round(n / cached_s, 1)}


def coder_rates(n: int) -> dict:
    out = {}
    for name in ("rules.v1", "ensemble.v1"):
        texts = unique(sample_excerpts(n))
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["MATCODER_CACHE"] = tmp
            coder = get_coder(name, default_codebook())
            coder.predict(texts[:2])
            _, s = timed(lambda: coder.predict(texts))
        out[name] = round(n / s, 1)
    return out


def distinct_sentences(text: str, k: int) -> str:
    """``text`` with ``k`` extra spaces after the first word of each sentence: a different
    string for the encoder's cache, the same tokens for the model."""
    out, pos = [], 0
    for span, _ in sentence_spans(text):
        first = text.find(" ", span.start, span.end)
        if first != -1:
            out.append(text[pos:first] + " " * k)
            pos = first
    return "".join(out) + text[pos:]


def make_round(folder: Path, target: int) -> int:
    """Copies of the sample round, until ~target excerpts, with every answer and every
    sentence of it distinct (copy k adds "That was round k." and k spaces after each
    sentence's first word), so that no cached vector serves a copy."""
    from matcoder.ingest.reader import discover, read_transcript
    from matcoder.segment import segment_transcript

    samples = [read_transcript(p) for p in discover(ROOT / "transcripts_sample")[0]]
    per_round = sum(len(segment_transcript(t)) for t in samples)
    copies = -(-target // per_round)
    for k in range(copies):
        for t in samples:
            lines = []
            for turn in t.turns:
                label = "Interviewer" if turn.role == "interviewer" else "CEO"
                text = turn.text.replace("\n", " ")
                if turn.role != "interviewer":
                    text = distinct_sentences(f"{text} That was round {k}.", k)
                lines.append(f"{label}: {text}")
            (folder / f"{t.interview_id}-r{k}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return copies * per_round


def end_to_end(target: int, set_up: bool = False) -> dict:
    """The round through `matcoder run` in a fresh Prefect home and embedding cache, then
    the same folder again. With ``set_up``, a machine as the README leaves it: the sample
    round is run first (untimed) into the same Prefect home, cache and warehouse, every
    cached vector is then deleted (only the host's precision verdict, ``VERDICTS_FILE``,
    stays), and the round's excerpts are the warehouse's total less the sample's."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "round"
        folder.mkdir()
        approx = make_round(folder, target)
        cache = Path(tmp) / "cache"
        env = dict(os.environ, MATCODER_CACHE=str(cache), PREFECT_HOME=str(Path(tmp) / "prefect"))
        def run(source: Path) -> tuple[float, dict, int]:
            """Wall time, the JSON summary, and this child's own peak RSS in MB (os.wait4:
            RUSAGE_CHILDREN would be the largest of every child so far)."""
            t0 = time.perf_counter()
            with tempfile.TemporaryFile() as err:
                proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "matcoder"), "run", str(source), "--warehouse",
                                         str(Path(tmp) / "w.duckdb"), "--json", "--quiet"], stdout=subprocess.PIPE,
                                        stderr=err, text=True, env=env)
                with proc.stdout:
                    out = proc.stdout.read()
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                if proc.returncode != 0:
                    err.seek(0)
                    raise SystemExit(err.read().decode())
            return time.perf_counter() - t0, json.loads(out), round(usage.ru_maxrss / 1024)

        before = {"excerpts": 0, "interviews": 0}
        if set_up:
            before = run(ROOT / "transcripts_sample")[1]["warehouse"]
            for f in cache.iterdir():
                if f.name != VERDICTS_FILE:
                    shutil.rmtree(f) if f.is_dir() else f.unlink()
        wall, summary, peak = run(folder)
        again, second, _ = run(folder)  # the same folder again: every interview unchanged, checked and skipped
    return {"excerpts": summary["warehouse"]["excerpts"] - before["excerpts"], "approx_target": approx,
            "interviews": summary["warehouse"]["interviews"] - before["interviews"], "wall_s": round(wall, 1),
            "coder": summary["coder"], "set_up_machine": set_up, "peak_rss_mb_child": peak,
            "rerun_wall_s": round(again, 1), "rerun_unchanged": len(second["files"]["unchanged"])}


def learning_curve() -> list[dict]:
    """Held-out micro-F1 of embed.v1 (all families, and area alone) on the short and the
    long held-out set as dev-set items (in file order: 160 short answers, then 34 long
    ones, then 36 more) are added to the codebook examples in training."""
    book = default_codebook()
    enc = Encoder()
    dev = gold_items(ROOT / "models" / "eval" / "dev.jsonl", book)
    sets = {name: read_coded(ROOT / "models" / "eval" / f"{name}.jsonl", book) for name in ("heldout", "heldout_long")}
    points = []
    for n in sorted({0, 40, 80, 120, 160, 194, len(dev)}):
        coder = EmbeddingCoder(book, encoder=enc)
        coder.fit(dev[:n])  # the codebook examples plus the first n dev items, as `matcoder train` does
        point: dict = {"dev_items_added": n}
        for name, gold in sets.items():
            r = evaluate({k: as_codes(v) for k, v in gold.items()}, coded_by(coder, gold), book.ids())
            tp, pred, sup = (sum(getattr(f, a) for f in r.families) for a in ("tp", "predicted", "support"))
            point[name] = {"area_micro_f1": round(r.families[0].micro_f1 or 0, 3),
                           "all_micro_f1": round(2 * tp / (pred + sup) if pred + sup else 0.0, 3)}
        points.append(point)
    return points


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--excerpts", type=int, default=4000)
    ap.add_argument("--rounds-only", action="store_true",
                    help="only the two end-to-end rounds (fresh, and on a set-up machine)")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    result: dict = {} if args.rounds_only else {"encode": encode_ratio(1000), "coders_per_s": coder_rates(1000)}
    result["end_to_end"] = [end_to_end(args.excerpts), end_to_end(args.excerpts, set_up=True)]
    if not args.rounds_only:
        result["learning_curve"] = learning_curve()
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result, indent=2))
    if args.record:
        record_result(result)


def record_result(result: dict) -> None:
    if "encode" in result:
        e = result["encode"]
        record("embedding stage vs raw encode", f"{e['n']} distinct excerpts, {e['precision']}",
               f"ratio {e['ratio']} ({e['ratio_to_fp32_raw']} to raw fp32)",
               f"stage {e['embedding_stage_per_s']}/s, raw {e['raw_encode_per_s']}/s, raw fp32 "
               f"{e['raw_fp32_encode_per_s']}/s, cached {e['cached_stage_per_s']}/s", f"{result['peak_rss_mb']} MB")
        record("coders", "1000 excerpts, distinct sentences", "-", f"rules.v1 {result['coders_per_s']['rules.v1']}/s, "
               f"ensemble.v1 {result['coders_per_s']['ensemble.v1']}/s")
    for x in result["end_to_end"]:
        run_name = f"`matcoder run`, {x['coder'].split('+')[0]}" + (", bf16" if x["coder"].endswith("+bf16") else "")
        machine = ("set-up machine (sample run first; vectors deleted, precision verdict kept)" if x["set_up_machine"]
                   else "fresh Prefect home and cache")
        record(run_name, f"{x['excerpts']} excerpts in {x['interviews']} interviews, {machine}",
               f"{x['wall_s']} s wall (incl. Prefect start); the same folder again {x['rerun_wall_s']} s "
               f"({x['rerun_unchanged']} unchanged)", f"{round(x['excerpts'] / x['wall_s'], 1)}/s",
               f"{x['peak_rss_mb_child']} MB")
    if "learning_curve" in result:
        curve = ", ".join(f"+{p['dev_items_added']}: {p['heldout']['all_micro_f1']} / "
                          f"{p['heldout_long']['all_micro_f1']}" for p in result["learning_curve"])
        record("learning curve (micro-F1 on held-out short / long, embed.v1)", "codebook examples + dev items",
               curve, "-")


if __name__ == "__main__":
    main()
