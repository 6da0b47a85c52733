"""``matcoder train``: build the training set and write a new ``embed.v1`` artefact.

Training items: the codebook's examples, every gold file given (``--gold``, JSONL of
fully coded excerpts), and every human-reviewed excerpt in the warehouse. Several
reviewers on one excerpt: a code counts when at least half of them applied it; its
weight is the most common weight among them (as in the ``effective_codings`` view). A
verdict that rejected every proposal is a training item with no codes.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Sequence

from matcoder.codebook.schema import Codebook
from matcoder.models.embedding.classifier import ARTEFACTS_DIR, Artefact, TrainingItem
from matcoder.models.embedding.coder import EmbeddingCoder
from matcoder.models.embedding.encoder import Encoder
from matcoder.models.evaluation import read_coded


def gold_items(path: Path, book: Codebook, notes: list[str] | None = None) -> list[TrainingItem]:
    """A gold file's lines that have text, as training items (the file checked against
    ``book`` as ``evaluate`` checks it; what it sets aside is said in ``notes``)."""
    items = []
    for line in read_coded(path, book, notes).values():
        if line.text:
            items.append(TrainingItem(line.text, {c.code: c.weight for c in line.codes}, None, f"gold:{path.name}"))
    return items


def human_items(rows: Sequence[tuple]) -> list[TrainingItem]:
    """Rows of ``warehouse.load.human_codings`` -> one item per reviewed excerpt."""
    by_excerpt: dict[str, dict] = defaultdict(lambda: {"reviewers": set(), "codes": defaultdict(list)})
    for excerpt_id, text, _question, reviewer, code, weight in rows:
        entry = by_excerpt[excerpt_id]
        entry["text"] = text
        entry["reviewers"].add(reviewer)
        if code is not None:
            entry["codes"][code].append((reviewer, weight))
    items = []
    for entry in by_excerpt.values():
        n = len(entry["reviewers"])
        positives = {}
        for code, votes in entry["codes"].items():
            if len({r for r, _ in votes}) * 2 >= n:
                weights = [w for _, w in votes if w is not None]
                positives[code] = max(Counter(weights).items(), key=lambda kv: (kv[1], kv[0]))[0] if weights else None
        items.append(TrainingItem(entry["text"], positives, None, "human"))
    return items


def reviewed_items(con) -> list[TrainingItem]:
    """The warehouse's human-reviewed excerpts as training items, their names replaced by
    roles as when the flow codes them (the embedding reads "[MAT]", not the trust's name)."""
    from matcoder.privacy.pseudonymise import WarehouseNames
    from matcoder.warehouse.load import human_codings

    names = WarehouseNames(con)
    owner = dict(con.execute("SELECT excerpt_id, interview_id FROM excerpts WHERE excerpt_id IN "
                             "(SELECT excerpt_id FROM codings WHERE source = 'human' "
                             "UNION SELECT excerpt_id FROM reviews)").fetchall())
    return human_items([(e, names.text(owner[e], text), *rest) for e, text, *rest in human_codings(con)])


def train_artefact(book: Codebook, extra: Sequence[TrainingItem] = (), encoder: Encoder | None = None,
                   out_dir: Path = ARTEFACTS_DIR) -> Artefact:
    """Train ``embed.v1`` on the codebook's examples plus ``extra`` and save the artefact."""
    coder = EmbeddingCoder(book, encoder=encoder)
    coder.fit(extra)
    coder.artefact.save(out_dir)
    return coder.artefact
