"""Probe the committed artefact's whole-excerpt weight classifier with one-sentence
statements written for the purpose: one area each, one level each, said plainly. They
are not training or evaluation material and no setting is chosen on them; they show
whether the classifier reads who holds a function or leans on the area's usual level.

    .venv/bin/python benchmarks/probe_weights.py
"""
from __future__ import annotations

import os

from matcoder.codebook.loader import codebook_hash, default_codebook
from matcoder.models.embedding.classifier import newest_compatible
from matcoder.models.embedding.coder import EmbeddingCoder
from matcoder.models.embedding.encoder import Encoder

PROBES = [  # (area, level, statement)
    ("area.curriculum_pedagogy", 3, "The curriculum is written by our central team and not up for debate."),
    ("area.curriculum_pedagogy", 1, "Our primaries each design their own topics; I've never asked them to change."),
    ("area.curriculum_pedagogy", 2, "Subject leads from every school wrote the maths sequence together and each "
                                    "school teaches it in its own way."),
    ("area.shared_services", 3, "All finance sits with the trust now; the schools don't hold budgets of their own."),
    ("area.shared_services", 1, "Schools buy their own cleaning and catering contracts, whatever suits them."),
    ("area.shared_services", 2, "Procurement is offered centrally and most schools opt in, but nobody has to."),
    ("area.pupil_policies_pastoral", 3, "There is one behaviour policy and every academy follows it to the letter."),
    ("area.pupil_policies_pastoral", 1, "How each school runs behaviour is up to the head."),
    ("area.pupil_policies_pastoral", 2, "We set the principles for behaviour and heads write the detail for their "
                                        "school."),
    ("area.workforce", 3, "Every appointment goes through the central people team, heads included."),
    ("area.workforce", 1, "Heads hire their own staff and set their own training days."),
    ("area.workforce", 2, "We agreed a common appraisal framework with the heads, and they run it locally."),
    ("area.governance", 3, "We removed the local boards and the trust board makes those decisions now."),
    ("area.governance", 1, "Local governing bodies keep full powers over their school."),
    ("area.governance", 2, "Local committees keep some powers, and they earn more as the school improves."),
    ("area.information_management", 3, "Everyone is on the same MIS, chosen and run by the trust."),
    ("area.information_management", 1, "Each school picks whichever tracking system it likes."),
    ("area.comms_branding", 3, "Every school carries the trust logo and uniform; that was required from day one."),
    ("area.comms_branding", 1, "Schools keep their own names, badges and websites."),
]


def main() -> None:
    os.environ.setdefault("MATCODER_PRECISION", "fp32")
    book = default_codebook()
    encoder = Encoder()
    artefact = newest_compatible(codebook_hash(book), encoder.identity)
    coder = EmbeddingCoder(book, artefact, encoder)
    texts = [text for _, _, text in PROBES]
    X = encoder.encode(texts)
    cues = coder.cue_profiles(texts) if artefact.reads_cues else [None] * len(texts)
    right = 0
    for (code, level, text), x, c in zip(PROBES, X, cues):
        got, p = artefact.weight(x, code, c)
        right += got == level
        print(f"{'ok ' if got == level else 'XX '} {level} -> {got} (p {p:.2f})  {code}: {text}")
    print(f"{right} of {len(PROBES)} right with artefact {artefact.id}")


if __name__ == "__main__":
    main()
