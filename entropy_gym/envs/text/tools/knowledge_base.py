"""KnowledgeBase: chained lookups in a generated knowledge base of people, companies and cities.

The task names a start entity and a path of link fields (``employer``, ``founder``, ...), then
an attribute to report. Ids are random, so each link must be read to learn the next id: the
optimal solver calls ``search`` once, ``get`` once per link and once for the attribute, and
``answer``: ``hops + 3`` calls. Distractor entities fill every other link, so wandering off
the path leads somewhere plausible and wrong.

Tools: ``search(name)``, ``fields(id)``, ``get(id, field)``, ``answer(value)``.
Admissible calls: ``search`` of every name seen, ``fields`` and ``get`` of every field of every
id seen, and ``answer`` with every attribute value seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from entropy_gym.envs.text.tools.calls import Param, Tool, call_text
from entropy_gym.envs.text.tools.family import Episode, Family, Outcome, ToolError
from entropy_gym.envs.text.tools.names import (
    CITY_HEADS,
    CITY_TAILS,
    COMPANY_KINDS,
    COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    Draw,
)
from entropy_gym.envs.text.tools.transcript import Transcript

SEARCH = Tool(
    "search",
    "find an entity by its exact name; returns its id and type",
    (Param("name", "the entity's full name"),),
)
FIELDS = Tool("fields", "list the fields of an entity", (Param("id", "an entity id, e.g. P-1234"),))
GET = Tool(
    "get",
    "read one field of an entity; a link field returns the linked entity's id and name",
    (Param("id", "an entity id"), Param("field", "a field name")),
)
ANSWER = Tool("answer", "submit the final answer; ends the task", (Param("value", "the answer"),))

#: Link fields of each entity type, and the type each one points to.
LINKS: dict[str, dict[str, str]] = {
    "person": {"employer": "company", "born_in": "city", "manager": "person", "mentor": "person"},
    "company": {"headquarters": "city", "founder": "person", "ceo": "person", "parent": "company"},
    "city": {"mayor": "person", "twin_city": "city", "largest_employer": "company"},
}
#: Attribute fields of each type and the range their integer values are drawn from.
ATTRIBUTES: dict[str, dict[str, tuple[int, int]]] = {
    "person": {"birth_year": (1940, 2005), "badge": (1000, 9999)},
    "company": {"founded": (1850, 2020), "employees": (12, 90000)},
    "city": {"population": (2000, 900000), "elevation_m": (0, 2400)},
}
PREFIX = {"person": "P", "company": "C", "city": "L"}
FIELD_ORDER = {t: (*LINKS[t], *ATTRIBUTES[t]) for t in LINKS}
TYPES = tuple(LINKS)
LINK_NAMES = {t: tuple(LINKS[t]) for t in LINKS}
ATTRIBUTE_NAMES = {t: tuple(ATTRIBUTES[t]) for t in LINKS}


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    name: str
    links: dict[str, str]  # field -> entity id
    attrs: dict[str, str]  # field -> value


@dataclass(frozen=True)
class KBWorld:
    entities: dict[str, Entity]
    by_name: dict[str, str]  # lower-cased name -> id
    answer: str
    #: (tool, values) of each call that reaches a milestone, in plan order.
    milestone_calls: dict[tuple[str, tuple[str, ...]], int]


@dataclass
class KBState:
    names: dict[str, None] = field(default_factory=dict)  # ordered sets of what was revealed
    ids: dict[str, None] = field(default_factory=dict)
    values: dict[str, None] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)  # admissible calls, in reveal order


class KBEpisode(Episode):
    world: KBWorld
    state: KBState

    def _reveal_name(self, name: str) -> None:
        if name not in self.state.names:
            self.state.names[name] = None
            self.state.calls.append(call_text(SEARCH, name))

    def _reveal_id(self, eid: str) -> None:
        if eid not in self.state.ids:
            self.state.ids[eid] = None
            self.state.calls.append(call_text(FIELDS, eid))
            ent = self.world.entities[eid]
            self.state.calls.extend(call_text(GET, eid, f) for f in FIELD_ORDER[ent.type])

    def _reveal_value(self, value: str) -> None:
        if value not in self.state.values:
            self.state.values[value] = None
            self.state.calls.append(call_text(ANSWER, value))

    def _entity(self, eid: str) -> Entity:
        ent = self.world.entities.get(eid.strip().upper())
        if ent is None:
            raise ToolError(f"no entity has id {eid!r}")
        return ent

    def _milestone(self, tool: str, *values: str) -> int | None:
        return self.world.milestone_calls.get((tool, values))

    def tool_search(self, name: str) -> Outcome:
        eid = self.world.by_name.get(" ".join(name.split()).lower())
        if eid is None:
            raise ToolError(f"no entity is named {name!r}")
        ent = self.world.entities[eid]
        self._reveal_id(eid)
        return Outcome(
            f"{ent.name} is {eid} ({ent.type}).", milestone=self._milestone("search", ent.name)
        )

    def tool_fields(self, eid: str) -> Outcome:
        ent = self._entity(eid)
        return Outcome(f"{ent.id} ({ent.type}) has fields: {', '.join(FIELD_ORDER[ent.type])}.")

    def tool_get(self, eid: str, name: str) -> Outcome:
        ent = self._entity(eid)
        key = name.strip().lower()
        milestone = self._milestone("get", ent.id, key)
        if key in ent.links:
            target = self.world.entities[ent.links[key]]
            self._reveal_id(target.id)
            self._reveal_name(target.name)
            return Outcome(
                f"{ent.id}.{key} = {target.id} ({target.name}, {target.type})", milestone=milestone
            )
        if key in ent.attrs:
            value = ent.attrs[key]
            self._reveal_value(value)
            return Outcome(f"{ent.id}.{key} = {value}", milestone=milestone)
        raise ToolError(
            f"a {ent.type} has no field {name!r}; its fields are: {', '.join(FIELD_ORDER[ent.type])}"
        )

    def tool_answer(self, value: str) -> Outcome:
        correct = value.strip().lower() == self.world.answer.lower()
        return Outcome("Correct." if correct else "Incorrect.", final=True, success=correct)

    def admissible(self) -> list[str]:
        return list(self.state.calls)


class KnowledgeBase(Family):
    name: ClassVar[str] = "KnowledgeBase"
    description: ClassVar[str] = (
        "You query a knowledge base of people, companies and cities; entities have ids like P-1234."
    )
    tools: ClassVar[tuple[Tool, ...]] = (SEARCH, FIELDS, GET, ANSWER)
    final_tool: ClassVar[str] = "answer"
    presets: ClassVar[dict[str, dict[str, int]]] = {
        "easy": {"hops": 1, "distractors": 10},
        "medium": {"hops": 9, "distractors": 20},
        "hard": {"hops": 29, "distractors": 30},
    }
    bounds: ClassVar[dict[str, tuple[int, int]]] = {"hops": (0, 60), "distractors": (0, 200)}

    def optimal_calls(self) -> int:
        return self.params["hops"] + 3

    def milestones(self) -> int:
        return self.params["hops"] + 2

    def generate(self, rng: np.random.Generator) -> KBEpisode:
        hops, n_extra = self.params["hops"], self.params["distractors"]
        draw = Draw(rng)
        # The path: a random walk over link types; every entity on it is new.
        types = [draw.choice(TYPES)]
        path_fields = []
        for _ in range(hops):
            link = draw.choice(LINK_NAMES[types[-1]])
            path_fields.append(link)
            types.append(LINKS[types[-1]][link])
        final_attr = draw.choice(ATTRIBUTE_NAMES[types[-1]])
        types += [draw.choice(TYPES) for _ in range(n_extra)]
        types += [t for t in TYPES if t not in types]  # every link needs a possible target

        ids = self._ids(draw, types)
        names = self._names(draw, types)
        by_type: dict[str, list[str]] = {t: [] for t in TYPES}
        for eid, t in zip(ids, types):
            by_type[t].append(eid)
        entities = {}
        for i, (eid, t, name) in enumerate(zip(ids, types, names)):
            links = {}
            for link, target_type in LINKS[t].items():
                if i < hops and link == path_fields[i]:
                    links[link] = ids[i + 1]
                    continue
                pool = by_type[target_type]
                target = draw.choice(pool)
                while target == eid and len(pool) > 1:  # no entity links to itself
                    target = draw.choice(pool)
                links[link] = target
            attrs = {a: str(draw.between(lo, hi)) for a, (lo, hi) in ATTRIBUTES[t].items()}
            entities[eid] = Entity(eid, t, name, links, attrs)

        # The answer's value appears nowhere else, so only reading it can find it.
        answer = entities[ids[hops]].attrs[final_attr]
        for ent in entities.values():
            for a, (lo, hi) in ATTRIBUTES[ent.type].items():
                while ent.attrs[a] == answer and (ent.id, a) != (ids[hops], final_attr):
                    ent.attrs[a] = str(draw.between(lo, hi))

        start = entities[ids[0]]
        milestone_calls = {("search", (start.name,)): 0}
        for i, link in enumerate(path_fields):
            milestone_calls[("get", (ids[i], link))] = i + 1
        milestone_calls[("get", (ids[hops], final_attr))] = hops + 1
        world = KBWorld(
            entities=entities,
            by_name={e.name.lower(): e.id for e in entities.values()},
            answer=answer,
            milestone_calls=milestone_calls,
        )
        lines = [f"Start from the {start.type} named {start.name}."]
        if path_fields:
            lines.append(
                "Follow these fields in order, each leads to the next entity: "
                + ", ".join(path_fields)
                + "."
            )
        lines.append(f"Answer with the value of the field {final_attr} of the entity you reach.")
        episode = KBEpisode("\n".join(lines), world, KBState())
        episode._reveal_name(start.name)
        return episode

    @staticmethod
    def _ids(draw: Draw, types: list[str]) -> list[str]:
        seen: set[int] = set()
        out = []
        for t in types:
            n = draw.between(1000, 9999)
            while n in seen:
                n = draw.between(1000, 9999)
            seen.add(n)
            out.append(f"{PREFIX[t]}-{n}")
        return out

    @staticmethod
    def _names(draw: Draw, types: list[str]) -> list[str]:
        seen: set[str] = set()
        out = []
        for t in types:
            while True:
                if t == "person":
                    name = f"{draw.choice(FIRST_NAMES)} {draw.choice(LAST_NAMES)}"
                elif t == "company":
                    name = f"{draw.choice(COMPANY_WORDS)} {draw.choice(COMPANY_KINDS)}"
                else:
                    name = f"{draw.choice(CITY_HEADS)}{draw.choice(CITY_TAILS)}"
                if name not in seen:
                    break
            seen.add(name)
            out.append(name)
        return out

    _START = re.compile(r"^Start from the \w+ named (.+)\.$", re.M)
    _PATH = re.compile(
        r"^Follow these fields in order, each leads to the next entity: (.+)\.$", re.M
    )
    _ATTR = re.compile(r"^Answer with the value of the field (\w+) of", re.M)
    _ID = re.compile(r"\b([PCL]-\d{4})\b")

    def compact_task(self, task: str) -> str:
        """``Kelmouth (city) > mayor > birth_year``: the start, the path, the attribute."""
        start = re.search(r"^Start from the (\w+) named (.+)\.$", task, re.M)
        path = self._PATH.search(task)
        attr = self._ATTR.search(task)
        if start is None or attr is None:
            return task
        steps = [f"{start.group(2)} ({start.group(1)})"]
        steps += path.group(1).split(", ") if path else []
        steps.append(attr.group(1))
        return " > ".join(steps)

    @classmethod
    def oracle_call(cls, transcript: Transcript) -> str:
        start = cls._START.search(transcript.task).group(1)
        path = cls._PATH.search(transcript.task)
        links = path.group(1).split(", ") if path else []
        attr = cls._ATTR.search(transcript.task).group(1)
        n = len(transcript.turns)
        if n == 0:
            return call_text(SEARCH, start)
        last = transcript.turns[-1].result
        if n <= len(links) + 1:
            # The id we stand on: the search result's id, or the target of the last link.
            target = last.split(" = ", 1)[1] if " = " in last else last
            eid = cls._ID.search(target).group(1)
            return call_text(GET, eid, links[n - 1] if n <= len(links) else attr)
        return call_text(ANSWER, last.split(" = ", 1)[1])
