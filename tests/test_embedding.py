"""The embedding coder and ensemble, on the real all-MiniLM-L6-v2 model."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from matcoder.cli import main
from matcoder.codebook.loader import DEFAULT_PATH, codebook_hash, default_codebook, parse_codebook
from matcoder.models.base import ExcerptInput
from matcoder.models.embedding.classifier import ArtefactError, newest_compatible
from matcoder.models.embedding.coder import POLICY, WORDS_PER_CODE, EmbeddingCoder, EnsembleCoder
from matcoder.models.embedding.encoder import Encoder
from matcoder.models.embedding.precision import precision_tag
from matcoder.models.embedding.roles import READING
from matcoder.models.rules.patterns import MATCHING
from matcoder.training import human_items


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A fresh artefact trained by `matcoder train` into a temp folder."""
    out = tmp_path_factory.mktemp("artefacts")
    assert main(["train", "--out", str(out), "--warehouse", str(out / "none.duckdb")]) == 0
    return out


def test_committed_artefact_fits_the_committed_codebook_and_model():
    artefact = newest_compatible(codebook_hash(default_codebook()), Encoder().identity)
    assert artefact.meta["codebook_hash"] == codebook_hash(default_codebook())
    assert artefact.coef.shape == (38, 384)


def test_train_writes_a_versioned_artefact_with_its_provenance(trained: Path):
    [folder] = list(trained.iterdir())
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["coder"] == "embed.v1" and meta["model"].startswith("all-MiniLM-L6-v2@")
    assert meta["precision"] == Encoder().precision
    assert meta["codebook_hash"] == codebook_hash(default_codebook())
    assert len(meta["training_hash"]) == 64 and meta["created_at"] and meta["origins"] == {"codebook": 430}
    thresholds = [m["threshold"] for m in meta["codes"].values() if "threshold" in m]
    assert len(thresholds) >= 30 and len(set(thresholds)) > 3  # chosen per code, not one guessed value
    # no excerpts to choose rule vetoes on (codebook examples only): the rules keep every hit
    assert set(meta["rule_veto"]) == {"area", "breakpoint", "growth", "ceo"}
    assert all(v["veto"] == 0 for v in meta["rule_veto"].values())
    assert 0 < meta["local_weight"]["cv_exact"] <= 1  # the area-localised weight classifier was fitted too
    assert meta["weight_cues"] is True  # both weight classifiers read the rules' weight cues
    # the shown classifier learns from every area example, the unweighted ones too
    assert 0 < meta["shown"]["shown"] < meta["shown"]["items"] and 0.5 < meta["shown"]["cv_accuracy"] <= 1
    assert meta["calibration"] == {}  # no excerpts to fit score maps on: scores stay uncalibrated


def test_a_codebook_change_invalidates_the_artefact(trained: Path):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["families"]["area"]["codes"][0]["definition"] += " Changed."
    changed = codebook_hash(parse_codebook(yaml.safe_dump(data)))
    with pytest.raises(ArtefactError, match="run `matcoder train`"):
        newest_compatible(changed, Encoder().identity, trained)


def test_embedding_coder_finds_paraphrases_the_rules_miss(trained: Path):
    from matcoder.models.embedding.classifier import Artefact

    artefact = Artefact.load(next(trained.iterdir()))
    coder = EmbeddingCoder(default_codebook(), artefact)
    text = "Nobody in the schools deals with invoices, salaries or the IT helpdesk any more; our operations people do it."
    got = {s.code: s for s in coder.predict([ExcerptInput("x", text)])}
    assert "area.shared_services" in got
    s = got["area.shared_services"]
    assert s.source == "embedding" and 0 < s.score <= 1 and s.agent_version == coder.revision
    assert coder.revision.startswith(f"v1+{artefact.id}+{READING}")


def test_ensemble_keeps_rules_adds_embeddings_and_flags_doubt():
    coder = EnsembleCoder(default_codebook())
    excerpts = [ExcerptInput("a", "We are a trust of eleven academies, and finance is run centrally."),
                ExcerptInput("b", "Nobody in the schools deals with invoices or salaries now; our operations team does.")]
    out = coder.predict(excerpts)
    a = {s.code: s for s in out if s.excerpt_id == "a"}
    assert a["growth.established"].source == "rules"  # stages come from counts only
    assert a["area.shared_services"].weight == 3 and a["area.shared_services"].source == "rules"
    assert {s.source for s in out} <= {"rules", "embedding"}
    assert all(s.agent == "ensemble" for s in out)
    assert coder.identity.startswith("ensemble.v1+")


ELEVEN = [ExcerptInput("a", "We are a trust of eleven academies, and finance is run centrally.")]


def _artefact_copy():
    """The committed artefact, copied so that a test can change it."""
    import copy

    return copy.deepcopy(newest_compatible(codebook_hash(default_codebook()), Encoder().identity))


def test_a_rule_veto_drops_rule_hits_the_embedding_doubts_but_never_a_school_count():
    book = default_codebook()
    artefact, text = _artefact_copy(), ELEVEN
    before = {s.code for s in EnsembleCoder(book, artefact).predict(text)}
    assert {"area.shared_services", "growth.established"} <= before
    artefact.meta["rule_veto"] = {"area": {"veto": 1.0}, "growth": {"veto": 1.0}}
    after = {s.code for s in EnsembleCoder(book, artefact).predict(text)}
    assert "growth.established" in after and not any(c.startswith("area.") for c in after)


def test_the_weight_classifier_sets_the_weight_when_confident_and_the_rule_cue_otherwise():
    book = default_codebook()
    artefact, text = _artefact_copy(), ELEVEN
    artefact.weight_coef[:] = 0.0
    artefact.weight_intercept[:] = (6.0, 0.0, 0.0)  # the classifier is sure of "devolved"
    [services] = [s for s in EnsembleCoder(book, artefact).predict(text) if s.code == "area.shared_services"]
    assert services.weight == 1 and services.source == "rules"
    assert any(e.rule.startswith("embed.v1 weight=1 p=") for e in services.evidence)
    artefact.weight_intercept[:] = 0.0  # unsure (p = 1/3 for each level): the rule's cue decides
    [services] = [s for s in EnsembleCoder(book, artefact).predict(text) if s.code == "area.shared_services"]
    assert services.weight == 3 and not any(e.rule.startswith("embed.v1 weight=") for e in services.evidence)


def test_a_weight_the_classifier_doubts_flags_its_coding_for_review():
    book = default_codebook()
    artefact, text = _artefact_copy(), ELEVEN
    artefact.weight_coef[:] = 0.0
    artefact.weight_intercept[:] = (6.0, 0.0, 0.0)  # sure of "devolved": p 0.995
    [sure] = [s for s in EnsembleCoder(book, artefact).predict(text) if s.code == "area.shared_services"]
    artefact.weight_intercept[:] = (0.9, 0.0, 0.0)  # still "devolved", at p 0.55
    [unsure] = [s for s in EnsembleCoder(book, artefact).predict(text) if s.code == "area.shared_services"]
    assert sure.weight == unsure.weight == 1
    assert any(e.rule.startswith("embed.v1 weight=1 p=0.55") for e in unsure.evidence)
    assert not sure.needs_review and unsure.needs_review
    assert unsure.score == sure.score  # the code itself is as sure as before


def test_a_short_excerpt_keeps_one_ceo_behaviour_and_a_long_one_more(monkeypatch):
    """The density cap (policy 3a): with every CEO code's threshold at 0 both excerpts are
    proposed all of them; the short one keeps the likeliest, the long one one more per
    full WORDS_PER_CODE words; the areas are not capped (and, for this test, not held to
    their score floor either, policy 3b)."""
    monkeypatch.setattr("matcoder.models.embedding.coder.AREA_MIN_SCORE", 0.0)
    book = default_codebook()
    artefact = _artefact_copy()
    ceo = [k for k, c in enumerate(artefact.codes) if c.startswith("ceo.")]
    areas = [k for k, c in enumerate(artefact.codes) if c.startswith("area.")]
    artefact.threshold[ceo + areas] = 0.0
    sentence = "I spend my weeks in our schools listening to heads and working out with them what to change next. "
    short, long = ExcerptInput("s", sentence), ExcerptInput("l", sentence * 5)
    coder = EnsembleCoder(book, artefact)
    out = coder.predict([short, long])
    kept = {e: [s.code for s in out if s.excerpt_id == e and s.code.startswith("ceo.")] for e in ("s", "l")}
    _, P = coder.embed.scores([short])
    assert kept["s"] == [artefact.codes[max(ceo, key=lambda k: P[0, k])]]
    assert len(kept["l"]) == 1 + len(long.text.split()) // WORDS_PER_CODE < len(ceo)
    assert sum(s.code.startswith("area.") for s in out if s.excerpt_id == "s") == len(areas)
    assert coder.identity.endswith(f"+{POLICY}{precision_tag(coder.embed.encoder.precision)}")


def test_an_area_the_embedding_adds_alone_with_a_low_score_is_dropped_and_a_rule_hit_never():
    """Policy 3b: with every area's threshold at 0 the embedding proposes all twelve; those
    whose calibrated score is under AREA_MIN_SCORE go, the rule hit stays whatever its
    score, and an artefact without score maps (raw probabilities) drops none."""
    from matcoder.models.embedding.coder import AREA_MIN_SCORE

    book = default_codebook()
    artefact = _artefact_copy()
    areas = [k for k, c in enumerate(artefact.codes) if c.startswith("area.")]
    artefact.threshold[areas] = 0.0
    out = [s for s in EnsembleCoder(book, artefact).predict(ELEVEN) if s.code.startswith("area.")]
    alone = [s for s in out if s.source == "embedding"]
    assert all(s.score >= AREA_MIN_SCORE for s in alone) and len(alone) < len(areas) - 1
    assert [s.code for s in out if s.source == "rules"] == ["area.shared_services"]
    artefact.meta["rule_veto"] = {}
    artefact.meta["calibration"] = {}
    raw = [s for s in EnsembleCoder(book, artefact).predict(ELEVEN) if s.code.startswith("area.")]
    assert len(raw) == len(areas) and min(s.score for s in raw) < AREA_MIN_SCORE


def test_an_excerpt_scope_rule_weight_is_dropped_when_the_excerpt_has_two_areas():
    from matcoder.models.base import CodeSuggestion, Evidence
    from matcoder.models.embedding.coder import WEIGHT_EVIDENCE
    from matcoder.models.rules.coder import EXCERPT_SCOPE

    coder = EnsembleCoder(default_codebook())
    scoped = Evidence(f"weight.3#0 'central team' {EXCERPT_SCOPE}", 60, 72, "central team")
    curriculum = CodeSuggestion("e", "area.curriculum_pedagogy", 3, 0.9, "rules", "ensemble", "v1",
                                (Evidence("area.curriculum_pedagogy#0", 20, 25, "teach"), scoped))
    services = CodeSuggestion("e", "area.shared_services", None, 0.8, "embedding", "ensemble", "v1")
    assert coder._scoped_weights([curriculum]) == [curriculum]  # the only area: the cue can only be about it
    changed, same = coder._scoped_weights([curriculum, services])
    assert same == services and scoped not in changed.evidence and changed.weight is None
    learnt = Evidence(f"{WEIGHT_EVIDENCE}2 p=0.80", 0, 0, "")
    kept, _ = coder._scoped_weights([replace(curriculum, weight=2, evidence=curriculum.evidence + (learnt,)),
                                     services])
    assert kept.weight == 2 and kept.evidence == (curriculum.evidence[0], learnt)  # the classifier set it


TWO_AREAS = [ExcerptInput("b", "Payroll, HR and the IT contracts are run by our central team for every school, "
                                "no exceptions. Teaching is another matter: each head chooses the curriculum and "
                                "the exam boards, and I would never impose one.")]


class SplitCountingEncoder(Encoder):
    """The real encoder, recording which texts it is asked to split into sentences."""

    def __init__(self):
        super().__init__(use_cache=False)
        self.split: list[str] = []

    def encode_sentences(self, texts):
        self.split.extend(texts)
        return super().encode_sentences(texts)


class RecordingEncoder(SplitCountingEncoder):
    """The real encoder, also recording every text it is asked to encode."""

    def __init__(self):
        super().__init__()
        self.read: list[str] = []

    def encode(self, texts):
        self.read.extend(texts)
        return super().encode(texts)


@pytest.mark.parametrize("text, read", [
    ("[MAT] grew. At [school] and [Trust name], [name] met [name]'s board in [place].",
     "The trust grew. At the school and the trust, a colleague met a colleague's board in the area."),
    ("Our [MAT] board [...] chose one [school] [inaudible] to lead.", "Our trust board chose one school to lead."),
    ("We asked [the council] and [Director of Education].", "We asked the council and the Director of Education."),
    ("No brackets here, [sic] or not.", "No brackets here, or not."),
    # transcription services' marks: with a time, in parentheses, or a bare time
    ("[00:03:12] The heads [inaudible 00:03:14] agreed it (laughs).", "The heads agreed it."),
    ("The heads (laughs) agreed it (pause 00:12) together.", "The heads agreed it together."),
    ("We (and I mean all of us) met at 10:30 [crosstalk] (the usual room).",
     "We (and I mean all of us) met at 10:30 (the usual room)."),
    ("Plain text stays exactly as it was.", "Plain text stays exactly as it was."),
    ("The LGBs lost their budgets and the SoD went to the [MAT] board.",
     "The local governing bodies lost their budgets and the scheme of delegation went to the trust board."),
    ("Our SENCOs and TAs use one MIS; KS3 is common across the MAT.",
     "Our special needs coordinators and teaching assistants use one management information system; "
     "key stage 3 is common across the trust."),
    ("HR, IT and the CEO stay as written, and so do send and Lab.",
     "HR, IT and the CEO stay as written, and so do send and Lab."),
])
def test_the_embedding_reads_bracketed_roles_as_words(text, read):
    from matcoder.models.embedding.roles import embedding_text

    assert embedding_text(text) == read


def test_an_acronym_the_rules_know_is_not_vetoed_by_an_embedding_that_cannot_read_it():
    """Read as written, "LGBs" left the embedding at p 0.03 for governance and the area
    veto dropped the rules' correct hit; spelt out, the embedding agrees with the rules."""
    from matcoder.models.embedding import roles

    coder = EnsembleCoder(default_codebook())
    text = [ExcerptInput("a", "And so the board decided that the LGBs would become advisory.")]
    assert "area.governance" in {s.code for s in coder.rules.predict(text)}
    [governance] = [s for s in coder.predict(text) if s.code == "area.governance"]
    assert not governance.needs_review  # both voices agree
    assert "local governing bodies" in roles.embedding_text(text[0].text)


def test_the_embedding_reads_names_as_roles_and_the_rules_read_the_source():
    source = ("Payroll, HR and the IT contracts are run by the Fenmoor central team for every school, no exceptions. "
              "Teaching is another matter: each Fenmoor head chooses the curriculum and the exam boards.")
    masked = source.replace("Fenmoor", "[MAT]")
    encoder = RecordingEncoder()
    coder = EnsembleCoder(default_codebook(), _artefact_copy(), encoder)
    got = coder.predict([ExcerptInput("a", source, None, masked)])
    as_read = source.replace("Fenmoor", "trust")  # "the [MAT] central team" -> "the trust central team"
    assert encoder.read[0] == as_read and not any("Fenmoor" in t or "[" in t for t in encoder.read)
    assert {s.code for s in got} >= {"area.shared_services", "area.curriculum_pedagogy"}
    assert encoder.split == [as_read]  # the localised weights read the same text, sentence by sentence
    for s in got:  # evidence offsets point into the source text
        assert all(source[e.start:e.end] == e.text for e in s.evidence if e.end > e.start)
    # a report's quote with its roles in brackets is coded as if it said "the trust"
    plain = EnsembleCoder(default_codebook(), _artefact_copy(), Encoder(use_cache=False))
    assert ({(s.code, s.weight) for s in plain.predict([ExcerptInput("b", masked)])}
            == {(s.code, s.weight) for s in plain.predict([ExcerptInput("b", as_read)])})


def test_the_localised_weight_reads_the_sentences_about_its_area():
    from matcoder.models.embedding.classifier import local_features

    artefact, encoder = _artefact_copy(), Encoder()
    finance = "Finance, payroll and procurement are run by the central team for every academy."
    teaching = "Each head chooses the curriculum, the schemes of work and the exam boards for their own school."
    sentences = encoder.encode([finance, teaching])
    whole = encoder.encode([f"{finance} {teaching}"])[0]
    for code, own, other in (("area.shared_services", 0, 1), ("area.curriculum_pedagogy", 1, 0)):
        k = artefact.codes.index(code)
        features = local_features(sentences, whole, artefact.coef[k], artefact.intercept[k],
                                  artefact.area_codes.index(code), len(artefact.area_codes))
        span = features[:384]
        assert span @ sentences[own] > 0.99 and span @ sentences[other] < 0.7, code
        assert np.array_equal(features[384:768], whole)


def test_only_an_excerpt_coded_with_two_areas_is_split_into_sentences_for_its_weights():
    encoder = SplitCountingEncoder()
    got = EnsembleCoder(default_codebook(), _artefact_copy(), encoder).predict(TWO_AREAS + ELEVEN)
    weights = {(s.excerpt_id, s.code): s for s in got if s.code.startswith("area.")}
    assert encoder.split == [TWO_AREAS[0].text]  # "a" has one area: its whole vector is enough
    assert weights["b", "area.shared_services"].weight == 3 and weights["b", "area.curriculum_pedagogy"].weight == 1
    assert all(any(e.rule.startswith("embed.v1 weight=") for e in weights["b", c].evidence)
               for c in ("area.shared_services", "area.curriculum_pedagogy"))


def test_an_excerpt_that_does_not_show_who_holds_the_function_gets_no_learnt_weight():
    """The shown classifier (policy 4): the codebook leaves the weight empty when the text
    does not show who holds the function; a rule's cue still shows it."""
    book = default_codebook()
    artefact = _artefact_copy()
    code = "area.workforce"
    says_who = "We agreed a common pay policy together, but heads still appoint their own staff."
    says_nothing = "Recruiting good maths teachers is the hardest thing we do."
    X = Encoder().encode([says_who, says_nothing])
    shown = [artefact.shown(x, code, text) for x, text in zip(X, (says_who, says_nothing))]
    assert shown[0] > 0.5 > shown[1]

    def services(intercept: float):
        artefact.shown_intercept[:] = intercept
        return next(s for s in EnsembleCoder(book, artefact).predict(ELEVEN) if s.code == "area.shared_services")

    artefact.weight_coef[:] = 0.0
    artefact.weight_intercept[:] = (6.0, 0.0, 0.0)  # the weight classifier is sure of "devolved"
    shown = services(50.0)
    assert shown.weight == 1 and any(e.rule.startswith("embed.v1 weight=1") for e in shown.evidence)
    hidden = services(-50.0)  # no text shows a weight to the classifiers: the rule's cue ("centrally") decides
    assert hidden.weight == 3 and not any(e.rule.startswith("embed.v1 weight=") for e in hidden.evidence)
    alone = [s for s in EmbeddingCoder(book, artefact).predict(ELEVEN + [ExcerptInput("w", says_who)])
             if s.code.startswith("area.")]  # the embedding coder has no rules to fall back on
    assert alone and all(s.weight is None for s in alone)


def test_the_weight_classifiers_read_the_rules_weight_cues():
    """Policy 4: the weight classifiers read, besides the vectors, the summed scores of the
    rules' weight cues per level (``cue_profile``); a cue moves the verdict to its level."""
    from matcoder.models.embedding.classifier import cue_profile
    from matcoder.models.rules.coder import RuleCoder

    artefact, rules, code = _artefact_copy(), RuleCoder(default_codebook()), "area.curriculum_pedagogy"
    assert artefact.reads_cues
    texts = {1: "Each school chooses its own phonics scheme.",
             2: "The heads agreed the phonics scheme together.",
             3: "The phonics scheme is non-negotiable in every school."}
    X = Encoder().encode(list(texts.values()))
    for (level, text), x in zip(texts.items(), X):
        cues = cue_profile(rules.weight_cues(text))
        assert cues.argmax() == level - 1 and cues.max() > 0, text
        cued, p_cued = artefact.weight(x, code, cues)
        _, p_bare = artefact.weight(x, code, np.zeros(3, dtype=np.float32))
        assert cued == level and p_cued > p_bare, text
    with pytest.raises(ValueError, match="pass cues"):  # trained with cues, it cannot weigh without them
        artefact.weight(X[0], code)


def test_an_artefact_without_the_localised_classifier_still_loads_and_weighs_whole_excerpts(tmp_path: Path):
    from matcoder.models.embedding.classifier import Artefact

    artefact = _artefact_copy()
    assert artefact.has_local_weights and artefact.meta["local_weight"]["tau"] > 0
    again = Artefact.load(artefact.save(tmp_path / "new"))
    assert np.array_equal(again.local_coef, artefact.local_coef)
    assert np.array_equal(again.shown_coef, artefact.shown_coef)
    artefact.local_coef = artefact.local_intercept = None  # as trained before the localised classifier
    artefact.shown_coef = artefact.shown_intercept = None  # ... and before the shown classifier
    older = Artefact.load(artefact.save(tmp_path / "old"))
    encoder = SplitCountingEncoder()
    got = [s for s in EnsembleCoder(default_codebook(), older, encoder).predict(TWO_AREAS) if s.code.startswith("area.")]
    assert not older.has_local_weights and encoder.split == [] and len(got) >= 2
    weighed = {s.code for s in got if any(e.rule.startswith("embed.v1 weight=") for e in s.evidence)}
    assert {"area.shared_services", "area.curriculum_pedagogy"} <= weighed  # by the whole-excerpt classifier


def test_rule_vetoes_are_chosen_on_excerpts_by_cross_validation():
    from matcoder.models.embedding.classifier import MIN_VETO_ITEMS, TrainingItem, choose_vetoes

    book = default_codebook()
    codes = book.ids()
    ceo, area = codes.index("ceo.culture_values"), codes.index("area.governance")
    n = 60
    items = [TrainingItem(f"excerpt {i}", {"ceo.culture_values": None} if i < 20 else {}, None, "gold:x")
             for i in range(n)]
    oof = np.zeros((n, len(codes)), dtype=np.float32)
    hits = np.zeros((n, len(codes)), dtype=bool)
    threshold = np.full(len(codes), 0.5, dtype=np.float32)
    oof[:20, ceo] = 0.6
    hits[:40, ceo] = True  # the rule fires on all 20 positives and on 20 negatives the embedding rejects
    items = [TrainingItem(it.text, {**it.positives, **({"area.governance": 2} if i >= 40 else {})}, None, it.origin)
             for i, it in enumerate(items)]
    hits[40:, area] = True  # the rule is right on area where the embedding is weak: keep it
    oof[40:, area] = 0.01
    chosen = choose_vetoes(book, items, oof, threshold, hits)
    assert chosen["ceo"]["veto"] > 0 and chosen["area"]["veto"] == 0
    assert chosen["ceo"]["cv_f1"][str(chosen["ceo"]["veto"])] > chosen["ceo"]["cv_f1"]["0.0"]
    few = choose_vetoes(book, items[:MIN_VETO_ITEMS - 1], oof, threshold, hits)
    assert all(v["veto"] == 0 for v in few.values())
    as_examples = [TrainingItem(it.text, it.positives, None, "codebook") for it in items]
    assert all(v["veto"] == 0 for v in choose_vetoes(book, as_examples, oof, threshold, hits).values())


def test_score_maps_are_fitted_on_excerpts_and_pooled_where_a_family_has_too_few():
    from matcoder.models.embedding.classifier import MIN_CALIBRATION, TrainingItem, fit_calibration

    book = default_codebook()
    codes = book.ids()
    area, ceo = codes.index("area.governance"), codes.index("ceo.culture_values")
    rng = np.random.default_rng(0)
    n = 400
    p = rng.uniform(0.3, 1.0, n)
    right = rng.uniform(size=n) < p  # the embedding probability is itself calibrated here
    items = [TrainingItem(f"excerpt {i}", {"area.governance": 2} if right[i] else {}, None, "gold:x")
             for i in range(n)]
    items[0] = TrainingItem("excerpt 0", {"ceo.culture_values": None}, None, "gold:x")
    oof = np.zeros((n, len(codes)), dtype=np.float32)
    oof[:, area] = p
    oof[:MIN_CALIBRATION - 1, ceo] = 0.9  # too few CEO codings for a map of their own
    threshold = np.full(len(codes), np.nan, dtype=np.float32)
    threshold[[area, ceo]] = 0.3
    hits = np.zeros((n, len(codes)), dtype=bool)
    maps = fit_calibration(book, items, oof, threshold, hits, {})
    own = maps["ensemble"]["area"]["embedding"]
    assert "pooled" not in own and own["n"] == n and own["correct"] == int(right[1:].sum())
    assert own["a"] == pytest.approx(1.0, abs=0.35) and own["b"] == pytest.approx(0.0, abs=0.35)
    assert maps["ensemble"]["ceo"]["embedding"]["pooled"] and maps["embed"]["area"]["embedding"]["a"] > 0
    assert fit_calibration(book, [TrainingItem(it.text, it.positives, None, "codebook") for it in items],
                           oof, threshold, hits, {}) == {}  # codebook examples are not what gets coded


def test_score_maps_read_the_excerpt_length_when_long_excerpts_are_right_less_often():
    """The same embedding probability is worth less in a long answer, where a code's words
    are more often incidental: the map learns that from the excerpts' word counts."""
    from matcoder.models.embedding.classifier import Artefact, TrainingItem, fit_calibration

    book = default_codebook()
    codes = book.ids()
    area = codes.index("area.governance")
    rng = np.random.default_rng(1)
    n = 600
    p = rng.uniform(0.3, 1.0, n)
    long = np.arange(n) % 2 == 1
    truth = 1 / (1 + np.exp(-(np.log(p / (1 - p)) - 1.5 * long)))  # long excerpts right less often
    right = rng.uniform(size=n) < truth
    items = [TrainingItem(" ".join(["word"] * (150 if long[i] else 20)), {"area.governance": 2} if right[i] else {},
                          None, "gold:x") for i in range(n)]
    oof = np.zeros((n, len(codes)), dtype=np.float32)
    oof[:, area] = p
    threshold = np.full(len(codes), np.nan, dtype=np.float32)
    threshold[area] = 0.3
    maps = fit_calibration(book, items, oof, threshold, np.zeros((n, len(codes)), dtype=bool), {})
    assert maps["ensemble"]["area"]["embedding"]["c"] < -0.3
    art = Artefact(codes, np.zeros((len(codes), 2)), np.zeros(len(codes)), threshold, [], np.zeros((3, 2)),
                   np.zeros(3), {"calibration": maps})
    short_score, long_score = (art.calibrated("ensemble", "area.governance", "embedding", 0.8, w) for w in (20, 150))
    assert long_score < short_score - 0.1
    assert short_score == pytest.approx(0.8, abs=0.07) and long_score == pytest.approx(0.47, abs=0.07)
    old_map = {"ensemble": {"area": {"embedding": {"a": 1.0, "b": 0.0}}}}  # an artefact from before the length term
    old = Artefact(codes, art.coef, art.intercept, threshold, [], art.weight_coef, art.weight_intercept,
                   {"calibration": old_map})
    assert old.calibrated("ensemble", "area.governance", "embedding", 0.8, 20) == pytest.approx(0.8)
    assert old.calibrated("ensemble", "area.governance", "embedding", 0.8, 150) == pytest.approx(0.8)


def test_calibrated_scores_are_closer_to_how_often_codings_are_right_on_held_out_excerpts():
    """Measured on models/eval/heldout.jsonl, never used for training: the Brier score of the
    ensemble's codings, with the committed artefact's score maps and without them."""
    import copy

    from matcoder.models.evaluation import as_codes, coded_by, evaluate, read_coded

    book = default_codebook()
    artefact = newest_compatible(codebook_hash(book), Encoder().identity)
    assert {"ensemble", "embed"} <= set(artefact.meta["calibration"])
    raw = copy.deepcopy(artefact)
    raw.meta["calibration"] = {}
    gold = read_coded(Path(__file__).resolve().parent.parent / "models" / "eval" / "heldout.jsonl", book)
    brier = {}
    for name, a in (("calibrated", artefact), ("raw", raw)):
        scores: dict = {}
        predicted = coded_by(EnsembleCoder(book, a), gold, scores)
        [overall, *_] = evaluate({k: as_codes(v) for k, v in gold.items()}, predicted, book.ids(), scores).calibration
        brier[name] = overall.brier
        codes = {(k, c) for k, v in predicted.items() for c in v}
    assert brier["calibrated"] < brier["raw"] - 0.02
    assert codes == {(k, c) for k, v in predicted.items() for c in v}  # scores change, decisions do not


def test_fit_trains_in_memory_and_reviewed_items_change_the_model():
    from matcoder.models.embedding.classifier import TrainingItem

    book = default_codebook()
    coder = EmbeddingCoder(book)
    coder.fit()
    before = coder.artefact
    text = "The pastoral team in every school now logs incidents in the same way."
    coder.fit([TrainingItem(text, {"area.pupil_policies_pastoral": 3}, None, "human")] * 5)
    after = coder.artefact
    assert after.meta["training_items"] == before.meta["training_items"] + 5
    assert after.meta["training_hash"] != before.meta["training_hash"]
    k = after.codes.index("area.pupil_policies_pastoral")
    assert not np.allclose(after.coef[k], before.coef[k])


def test_cache_keys_on_model_identity(tmp_path: Path, monkeypatch):
    enc = Encoder(cache_path=tmp_path / "c.sqlite")
    calls = []
    real = Encoder.encode_raw
    monkeypatch.setattr(Encoder, "encode_raw", lambda self, texts: calls.append(len(texts)) or real(self, texts))
    first = enc.encode(["one text", "two text", "one text"])
    again = enc.encode(["two text", "one text"])
    assert calls == [2]  # duplicates and repeats are served from the cache
    assert np.allclose(first[1], again[0])
    other = Encoder(cache_path=tmp_path / "c.sqlite")
    other.__dict__["identity"] = "another-model@0"  # a swapped model must not reuse vectors
    other.encode(["one text"])
    assert calls == [2, 1]


def test_bf16_arithmetic_gives_the_float32_vectors_within_rounding_and_is_cached_apart(tmp_path: Path, monkeypatch):
    texts = ["We moved every school onto one finance system.", "Heads choose their own curriculum, always."]
    fp32 = Encoder(cache_path=tmp_path / "c.sqlite", precision="fp32")
    bf16 = Encoder(cache_path=tmp_path / "c.sqlite", precision="bf16")
    a = fp32.encode(texts)
    calls = []
    real = Encoder.encode_raw
    monkeypatch.setattr(Encoder, "encode_raw", lambda self, t: calls.append(self.precision) or real(self, t))
    b = bf16.encode(texts)
    assert calls == ["bf16"]  # the float32 vectors in the cache do not serve a bfloat16 encoder
    assert not np.array_equal(a, b)  # the arithmetic did change
    assert (a * b).sum(axis=1).min() > 0.999
    book = default_codebook()
    assert EnsembleCoder(book, encoder=bf16).revision.endswith(f"+{READING}+{MATCHING}+{POLICY}+bf16")
    assert EmbeddingCoder(book, encoder=fp32).revision.endswith(f"+{READING}+{MATCHING}")


@pytest.mark.parametrize("setting, native, bf16_time, resolved", [
    ("", True, 0.5, "bf16"), ("", True, 0.95, "fp32"), ("auto", False, 0.5, "fp32"), ("fp32", True, 0.5, "fp32"),
    (" BF16 ", False, 2.0, "bf16")])
def test_the_precision_setting_resolves_for_the_machine(monkeypatch, setting, native, bf16_time, resolved):
    # Whether the CPU multiplies bfloat16 in hardware, and how fast it does, are patched:
    # one machine cannot be all of them. float32's encode takes 1 s.
    from matcoder.models.embedding import precision

    monkeypatch.setenv("MATCODER_PRECISION", setting)
    monkeypatch.setattr(precision, "native_bf16", lambda: native)
    monkeypatch.setattr(Encoder, "_seconds", lambda self, p: {"fp32": 1.0, "bf16": bf16_time}[p])
    assert Encoder(use_cache=False).precision == resolved


def test_auto_precision_times_the_encode_once_per_machine(tmp_path: Path, monkeypatch):
    """Hardware bfloat16 is not always faster (an Intel Xeon with AVX512-BF16 encoded at
    0.65 times float32's rate): the encoder times both once, keeps the verdict beside its
    cache, and the next encoder on the machine reads it instead of timing again."""
    from matcoder.models.embedding import precision

    monkeypatch.setenv("MATCODER_PRECISION", "auto")
    monkeypatch.setattr(precision, "native_bf16", lambda: True)
    timed: list[str] = []
    real = Encoder._seconds
    monkeypatch.setattr(Encoder, "_seconds", lambda self, p: timed.append(p) or real(self, p))
    first = Encoder(cache_path=tmp_path / "c.sqlite").precision
    rounds = precision.TIMING_ROUNDS
    assert timed == ["fp32", "bf16"] * rounds  # alternately, so a busy spell does not fall on one arithmetic
    verdict = json.loads((tmp_path / "precision.json").read_text())[precision.machine_key()]
    assert verdict["precision"] == first == ("bf16" if verdict["bf16_s"] < 0.9 * verdict["fp32_s"] else "fp32")
    assert Encoder(cache_path=tmp_path / "c.sqlite").precision == first and len(timed) == 2 * rounds
    (tmp_path / "precision.json").write_text("{not json")  # a damaged file is timed afresh, not trusted
    assert Encoder(cache_path=tmp_path / "c.sqlite").precision in ("fp32", "bf16") and len(timed) == 4 * rounds
    (tmp_path / "precision.json").write_text('["fp32"]')  # JSON, but not a file of verdicts
    assert Encoder(cache_path=tmp_path / "c.sqlite").precision in ("fp32", "bf16") and len(timed) == 6 * rounds


def test_a_busy_spell_during_the_timing_does_not_decide_the_arithmetic_for_good(tmp_path: Path, monkeypatch):
    """The verdict is kept per machine, so one slow round (another process holding a core
    while bfloat16 was timed) must not settle it: each arithmetic's fastest round counts."""
    from matcoder.models.embedding import precision

    monkeypatch.setenv("MATCODER_PRECISION", "auto")
    monkeypatch.setattr(precision, "native_bf16", lambda: True)
    # float32 takes 1 s throughout; bfloat16 takes 0.5 s, but its first round ran while busy
    rounds = {"fp32": iter([1.0] * 9), "bf16": iter([2.0] + [0.5] * 8)}
    monkeypatch.setattr(Encoder, "_seconds", lambda self, p: next(rounds[p]))
    assert Encoder(cache_path=tmp_path / "c.sqlite").precision == "bf16"
    verdict = json.loads((tmp_path / "precision.json").read_text())[precision.machine_key()]
    assert (verdict["fp32_s"], verdict["bf16_s"]) == (1.0, 0.5)
    # a verdict of one round, as kept before, is not trusted: the machine is timed again
    (tmp_path / "precision.json").write_text(json.dumps({precision.machine_key(): {
        "precision": "fp32", "fp32_s": 1.0, "bf16_s": 2.0}}))
    assert Encoder(cache_path=tmp_path / "c.sqlite").precision == "bf16"


def test_two_cpus_a_virtual_machine_names_alike_get_separate_precision_verdicts(tmp_path: Path):
    """This workplace has had an "AMD EPYC" with fast bfloat16 and another "AMD EPYC" with
    AVX2 only: the description a verdict (and a benchmark row) is kept under tells them apart."""
    from matcoder.models.embedding.precision import cpu_description

    def cpuinfo(family: int, model: int, flags: str) -> Path:
        path = tmp_path / f"{family}-{model}"
        block = f"processor\t: {{n}}\nmodel name\t: AMD EPYC\ncpu family\t: {family}\nmodel\t\t: {model}\nflags\t\t: {flags}\n"
        path.write_text(block.format(n=0) + "\n" + block.format(n=1).replace(flags, "fpu"))
        return path

    zen4 = cpu_description(cpuinfo(25, 17, "fpu sse4_2 avx2 avx512f avx512_bf16"))
    zen3 = cpu_description(cpuinfo(25, 1, "fpu sse4_2 avx2"))
    assert zen4 == "AMD EPYC (family 25, model 17, avx512_bf16)"
    assert zen3 == "AMD EPYC (family 25, model 1, avx2)"
    assert cpu_description(tmp_path / "missing").strip()  # no /proc/cpuinfo: still a name


def test_a_bad_precision_setting_is_named_before_any_work(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("MATCODER_PRECISION", "fp16")
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "One finance system for all."}\n')
    assert main(["code-excerpts", "--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl")]) == 2
    assert "MATCODER_PRECISION='fp16'" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()
    # `run` would otherwise create and migrate the warehouse before its coder finds the setting
    sample = Path(__file__).resolve().parent.parent / "transcripts_sample"
    assert main(["run", str(sample), "--warehouse", str(tmp_path / "w.duckdb"), "--quiet"]) == 2
    assert "MATCODER_PRECISION='fp16'" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


def test_human_codings_become_training_items_by_majority():
    rows = [("e1", "text", None, "ann", "area.governance", 3), ("e1", "text", None, "bob", "area.governance", 3),
            ("e1", "text", None, "bob", "ceo.culture_values", None), ("e1", "text", None, "cat", "area.workforce", 1)]
    [item] = human_items(rows)
    assert item.positives == {"area.governance": 3}
    assert item.negatives is None and item.label("area.workforce") == 0
