"""``embed.v1``: one logistic regression per code on sentence embeddings, per-code
thresholds chosen by cross-validation, and a 3-class weight classifier per area
mention. Stored as plain arrays (``weights.npz``) with ``meta.json``; no pickles.

The weight classifier comes in two forms. The *whole* one reads the excerpt's vector
(plus which area); on an excerpt about several areas that vector is the same for all of
them, so it cannot tell a centralised back office from devolved teaching in one answer.
The *area-localised* one also reads a span vector: the excerpt's sentences, each encoded
on its own, averaged with weights ``exp((p_j - max p) / LOCAL_TAU)`` where ``p_j`` is the
area classifier's probability for sentence ``j``, so the sentences that speak of the
area dominate. The coders use it on excerpts coded with two or more areas.

Both also read the rules' weight cues (``cue_profile``: per level, the summed scores of
the codebook's weight cues found anywhere in the excerpt, such as "non-negotiable" or
"their own"), so that the explicit wording of who holds a function is learnt with the
weight it goes with instead of being left to a vector dominated by the excerpt's topic.

Before either, a *shown* classifier asks whether the excerpt shows who holds the area's
function at all: the codebook leaves the weight empty when it does not, and a third of
the coded areas in the gold files have none. The weight classifiers learn only from
weighted mentions, so without it they give an unweighted mention its likeliest level
(mostly 3, the commonest). It reads the excerpt's vector, the area and the log of the
excerpt's length in words (a short excerpt shows the weight less often), and is trained
on every area mention, weighted or not.

Scores are calibrated (``fit_calibration``): a coding's score is the probability that a
human coder applies the code, read off its embedding probability and the excerpt's
length (log words: the same probability is worth less in a long answer for some
families, more for others) by a logistic (Platt) map fitted per family and source on
the out-of-fold probabilities of the training items that are excerpts, so a rule hit's
0.8 and an embedding coding's 0.8 mean the same thing. The raw probability stays in
each coding's evidence.

Training items come from the codebook's examples (a positive example is positive for
its code and taken as negative for every other code; a near miss is negative for its
code only) and from fully coded excerpts (gold files, human-reviewed codings), which
are positive for their codes and negative for all others.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np

from matcoder.codebook.schema import Codebook
from matcoder.errors import MatcoderError
from matcoder.segment import word_count

ARTEFACTS_DIR = Path(__file__).resolve().parent.parent / "artefacts" / "embed.v1"
MIN_POSITIVES = 4
THRESHOLDS = np.round(np.arange(0.10, 0.91, 0.05), 2)
VETOES = (0.0, 0.02, 0.05, 0.1, 0.2)  # candidate rule vetoes (see choose_vetoes)
MIN_VETO_ITEMS = 40  # excerpts (not codebook examples) needed to choose a veto at all
# Attention temperature of the area-localised weight classifier. Chosen by 5-fold
# cross-validation on models/eval/dev.jsonl (weight agreement on the long answers' area
# codes: 0.05, 0.1 and 0.2 within 0.01 of each other, a uniform average no better than
# the whole excerpt's vector), not on the held-out sets.
LOCAL_TAU = 0.1
LOG_WORDS_CENTRE = 3.5  # log(33 words): centres the shown classifier's length input
CUE_CAP = 2.0  # summed weight-cue scores per level, capped (see cue_profile)
MIN_CALIBRATION = 20  # codings (with both outcomes among them) needed to fit a family's own score map


class ArtefactError(MatcoderError):
    """No trained artefact fits the current codebook and model."""


@dataclass(frozen=True)
class TrainingItem:
    text: str
    positives: dict[str, int | None]  # code -> weight
    negatives: frozenset[str] | None = None  # None: every code not positive is negative
    origin: str = "codebook"

    def label(self, code: str) -> int | None:
        if code in self.positives:
            return 1
        if self.negatives is None or code in self.negatives:
            return 0
        return None


def codebook_items(book: Codebook) -> list[TrainingItem]:
    items = []
    for code in book.codes():
        for ex in code.examples:
            if ex.near_miss:
                items.append(TrainingItem(ex.text, {}, frozenset({code.id})))
            else:
                items.append(TrainingItem(ex.text, {code.id: ex.weight}))
    return items


def training_hash(items: Sequence[TrainingItem]) -> str:
    digest = hashlib.sha256()
    for it in sorted(items, key=lambda i: (i.text, sorted(i.positives))):
        digest.update(json.dumps([it.text, sorted(it.positives.items()),
                                  sorted(it.negatives) if it.negatives is not None else None]).encode())
    return digest.hexdigest()


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _logit(p):
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def _softmax_verdict(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(class 1-3, its probability) per row of 3-class logits."""
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return p.argmax(axis=1) + 1, p.max(axis=1)


def _centred_log_words(words: int) -> float:
    """log word count less ``LOG_WORDS_CENTRE``: the length the shown classifier and the
    score maps read."""
    return float(np.log(max(words, 1)) - LOG_WORDS_CENTRE)


def whole_features(whole: np.ndarray, area_index: int, n_areas: int, cues: np.ndarray | None = None) -> np.ndarray:
    """[excerpt vector, one-hot area, the weight cues' profile when given (``cue_profile``)]:
    what the whole-excerpt weight classifier reads."""
    onehot = np.zeros(n_areas, dtype=np.float32)
    onehot[area_index] = 1.0
    return np.hstack([whole, onehot] + ([] if cues is None else [cues])).astype(np.float32)


def cue_profile(cues: Sequence[tuple[int, float]]) -> np.ndarray:
    """What the weight classifiers read of the rules' weight cues in a text (``RuleCoder.
    weight_cues``: level, pattern score): per level the summed cue scores, capped at
    ``CUE_CAP``."""
    out = np.zeros(3, dtype=np.float32)
    for level, score in cues:
        out[level - 1] = min(out[level - 1] + score, CUE_CAP)
    return out


def shown_features(whole: np.ndarray, area_index: int, n_areas: int, text: str) -> np.ndarray:
    """[excerpt vector, one-hot area, centred log word count of ``text``]: what the shown
    classifier reads."""
    length = np.float32(_centred_log_words(word_count(text)))
    return np.hstack([whole_features(whole, area_index, n_areas), [length]]).astype(np.float32)


def local_features(sentences: np.ndarray, whole: np.ndarray, area_coef: np.ndarray, area_intercept: float,
                   area_index: int, n_areas: int, cues: np.ndarray | None = None) -> np.ndarray:
    """[span vector (``attended_span`` with the area classifier's ``area_coef`` and
    ``area_intercept``), excerpt vector, one-hot area, cue profile when given]."""
    return np.hstack([attended_span(sentences, area_coef, area_intercept),
                      whole_features(whole, area_index, n_areas, cues)]).astype(np.float32)


def attended_span(sentences: np.ndarray, area_coef: np.ndarray, area_intercept: float) -> np.ndarray:
    """An excerpt's sentence vectors averaged with weights that favour the sentences the
    area classifier finds most about the area (``LOCAL_TAU``), unit length."""
    p = _sigmoid(sentences @ area_coef + area_intercept)
    attention = np.exp((p - p.max()) / LOCAL_TAU)
    span = attention @ sentences
    return span / np.linalg.norm(span)


def _best_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, dict]:
    best = (0.5, {"precision": 0.0, "recall": 0.0, "f1": 0.0})
    for t in THRESHOLDS:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        prec = tp / pred.sum() if pred.sum() else 0.0
        rec = tp / (y == 1).sum()
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        if f1 > best[1]["f1"] + 1e-9:
            best = (float(t), {"precision": round(float(prec), 3), "recall": round(float(rec), 3), "f1": round(f1, 3)})
    return best


@dataclass
class Artefact:
    codes: list[str]
    coef: np.ndarray  # (n_codes, dim)
    intercept: np.ndarray  # (n_codes,)
    threshold: np.ndarray  # (n_codes,), nan where no classifier
    area_codes: list[str]
    weight_coef: np.ndarray  # (3, dim + n_area)
    weight_intercept: np.ndarray  # (3,)
    meta: dict = field(default_factory=dict)
    path: Path | None = None
    local_coef: np.ndarray | None = None  # (3, 2 * dim + n_area): area-localised weight classifier
    local_intercept: np.ndarray | None = None  # (3,)
    shown_coef: np.ndarray | None = None  # (dim + n_area + 1,): does the excerpt show the area's weight
    shown_intercept: np.ndarray | None = None  # (1,)

    @property
    def id(self) -> str:
        return self.meta["id"]

    def veto(self, code: str) -> float:
        """Embedding probability under which the ensemble drops a rule hit on ``code``
        (0: never; artefacts trained without rule verdicts have none)."""
        return float(self.meta.get("rule_veto", {}).get(code.split(".", 1)[0], {}).get("veto", 0.0))

    def score_map(self, coder: str, code: str, source: str) -> dict | None:
        """The fitted score map (``_platt``) for ``code``'s family and ``source`` when
        ``coder`` proposes it; None when the artefact has none."""
        return self.meta.get("calibration", {}).get(coder, {}).get(code.split(".", 1)[0], {}).get(source)

    def calibrated(self, coder: str, code: str, source: str, p: float, words: int) -> float | None:
        """The probability that a human coder applies ``code`` when ``coder`` (``ensemble`` or
        ``embed``) proposes it from ``source`` (``rules``, ``embedding``, or ``rules_only``
        for a code the embedding does not judge) with embedding probability ``p`` on an
        excerpt of ``words`` words (maps fitted before the length term ignore it); None
        when the artefact has no map for it (trained without excerpts to fit one on)."""
        fit = self.score_map(coder, code, source)
        if fit is None:
            return None
        return float(_sigmoid(fit["a"] * _logit(p) + fit["b"] + fit.get("c", 0.0) * _centred_log_words(words)))

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        return _sigmoid(X @ self.coef.T + self.intercept)

    @property
    def reads_cues(self) -> bool:
        """Whether the weight classifiers read the weight cues' profile (``cue_profile``)."""
        return bool(self.meta.get("weight_cues"))

    def _cues(self, cues: np.ndarray | None) -> np.ndarray | None:
        if self.reads_cues and cues is None:
            raise ValueError(f"artefact {self.id} weighs with the weight cues' profile: pass cues")
        return cues if self.reads_cues else None

    def weight(self, whole: np.ndarray, code: str, cues: np.ndarray | None = None) -> tuple[int, float]:
        """(weight 1-3, its probability) for ``code`` on one excerpt from the whole-excerpt
        classifier: ``whole`` is the excerpt's vector, ``cues`` its weight cues' profile
        (``cue_profile``; needed when the artefact ``reads_cues``)."""
        features = whole_features(whole, self.area_codes.index(code), len(self.area_codes), self._cues(cues))
        w, p = _softmax_verdict(features[None, :] @ self.weight_coef.T + self.weight_intercept)
        return int(w[0]), float(p[0])

    @property
    def has_shown(self) -> bool:
        return self.shown_coef is not None

    def shown(self, whole: np.ndarray, code: str, text: str) -> float:
        """Probability that an excerpt (its ``text``, its vector ``whole``) shows the weight
        of ``code``; 1 for an artefact trained before the shown classifier."""
        if not self.has_shown:
            return 1.0
        features = shown_features(whole, self.area_codes.index(code), len(self.area_codes), text)
        return float(_sigmoid(features @ self.shown_coef + self.shown_intercept[0]))

    @property
    def has_local_weights(self) -> bool:
        return self.local_coef is not None

    def local_weight(self, sentences: np.ndarray, whole: np.ndarray, code: str,
                     cues: np.ndarray | None = None) -> tuple[int, float]:
        """(weight 1-3, its probability) for ``code`` on one excerpt from the area-localised
        classifier: ``sentences`` are its sentences' vectors, ``whole`` the excerpt's,
        ``cues`` as for ``weight``."""
        k = self.codes.index(code)
        features = local_features(sentences, whole, self.coef[k], self.intercept[k],
                                  self.area_codes.index(code), len(self.area_codes), self._cues(cues))
        w, p = _softmax_verdict(features[None, :] @ self.local_coef.T + self.local_intercept)
        return int(w[0]), float(p[0])

    def save(self, root: Path = ARTEFACTS_DIR) -> Path:
        path = root / self.id
        path.mkdir(parents=True, exist_ok=True)
        local = {"local_coef": self.local_coef, "local_intercept": self.local_intercept} if self.has_local_weights else {}
        if self.has_shown:
            local.update(shown_coef=self.shown_coef, shown_intercept=self.shown_intercept)
        np.savez(path / "weights.npz", codes=np.array(self.codes), coef=self.coef, intercept=self.intercept,
                 threshold=self.threshold, area_codes=np.array(self.area_codes), weight_coef=self.weight_coef,
                 weight_intercept=self.weight_intercept, **local)
        (path / "meta.json").write_text(json.dumps(self.meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        self.path = path
        return path

    @classmethod
    def load(cls, path: Path) -> "Artefact":
        with np.load(path / "weights.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        return cls([str(c) for c in arrays["codes"]], arrays["coef"], arrays["intercept"], arrays["threshold"],
                   [str(c) for c in arrays["area_codes"]], arrays["weight_coef"], arrays["weight_intercept"],
                   meta, path, arrays.get("local_coef"), arrays.get("local_intercept"),
                   arrays.get("shown_coef"), arrays.get("shown_intercept"))


def newest_compatible(book_hash: str, model_identity: str, root: Path = ARTEFACTS_DIR) -> Artefact:
    """The newest artefact trained on this codebook and this embedding model."""
    found, stale = [], []
    for meta_path in sorted(root.glob("*/meta.json")) if root.exists() else []:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("codebook_hash") == book_hash and meta.get("model") == model_identity:
            found.append((meta["created_at"], meta_path.parent))
        else:
            stale.append(meta_path.parent.name)
    if not found:
        why = (f"; {len(stale)} artefact(s) were trained for another codebook or model ({', '.join(stale[:3])})"
               if stale else "")
        raise ArtefactError(f"no embed.v1 artefact matches codebook {book_hash[:12]} and model "
                            f"{model_identity}{why}: run `matcoder train`")
    return Artefact.load(max(found)[1])


def ensemble_keeps(rule_hit, p, threshold, veto):
    """The ensemble's decision on a code the embedding can judge (policy 2 and 3 in
    ``coder.py``): a rule hit stands unless p is under the veto, any other code needs p
    at its threshold. Works on scalars and on arrays alike."""
    return np.where(rule_hit, p >= veto, p >= threshold)


def choose_vetoes(book: Codebook, items: Sequence[TrainingItem], oof: np.ndarray, threshold: np.ndarray,
                  rule_hits: np.ndarray) -> dict[str, dict]:
    """Per family, the embedding probability under which the ensemble drops a rule hit.

    Chosen on out-of-fold probabilities of the training items that are excerpts (gold
    files, reviewed codings), not codebook examples: the rules were written from those,
    so they would always vouch for the rules. Each candidate in ``VETOES`` is scored by
    the family's micro-F1 of the ensemble decision (rule hit kept when p >= veto, else
    code added when p >= threshold); the lowest veto within 0.01 of the best wins, so
    rules keep their say unless dropping their doubtful hits clearly helps. Growth
    stages (school counts) and codes without a classifier are never vetoed."""
    rows = np.array([i for i, it in enumerate(items) if it.origin != "codebook"])
    codes = book.ids()
    stages = {s.code for s in book.growth_stages}
    out: dict[str, dict] = {}
    for family in book.families:
        ks = [k for k, c in enumerate(codes) if c.startswith(family + ".") and c not in stages
              and not np.isnan(threshold[k])]
        if len(rows) < MIN_VETO_ITEMS or not ks:
            out[family] = {"veto": 0.0, "why": f"{len(rows)} excerpts to choose on"}
            continue
        labels = np.array([[items[i].label(codes[k]) == 1 for k in ks] for i in rows])
        known = np.array([[items[i].label(codes[k]) is not None for k in ks] for i in rows])
        p, hit = oof[np.ix_(rows, ks)], rule_hits[np.ix_(rows, ks)]
        scores = {}
        for v in VETOES:
            pred = ensemble_keeps(hit, p, threshold[ks], v) & known
            tp = int((pred & labels).sum())
            scores[v] = 2 * tp / max(1, int(pred.sum()) + int((labels & known).sum()))
        best = max(scores.values())
        veto = min(v for v, f1 in scores.items() if f1 >= best - 0.01)
        out[family] = {"veto": veto, "cv_f1": {str(v): round(f, 3) for v, f in scores.items()}}
    return out


def _platt(p: np.ndarray, correct: np.ndarray, words: np.ndarray) -> dict:
    """{a, b, c}: P(correct) = sigmoid(a * logit(p) + b + c * centred log word count), fitted
    by logistic regression; with one outcome only, a constant (the smoothed share correct)."""
    n, k = len(correct), int(correct.sum())
    if 0 < k < n:
        from sklearn.linear_model import LogisticRegression

        X = np.column_stack([_logit(p), [_centred_log_words(int(w)) for w in words]])
        clf = LogisticRegression(C=1.0).fit(X, correct.astype(int))
        a, c = (float(v) for v in clf.coef_[0])
        b = float(clf.intercept_[0])
    else:
        a, b, c = 0.0, float(_logit((k + 1) / (n + 2))), 0.0
    return {"a": round(a, 4), "b": round(b, 4), "c": round(c, 4), "n": n, "correct": k}


def fit_calibration(book: Codebook, items: Sequence[TrainingItem], oof: np.ndarray, threshold: np.ndarray,
                    rule_hits: np.ndarray, vetoes: dict[str, dict]) -> dict:
    """Score maps per coder, family and source, from the codings each coder would have
    made on the training excerpts (not codebook examples: those are the classifiers' own
    clean cases) with out-of-fold probabilities, and whether each was right.

    ``ensemble``: ``rules`` (a rule hit kept past the veto), ``embedding`` (no rule hit, p
    at the threshold), ``rules_only`` (growth stages and codes without a classifier: a
    constant, the share of their hits that were right); ``embed``: ``embedding``. A family
    with under ``MIN_CALIBRATION`` codings of a source, or with only one outcome among
    them, takes the map fitted on all families' codings of that source (``pooled``)."""
    rows = np.array([i for i, it in enumerate(items) if it.origin != "codebook"], dtype=int)
    if len(rows) < MIN_VETO_ITEMS:
        return {}
    codes = book.ids()
    stages = {s.code for s in book.growth_stages}
    found: dict[tuple[str, str, str], list[tuple[float, bool, int]]] = {}
    words = {int(i): word_count(items[i].text) for i in rows}
    for k, code in enumerate(codes):
        family = code.split(".", 1)[0]
        usable = code not in stages and not np.isnan(threshold[k])
        veto = vetoes.get(family, {}).get("veto", 0.0)
        for i in rows:
            label = items[i].label(code)
            if label is None:
                continue
            p, hit = float(oof[i, k]), bool(rule_hits[i, k])
            if not usable:
                if hit:
                    found.setdefault(("ensemble", family, "rules_only"), []).append((0.5, label == 1, words[i]))
                continue
            if ensemble_keeps(hit, p, float(threshold[k]), veto):
                found.setdefault(("ensemble", family, "rules" if hit else "embedding"), []).append(
                    (p, label == 1, words[i]))
            if p >= threshold[k]:
                found.setdefault(("embed", family, "embedding"), []).append((p, label == 1, words[i]))
    pooled: dict[tuple[str, str], list[tuple[float, bool, int]]] = {}
    for (coder, _, source), pairs in found.items():
        pooled.setdefault((coder, source), []).extend(pairs)
    out: dict[str, dict] = {}
    for (coder, family, source), pairs in sorted(found.items()):
        own = np.array(pairs, dtype=float)
        enough = len(pairs) >= MIN_CALIBRATION and 0 < own[:, 1].sum() < len(pairs)
        use = own if enough or source == "rules_only" else np.array(pooled[coder, source], dtype=float)
        fit = _platt(use[:, 0], use[:, 1].astype(bool), use[:, 2])
        if not (enough or source == "rules_only"):
            fit["pooled"] = True
        out.setdefault(coder, {}).setdefault(family, {})[source] = fit
    return out


def _fit_logistic(rows: list[np.ndarray], targets: list[int], folds: int, c_value: float,
                  seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(coef, intercept, out-of-fold accuracy) of a logistic regression on ``rows``: the
    3-class weight classifiers (levels 1-3) and the binary shown classifier."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    X, y = np.array(rows), np.array(targets, dtype=int)
    clf = LogisticRegression(C=c_value, max_iter=3000)
    smallest = int(np.unique(y, return_counts=True)[1].min())
    cv = StratifiedKFold(n_splits=min(folds, smallest), shuffle=True, random_state=seed)
    oof = cross_val_predict(clf, X, y, cv=cv)
    clf.fit(X, y)
    return clf.coef_.astype(np.float32), clf.intercept_.astype(np.float32), round(float((oof == y).mean()), 3)


def area_mentions(items: Sequence[TrainingItem], area_codes: Sequence[str]) -> list[tuple[int, str, int | None]]:
    """(item index, area code, weight or None) of every area code on ``items``."""
    return [(i, code, w) for i, it in enumerate(items) for code, w in it.positives.items() if code in area_codes]


def fit_local_weights(mentions: Sequence[tuple[int, str, int]], X: np.ndarray, sentences: Sequence[np.ndarray],
                      cues: Sequence[np.ndarray] | None, codes: Sequence[str], coef: np.ndarray, intercept: np.ndarray,
                      area_codes: Sequence[str], folds: int, c_value: float,
                      seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(coef, intercept, out-of-fold accuracy) of the area-localised weight classifier on
    the weighted ``mentions`` (item index into ``X``, ``sentences`` and ``cues``; area
    code; weight), its attention from the area classifiers ``coef`` and ``intercept``."""
    rows = [local_features(sentences[i], X[i], coef[codes.index(code)], intercept[codes.index(code)],
                           area_codes.index(code), len(area_codes), None if cues is None else cues[i])
            for i, code, _ in mentions]
    return _fit_logistic(rows, [w for _, _, w in mentions], folds, c_value, seed)


def train(book: Codebook, book_hash: str, items: Sequence[TrainingItem], X: np.ndarray, model_identity: str,
          folds: int = 5, c_value: float = 8.0, seed: int = 0, rule_hits: np.ndarray | None = None,
          sentences: Sequence[np.ndarray] | None = None, cues: Sequence[np.ndarray] | None = None) -> Artefact:
    """Fit per-code classifiers (thresholds from out-of-fold probabilities) and the weight
    model; with ``rule_hits`` (items x codes, the rule coder's verdicts) also choose the
    ensemble's rule vetoes from the same out-of-fold probabilities; with ``sentences``
    (per item, its sentences' vectors) also fit the area-localised weight classifier; with
    ``cues`` (per item, ``cue_profile``) the weight classifiers also read the weight cues."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    codes = book.ids()
    dim = X.shape[1]
    coef = np.zeros((len(codes), dim), dtype=np.float32)
    intercept = np.full(len(codes), -20.0, dtype=np.float32)
    threshold = np.full(len(codes), np.nan, dtype=np.float32)
    metrics: dict[str, dict] = {}
    oof_all = np.zeros((len(items), len(codes)), dtype=np.float32)
    for k, code in enumerate(codes):
        labels = [it.label(code) for it in items]
        idx = np.array([i for i, y in enumerate(labels) if y is not None])
        y = np.array([labels[i] for i in idx])
        n_pos = int(y.sum())
        if n_pos < MIN_POSITIVES:
            metrics[code] = {"positives": n_pos, "skipped": "too few positives"}
            continue
        clf = LogisticRegression(C=c_value, max_iter=2000)
        cv = StratifiedKFold(n_splits=min(folds, n_pos), shuffle=True, random_state=seed)
        oof = cross_val_predict(clf, X[idx], y, cv=cv, method="predict_proba")[:, 1]
        threshold[k], cv_scores = _best_threshold(y, oof)
        oof_all[idx, k] = oof
        clf.fit(X[idx], y)
        coef[k], intercept[k] = clf.coef_[0], clf.intercept_[0]
        metrics[code] = {"positives": n_pos, "threshold": float(threshold[k]), "cv": cv_scores}
    area_codes = [c for c in codes if book.is_weighted(c)]
    every_mention = area_mentions(items, area_codes)
    mentions = [m for m in every_mention if m[2] is not None]  # the weight classifiers learn levels
    weight_coef, weight_intercept, weight_cv = _fit_logistic(
        [whole_features(X[i], area_codes.index(code), len(area_codes), None if cues is None else cues[i])
         for i, code, _ in mentions],
        [w for _, _, w in mentions], folds, c_value, seed)
    shown_targets = [w is not None for _, _, w in every_mention]
    shown_coef = shown_intercept = None
    if min(sum(shown_targets), len(shown_targets) - sum(shown_targets)) >= MIN_POSITIVES:
        shown_coef, shown_intercept, shown_cv = _fit_logistic(
            [shown_features(X[i], area_codes.index(code), len(area_codes), items[i].text)
             for i, code, _ in every_mention], shown_targets, folds, c_value, seed)
        shown_coef = shown_coef[0]  # binary: one row of coefficients
    local_coef = local_intercept = None
    if sentences is not None:
        local_coef, local_intercept, local_cv = fit_local_weights(mentions, X, sentences, cues, codes, coef, intercept,
                                                                  area_codes, folds, c_value, seed)
    created = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    t_hash = training_hash(items)
    meta = {
        "id": f"{created}-{t_hash[:8]}", "coder": "embed.v1", "model": model_identity,
        "codebook_hash": book_hash, "training_hash": t_hash, "created_at": created,
        "training_items": len(items), "origins": {o: sum(1 for it in items if it.origin == o)
                                                   for o in sorted({it.origin for it in items})},
        "c_value": c_value, "folds": folds,
        "weight_cv_exact": weight_cv, "weight_items": len(mentions),
        "codes": metrics,
    }
    if cues is not None:
        meta["weight_cues"] = True
    if shown_coef is not None:
        meta["shown"] = {"cv_accuracy": shown_cv, "items": len(every_mention), "shown": sum(shown_targets)}
    if local_coef is not None:
        meta["local_weight"] = {"tau": LOCAL_TAU, "cv_exact": local_cv}
    if rule_hits is not None:
        meta["rule_veto"] = choose_vetoes(book, items, oof_all, threshold, rule_hits)
        meta["calibration"] = fit_calibration(book, items, oof_all, threshold, rule_hits, meta["rule_veto"])
    return Artefact(codes, coef, intercept, threshold, area_codes, weight_coef, weight_intercept, meta,
                    local_coef=local_coef, local_intercept=local_intercept, shown_coef=shown_coef,
                    shown_intercept=shown_intercept)
