"""Read an arm out of a free-text reply.

The rules, in order (a reply that passes none of them names no arm and the step is invalid):

1. If the reply contains an answer marker (``answer:``, ``choice:``, any case), only the text
   after the last marker counts.
2. The text, stripped of spaces, quotes, brackets and end punctuation, equals a label (any
   case): that arm.
3. Otherwise the labels mentioned as whole words are collected. A one-character label counts
   only in its own case (so the word "a" is not the label "A"); longer labels in any case. A
   reply that mentions exactly one distinct label chooses it; none or several is invalid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_MARKER = re.compile(r"(?:final\s+)?(?:answer|choice)\s*:", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9]+")
_STRIP = " \t\r\n\"'`*()[]{}<>.,;:!?"


def parse_reply(reply: str, labels: Sequence[str]) -> int | None:
    """The arm index ``reply`` names among ``labels``, or ``None`` when it names none or several."""
    text = reply
    markers = list(_MARKER.finditer(text))
    if markers:
        text = text[markers[-1].end() :]
    bare = text.strip(_STRIP)
    folded = [label.casefold() for label in labels]
    if bare.casefold() in folded:
        return folded.index(bare.casefold())
    found: set[int] = set()
    for word in _WORD.findall(text):
        for index, label in enumerate(labels):
            if word == label or (len(label) > 1 and word.casefold() == label.casefold()):
                found.add(index)
    if len(found) == 1:
        return found.pop()
    return None
