"""Experiment (not part of the pipeline): the encoder fine-tuned on the area weights,
judged by the dev cross-validation of ``cv_dev.py``.

In each fold a copy of all-MiniLM-L6-v2 is tuned contrastively, as SetFit does, on the
fold's training texts whose area codes all carry one weight (codebook examples and dev
items): in each batch, the cosine of every pair of texts is pulled towards 1 when they
have the same weight and towards 0 otherwise. The fold's coder is then trained and run
with that encoder for every family, as the pipeline would if it adopted it. Nothing is
cached or saved; a fold takes about a minute on two cores.

    .venv/bin/python benchmarks/cv_tuned_encoder.py [--epochs 4] [--lr 5e-5] [--layers N] [--anchor A]
        [--bitfit | --lora R] [--weights-only [--cascade P [--min-words N]]] [--seeds 0,1,2] [--record]

With ``--bitfit`` only the biases and the layer norms' scales of every layer are tuned
(BitFit: about 0.1 % of the parameters, so a tuned encoder would be a file of a hundred
kilobytes beside the artefact instead of a 90 MB copy of the model). With ``--lora R``
the model's weights stay as they are and every linear map of its transformer layers
gets a low-rank update of rank R (LoRA: ``W x + B A x``, B starting at zero), the only
parameters tuned: 331,776 at rank 8, a 1.3 MB file.

With ``--weights-only`` the codes are the untuned coder's and only the area weights come
from a second embedding voice trained and run on the tuned encoder (``WeightsTunedCoder``):
the families' figures are then the untuned ones by construction, and the weights' change
is the tuning's alone. With ``--cascade P`` as well, the tuned voice weighs only the
excerpts where the untuned one left an area code without a weight or under probability
P (and with ``--min-words N`` of N words or more): the others are not encoded a second time.

With ``--score FILE`` (repeatable) it instead trains on the codebook examples and the whole
dev set, once with the untuned encoder and once tuned, and scores each FILE with both:
other development material (``dev_more.jsonl``, ``acronyms.jsonl``), never the held-out sets
while the experiment is being shaped.
"""
from __future__ import annotations

import copy
import json
import random
import sys
from functools import cached_property
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from cv_dev import arguments, cross_validate, family_scores, fold_seeds, summary  # noqa: E402
from results import record  # noqa: E402

from matcoder.codebook.loader import default_codebook  # noqa: E402
from matcoder.models.embedding.classifier import TrainingItem, codebook_items  # noqa: E402
from matcoder.models.embedding.coder import EmbeddingCoder, EnsembleCoder, read_text  # noqa: E402
from matcoder.models.embedding.encoder import Encoder  # noqa: E402
from matcoder.models.embedding.roles import embedding_text  # noqa: E402
from matcoder.models.evaluation import as_codes, coded_by, evaluate, read_coded  # noqa: E402
from matcoder.segment import word_count  # noqa: E402
from matcoder.training import gold_items  # noqa: E402

BATCH = 24
MAX_TOKENS = 160


class TunedEncoder(Encoder):
    """An encoder around a tuned model, float32, uncached (its vectors are the fold's own)."""

    def __init__(self, model, tag: str):
        super().__init__(use_cache=False, precision="fp32")
        self._model, self._tag = model, tag

    @cached_property
    def identity(self) -> str:
        return f"tuned-on-weights@{self._tag}"

    @cached_property
    def model(self):
        return self._model


class WeightsTunedCoder(EnsembleCoder):
    """The ensemble on the untuned encoder, but for the area weights, which a second
    embedding voice gives: trained and run on ``weigher_encoder`` (the tuned one), its own
    area classifiers choosing the sentences its localised weight classifier reads."""

    rows_seen = 0  # excerpts with an area code, and of them those the tuned voice read
    rows_reread = 0

    def __init__(self, codebook, untuned: Encoder, weigher_encoder: Encoder, cascade: float = 0.0,
                 min_words: int = 0):
        super().__init__(codebook, encoder=untuned)
        self.weigher = EmbeddingCoder(codebook, encoder=weigher_encoder, rules=self.rules)
        self.cascade, self.min_words = cascade, min_words
        self._untuned_weights = self.embed.weights
        self.embed.weights = self._tuned_weights  # the one call the ensemble makes for weights

    def fit(self, items=()) -> None:
        super().fit(items)
        self.weigher.fit(items)

    def _tuned_weights(self, excerpts, X, coded):
        """The tuned voice's weights; with ``cascade``, only on the excerpts where the
        untuned voice left an area code without a weight or under ``cascade`` probability
        (the others keep the untuned weights, and are not encoded again), and with
        ``min_words`` only on excerpts of that many words or more."""
        first = self._untuned_weights(excerpts, X, coded) if self.cascade else {}
        rows = sorted({i for i, _ in coded})
        WeightsTunedCoder.rows_seen += len(rows)
        if self.cascade:
            rows = sorted({i for (i, _), (w, p) in first.items()
                           if (w is None or p < self.cascade) and word_count(excerpts[i].text) >= self.min_words})
        WeightsTunedCoder.rows_reread += len(rows)
        tuned = np.zeros((len(excerpts), X.shape[1]), dtype=np.float32)
        if rows:
            tuned[rows] = self.weigher.encoder.encode([read_text(excerpts[i]) for i in rows])
        again = set(rows)
        return {**first, **self.weigher.weights(excerpts, tuned, [(i, c) for i, c in coded if i in again])}


def weight_texts(items: list[TrainingItem]) -> list[tuple[str, int]]:
    """(text as the embedding reads it, weight) of the items whose area codes carry one weight."""
    out = []
    for it in items:
        levels = {w for w in it.positives.values() if w is not None}  # only area codes carry weights
        if len(levels) == 1:
            out.append((embedding_text(it.text), levels.pop()))
    return out


def add_adapters(model, rank: int) -> None:
    """Freeze ``model`` and give every linear map of its transformer layers a trainable
    low-rank update (LoRA, scaled by 2: alpha = 2 x rank)."""
    import torch

    class LowRank(torch.nn.Module):
        def __init__(self, linear: torch.nn.Linear):
            super().__init__()
            self.linear = linear
            self.a = torch.nn.Parameter(torch.randn(rank, linear.in_features) / linear.in_features ** 0.5)
            self.b = torch.nn.Parameter(torch.zeros(linear.out_features, rank))

        def forward(self, x):
            return self.linear(x) + 2.0 * (x @ self.a.T) @ self.b.T

    model.requires_grad_(False)
    for layer in model[0].auto_model.encoder.layer:
        for parent in list(layer.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, torch.nn.Linear):
                    setattr(parent, name, LowRank(child))


def tune(base, data: list[tuple[str, int]], epochs: int, lr: float, seed: int, layers: int = 0,
         anchor: float = 0.0, bitfit: bool = False, lora: int = 0):
    """A copy of ``base`` tuned on ``data``: every parameter, or with ``layers`` only the
    top ``layers`` transformer layers (the rest frozen), or with ``bitfit`` only the
    biases and layer norms of every layer, or with ``lora`` only low-rank updates of that
    rank (``add_adapters``). ``anchor`` weighs a second loss,
    each text's mean (1 - cosine) to its vector from ``base``, which holds the tuned
    vectors near what the other families' classifiers read."""
    import torch

    torch.manual_seed(seed)  # dropout (the runs recorded on 2026-12-01 did not fix it)
    model = copy.deepcopy(base)
    model.max_seq_length = MAX_TOKENS
    if layers:
        model.requires_grad_(False)
        for layer in model[0].auto_model.encoder.layer[-layers:]:
            layer.requires_grad_(True)
    if bitfit:
        for name, parameter in model.named_parameters():
            parameter.requires_grad_(name.endswith(".bias") or "LayerNorm" in name)
    if lora:
        add_adapters(model, lora)
    # each text's untuned vector, for the anchor: encoded once, not every epoch
    untuned = dict(zip((t for t, _ in data), base.encode([t for t, _ in data], convert_to_tensor=True,
                                                          normalize_embeddings=True).clone())) if anchor else {}
    model.train()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    rng = random.Random(seed)
    data = list(data)
    for _ in range(epochs):
        rng.shuffle(data)
        for start in range(0, len(data) - 1, BATCH):
            batch = data[start:start + BATCH]
            vectors = model(model.preprocess([t for t, _ in batch]))["sentence_embedding"]
            vectors = torch.nn.functional.normalize(vectors, dim=-1)
            levels = torch.tensor([w for _, w in batch])
            same = (levels[:, None] == levels[None, :]).float()
            off_diagonal = ~torch.eye(len(batch), dtype=torch.bool)
            loss = ((vectors @ vectors.T - same) ** 2)[off_diagonal].mean()
            if anchor:
                before = torch.stack([untuned[t] for t, _ in batch])
                loss = loss + anchor * (1 - (vectors * before).sum(-1)).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    return model


def scored(book, coder, path: Path) -> dict:
    """Per-family micro-F1 and weight agreement of ``coder`` on the gold file ``path``."""
    lines = read_coded(path, book)
    return family_scores(evaluate({k: as_codes(v) for k, v in lines.items()}, coded_by(coder, lines), book.ids(),
                                  weighted=book.weighted_ids()))


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--layers", type=int, default=0, help="tune only the top N layers (0: all)")
    ap.add_argument("--anchor", type=float, default=0.0, help="weight of the pull towards the base vectors")
    only = ap.add_mutually_exclusive_group()
    only.add_argument("--bitfit", action="store_true", help="tune only biases and layer norms")
    only.add_argument("--lora", type=int, default=0, help="tune only low-rank updates of this rank (0: none)")
    ap.add_argument("--weights-only", action="store_true",
                    help="codes from the untuned coder, area weights from one on the tuned encoder")
    ap.add_argument("--cascade", type=float, default=0.0,
                    help="with --weights-only, the tuned voice only where the untuned weight is missing or "
                         "under this probability")
    ap.add_argument("--min-words", type=int, default=0,
                    help="with --cascade, the tuned voice only on excerpts of this many words or more")
    ap.add_argument("--score", type=Path, action="append", default=[],
                    help="train on the whole dev set and score this gold file, untuned and tuned (repeatable)")
    args = ap.parse_args()
    seeds = fold_seeds(args)
    book = default_codebook()
    untuned = Encoder(use_cache=False, precision="fp32")
    base = untuned.model
    examples = codebook_items(book)

    def fold_encoder(training: list[TrainingItem], seed: int, fold: int) -> Encoder:
        tuned = tune(base, weight_texts(examples + training), args.epochs, args.lr, seed * 100 + fold,
                     args.layers, args.anchor, args.bitfit, args.lora)
        return TunedEncoder(tuned, f"{seed}-{fold}")

    if args.score:
        dev = gold_items(args.dev, book)
        tuned = tune(base, weight_texts(examples + dev), args.epochs, args.lr, 0, args.layers, args.anchor,
                     args.bitfit, args.lora)
        for name, encoder in (("untuned", untuned), ("tuned", TunedEncoder(tuned, "dev"))):
            coder = EnsembleCoder(book, encoder=encoder)
            coder.fit(dev)
            for path in args.score:
                print(name, path.name, json.dumps(scored(book, coder, path)))
        return
    shared = Encoder()  # the untuned voice's vectors, cached as cv_dev.py's are
    make_coder = ((lambda book, encoder: WeightsTunedCoder(book, shared, encoder, args.cascade, args.min_words))
                  if args.weights_only else None)
    result = cross_validate(args.dev, [], seeds=seeds, fold_encoder=fold_encoder, make_coder=make_coder)
    reread = f"{WeightsTunedCoder.rows_reread} of {WeightsTunedCoder.rows_seen}"
    print(json.dumps(result, indent=2))
    if args.weights_only:
        print("excerpts with an area code read again by the tuned voice:", reread)
    if args.record:
        layers = (f"rank-{args.lora} low-rank updates" if args.lora else "biases and layer norms" if args.bitfit else
                  f"top {args.layers} layers" if args.layers else "all layers")
        scope = (f", weights only{f' under {args.cascade}' if args.cascade else ''}"
                 f"{f' from {args.min_words} words' if args.min_words else ''}, rows re-read "
                 f"{reread}" if args.weights_only else "")
        record(f"dev cross-validation, ensemble.v1 with the encoder tuned on weights ({args.epochs} epochs, "
               f"lr {args.lr}, {layers}, anchor {args.anchor}{scope}), 5 folds x seeds {args.seeds}", args.dev.name,
               "-", summary(result))


if __name__ == "__main__":
    main()
