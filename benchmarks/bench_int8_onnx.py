"""Experiment for issue 4's 2-minute target: would all-MiniLM-L6-v2 quantised to int8
and run by ONNX Runtime encode fast enough, and keep the classifiers' agreement?

Not part of the pipeline and not a dependency: it needs ``onnxruntime`` and ``onnx``,
which matcoder does not install. To run it without touching the project's venv:

    .venv/bin/pip install --target /tmp/ox --no-deps onnxruntime==1.32.0 onnx==1.23.2 \
        flatbuffers protobuf ml_dtypes
    PYTHONPATH=/tmp/ox .venv/bin/python benchmarks/bench_int8_onnx.py [--n 400] [--record]

It exports the model's transformer to ONNX from the local weights (nothing is
downloaded), quantises its weights to int8 per channel (ONNX Runtime dynamic
quantisation), and reproduces the model's own pipeline around it (mean pooling over
the attention mask, unit length; the fp32 export matches SentenceTransformer.encode to
cosine 1.0). It prints encode throughput for SentenceTransformer.encode (fp32 PyTorch)
and int8 ONNX on the same distinct sample excerpts, the cosine between their vectors,
and held-out micro-F1 per family and weight agreement of embed.v1 and ensemble.v1 each
retrained (codebook examples + dev set) on each runtime's vectors.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_rules import sample_excerpts  # noqa: E402
from results import record  # noqa: E402

from matcoder.codebook.loader import default_codebook  # noqa: E402
from matcoder.models.embedding.coder import EmbeddingCoder, EnsembleCoder  # noqa: E402
from matcoder.models.embedding.encoder import Encoder  # noqa: E402
from matcoder.models.evaluation import as_codes, coded_by, evaluate, read_coded  # noqa: E402
from matcoder.training import gold_items  # noqa: E402

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_int8(st_model, folder: Path) -> Path:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Transformer(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    x = st_model.tokenizer(["an example", "a slightly longer example"], padding=True, return_tensors="pt")
    fp32, int8 = folder / "model.onnx", folder / "model_qint8.onnx"
    torch.onnx.export(Transformer(st_model[0].auto_model.eval()), tuple(x[k] for k in INPUTS), str(fp32),
                      input_names=list(INPUTS), output_names=["last_hidden_state"],
                      dynamic_axes={k: {0: "batch", 1: "tokens"} for k in (*INPUTS, "last_hidden_state")},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    return int8


class OnnxModel:
    """Stands in for the SentenceTransformer inside an Encoder (same ``encode``)."""

    def __init__(self, path: Path, tokenizer, max_length: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer, self.max_length = tokenizer, max_length

    def encode(self, texts, batch_size: int = 16, **_) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts])  # as SentenceTransformer does: little padding
        out = np.zeros((len(texts), 384), np.float32)
        for i in range(0, len(texts), batch_size):
            idx = order[i:i + batch_size]
            x = self.tokenizer([texts[j] for j in idx], padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="np")
            hidden = self.session.run(None, {k: x[k].astype(np.int64) for k in INPUTS})[0]
            mask = x["attention_mask"][..., None].astype(np.float32)
            v = (hidden * mask).sum(1) / mask.sum(1)
            out[idx] = v / np.linalg.norm(v, axis=1, keepdims=True)
        return out


def agreement(model, label: str) -> dict:
    book = default_codebook()
    gold = read_coded(ROOT / "models" / "eval" / "heldout.jsonl", book)
    dev = gold_items(ROOT / "models" / "eval" / "dev.jsonl", book)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        encoder = Encoder(cache_path=Path(tmp) / "c.sqlite")
        encoder.__dict__.update(model=model, identity=f"bench-{label}")
        for name, cls in (("embed.v1", EmbeddingCoder), ("ensemble.v1", EnsembleCoder)):
            coder = cls(book, encoder=encoder)
            coder.fit(dev)
            r = evaluate({k: as_codes(v) for k, v in gold.items()}, coded_by(coder, gold), book.ids())
            out[name] = {f.family: round(f.micro_f1 or 0, 3) for f in r.families}
            out[name]["weight_exact"] = round(r.weights.exact or 0, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise SystemExit("onnxruntime is not installed: see this script's docstring for a side install")
    texts = [f"{e.text} ({i})" for i, e in enumerate(sample_excerpts(args.n))]
    torch_enc = Encoder(use_cache=False)
    st = torch_enc.model
    with tempfile.TemporaryDirectory() as tmp:
        int8 = OnnxModel(export_int8(st, Path(tmp)), st.tokenizer, st.max_seq_length)
        st.encode(["warm up"]), int8.encode(["warm up"])
        rates, vectors = {}, {}
        for label, model in (("torch fp32", st), ("onnx int8", int8), ("torch fp32 again", st)):
            t0 = time.perf_counter()
            vectors[label] = np.asarray(model.encode(texts, batch_size=16, normalize_embeddings=True))
            rates[label] = round(len(texts) / (time.perf_counter() - t0), 1)
        cos = (vectors["torch fp32"] * vectors["onnx int8"]).sum(1)
        result = {"n": len(texts), "per_s": rates, "cosine_min": round(float(cos.min()), 4),
                  "cosine_mean": round(float(cos.mean()), 4),
                  "held_out": {"torch fp32": agreement(st, "fp32"), "onnx int8": agreement(int8, "int8")}}
    print(json.dumps(result, indent=2))
    if args.record:
        h = result["held_out"]
        record("int8 ONNX Runtime vs fp32 PyTorch encode (experiment, not adopted)",
               f"{result['n']} distinct excerpts; held-out set",
               f"cosine min {result['cosine_min']}, mean {result['cosine_mean']}",
               ", ".join(f"{k} {v}/s" for k, v in rates.items()) + "; held-out micro-F1 "
               + "; ".join(f"{rt} {c}: " + ", ".join(f"{k} {v}" for k, v in fam.items())
                           for rt, coders in h.items() for c, fam in coders.items()), "-")


if __name__ == "__main__":
    main()
