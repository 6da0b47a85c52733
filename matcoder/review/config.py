"""The Label Studio labelling config, generated from the codebook (never written by
hand): the case line (pseudonym and attributes) and the interviewer's question as
context, the excerpt, the model's proposals with their scores, one multi-choice group
per family (each choice's hover hint carries the code's label and definition), and
for every area code a 1-3 centralisation weight shown when that code is ticked.

Results come back keyed by tag name: the family name for codes (choice values are
code IDs) and ``weight__<code suffix>`` for weights (choice values "1", "2", "3").
"""
from __future__ import annotations

import hashlib
from xml.sax.saxutils import quoteattr

from matcoder.codebook.schema import Codebook

TEXT = "text"


def weight_tag(code_id: str) -> str:
    return "weight__" + code_id.split(".", 1)[1]


def code_of_weight_tag(tag: str, family: str = "area") -> str | None:
    return f"{family}.{tag[len('weight__'):]}" if tag.startswith("weight__") else None


def _hint(text: str) -> str:
    return " ".join(text.split())


def label_config(book: Codebook) -> str:
    out = ['<View>',
           '  <Header value="$case" size="5"/>',
           '  <View style="color:#555">',
           '    <Text name="question" value="$question" granularity="word"/>',
           '  </View>',
           f'  <Text name="{TEXT}" value="$text" granularity="word"/>',
           '  <Collapse>',
           '    <Panel value="Model proposals (code, weight, score, source)">',
           '      <Text name="proposals" value="$proposals"/>',
           '    </Panel>',
           '  </Collapse>']
    levels = {w.value: w for w in book.weights}
    for family_id, family in book.families.items():
        out.append(f'  <Header value={quoteattr(family.label)} size="4"/>')
        kind = "multiple" if family.multi_label else "single"
        out.append(f'  <Choices name="{family_id}" toName="{TEXT}" choice="{kind}" showInLine="false">')
        for code in family.codes:
            hint = _hint(f"{code.label}: {code.definition} Use when: {code.when_to_use}")
            out.append(f'    <Choice value={quoteattr(code.id)} hint={quoteattr(hint)}/>')
        out.append('  </Choices>')
        if family.weighted:
            for code in family.codes:
                out.append(f'  <View visibleWhen="choice-selected" whenTagName="{family_id}" '
                           f'whenChoiceValue={quoteattr(code.id)}>')
                out.append(f'    <Header value={quoteattr("Centralisation of " + code.label)} size="6"/>')
                out.append(f'    <Choices name="{weight_tag(code.id)}" toName="{TEXT}" choice="single" '
                           'showInLine="true">')
                for value in (1, 2, 3):
                    hint = _hint(f"{levels[value].label}: {levels[value].definition}")
                    out.append(f'      <Choice value="{value}" hint={quoteattr(hint)}/>')
                out.append('    </Choices>')
                out.append('  </View>')
    out.append('</View>')
    return "\n".join(out) + "\n"


def config_hash(config: str) -> str:
    return hashlib.sha256(config.encode("utf-8")).hexdigest()[:16]
