"""The text the embedding reads: bracketed roles as plain words, sector acronyms spelt out.

Quotes from published reports, and our own pseudonymised text, carry names as
bracketed roles (``[MAT]``, ``[school]``, ``[name]``) and editorial marks (``[...]``,
``[inaudible]``). The classifiers were trained on text that says "the trust" and "the
school", so a bracket is read as the phrase it stands for: a trust's name then moves
an answer's vector no more than "the trust" does. The flow replaces names by roles
first (``ExcerptInput.pseudonymised``). Only the embedding reads this text; the rules
read the source text, to which their evidence offsets refer.

Sector acronyms ("LGBs", "MIS", "SoD", "SENCO", "KS3") are read as the words they
stand for (``ACRONYMS``): alone, an acronym barely moves the model (it reads "LGBs"
as nothing to do with governance), and interviews are full of them. The ones the model
already reads, and that the training material uses (HR, IT, CEO, GCSE), are left as
they are. Matching is case-sensitive, so "send", "Lab" or "Pan" are not touched.
"""
from __future__ import annotations

import re

from matcoder.ingest.speakers import TIMESTAMP
from matcoder.verbatim import fluent

# Revision of this reading, part of the embedding coders' identity: a warehouse coded
# under an earlier reading is recoded on the next run, not left as it was.
# read1: the source text as it stands; read2: names as roles, roles read as words;
# read3: sector acronyms spelt out too; read4: verbatim fillers read past (verbatim.fluent);
# read5: editorial marks with a time or in parentheses, and bare times, dropped (MARKS);
# read6: names as the pseudonymiser now finds them: a placeholder ("none", "-") or a job
# ("CEO", "Finance Director") in a names cell is no name, and a name that is one ordinary
# word ("Reading") is replaced only with its capital.
READING = "read6"

# acronym (as written, case-sensitive) -> words; a plural adds "s" unless listed itself
ACRONYMS = {
    # governance and structures
    "MAT": "trust", "LGB": "local governing body", "LGBs": "local governing bodies", "LAB": "local advisory board",
    "SoD": "scheme of delegation", "RSC": "regional schools commissioner", "DfE": "Department for Education",
    "ESFA": "Education and Skills Funding Agency", "LA": "local authority", "LAs": "local authorities",
    "HMI": "inspector", "RI": "requires improvement",
    # leaders and staff
    "COO": "chief operating officer", "CFO": "chief financial officer", "FD": "finance director",
    "SLT": "senior leadership team", "ELT": "executive leadership team", "HT": "headteacher",
    "DHT": "deputy headteacher", "AHT": "assistant headteacher", "TA": "teaching assistant",
    "HLTA": "higher level teaching assistant", "ECT": "early career teacher", "NQT": "newly qualified teacher",
    "ECF": "early career framework", "ITT": "teacher training", "SCITT": "school-centred teacher training",
    "NPQ": "national professional qualification", "NPQH": "national professional qualification for headship",
    "NLE": "national leader of education", "SLE": "specialist leader of education", "TSH": "teaching school hub",
    "CPD": "professional development", "INSET": "staff training day", "DSL": "designated safeguarding lead",
    "SENCO": "special needs coordinator", "SENCo": "special needs coordinator", "SENDCo": "special needs coordinator",
    # pupils, curriculum and standards
    "SEND": "special educational needs", "SEN": "special educational needs",
    "EHCP": "education, health and care plan", "FSM": "free school meals", "PP": "pupil premium",
    "EAL": "English as an additional language", "EYFS": "early years", "KS1": "key stage 1", "KS2": "key stage 2",
    "KS3": "key stage 3", "KS4": "key stage 4", "KS5": "key stage 5", "SATs": "national tests",
    "PSHE": "personal, social and health education", "RSE": "relationships and sex education",
    "CAMHS": "child mental health services", "PAN": "admission number",
    # improvement, data, operations, parents
    "SIP": "school improvement partner", "SEF": "self-evaluation", "SDP": "school development plan",
    "QA": "quality assurance", "MIS": "management information system", "ICT": "information technology",
    "CIF": "condition improvement fund", "GAG": "general annual grant", "PTA": "parent teacher association",
    "DofE": "Duke of Edinburgh award",
}
_ACRONYM = re.compile(r"\b(" + "|".join(sorted(map(re.escape, ACRONYMS), key=len, reverse=True)) + r")(s?)\b")

# role (casefolded, as the pseudonymiser and published reports write it) -> noun
ROLE_NOUNS = {
    "mat": "trust", "trust": "trust", "trust name": "trust", "mat name": "trust", "name of trust": "trust",
    "academy trust": "trust", "school": "school", "school name": "school", "name of school": "school",
    "academy": "academy", "academy name": "academy", "place": "area", "area": "area", "town": "town",
    "city": "city", "village": "village", "region": "region", "location": "area", "county": "county",
    "organisation": "organisation", "organization": "organisation", "ceo": "chief executive",
    "interviewer": "interviewer",
}
PERSON = {"name", "person", "names", "name of person"}  # -> "a colleague"
# An editorial mark, in brackets or in parentheses as transcription services write them,
# with or without a time ("[inaudible 00:03:12]", "(laughs)", "[crosstalk]"), or a bare
# time ("[00:03:12]"): dropped from what the embedding reads.
MARKS = re.compile(r"[^\S\n]*(?:\[|\()(?:(?:\.\.\.|…|\.\s\.\s\.|inaudible|unintelligible|unclear|indistinct|laughs?|"
                   r"laughing|laughter|chuckles?|crosstalk|cross-talk|overtalk|overlapping(?: speech)?|(?:long )?pause|"
                   r"sic|coughs?|silence|background noise|phone rings?)(?:[\s,:-]*" + TIMESTAMP + r")?|" + TIMESTAMP +
                   r")(?:\]|\))[^\S\n]*", re.IGNORECASE)
DETERMINERS = {"the", "our", "their", "your", "my", "his", "her", "its", "a", "an", "this", "that", "these",
               "those", "each", "every", "one", "another", "which", "whose", "no", "any", "some"}
_BRACKET = re.compile(r"\[([^\[\]\n]{1,40})\]")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\s*$")
_SENTENCE_END = re.compile(r"(?:[.!?][\"'”’)]?\s+|\n\s*)$")


def embedding_text(text: str) -> str:
    """``text`` with editorial marks removed (``MARKS``: "[inaudible 00:03:12]",
    "(laughs)", "[00:03:12]"), every bracketed role read as words
    (``[MAT]`` -> "the trust", "our [MAT]" -> "our trust", ``[name]`` -> "a colleague",
    any other bracket -> its words) and sector acronyms spelt out (``ACRONYMS``: "the
    LGBs" -> "the local governing bodies"), and without the fillers, discourse markers and
    repeated words of verbatim speech (``verbatim.fluent``). Text with none of these comes
    back unchanged."""
    text = fluent(text)
    if "[" in text or "(" in text:
        text = MARKS.sub(_mark, text)
    if "[" in text:
        text = _BRACKET.sub(lambda m: _phrase(m.group(1), text[max(0, m.start() - 30):m.start()], m.start() == 0),
                            text)
    return _ACRONYM.sub(_spelt_out, text)


def _spelt_out(m: re.Match) -> str:
    word, plural = m.group(1), m.group(2)
    if plural and word + plural in ACRONYMS:
        return ACRONYMS[word + plural]
    words = ACRONYMS[word]
    return words if words.endswith("s") else words + plural


def _mark(m: re.Match) -> str:
    """A removed mark leaves one space between words, none at an edge or before punctuation."""
    return " " if m.start() > 0 and m.end() < len(m.string) and m.string[m.end()] not in ".,;:!?)]\n" else ""


def _phrase(inner: str, before: str, first_in_text: bool) -> str:
    key = " ".join(inner.casefold().split())
    word = _WORD_BEFORE.search(before)
    after_determiner = bool(word) and word.group(1).casefold() in DETERMINERS
    if key in PERSON:
        phrase = "colleague" if after_determiner else "a colleague"
    else:
        noun = ROLE_NOUNS.get(key, inner.strip())
        first = noun.split()[0].casefold()
        phrase = noun if after_determiner or first in DETERMINERS else f"the {noun}"
    if first_in_text or _SENTENCE_END.search(before):
        phrase = phrase[0].upper() + phrase[1:]
    return phrase
