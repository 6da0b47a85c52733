"""Pseudonymisation: identifying names replaced by bracketed roles before any text
leaves the warehouse (Label Studio tasks, quote banks, reports, exports).

A ``Pseudonymiser`` holds (name, role) pairs. Full names match in any casing
(``FENMOOR ACADEMIES``) and across line breaks; possessives keep their ending
(``Okonkwo's`` -> ``[name]'s``); partial forms (a person's first name or surname, even of
two letters; an organisation's or place's first distinctive word, ``Fenmoor``, its name
up to each later one, ``Bishop Wand`` of ``Bishop Wand School``, and the head of a
hyphenated place, ``Stoke``) match in lower case only when they are not an ordinary
English word, so ``orchard`` is not taken for the school ``Orchard Hill`` while
``okonkwo`` is still a name. Initials that make a word (a speaker labelled ``SO``) match
only as initials. Accents do not count (``Zoe`` is ``Zoë``). Longer names win over their
parts. Every replacement is recorded with its source offsets, so a pseudonymised span
maps back to the source text.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from matcoder.ingest.speakers import RoleConfig, label_parts, norm_label

INITIALS = re.compile(r"^[A-Z]{2,3}$")
# the end of the text before a sentence's first word (searched up to that word)
SENTENCE_START = re.compile(r"(?:^|[.!?:;…\"“‘(]\s*|\n\s*|[-–]\s)$")
# capitalised words that are no names: function words the vocabulary lacks ("so", "the"), sector
# acronyms ("CEO", "MAT"); the privacy check's built-in allow-list
ALLOW_FILE = Path(__file__).with_name("allow.txt")
ROLES = ("MAT", "school", "name", "place", "county", "organisation", "CEO", "Interviewer")
# titles before a person's name: "Prof" of "Prof. Mark Ellis" is no name of his, and
# "Mark Ellis" is all of it
_TITLES = {
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "rev", "revd", "reverend", "canon",
    "fr", "lord", "lady", "baroness", "baron", "cllr", "councillor",
}
_UNTITLED = re.compile(rf"^(?:(?:{'|'.join(sorted(_TITLES))})\.?\s+)+", re.IGNORECASE)
# A job a team writes beside a name in a names cell ("Dana Whitlock (CEO)", "Tom Ng, Finance
# Director", "Sarah Owen - Chair of Trustees"): not the person, and said all through the talk.
_JOBS = {
    "ceo", "coo", "cfo", "chief", "executive", "officer", "deputy", "vice", "assistant", "interim", "acting",
    "former", "chair", "chairman", "chairwoman", "chairperson", "trustee", "trustees", "governor", "governors",
    "member", "members", "board", "director", "directors", "head", "headteacher", "headmaster", "headmistress",
    "principal", "teacher", "manager", "lead", "leader", "clerk", "finance", "financial", "operations",
    "operating", "business", "hr", "senior", "regional", "national", "founder",
}
# Words that may open a name but must not be replaced alone (a trust called "The
# Learning Trust" must not turn every "learning" into a role).
_COMMON = {
    "the", "st", "saint", "north", "south", "east", "west", "new", "old", "great", "little", "upper", "lower",
    "academy", "academies", "trust", "school", "schools", "college", "primary", "secondary", "high", "learning",
    "education", "educational", "partnership", "multi", "community", "church", "catholic", "diocese", "city",
    "county", "council", "and", "of", "for", "in", "at",
    "all", "one", "first", "future", "hope", "bright", "united", "central", "park", "valley", "green",
} | _TITLES | _JOBS


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Ordinary English words: every form and lemma in spaCy's English lookup table."""
    from matcoder.models.rules.patterns import _table

    table = _table()
    return frozenset(w.casefold() for w in list(table) + list(table.values()))


@lru_cache(maxsize=8)
def allowed_words(path: Path = ALLOW_FILE) -> frozenset[str]:
    """The words of an allow-list file (one per line, ``#`` comments), case-folded."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.lstrip().startswith("#"))


def _is_word(text: str) -> bool:
    return _key(text) in vocabulary()


def _key(form: str) -> str:
    return " ".join(form.lower().replace("’", "'").split())


@dataclass(frozen=True)
class Replacement:
    start: int
    end: int
    original: str
    role: str


@dataclass(frozen=True)
class Shareable:
    text: str
    replacements: tuple[Replacement, ...]

    def source_offset(self, offset: int) -> int:
        """Map an offset in the pseudonymised text back to the source text."""
        shift = 0
        for r in self.replacements:
            placeholder_start = r.start + shift
            placeholder_end = placeholder_start + len(r.role) + 2
            if offset < placeholder_start:
                break
            if offset < placeholder_end:
                return r.start
            shift += len(r.role) + 2 - (r.end - r.start)
        return offset - shift


def _name_and_job(name: str) -> tuple[str, str]:
    """``name`` split before a job written beside it: in brackets, after a spaced dash, or
    after a comma when the words after it make a job ("Tom Ng, Finance Director", "Jane
    Smith, Head of School"; not "Whitlock, Dana", nor "Smith, Hope"). The job is "" when
    there is none."""
    m = re.search(r"\s*\(|\s[-–—]\s|,\s*(?=[^,]*$)", name)
    if not m:
        return name, ""
    job = name[m.end():].strip(" )")
    words = {w.casefold() for w in re.findall(r"[^\W\d_]+", job)}
    if m.group().strip() == "," and not (words <= _COMMON and words & _JOBS):
        return name, ""
    return name[:m.start()].strip(), job


def variants(name: str, role: str) -> list[tuple[str, bool]]:
    """The forms of one name that identify it on their own, each with whether it is a
    partial form (partial forms match only when written with a capital)."""
    name = " ".join(name.split())
    out = [(name, False)]
    person = role in ("name", "CEO", "Interviewer")
    # the person without the job a team wrote beside the name ("Priya Sandhu - Deputy CEO",
    # "Tom Ng, Finance Director", "Dana Whitlock (Head of Maths)") is one name, and the
    # job's words are no part of it: "Maths" must not become a name
    before, job = _name_and_job(name) if person else (name, "")
    if job:
        out.append((before, False))
    # words without a possessive ending ("Elizabeth's" is "Elizabeth": the match keeps "'s")
    words = [(m.start(), re.sub(r"['’]s$", "", m.group()))
             for m in re.finditer(r"[^\W\d_][\w'’-]*", before)]
    # a person's two-letter name ("Tom Ng") counts; an initial ("J.") does not
    distinctive = [(at, w) for at, w in words if w.lower() not in _COMMON and len(w) >= (2 if person else 3)]
    if not person and distinctive and "-" in distinctive[0][1]:
        # a hyphenated place is said by its head: "Stoke" of "Stoke-on-Trent", "Weston" of "Weston-super-Mare"
        head = distinctive[0][1].split("-")[0]
        if len(head) >= 3 and head.lower() not in _COMMON:
            out.append((head, True))
    if len(words) < 2:
        return out
    untitled = _UNTITLED.sub("", before)
    if person and untitled != before and len(untitled.split()) >= 2:
        out.append((untitled, False))
    if person and not job and name.count(",") == 1:
        # a name in a directory's order ("Whitlock, Dana", as Teams labels speakers) is said
        # the other way round: "Dana Whitlock" is one name, not two
        surname, given = (part.strip() for part in name.split(","))
        if surname and given:
            out.append((f"{given} {surname}", False))
    if person:
        out += [(w, True) for _, w in distinctive]
    elif distinctive:
        out.append((distinctive[0][1], True))
        # and the name up to each later distinctive word: "St Cuthbert" of "St Cuthbert's Learning
        # Trust", "Bishop Wand" of "Bishop Wand School", so that no part of it is left showing
        out += [(name[:at + len(w)], True) for at, w in distinctive
                if name[:at + len(w)] not in (distinctive[0][1], name)]
    return out


@lru_cache(maxsize=4096)
def _base_letter(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char)
    if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
        return decomposed[0]
    return char


def fold(text: str) -> str:
    """``text`` with accented letters as their base letters, one character for one (so
    offsets carry over): a name written "Zoë" in the case sheet and "Zoe" in a transcript,
    or the other way round, is one name."""
    if text.isascii():
        return text
    return text.translate({ord(c): _base_letter(c) for c in set(text) if not c.isascii()})


def _initials_as_name(text: str, start: int, written: str) -> bool:
    if written.isupper():
        return True
    return written.istitle() and not SENTENCE_START.search(text, max(0, start - 40), start)


class Pseudonymiser:
    def __init__(self, names: Iterable[tuple[str, str]]):
        forms: dict[str, tuple[str, bool]] = {}
        # a whole name of two or three capitals that is also an ordinary word ("SO", "AN": a
        # speaker labelled by initials; "TOM") is taken in capitals, or with one capital inside a
        # sentence, never in lower case or opening a sentence: "So" and "an" stay talk
        self.initials: set[str] = set()
        for name, role in names:
            if not name or not name.strip():
                continue
            if INITIALS.match(name.strip()) and (_is_word(name.strip()) or _key(name) in allowed_words()):
                self.initials.add(_key(name))
            for form, partial in variants(fold(unicodedata.normalize("NFC", name)), role):
                key = _key(form)
                if key not in forms or (forms[key][1] and not partial):
                    forms[key] = (role, partial)
        self.forms = forms
        if forms:
            alternatives = "|".join(re.escape(f).replace(r"\ ", r"\s+").replace("'", "['’]") for f in sorted(forms, key=len, reverse=True))
            self.pattern = re.compile(rf"(?<![\w])({alternatives})(?![\w])", re.IGNORECASE)
        else:
            self.pattern = None

    def __call__(self, text: str | None) -> Shareable:
        if not text or self.pattern is None:
            return Shareable(text or "", ())
        out, reps, last = [], [], 0
        for m in self.pattern.finditer(fold(text)):  # same offsets as ``text``
            role, partial = self.forms[_key(m.group(1))]
            if m.group(1).islower() and _is_word(m.group(1)):
                # "orchard" is a word, "Orchard" or "okonkwo" the name; so for a name that is one
                # word: "reading" is the phonics, "Reading" the town
                continue
            if _key(m.group(1)) in self.initials and not _initials_as_name(text, m.start(), m.group(1)):
                continue  # "so" is not the speaker "SO"
            out.append(text[last:m.start()])
            out.append(f"[{role}]")
            reps.append(Replacement(m.start(), m.end(), text[m.start():m.end()], role))
            last = m.end()
        out.append(text[last:])
        return Shareable("".join(out), tuple(reps))

    def text(self, text: str | None) -> str:
        return self(text).text


def names_in_reference(names: Pseudonymiser, reference: str) -> tuple[Replacement, ...]:
    """The names ``names`` replaces in a file name or interview id read as words
    ("Jane_Smith MAT27", "jane-smith-mat27" as "jane smith mat27"). Interview ids are
    made from file names and are never pseudonymised: a name in one travels with it."""
    return names(re.sub(r"[\W_]+", " ", reference)).replacements


# what meeting software puts in brackets after a display name that is not a name: pronouns
# ("Dana Whitlock (she/her)") and the platform's markers ("(Guest)", "(External)")
_PRONOUN = r"(?:she|her|hers|he|him|his|they|them|theirs?|ze|zir|xe|xem|any|all)"
_NOT_A_NAME = re.compile(rf"^(?:{_PRONOUN}(?:\s*/\s*{_PRONOUN})+|guest|external|co-?host|organi[sz]er|presenter|"
                         r"unverified|external user|me)$", re.IGNORECASE)


def speaker_names(labels: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Speaker labels that are people's names (not "Interviewer", "CEO", "Speaker 1", nor any
    other role label ingest knows: "Chief Executive" or "Answer" must not turn every "chief
    executive" or "answer" in the talk into a role)."""
    generic = re.compile(r"^(interviewer|interviewee|ceo|speaker\s*\d*|q|a|respondent|participant|host|"
                         r"unknown|moderator|researcher)\b", re.IGNORECASE)
    roles = RoleConfig().known()
    out = []
    for label, role in labels:
        base, qualifier = label_parts(label)
        # "Interviewer (SO)", "Jane Smith (CEO)": the name is whichever part is not a role
        # ("CEO (MAT 27)": a qualifier with a figure is a citation, not a name; nor are
        # pronouns and a platform's "(Guest)")
        parts = [base] if qualifier is None or re.search(r"\d", qualifier) or _NOT_A_NAME.match(qualifier.strip()) \
            else [base, qualifier]
        for part in parts:
            if (part and not generic.match(part) and norm_label(part) not in roles
                    and re.search(r"[A-Za-z]{2}", part)):
                out.append((part, "CEO" if role == "interviewee" else "Interviewer"))
    return out


class WarehouseNames:
    """One ``Pseudonymiser`` per interview of a warehouse, built on first use: the
    interview's speaker names, its case-sheet names and the project-wide names."""

    def __init__(self, con):
        self.con = con
        self._cache: dict[str, Pseudonymiser] = {}

    def __call__(self, interview_id: str) -> Pseudonymiser:
        if interview_id not in self._cache:
            self._cache[interview_id] = Pseudonymiser(interview_names(self.con, interview_id))
        return self._cache[interview_id]

    def text(self, interview_id: str, text: str | None) -> str | None:
        """``text`` pseudonymised for its interview (None and "" stay as they are)."""
        return self(interview_id).text(text) if text else text

    def shareable(self, row: dict, key: str) -> str | None:
        """The review push's hook: ``row[key]`` for ``row["interview_id"]``."""
        return self.text(row["interview_id"], row.get(key))


def interview_names(con, interview_id: str,
                    speakers: Sequence[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """The interview's speaker names, its case-sheet names and the project-wide names.
    ``speakers`` (label, role) pairs stand in for the warehouse's turns when the
    interview is not loaded yet (the flow codes before it loads)."""
    if speakers is None:
        speakers = con.execute("SELECT DISTINCT speaker, role FROM turns WHERE interview_id = ?",
                               [interview_id]).fetchall()
    return speaker_names(speakers) + con.execute(
        "SELECT name, role FROM case_names WHERE interview_id = ? OR interview_id IS NULL", [interview_id]).fetchall()
