"""Number words and digits to integers: "eleven" -> 11, "twenty-three" -> 23, "14" -> 14."""
from __future__ import annotations

UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
SPECIAL = {"a dozen": 12, "dozen": 12, "a couple": 2, "a handful": 5, "a hundred": 100, "hundred": 100}


def word_value(word: str) -> int | None:
    """Value of one token: '14', 'eleven', 'forty'. None when it is not a number."""
    w = word.casefold().replace(",", "")
    if w.isdigit():
        return int(w)
    return UNITS.get(w, TENS.get(w))


def compound_value(words: list[str]) -> int | None:
    """'twenty' '-' 'three' / 'twenty three' -> 23; a single token -> its value."""
    words = [w for w in words if w != "-"]
    if len(words) == 1:
        return word_value(words[0])
    if len(words) == 2 and words[0].casefold() in TENS and words[1].casefold() in UNITS:
        return TENS[words[0].casefold()] + UNITS[words[1].casefold()]
    return None
