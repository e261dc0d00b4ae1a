"""Leaderboard labels a reader can trust: what a row is called must be what it looks like.

A label is refused when it could pass for another, or hide something:

* whitespace at either end, or any space but the plain one (``"random "``, ``"random\\u00a0"``);
* an invisible or unassigned character, a control, a private-use character or a lone
  surrogate (zero-width joiners, bidirectional overrides; a lone surrogate cannot even be
  stored);
* a form that Unicode normalisation (NFKC) changes: full-width letters, ligatures, combining
  marks not composed;
* letters of more than one script (a Cyrillic ``а`` in an otherwise Latin ``rаndom``).

Two labels are the same row when their :func:`skeleton` is (case, width and the common
Cyrillic and Greek look-alikes of Latin letters folded): ``Random`` cannot sit beside
``random``.
"""

from __future__ import annotations

import unicodedata

#: Letters of other scripts that look like Latin ones (a subset of Unicode's confusables).
_LOOK_ALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
        "ј": "j", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ӏ": "l",
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    }
)  # fmt: skip
#: Scripts that share a label legitimately (Japanese writes all three together).
_SCRIPT_FAMILIES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "HANGUL"}
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Cs": "a lone surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}


def label_problem(label: str) -> str | None:
    """Why ``label`` cannot name a leaderboard row (module docstring), or ``None``."""
    if not label.strip():
        return "it is empty"
    if label != label.strip():
        return "it starts or ends with whitespace"
    for ch in label:
        category = unicodedata.category(ch)
        if category in _REFUSED_CATEGORIES:
            return f"it holds {_REFUSED_CATEGORIES[category]} ({_code(ch)})"
        if category.startswith("Z") and ch != " ":
            return f"it holds a space other than ' ' ({_code(ch)})"
    if unicodedata.normalize("NFKC", label) != label:
        return (
            "it is not in Unicode's normal form (full-width letters, ligatures or separate "
            f"accents); write {unicodedata.normalize('NFKC', label)!r}"
        )
    scripts = sorted({script for ch in label if (script := _script(ch))})
    if len(scripts) > 1:
        return f"it mixes letters of several scripts ({', '.join(scripts)})"
    return None


def skeleton(label: str) -> str:
    """What ``label`` looks like: normalised, case-folded, look-alike letters folded."""
    text = unicodedata.normalize("NFKC", label).casefold()
    return " ".join(text.translate(_LOOK_ALIKES).split())


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    try:
        first = unicodedata.name(ch).split()[0]
    except ValueError:
        return "UNKNOWN"
    return _SCRIPT_FAMILIES.get(first, first)


def _code(ch: str) -> str:
    return f"U+{ord(ch):04X}"
