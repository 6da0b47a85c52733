"""The embedding coder ``embed.v1`` (classifiers from a trained artefact) and the
ensemble ``ensemble.v1`` that combines it with the rules.

Ensemble policy, per excerpt and code:

1. growth *stage* codes come from the rules alone (they are school counts, which a
   sentence embedding does not represent); every other code is decided by both voices;
2. a rule hit is kept unless the embedding gives it less than the family's *rule veto*
   (chosen by cross-validation when the artefact is trained, see
   ``classifier.choose_vetoes``; 0 keeps every hit). Its score becomes the noisy-OR of
   rule score and embedding probability, ``1 - (1 - r)(1 - p)`` (before calibration,
   point 6); source ``rules``;
3. with no rule hit, the code is added when the embedding probability reaches that
   code's cross-validated threshold; score = probability (before calibration);
   source ``embedding``;
3a. code density: an excerpt keeps at most one code of each of the ``DENSITY_FAMILIES``
   (CEO behaviours, break points), plus one for every full ``WORDS_PER_CODE`` words of
   its text, the ones the embedding gives the highest probability, whether rule hits or
   not; stage codes, which only the rules judge, are left alone. A short excerpt carries
   one point about the CEO or one break point far more often than two (4 of the dev
   set's 160 short items have two CEO codes, 2 have two break points), while both voices
   propose more: cross-validated on
   the dev set (three fold seeds pooled) the short answers' CEO micro-F1 went from 0.59
   to 0.61 and break points' from 0.64 to 0.66, the long answers' unchanged. 45 words
   per code was chosen there against 30 (CEO 0.60), 40 (0.61) and 60 (long answers'
   CEO 0.52 -> 0.50); ranking by calibrated score instead of probability was worse for
   CEO (0.59). The same cap on areas lowered their F1 (0.76 -> 0.71); on growth plans it
   changed nothing. The policy has a revision (``POLICY``) in the coder's identity, so
   interviews coded under an earlier one are recoded;
3b. an area code the embedding adds alone (no rule hit) is dropped when its calibrated
   score (point 6, which reads the excerpt's length) is under ``AREA_MIN_SCORE``
   (policy4): in a long answer an area the CEO passes through reaches its threshold
   without being a point of the answer. Cross-validated on the dev set (fold seeds 0-2 /
   3-5), the long answers' area micro-F1 went from 0.749 to 0.770 and from 0.742 to
   0.768, the short answers' 0.753 -> 0.752 and 0.754 -> 0.760, the other families
   unchanged; the same cut on every family's embedding-only codes, or at 0.40 or 0.45,
   moved other families down by up to 0.007. Not applied with an artefact without score
   maps, whose scores are raw probabilities;
4. weight: none from the classifiers when the shown classifier gives the excerpt under
   ``SHOWN_MIN_PROB`` of showing the area's weight (the codebook leaves it empty then;
   see ``classifier.shown_features``); else the weight classifier's when its probability
   is at least ``WEIGHT_MIN_PROB`` (evidence ``embed.v1 weight=...``); failing both, the
   rule's weight when the text fixes one (a cue such as "non-negotiable" shows the
   weight whatever the shown classifier says), else none. The shown classifier,
   cross-validated on the dev set, took the short answers' agreement on area weights
   counting an empty weight as a value from 0.43 to 0.60 (before, 103 of 147 areas the
   gold leaves unweighted got a 3) and their exact agreement from 0.72 to 0.77, at 0.67
   -> 0.66 counting a missing weight as wrong; long answers unchanged. On an excerpt
   coded with two or more areas the weight classifier is the area-localised one
   (``classifier.local_features``: it reads the sentences that speak of the area, so one
   answer can be centralised on the back office and devolved on teaching; cross-validated
   on the long dev answers' area codes, weight agreement 0.54 -> 0.64, and 0.40 -> 0.56 on those with two or more areas); elsewhere,
   the whole-excerpt one. Both read the rules' weight cues beside the vectors
   (``classifier.cue_profile``): cross-validated on the long dev answers, which the
   rules' cues were not written against, the weights given agreed 0.62 -> 0.61 (exact),
   0.56 -> 0.59 counting a missing weight as wrong and 0.55 -> 0.58 with an empty weight
   as a value (short answers, whose wording the cues share, 0.77 -> 0.84, 0.66 -> 0.75,
   0.60 -> 0.65). The classifier comes first because on long answers the
   rules were not written against (the ``dL`` items of ``models/eval/dev.jsonl``,
   cross-validated) its weights agreed with the coder more often than the rules' (0.62
   against 0.53): a rule takes the cue nearest the area's words, which in a long,
   many-clause answer is often about another function or about the state before a
   change. A rule weight taken from a cue outside the area's sentences rests on the
   area being the excerpt's only one (see ``RuleCoder._single_area_weight``); when the
   ensemble codes more than one area on the excerpt, that premise is gone and it is
   dropped;
5. a coding is flagged ``needs_review`` when the two voices disagree: an embedding-only
   code within ``REVIEW_MARGIN`` of its threshold, or a rule hit the embedding gives
   under ``DOUBT`` probability. (Flagging instead every coding with a calibrated score
   under 0.5 or 0.6 caught no more of the wrong codings per flag, cross-validated on the
   dev set: 0.65 and 0.62 of those flagged wrong against 0.62, catching 0.47 and 0.65 of
   all wrong codings against 0.68.) An area coding is flagged too when its weight is the
   weight classifier's at under ``WEIGHT_DOUBT`` probability (policy3): cross-validated
   on the dev set (three fold seeds pooled), 0.52 of the weights so flagged were wrong
   against 0.29 of all weights given, and the flags caught 0.40 of the wrong ones (short
   answers 0.48 and 0.71, long answers 0.57 and 0.30; a cut at 0.6 caught 0.43 and 0.15,
   at 0.75 0.71 and 0.41). Over all codings, counting one wrong when its code or its
   weight is, the flags then catch 0.65 of the wrong ones instead of 0.57, with 0.63 of
   the flagged wrong instead of 0.66, and 40% of codings flagged instead of 34%;
6. score: calibrated (``classifier.fit_calibration``), the probability that a human
   coder applies the code, from the embedding probability by the artefact's map for the
   code's family and the coding's source (rule hit, embedding alone, or a code only
   the rules judge). An artefact without maps (trained without excerpts) leaves the
   scores of points 2 and 3. The embedding coder alone has maps of its own.
"""
from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from itertools import groupby
from typing import Sequence

import numpy as np

from matcoder.codebook.loader import codebook_hash
from matcoder.codebook.schema import Codebook
from matcoder.models.base import WEIGHT_EVIDENCE, CodeSuggestion, Evidence, ExcerptInput, weight_evidence
from matcoder.models.embedding.classifier import (Artefact, TrainingItem, codebook_items, cue_profile, ensemble_keeps,
                                                  newest_compatible, train)
from matcoder.models.embedding.encoder import Encoder
from matcoder.models.embedding.precision import precision_tag
from matcoder.models.embedding.roles import READING, embedding_text
from matcoder.models.rules.coder import EXCERPT_SCOPE, RuleCoder
from matcoder.models.rules.patterns import MATCHING
from matcoder.segment import word_count

WEIGHT_MIN_PROB = 0.5
SHOWN_MIN_PROB = 0.5
REVIEW_MARGIN = 0.15
DOUBT = 0.1
WEIGHT_DOUBT = 0.7  # a learnt weight under this probability flags its coding for review (policy 5)
AREA_MIN_SCORE = 0.35  # an embedding-only area code with a calibrated score under this is dropped (3b)
# the ensemble policy's revision; policy2 added the code density cap (3a), policy3 the
# review flag on doubtful weights (5), policy4 the score floor on embedding-only areas (3b)
POLICY = "policy4"
DENSITY_FAMILIES = ("breakpoint", "ceo")
WORDS_PER_CODE = 45


class EmbeddingCoder:
    name = "embed"
    version = "v1"

    def __init__(self, codebook: Codebook, artefact: Artefact | None = None, encoder: Encoder | None = None,
                 rules: RuleCoder | None = None):
        self.codebook = codebook
        self._artefact = artefact
        self.encoder = encoder or Encoder()
        self.rules = rules or RuleCoder(codebook)  # read for the weight cues and the rule vetoes

    @cached_property
    def artefact(self) -> Artefact:
        return self._artefact or newest_compatible(codebook_hash(self.codebook), self.encoder.identity)

    @property
    def revision(self) -> str:
        return revision(self.version, self.artefact, self.encoder.precision)

    @property
    def identity(self) -> str:
        return f"{self.name}.{self.revision}"

    def fit(self, items: Sequence[TrainingItem] = ()) -> None:
        """Train on the codebook's examples plus ``items`` and use the result (in memory;
        ``matcoder train`` also saves it as a versioned artefact)."""
        all_items = codebook_items(self.codebook) + list(items)
        texts = [embedding_text(it.text) for it in all_items]
        self._artefact = train(self.codebook, codebook_hash(self.codebook), all_items, self.encoder.encode(texts),
                               self.encoder.identity, rule_hits=rule_verdicts(self.rules, all_items),
                               sentences=self.encoder.encode_sentences(texts),
                               cues=self.cue_profiles([it.text for it in all_items]))
        self._artefact.meta["precision"] = self.encoder.precision  # the arithmetic its vectors were made in
        self.__dict__.pop("artefact", None)

    def cue_profiles(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each text's weight cues' profile (``classifier.cue_profile``): what the weight
        classifiers read of the rules."""
        return [cue_profile(self.rules.weight_cues(t)) for t in texts]

    def scores(self, excerpts: Sequence[ExcerptInput]) -> tuple[np.ndarray, np.ndarray]:
        """(embeddings, per-code probabilities) for the excerpts."""
        X = self.encoder.encode([read_text(e) for e in excerpts])
        return X, self.artefact.probabilities(X)

    def weights(self, excerpts: Sequence[ExcerptInput], X: np.ndarray,
                coded: Sequence[tuple[int, str]]) -> dict[tuple[int, str], tuple[int | None, float]]:
        """The learnt weight of each area code among ``coded`` (excerpt row, code), keyed
        like it: (weight, or None under ``WEIGHT_MIN_PROB`` or when the excerpt does not show
        it, see ``SHOWN_MIN_PROB``; its probability). An excerpt
        coded with two or more areas gets the area-localised classifier when the artefact
        has one (its sentences are encoded then, and only then); any other, the
        whole-excerpt one."""
        a = self.artefact
        areas: dict[int, list[str]] = {}
        for i, code in coded:
            if self.codebook.is_weighted(code):
                areas.setdefault(i, []).append(code)
        several = self.localised(excerpts, areas) if a.has_local_weights else []
        sentences = dict(zip(several, self.encoder.encode_sentences([read_text(excerpts[i]) for i in several])))
        cues = (dict(zip(areas, self.cue_profiles([excerpts[i].text for i in areas]))) if a.reads_cues
                else dict.fromkeys(areas))
        out = {}
        for i, codes in areas.items():
            for code in codes:
                if i in sentences:
                    w, p = a.local_weight(sentences[i], X[i], code, cues[i])
                else:
                    w, p = a.weight(X[i], code, cues[i])
                shown = a.shown(X[i], code, excerpts[i].text) >= SHOWN_MIN_PROB
                out[i, code] = (w if shown and p >= WEIGHT_MIN_PROB else None), p
        return out

    def localised(self, excerpts: Sequence[ExcerptInput], areas: dict[int, list[str]]) -> list[int]:
        """The rows (of ``areas``: row -> its area codes) whose weights the area-localised
        classifier reads: those coded with two or more areas."""
        return [i for i, codes in areas.items() if len(codes) >= 2]

    def predict(self, excerpts: Sequence[ExcerptInput]) -> list[CodeSuggestion]:
        X, P = self.scores(excerpts)
        a = self.artefact
        found = [(int(i), int(k)) for i, k in zip(*np.nonzero(P >= np.nan_to_num(a.threshold, nan=np.inf)))]
        learnt = self.weights(excerpts, X, [(i, a.codes[k]) for i, k in found])
        return [CodeSuggestion(excerpts[i].id, a.codes[k], learnt.get((i, a.codes[k]), (None,))[0],
                               _score(a.calibrated(self.name, a.codes[k], "embedding", float(P[i, k]),
                                                   word_count(excerpts[i].text)), float(P[i, k])),
                               "embedding", self.name, self.revision, (_embed_evidence(P[i, k], a.threshold[k]),))
                for i, k in found]


def revision(version: str, artefact: Artefact, precision: str, policy: str = "") -> str:
    """What, besides the codebook, decides an embedding coder's codes: its version, the
    artefact, the revision of the text the embedding reads (``roles.READING``), that of
    the rules' matching (``patterns.MATCHING``: the weight classifiers read the rules'
    cues), the ensemble's policy revision when given, and the encoder's arithmetic when it
    is not float32."""
    return (f"{version}+{artefact.id}+{READING}+{MATCHING}{f'+{policy}' if policy else ''}"
            f"{precision_tag(precision)}")


def read_text(excerpt: ExcerptInput) -> str:
    """What the embedding reads of an excerpt: its pseudonymised text when the caller gave
    one (names as roles), its text otherwise, with roles read as words."""
    return embedding_text(excerpt.pseudonymised or excerpt.text)


def rule_verdicts(rules: RuleCoder, items: Sequence[TrainingItem]) -> np.ndarray:
    """(items x codes) whether the rule coder applies each code to each item's text: what
    the ensemble's rule vetoes are chosen against (the artefact serves both coders)."""
    codes = {c: k for k, c in enumerate(rules.codebook.ids())}
    hits = np.zeros((len(items), len(codes)), dtype=bool)
    found = rules.predict([ExcerptInput(str(i), it.text) for i, it in enumerate(items)])
    for s in found:
        hits[int(s.excerpt_id), codes[s.code]] = True
    return hits


def _score(calibrated: float | None, uncalibrated: float) -> float:
    """A coding's score: calibrated when the artefact has a map for it (policy 6)."""
    return round(calibrated if calibrated is not None else uncalibrated, 4)


def _embed_evidence(p: float, t: float) -> Evidence:
    return Evidence(f"embed.v1 p={p:.2f} threshold={t:.2f}", 0, 0, "")


class EnsembleCoder:
    name = "ensemble"
    version = "v1"

    def __init__(self, codebook: Codebook, artefact: Artefact | None = None, encoder: Encoder | None = None):
        self.codebook = codebook
        self.rules = RuleCoder(codebook)
        self.embed = EmbeddingCoder(codebook, artefact, encoder, self.rules)
        self._stages = {s.code for s in codebook.growth_stages}

    @property
    def revision(self) -> str:
        # the rules' cues are the codebook's
        return revision(self.version, self.embed.artefact, self.embed.encoder.precision, POLICY)

    @property
    def identity(self) -> str:
        return f"{self.name}.{self.revision}"

    def fit(self, items: Sequence[TrainingItem] = ()) -> None:
        """The rules are written, not trained; fitting trains the embedding voice."""
        self.embed.fit(items)

    def predict(self, excerpts: Sequence[ExcerptInput]) -> list[CodeSuggestion]:
        rule_hits: dict[tuple[str, str], CodeSuggestion] = {
            (s.excerpt_id, s.code): s for s in self.rules.predict(excerpts)}
        X, P = self.embed.scores(excerpts)
        a = self.embed.artefact
        version = self.revision
        vetoes = [a.veto(code) for code in a.codes]
        kept: list[tuple[int, int, CodeSuggestion | None, bool]] = []  # (row, code index, rule hit, usable)
        for i, ex in enumerate(excerpts):
            for k, code in enumerate(a.codes):
                rule = rule_hits.get((ex.id, code))
                usable = code not in self._stages and not np.isnan(a.threshold[k])
                # usable: no rule hit needs p at its threshold, a rule hit survives unless vetoed;
                # otherwise only a rule hit counts
                if (ensemble_keeps(rule is not None, float(P[i, k]), float(a.threshold[k]), vetoes[k])
                        if usable else rule is not None):
                    kept.append((i, k, rule, usable))
        kept = self._within_density(excerpts, P, kept)
        learnt = self.embed.weights(excerpts, X, [(i, a.codes[k]) for i, k, _, usable in kept if usable])
        out: list[CodeSuggestion] = []
        for i, group in groupby(kept, key=lambda row: row[0]):
            mine, words = [], word_count(excerpts[i].text)
            for _, k, rule, usable in group:
                code, p, t = a.codes[k], float(P[i, k]), float(a.threshold[k])
                weight, weight_why = rule.weight if rule else None, ()
                learnt_weight, wp = learnt.get((i, code), (None, 0.0))
                doubtful_weight = learnt_weight is not None and wp < WEIGHT_DOUBT
                if learnt_weight is not None:
                    weight, weight_why = learnt_weight, (weight_evidence(learnt_weight, wp),)
                if rule is not None:
                    score = _score(a.calibrated(self.name, code, "rules" if usable else "rules_only", p, words),
                                   1 - (1 - rule.score) * (1 - p) if usable else rule.score)
                    evidence = rule.evidence + ((_embed_evidence(p, t),) if usable else ()) + weight_why
                    mine.append(replace(rule, score=score, weight=weight, agent=self.name,
                                        agent_version=version, evidence=evidence,
                                        needs_review=usable and p < DOUBT or doubtful_weight))
                else:
                    mine.append(CodeSuggestion(excerpts[i].id, code, weight,
                                               _score(a.calibrated(self.name, code, "embedding", p, words), p),
                                               "embedding", self.name,
                                               version, (_embed_evidence(p, t),) + weight_why,
                                               needs_review=p < t + REVIEW_MARGIN or doubtful_weight))
            out.extend(s for s in self._scoped_weights(mine) if not self._passing_area(s, a))
        return out

    def _passing_area(self, s: CodeSuggestion, a: Artefact) -> bool:
        """Whether ``s`` is an area code the embedding added alone with a calibrated score
        under ``AREA_MIN_SCORE`` (policy 3b; never with an artefact without score maps)."""
        return (s.source == "embedding" and s.code.startswith("area.")
                and a.score_map(self.name, s.code, "embedding") is not None and s.score < AREA_MIN_SCORE)

    def _within_density(self, excerpts: Sequence[ExcerptInput], P: np.ndarray,
                        kept: list[tuple[int, int, CodeSuggestion | None, bool]]):
        """``kept`` (row, code index, rule hit, usable) less the codes of the density families
        beyond each excerpt's allowance, lowest embedding probability first (policy 3a)."""
        codes = self.embed.artefact.codes
        ranked: dict[tuple[int, str], list[int]] = {}
        for i, k, _, usable in kept:
            family = self.codebook.family_of(codes[k])
            if usable and family in DENSITY_FAMILIES:
                ranked.setdefault((i, family), []).append(k)
        dropped = set()
        for (i, _), ks in ranked.items():
            allowance = 1 + word_count(excerpts[i].text) // WORDS_PER_CODE
            dropped.update((i, k) for k in sorted(ks, key=lambda k: -P[i, k])[allowance:])
        return [row for row in kept if (row[0], row[1]) not in dropped]

    def _scoped_weights(self, mine: list[CodeSuggestion]) -> list[CodeSuggestion]:
        """One excerpt's codings: with more than one area code, a rule weight from a cue
        outside the area's sentences is dropped, with its evidence (policy 4)."""
        if sum(self.codebook.is_weighted(s.code) for s in mine) < 2:
            return mine
        out = []
        for s in mine:
            kept = tuple(e for e in s.evidence if not e.rule.endswith(EXCERPT_SCOPE))
            if len(kept) < len(s.evidence):
                learnt = any(e.rule.startswith(WEIGHT_EVIDENCE) for e in kept)
                s = replace(s, weight=s.weight if learnt else None, evidence=kept)
            out.append(s)
        return out
