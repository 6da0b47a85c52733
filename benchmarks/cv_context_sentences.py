"""Cross-validation on the dev set with the localised weight classifier's sentence vectors
pooled from the excerpt's own encode (an experiment, not the pipeline).

Today each sentence of an excerpt coded with two or more areas is encoded on its own, a
second pass over those excerpts' text that costs about as much as encoding them whole
(see the README's Benchmarks). Here a sentence's vector is instead the mean of the
excerpt's token vectors that fall inside the sentence (the model's own mean pooling,
restricted to the sentence's characters, unit length): one encode would then give both
the excerpt vector and every sentence vector. The tokens have read the whole answer, so a
sentence's vector carries some of its neighbours; whether that costs the weights is what
this measures. A sentence cut off by the model's 256-token limit is encoded on its own.

    .venv/bin/python benchmarks/cv_context_sentences.py [--seeds 3,4,5] [--record]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from cv_dev import arguments, cross_validate, fold_seeds, summary  # noqa: E402
from results import record  # noqa: E402

from matcoder.models.embedding.encoder import Encoder  # noqa: E402
from matcoder.segment import sentence_spans  # noqa: E402


class ContextEncoder(Encoder):
    """The real encoder whose ``encode_sentences`` pools each sentence from the whole
    text's token vectors (remembered in memory per text)."""

    def __init__(self, shared_out: float = 0.0):
        super().__init__()
        self.shared_out = shared_out  # this share of the whole text's token mean taken off each sentence's
        self._pooled: dict[str, np.ndarray] = {}
        self.cut_off = 0  # sentences past the token limit, encoded on their own

    def encode_sentences(self, texts: Sequence[str]) -> list[np.ndarray]:
        todo = list(dict.fromkeys(t for t in texts if t not in self._pooled))
        self._pooled.update(zip(todo, self._pool(todo)))
        return [self._pooled[t] for t in texts]

    def _pool(self, texts: list[str]) -> list[np.ndarray]:
        import torch

        if not texts:
            return []
        model = self.model
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            tokens = model.encode(texts, batch_size=self.batch_size, output_value="token_embeddings",
                                  show_progress_bar=False, convert_to_numpy=False)
        out = []
        for text, emb in zip(texts, tokens):
            lead = len(text) - len(text.lstrip())
            enc = model.tokenizer(text.strip(), return_offsets_mapping=True, truncation=True,
                                  max_length=model.max_seq_length, add_special_tokens=True)
            offsets = np.array(enc["offset_mapping"]) + lead
            emb = emb.float().numpy()
            if len(offsets) != len(emb):
                raise RuntimeError(f"token count {len(offsets)} against {len(emb)} vectors")
            special = offsets[:, 1] == offsets[:, 0]
            spans = [(s.start, s.end) for s, _ in sentence_spans(text)] or [(0, len(text))]
            whole = emb[~special].mean(axis=0)
            vectors = []
            for start, end in spans:
                inside = ~special & (offsets[:, 0] < end) & (offsets[:, 1] > start)
                if inside.any():
                    v = emb[inside].mean(axis=0) - self.shared_out * whole
                else:
                    self.cut_off += 1
                    v = super().encode([text[start:end]])[0]
                vectors.append(v / np.linalg.norm(v))
            out.append(np.stack(vectors).astype(np.float32))
        return out


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--shared-out", type=float, default=0.0,
                    help="share of the whole text's token mean taken off each sentence's (0: none)")
    args = ap.parse_args()
    seeds = fold_seeds(args)
    encoder = ContextEncoder(args.shared_out)
    result = cross_validate(args.dev, [], "ensemble.v1", 5, seeds, fold_encoder=lambda items, seed, fold: encoder)
    print(json.dumps(result, indent=2))
    print(f"sentences past the token limit: {encoder.cut_off}", file=sys.stderr)
    if args.record:
        record(f"dev cross-validation, ensemble.v1 with sentence vectors pooled from the excerpt's encode "
               f"(shared-out {args.shared_out}), 5 folds x seeds {args.seeds}", args.dev.name, "-", summary(result))


if __name__ == "__main__":
    main()
