"""The one call syntax of tool tasks: a JSON object ``{"tool": NAME, "args": {PARAM: VALUE}}``.

Agents reply with text that contains one such object; :func:`parse_call` reads the first JSON
object in the reply (text before and after it is ignored, so a Markdown code fence or a short
thought around the call is fine). :func:`format_call` writes the canonical form that the
conversation echoes and that ``info["admissible_actions"]`` lists, so a listed call can be sent
back verbatim. Every way a reply can be wrong raises :class:`CallError` with the message the env
returns as the tool result; nothing here raises anything else.

The compact framing of tool tasks also reads a terse syntax, ``NAME`` or ``NAME VALUE`` or
``NAME VALUE1, VALUE2`` on the reply's first line (:func:`parse_compact_call`; a reply that
starts with ``{`` is still read as JSON), and echoes calls that way (:func:`compact_call_text`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as _quote  # the C encoder json.dumps uses
from typing import Any

_DECODER = json.JSONDecoder()


class CallError(ValueError):
    """A reply that is not a valid call; ``str(err)`` is the error shown to the agent."""


@dataclass(frozen=True)
class Param:
    """One string parameter of a tool."""

    name: str
    description: str


@dataclass(frozen=True)
class Tool:
    """A tool an agent can call: its name, what it does, and its (string) parameters."""

    name: str
    description: str
    params: tuple[Param, ...] = ()
    param_names: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_names", tuple(p.name for p in self.params))

    @property
    def signature(self) -> str:
        """``name(p1: string, p2: string)``, as listed in the system prompt."""
        args = ", ".join(f"{p.name}: string" for p in self.params)
        return f"{self.name}({args})"

    def schema(self) -> dict[str, Any]:
        """A JSON-schema description (the shape chat templates with tool support expect)."""
        return {
            "name": self.name,
            "description": self.description,
            "parameters": {
                "type": "object",
                "properties": {
                    p.name: {"type": "string", "description": p.description} for p in self.params
                },
                "required": [p.name for p in self.params],
                "additionalProperties": False,
            },
        }


def format_call(tool: str, values: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> str:
    """The canonical text of a call: ``{"tool": "get", "args": {"id": "P-1", "field": "x"}}``.

    ``names`` and ``values`` are the parameters in the tool's declared order.
    """
    args = ", ".join([f"{_quote(n)}: {_quote(v)}" for n, v in zip(names, values)])
    return f'{{"tool": {_quote(tool)}, "args": {{{args}}}}}'


#: Canonical calls formatted recently, both ways: (tool name, values) -> text -> (tool, values).
#: Tasks list the same calls turn after turn, and agents send listed calls back verbatim; the
#: registry makes both a dict lookup. Bounded: cleared when it reaches ``_KNOWN_MAX`` entries.
_TEXT: dict[tuple[str, tuple[str, ...]], str] = {}
_CALL: dict[str, tuple[Tool, tuple[str, ...]]] = {}
_KNOWN_MAX = 1 << 16


def call_text(tool: Tool, *values: str) -> str:
    """Canonical text of calling ``tool`` with ``values`` in parameter order."""
    key = (tool.name, values)
    text = _TEXT.get(key)
    if text is None:
        if len(_TEXT) >= _KNOWN_MAX:
            _TEXT.clear()
            _CALL.clear()
        text = _TEXT[key] = format_call(tool.name, values, tool.param_names)
        _CALL[text] = (tool, values)
    return text


def _as_string(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        raise CallError(f"argument {name!r} must be a string, got {json.dumps(value)}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    raise CallError(f"argument {name!r} must be a string, got {type(value).__name__}")


def parse_call(reply: str, tools: dict[str, Tool]) -> tuple[Tool, tuple[str, ...]]:
    """The tool and its argument values (in parameter order) named by ``reply``.

    Numbers are accepted where a string is expected and converted (``1962`` -> ``"1962"``).
    Raises :class:`CallError` for no JSON object, a JSON error, a missing or unknown tool, and
    missing, unknown or non-string arguments.
    """
    known = _CALL.get(reply)
    if known is not None:  # a canonical call formatted by call_text: no JSON parsing needed
        tool = tools.get(known[0].name)
        if tool is not None and tool.param_names == known[0].param_names:
            return tool, known[1]
    start = reply.find("{")
    if start < 0:
        raise CallError(
            'no JSON object in the reply; call a tool as {"tool": "<name>", "args": {...}}'
        )
    try:
        obj, _ = _DECODER.raw_decode(reply, start)
    except json.JSONDecodeError as err:
        raise CallError(f"malformed JSON ({err.msg} at character {err.pos - start})") from None
    if not isinstance(obj, dict):  # pragma: no cover - raw_decode at '{' always yields a dict
        raise CallError("the call must be a JSON object")
    name = obj.get("tool")
    if not isinstance(name, str):
        raise CallError('the call needs a "tool" key naming the tool')
    tool = tools.get(name)
    if tool is None:
        known = ", ".join(tools)
        raise CallError(f"unknown tool {name!r}; the tools are: {known}")
    extra_keys = sorted(set(obj) - {"tool", "args"})
    if extra_keys:
        raise CallError(
            f'unexpected key(s) {", ".join(map(repr, extra_keys))}; use "tool" and "args"'
        )
    args = obj.get("args", {})
    if not isinstance(args, dict):
        raise CallError(f'"args" of {name} must be an object, got {json.dumps(args)[:40]}')
    wanted = [p.name for p in tool.params]
    unknown = [k for k in args if k not in wanted]
    if unknown:
        raise CallError(f"{tool.signature} got unknown argument(s) {', '.join(map(repr, unknown))}")
    missing = [k for k in wanted if k not in args]
    if missing:
        raise CallError(f"{tool.signature} is missing argument(s) {', '.join(map(repr, missing))}")
    return tool, tuple(_as_string(k, args[k]) for k in wanted)


#: Separator of the values of a compact call with two or more parameters.
COMPACT_SEPARATOR = ", "


def compact_call_text(tool: Tool, *values: str) -> str:
    """The compact text of a call: ``ls``, ``cd alpha``, ``get P-1234, employer``."""
    return " ".join([tool.name, COMPACT_SEPARATOR.join(values)]) if values else tool.name


def parse_compact_call(reply: str, tools: dict[str, Tool]) -> tuple[Tool, tuple[str, ...]]:
    """The tool and values of a compact call (see the module docstring); a reply that starts
    with ``{`` is parsed as JSON by :func:`parse_call`. Raises :class:`CallError`."""
    text = reply.strip()
    if text.startswith("{"):
        return parse_call(text, tools)
    line = text.split("\n", 1)[0].strip()
    if not line:
        raise CallError("empty reply; call a tool as: NAME or NAME VALUE or NAME VALUE1, VALUE2")
    name, _, rest = line.partition(" ")
    tool = tools.get(name)
    if tool is None:
        raise CallError(f"unknown tool {name!r}; the tools are: {', '.join(tools)}")
    rest = rest.strip()
    wanted = len(tool.params)
    if wanted == 0:
        if rest:
            raise CallError(f"{tool.name} takes no arguments, got {rest[:40]!r}")
        return tool, ()
    values = (rest,) if wanted == 1 else tuple(v.strip() for v in rest.split(","))
    if len(values) != wanted or not all(values):
        shape = COMPACT_SEPARATOR.join(p.name for p in tool.params)
        raise CallError(f"{tool.name} needs {wanted} value(s): {tool.name} {shape}")
    return tool, values
