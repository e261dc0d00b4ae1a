"""Reading an arm out of free-text replies, including malformed ones."""

from __future__ import annotations

import pytest

from entropy_gym.envs.text.bandits.parse import parse_reply

LETTERS = ("A", "B", "C", "D", "E")
DIGITS = ("1", "2", "3", "4", "5")
COLOURS = ("Blue", "Green", "Red", "Yellow", "Purple")


@pytest.mark.parametrize(
    "reply, labels, expected",
    [
        ("C", LETTERS, 2),
        ("  c \n", LETTERS, 2),
        ("'D'.", LETTERS, 3),
        ("**B**", LETTERS, 1),
        ("Button E", LETTERS, 4),
        ("I press button B.", LETTERS, 1),
        ("Answer: A", LETTERS, 0),
        ("A and B both look good. Final answer: D", LETTERS, 3),
        ("Answer: C\nAnswer: E", LETTERS, 4),
        ("choice: (3)", DIGITS, 2),
        ("advert 5", DIGITS, 4),
        ("I show advert 1 again", DIGITS, 0),
        ("red", COLOURS, 2),
        ("I will play the purple machine", COLOURS, 4),
        ("BLUE!", COLOURS, 0),
    ],
)
def test_readable_replies(reply, labels, expected):
    assert parse_reply(reply, labels) == expected


@pytest.mark.parametrize(
    "reply, labels",
    [
        ("", LETTERS),
        ("   ", LETTERS),
        ("F", LETTERS),  # not a label of this bandit
        ("A or B", LETTERS),  # two labels: ambiguous
        ("a good question", LETTERS),  # lower-case "a" is a word, not the label A
        ("I cannot decide", LETTERS),
        ("10", DIGITS),
        ("advert 7", DIGITS),
        ("Answer:", LETTERS),  # marker with nothing after it
        ("I like A. Answer: B or C", LETTERS),  # after the marker: two labels
        ("blue or red", COLOURS),
        ("\x00\x01\x02", LETTERS),
    ],
)
def test_unreadable_replies(reply, labels):
    assert parse_reply(reply, labels) is None
