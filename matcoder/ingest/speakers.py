"""Speaker labels and roles.

A *label line* starts a turn: ``Interviewer: So tell me...``, ``[00:03:12] Q: ...``,
``[00:03:12 --> 00:03:40] Jane Smith: ...``, ``Jane Smith (00:03:12): ...``, ``Jane Smith: [00:03:12] ...``,
``Interviewer (SO): ...`` (a qualifier in brackets: either part may give the role),
``[Jane Smith]: ...``, ``*CEO:* ...``, ``Q - So...`` and ``[INTERVIEWER] So...`` (known labels
only), ``Interviewer<tab>So...``, or a label alone on its line (``CEO:``, ``INTERVIEWER``,
``**Jane Smith**``, Otter's ``Jane Smith  0:05``, ``[00:03:12] Jane Smith``) with the
talk on the lines below. A label is accepted when it is a known role label
(see ``RoleConfig``) or when it starts two or more lines, so that an answer line such
as ``Three things: first...`` is not taken for a speaker; a bare label must look like
a name (capitalised words) and be followed by talk.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from matcoder.errors import InputFileError
from matcoder.ingest.model import RawTurn, Role, Turn

# a time as transcription services write it: "3:12", "00:03:12", "00:03:12.480", "00:03:12,480"
TIMESTAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# a speaker label (and, below, the text of a qualifier in brackets after it); captions.py reads
# its cue prefixes with the same two
# ("Owen, Sarah": a directory's surname-first order, as Microsoft Teams shows names, with
# capitals on both sides of the comma)
LABEL = r"(?:[^\W\d_a-z][\w.'’\- ]{0,29}?,[ ]?[^\W\d_a-z][\w.'’\- ]{0,29}?|[^\W\d_][\w.'’\- ]{0,39}?)"
# a time (or a time range, "00:00:15 --> 00:01:02", "00:00:15 → 00:01:02") before a label,
# bracketed or not, perhaps with a dash after it: "[00:03:12] Q:", "[00:00:05.00] - Jane Smith"
_RANGE_END = rf"(?:[ \t]*(?:-->|→|[-–])[ \t]*{TIMESTAMP})?"
_LEADING_TIME = rf"(?:[\[(]?(?P<ts1>{TIMESTAMP}){_RANGE_END}[\])]?[ \t]*[-–]?[ \t]*)?"
# a qualifier in brackets after a label: "Interviewer (SO)", "Respondent (Dana Whitlock)", "Jane Smith (CEO)"
QUALIFIER = r"[^\W\d_][^()\n]{0,39}?"
_QUALIFIER = rf"(?:[ \t]*\((?P<qual>{QUALIFIER})\))?"
# before a colon a label may also be in square brackets or in Markdown's other emphasis:
# "[Interviewer]: So...", "*Interviewer:* So...", "__CEO__: Well..." (not before a bare label:
# "[Laughter]" or "*Pause*" alone on a line is no speaker)
_EMPH = r"(?:\*\*|__|\*|_)?"


def _label_start(emphasis: str = r"(?:\*\*)?", opening: str = "", closing: str = "") -> str:
    """The start every label line shares: the leading time, then the label (and its
    qualifier), bold or not (or in other marks)."""
    return rf"^[ \t]*{_LEADING_TIME}{emphasis}{opening}(?P<label>{LABEL}){_QUALIFIER}{closing}{emphasis}"


_LABEL_START = _label_start()
_MARKED_LABEL_START = _label_start(_EMPH, r"\[?", r"\]?")
LABEL_LINE = re.compile(
    rf"""{_MARKED_LABEL_START}
        [ \t]*(?:[\[(]?(?P<ts2>{TIMESTAMP})[\])]?)?[ \t]*{_EMPH}:{_EMPH}(?:[ \t]+|$)
        (?:[\[(](?P<ts4>{TIMESTAMP})[\])](?:[ \t]+|$))?  # Sonix: "Jane Smith: [00:03:12] So..."
        (?P<text>.*)$""",
    re.X,
)
OTTER_LINE = re.compile(rf"^[ \t]*(?P<label>{LABEL})[ \t]{{2,}}(?P<ts2>{TIMESTAMP})[ \t]*$")
# "Q - What...", "Interviewer – So..." (accepted only for known role labels)
DASH_LINE = re.compile(rf"^[ \t]*(?P<label>{LABEL})[ \t]+[-–][ \t]+(?P<text>\S.*)$")
# "[Jane Smith] 10:02:15" alone on its line, the talk below (Zoom's saved captions)
ZOOM_LINE = re.compile(rf"^[ \t]*\[(?P<label>{LABEL})\][ \t]+(?P<ts>{TIMESTAMP})[ \t]*$")
# "[INTERVIEWER] So..." (accepted only for known role labels: "[Laughs] Yes" is no speaker)
BRACKET_LINE = re.compile(rf"^[ \t]*{_LEADING_TIME}\[(?P<label>{LABEL})\][ \t]+(?P<text>\S.*)$")
# "Q. What...", "A. Well..." (court-reporter style; only Q and A, so "I. Introduction" is no label)
DOT_LINE = re.compile(r"^[ \t]*(?P<label>[QA])\.[ \t]+(?P<text>\S.*)$")
# a label alone on its line, the talk below ("INTERVIEWER", "**Jane Smith**", "Jane Smith (00:01:02)",
# "[00:01:02] Jane Smith") (or "Jane Smith 0:04", "Jane Smith<tab>0:04": Microsoft Teams' transcript export)
BARE_LINE = re.compile(rf"{_LABEL_START}"
                       rf"(?:[ \t]*[\[(](?P<ts2>{TIMESTAMP})[\])]|[ \t]+(?P<ts3>{TIMESTAMP}))?[ \t]*$")
# a label, a tab (or a run of spaces standing for one), then the talk ("Interviewer<tab>So...",
# "R<tab>Well...", "00:03:12<tab>Jane Smith<tab>We...", "INTERVIEWER   So..."): transcripts typed
# with a hanging indent, tab-separated exports, and either as converted text lays tabs out
# (spaces only after a known label or three of them: a slip of two after "So" is no label)
TAB_LINE = re.compile(rf"{_LABEL_START}"
                      rf"(?:[ \t]*[\[(](?P<ts2>{TIMESTAMP})[\])])?(?P<sep>[ ]*\t|[ ]{{2,}})[ \t]*(?P<text>\S.*)$")
QUALIFIED = re.compile(r"^(.+?)[ \t]*\(([^()]+)\)$")
TIMESTAMP_ONLY = re.compile(rf"^[ \t]*[\[(]?{TIMESTAMP}{_RANGE_END}[\])]?[ \t]*$")
LEADING_TS = re.compile(rf"^[ \t]*[\[(]?{TIMESTAMP}[\])]?[ \t]+")

DEFAULT_INTERVIEWER = (
    "interviewer", "q", "question", "int", "i", "researcher", "facilitator", "moderator",
    "interviewer 1", "interviewer 2",
)
DEFAULT_INTERVIEWEE = (
    "interviewee", "a", "answer", "ceo", "respondent", "r", "participant", "chief executive",
)


def norm_label(label: str) -> str:
    return " ".join(label.replace("*", "").split()).casefold()


@dataclass(frozen=True)
class RoleConfig:
    """Which speaker labels are the interviewer and which the interviewee.

    Labels are compared case-insensitively. Speakers with other labels (names,
    ``Speaker 1``) are assigned by talk share: the speaker with the most words is the
    interviewee, everyone else an interviewer, unless they answer rather than ask (see
    ``_second_interviewees``).
    """

    interviewer: tuple[str, ...] = DEFAULT_INTERVIEWER
    interviewee: tuple[str, ...] = DEFAULT_INTERVIEWEE
    extra_interviewer: tuple[str, ...] = field(default=())
    extra_interviewee: tuple[str, ...] = field(default=())

    def known(self) -> dict[str, Role]:
        roles: dict[str, Role] = {}
        for label in self.interviewer + self.extra_interviewer:
            roles[norm_label(label)] = "interviewer"
        for label in self.interviewee + self.extra_interviewee:
            roles[norm_label(label)] = "interviewee"
        return roles


def _looks_like_name(label: str) -> bool:
    return label[-1:].isalnum() and all(word[:1].isupper() or word[:1].isdigit() for word in label.split())


def _speaker(m: re.Match) -> str:
    """The label a line gives, with its qualifier: "Interviewer (SO)"."""
    label, qualifier = m.group("label").strip(), m.groupdict().get("qual")
    return f"{label} ({qualifier.strip()})" if qualifier else label


def label_parts(label: str) -> tuple[str, str | None]:
    """A label and its bracketed qualifier: "Interviewer (SO)" -> ("Interviewer", "SO")."""
    m = QUALIFIED.match(label.strip())
    return (m.group(1).strip(), m.group(2).strip()) if m else (label.strip(), None)


def known_role(label: str, known: dict[str, Role]) -> Role | None:
    """The role a known label gives: the label itself, or its base or qualifier
    ("Interviewer (SO)", "Jane Smith (CEO)")."""
    for part in (label, *label_parts(label)):
        if part and norm_label(part) in known:
            return known[norm_label(part)]
    return None


def guessed_roles(turns: list[Turn], config: RoleConfig) -> dict[Role, list[str]]:
    """The speakers whose role no label gave (names, ``Speaker 1``), by the role talk
    share and asking gave them, in order of first turn: what a team should check."""
    known = config.known()
    out: dict[Role, list[str]] = {}
    for turn in turns:
        if known_role(turn.speaker, known) is None and turn.speaker not in out.get(turn.role, []):
            out.setdefault(turn.role, []).append(turn.speaker)
    return out


def _time(m: re.Match) -> str | None:
    """The time a label line gives, before or after its label."""
    return next((t for name, t in m.groupdict().items() if name.startswith("ts") and t), None)


def _colonless(m: re.Match, known: dict[str, Role]) -> bool:
    """Whether a label without a colon (alone on its line, or before a tab) is taken: four
    words at most, and a known role label or a name."""
    label = m.group("label")
    return len(label.split()) <= 4 and (norm_label(label) in known or _looks_like_name(label))


def _match_label(line: str, known: dict[str, Role]) -> tuple[str, str | None, str] | None:
    m = LABEL_LINE.match(line)
    if m:
        if len(m.group("label").split()) <= 5:
            return _speaker(m), _time(m), m.group("text").strip()
    m = OTTER_LINE.match(line)
    if m:
        return m.group("label").strip(), m.group("ts2"), ""
    m = ZOOM_LINE.match(line)
    if m:
        return m.group("label").strip(), m.group("ts"), ""
    for pattern in (DASH_LINE, BRACKET_LINE, DOT_LINE):  # known role labels only
        m = pattern.match(line)
        if m and norm_label(m.group("label")) in known:
            return m.group("label").strip(), _time(m), m.group("text").strip()
    m = BARE_LINE.match(line)
    if m and _colonless(m, known):
        return _speaker(m), _time(m), ""
    m = TAB_LINE.match(line)
    if m and _colonless(m, known) and ("\t" in m.group("sep") or len(m.group("sep")) >= 3
                                      or norm_label(m.group("label")) in known):
        return _speaker(m), _time(m), m.group("text").strip()
    return None


def accepted_labels(candidates: list[str], config: RoleConfig) -> set[str]:
    """Labels (normalised) that really mark speakers: known ones, or seen twice or more."""
    counts = Counter(norm_label(c) for c in candidates)
    known = config.known()
    return {lab for lab, n in counts.items() if known_role(lab, known) or n >= 2}


def split_labelled_text(text: str, config: RoleConfig) -> tuple[list[str], list[RawTurn]]:
    """Split label-line text into (header lines, raw turns)."""
    lines = text.split("\n")
    known = config.known()
    matches = [_match_label(line, known) for line in lines]
    # a bare label line must be followed by talk, not by another label or the end
    for i in range(len(matches) - 1, -1, -1):  # from the end, so a later rejection counts
        m = matches[i]
        if m and not m[2] and BARE_LINE.match(lines[i]):
            following = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
            if following is None or matches[following]:
                matches[i] = None
    accepted = accepted_labels([m[0] for m in matches if m], config)
    header: list[str] = []
    turns: list[tuple[str, str | None, list[str]]] = []
    for line, m in zip(lines, matches):
        if m and norm_label(m[0]) in accepted:
            turns.append((m[0], m[1], [m[2]] if m[2] else []))
        elif TIMESTAMP_ONLY.match(line):
            continue
        elif turns:
            turns[-1][2].append(LEADING_TS.sub("", line, count=1).lstrip(" \t"))  # a hanging indent is layout
        elif line.strip():
            header.append(line.strip())
    raw = []
    for label, ts, parts in turns:
        body = "\n".join(parts).strip()
        body = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", body)
        if body:
            raw.append(RawTurn(speaker=label, text=body, timestamp=ts))
    return header, raw


def _second_interviewees(raw: list[RawTurn], roles: dict[str, Role], named: list[str],
                         words: Counter[str]) -> None:
    """A named speaker beside the interviewee who answers rather than asks (a chief
    operating officer the CEO brought along) is an interviewee too: none of their turns
    asks a question, they say 30 words or more in all and 10 or more a turn (a note-taker's
    thanks do not count), and an interviewer is left who asks in half of their turns or
    more (so a transcript with no question marks, such as unpunctuated captions, keeps
    talk share alone). ``roles`` holds the talk-share guess for the ``named`` speakers (those
    no label role gives) and is updated in place."""
    turns: dict[str, list[str]] = {}
    for turn in raw:
        turns.setdefault(norm_label(turn.speaker), []).append(turn.text)

    def asking(s: str) -> float:
        return sum("?" in text for text in turns[s]) / len(turns[s])

    answering = [s for s in named if roles[s] == "interviewer"
                 and asking(s) == 0 and words[s] >= max(30, 10 * len(turns[s]))]
    if any(r == "interviewer" and s not in answering and asking(s) >= 0.5 for s, r in roles.items()):
        roles.update({s: "interviewee" for s in answering})


def assign_roles(raw: list[RawTurn], config: RoleConfig, path: str) -> list[Turn]:
    """Give every turn a role; raise when the interviewee cannot be told apart."""
    if not raw:
        raise InputFileError(
            path, "no speaker turns found (expected labels such as 'Interviewer:' and 'CEO:')"
        )
    known = config.known()
    words: Counter[str] = Counter()
    for turn in raw:
        words[norm_label(turn.speaker)] += len(turn.text.split())
    if len(words) < 2:
        raise InputFileError(
            path,
            f"only one speaker ('{raw[0].speaker}') found: cannot tell questions from answers (if the "
            "other speaker's label is in a layout not read, such as 'Jane Smith - So...', name it with "
            "--interviewee-label or --interviewer-label)",
        )
    roles: dict[str, Role] = {s: role for s in words if (role := known_role(s, known))}
    unknown = [s for s in words if s not in roles]
    if unknown:
        has_interviewee = "interviewee" in roles.values()
        main = max(unknown, key=lambda s: words[s])
        for s in unknown:
            roles[s] = "interviewee" if (s == main and not has_interviewee) else "interviewer"
        _second_interviewees(raw, roles, unknown, words)
    if "interviewee" not in roles.values():
        raise InputFileError(path, "no interviewee found among speakers " + ", ".join(sorted(words)))
    return [
        Turn(index=i, speaker=t.speaker, role=roles[norm_label(t.speaker)], text=t.text,
             timestamp=t.timestamp)
        for i, t in enumerate(raw)
    ]
