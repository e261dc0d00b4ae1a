"""The conversation a tool task shows its agent, as one printable string, and its parser.

Format (every section starts on its own line; ``N`` counts turns from 1)::

    [system]
    <instructions and the tool list: fixed for an env configuration>
    [task]
    <this episode's task>
    Calls you can make now:
    <one canonical call per line>
    [call 1] <the call as the env read it, on one line>
    [result 1]
    <the tool's result, possibly several lines>
    [call 2] ...

A ``[call N]`` line holds the canonical JSON of a parsed call, or the agent's raw reply (made
printable and flattened to one line) when it did not parse. Results never start a line with
``[``, so the markers cannot be forged by content. :func:`parse_transcript` splits the text back
into system prompt, task, first calls and turns; :func:`to_messages` turns it into chat messages
(system, user, assistant, user, ...) for chat-template LLM agents.

The ``compact`` framing (for character-level micro models) drops the system prompt and tells
the rest tersely::

    <the task, its fixed wording shortened by the family>
    Calls: <the calls valid now, in the compact syntax, separated by "; ">
    > <the call as the env read it>
    <the tool's result>
    > ...

(:func:`compact_header`, :func:`compact_turn`). Its markers are as unforgeable: there, results
never start a line with ``>`` either (``guard_lines(text, COMPACT_MARKS)``).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

#: Characters an observation may contain (``Text`` spaces check it); also the action charset.
CHARSET = string.printable
_PRINTABLE = frozenset(CHARSET)
_NON_PRINTABLE = re.compile(f"[^{re.escape(CHARSET)}]")

FIRST_CALLS_HEADER = "Calls you can make now:"
#: Last line of a first-calls list that had to be cut (not a call; parsing skips it).
CUT_MARK = "... ({} more in info['admissible_actions'])"
TRUNCATION_MARK = " ...[truncated {} chars]"

_SECTION = re.compile(r"^\[(system|task)\]\n|^\[call (\d+)\] ([^\n]*)\n\[result \2\]\n", re.M)


def printable(text: str) -> str:
    """``text`` with every character outside :data:`CHARSET` replaced by ``?``."""
    if _NON_PRINTABLE.search(text) is None:
        return text
    return _NON_PRINTABLE.sub("?", text)


def clip(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` characters with a visible mark; and whether it was cut."""
    if len(text) <= limit:
        return text, False
    mark = TRUNCATION_MARK.format(len(text))
    return (text[: max(0, limit - len(mark))] + mark)[:limit], True


def one_line(text: str, limit: int) -> str:
    """An agent reply made safe to echo on a ``[call N]`` line: printable, one line, clipped."""
    flat = printable(text).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    flat = flat.replace("\x0b", " ").replace("\x0c", " ")
    return clip(flat, limit)[0]


#: First characters of the compact framing's markers (``guard_lines`` indents lines so begun).
COMPACT_MARKS = "[>"


def guard_lines(text: str, marks: str = "[") -> str:
    """Indent any line of tool output that starts with one of ``marks`` so it cannot look like
    a marker."""
    text = printable(text)
    if text.startswith(tuple(marks)) or any("\n" + m in text for m in marks):
        text = re.sub(f"(?m)^([{re.escape(marks)}])", r" \1", text)
    return text


def header(system_prompt: str, task: str, first_calls: list[str]) -> str:
    """The opening of every conversation: system prompt, task, and the calls valid now."""
    calls = "\n".join(first_calls)
    return f"[system]\n{system_prompt}\n[task]\n{task}\n{FIRST_CALLS_HEADER}\n{calls}\n"


def compact_header(task: str, first_calls: list[str]) -> str:
    """The opening of a compact conversation: the task and the calls valid now."""
    return f"{task}\nCalls: {'; '.join(first_calls)}\n"


def compact_turn(call: str, result: str) -> str:
    """One turn of a compact conversation."""
    return f"> {call}\n{result}\n"


def turn(n: int, call: str, result: str) -> str:
    """One turn: the call line and the result block."""
    return f"[call {n}] {call}\n[result {n}]\n{result}\n"


def turn_overhead(max_turns: int) -> int:
    """Characters one turn adds besides its call and result text (markers, newlines)."""
    return len(turn(max_turns, "", ""))


def call_prompt(observation: str) -> str:
    """The text a causal LM continues with the next call: the conversation plus the next
    ``[call N] `` marker. Every admissible call ``c`` is the continuation ``c + "\n"`` of this
    one shared prefix, which is what candidate scoring with a shared prefix needs."""
    return f"{observation}[call {observation.count(chr(10) + '[result ') + 1}] "


@dataclass(frozen=True)
class Turn:
    """One call and the result it got. ``ok`` is False when the result is an error."""

    call: str
    result: str

    @property
    def ok(self) -> bool:
        return not self.result.startswith("Error:")


@dataclass(frozen=True)
class Transcript:
    """A conversation split into its parts."""

    system: str
    task: str
    first_calls: tuple[str, ...]
    turns: tuple[Turn, ...] = field(default_factory=tuple)


def parse_transcript(text: str) -> Transcript:
    """Split an observation back into system prompt, task, first calls and turns.

    Raises ``ValueError`` if ``text`` does not start with a ``[system]`` section.
    """
    marks = list(_SECTION.finditer(text))
    if not marks or marks[0].group(1) != "system":
        raise ValueError("not a tool-task conversation: it must start with a [system] line")
    bodies = [
        text[m.end() : (marks[i + 1].start() if i + 1 < len(marks) else len(text))]
        for i, m in enumerate(marks)
    ]
    system = bodies[0][:-1] if bodies[0].endswith("\n") else bodies[0]
    task_text, first_calls = "", ()
    turns = []
    for m, body in zip(marks[1:], bodies[1:]):
        body = body[:-1] if body.endswith("\n") else body
        if m.group(1) == "task":
            head, sep, calls = body.partition("\n" + FIRST_CALLS_HEADER)
            task_text = head
            if sep:
                first_calls = tuple(
                    line for line in calls.split("\n") if line and not line.startswith("... (")
                )
        else:
            turns.append(Turn(call=m.group(3), result=body))
    return Transcript(system=system, task=task_text, first_calls=first_calls, turns=tuple(turns))


def to_messages(transcript: Transcript, result_role: str = "user") -> list[dict[str, str]]:
    """Chat messages: the system prompt, the task as the first user message, then each call as
    an assistant message and each result as a ``result_role`` message (``"user"`` suits chat
    templates without a tool role, ``"tool"`` those with one)."""
    task = transcript.task
    if transcript.first_calls:
        task += f"\n{FIRST_CALLS_HEADER}\n" + "\n".join(transcript.first_calls)
    messages = [
        {"role": "system", "content": transcript.system},
        {"role": "user", "content": task},
    ]
    for t in transcript.turns:
        messages.append({"role": "assistant", "content": t.call})
        messages.append({"role": result_role, "content": t.result})
    return messages
