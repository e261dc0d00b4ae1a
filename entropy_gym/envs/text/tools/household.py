"""Household: fetch an object locked behind a chain of keys and put it in its place.

A generated house of ``rooms`` rooms (a tree of doors, whose map the task shows) holds boxes
(closed or locked) and open surfaces. The goal object sits at the end of a chain: the task
names a closed box to start with; each box on the chain holds the key to the next, locked one,
and the key's tag says which box it opens and where. Consecutive boxes are exactly
``distance`` doors apart (and the start room and the goal surface are ``distance`` doors from
the chain's ends), so with ``k = locks`` and ``d = distance`` the optimal solver needs exactly
``(k + 2) * d + 3 * k + 4`` calls: walk, ``open`` the first box and ``take``; then per lock walk,
``unlock``, ``open``, ``take``; then walk to the goal, ``put`` and ``done``. Decoy boxes, keys
and objects fill the house.

Preconditions make most wrong calls fail: ``go`` needs a door, ``open`` a closed unlocked box
here, ``unlock`` a locked box here and its key in hand, ``take`` a visible item here, ``put`` a
held item and an open receptacle here. Admissible calls are exactly the calls valid now:
``look``, ``inventory``, ``go`` through each door, ``open``/``unlock`` of the boxes here that
allow it, ``take`` of each visible item here, ``put`` of each held item in each open
receptacle here, and ``done``.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from entropy_gym.envs.text.tools.calls import Param, Tool, call_text
from entropy_gym.envs.text.tools.family import Episode, Family, Outcome, ToolError
from entropy_gym.envs.text.tools.names import (
    BOXES,
    ITEM_ADJECTIVES,
    ITEMS,
    KEY_METALS,
    MATERIALS,
    ROOMS,
    SURFACES,
    Draw,
)
from entropy_gym.envs.text.tools.transcript import Transcript

LOOK = Tool("look", "describe the room you are in")
INVENTORY = Tool("inventory", "list what you hold")
GO = Tool(
    "go", "walk through a door to a neighbouring room", (Param("room", "a room next to this one"),)
)
OPEN = Tool("open", "open a closed box in this room", (Param("container", "a box here"),))
UNLOCK = Tool(
    "unlock",
    "unlock a locked box in this room with a key you hold",
    (Param("container", "a box here"),),
)
TAKE = Tool("take", "pick up an item you can see in this room", (Param("item", "a visible item"),))
PUT = Tool(
    "put",
    "put an item you hold in or on an open receptacle in this room",
    (Param("item", "an item you hold"), Param("receptacle", "an open box or a surface here")),
)
DONE = Tool("done", "declare the task finished; ends the task")


def article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


@dataclass(frozen=True)
class HouseWorld:
    doors: dict[str, tuple[str, ...]]  # room -> neighbouring rooms
    containers: dict[str, str]  # container -> room, in description order
    by_room: dict[str, tuple[str, ...]]  # room -> its containers, in description order
    surfaces: frozenset[str]  # containers that are open surfaces
    keys: dict[str, str]  # key item -> the box it opens
    goal_item: str
    goal_receptacle: str
    chain: tuple[str, ...]  # the chain's boxes, in order


@dataclass
class HouseState:
    room: str
    status: dict[str, str]  # box -> "open" | "closed" | "locked"
    contents: dict[str, list[str]]  # container -> items
    held: list[str] = field(default_factory=list)


class HouseEpisode(Episode):
    world: HouseWorld
    state: HouseState

    # -- descriptions -----------------------------------------------------------------------
    def _item(self, item: str) -> str:
        box = self.world.keys.get(item)
        if box is None:
            return article(item)
        return f"{article(item)} (tag: opens the {box} in the {self.world.containers[box]})"

    def _items(self, items: list[str]) -> str:
        return ", ".join(self._item(i) for i in items) if items else "nothing"

    def _container(self, c: str) -> str:
        if c in self.world.surfaces:
            stuff = self.state.contents[c]
            return f"{article(c)} (on it: {self._items(stuff)})" if stuff else article(c)
        status = self.state.status[c]
        if status == "open":
            return f"{article(c)} (open; inside: {self._items(self.state.contents[c])})"
        return f"{article(c)} ({status})"

    def describe(self) -> str:
        room = self.state.room
        here = [self._container(c) for c in self.world.by_room[room]]
        return (
            f"You are in the {room}. Doors: {', '.join(self.world.doors[room])}. "
            f"Here: {', '.join(here) if here else 'nothing'}."
        )

    # -- checks -----------------------------------------------------------------------------
    def _here(self, name: str) -> str:
        name = " ".join(name.split()).lower()
        room = self.world.containers.get(name)
        if room is None:
            raise ToolError(f"there is no {name!r} in the house")
        if room != self.state.room:
            raise ToolError(f"the {name} is not here; you are in the {self.state.room}")
        return name

    def _visible(self) -> dict[str, str]:
        """Items you can take here -> their container."""
        out = {}
        for c in self.world.by_room[self.state.room]:
            if c in self.world.surfaces or self.state.status[c] == "open":
                for item in self.state.contents[c]:
                    out[item] = c
        return out

    def _milestone_open(self, box: str) -> int | None:
        return self.world.chain.index(box) if box in self.world.chain else None

    # -- tools ------------------------------------------------------------------------------
    def tool_look(self) -> Outcome:
        return Outcome(self.describe())

    def tool_inventory(self) -> Outcome:
        held = self.state.held
        return Outcome(f"You hold: {self._items(held)}." if held else "You hold nothing.")

    def tool_go(self, room: str) -> Outcome:
        room = " ".join(room.split()).lower()
        if room == self.state.room:
            raise ToolError(f"you are already in the {room}")
        if room not in self.world.doors[self.state.room]:
            raise ToolError(
                f"no door from the {self.state.room} to {room!r}; doors: "
                + ", ".join(self.world.doors[self.state.room])
            )
        self.state.room = room
        return Outcome(self.describe())

    def tool_open(self, name: str) -> Outcome:
        box = self._here(name)
        if box in self.world.surfaces:
            raise ToolError(f"the {box} is a surface; there is nothing to open")
        status = self.state.status[box]
        if status == "locked":
            raise ToolError(f"the {box} is locked")
        if status == "open":
            raise ToolError(f"the {box} is already open")
        self.state.status[box] = "open"
        return Outcome(
            f"You open the {box}. Inside: {self._items(self.state.contents[box])}.",
            milestone=self._milestone_open(box),
        )

    def tool_unlock(self, name: str) -> Outcome:
        box = self._here(name)
        if box in self.world.surfaces or self.state.status[box] != "locked":
            raise ToolError(f"the {box} is not locked")
        key = next((k for k in self.state.held if self.world.keys.get(k) == box), None)
        if key is None:
            raise ToolError(f"you hold no key that opens the {box}")
        self.state.status[box] = "closed"
        return Outcome(f"You unlock the {box} with the {key}.")

    def tool_take(self, name: str) -> Outcome:
        item = " ".join(name.split()).lower()
        where = self._visible().get(item)
        if where is None:
            raise ToolError(f"you see no {item!r} here that you can take")
        self.state.contents[where].remove(item)
        self.state.held.append(item)
        return Outcome(f"You take the {item}.")

    def tool_put(self, name: str, receptacle: str) -> Outcome:
        item = " ".join(name.split()).lower()
        if item not in self.state.held:
            raise ToolError(f"you do not hold {item!r}")
        target = self._here(receptacle)
        if target not in self.world.surfaces and self.state.status[target] != "open":
            raise ToolError(f"the {target} is {self.state.status[target]}")
        self.state.held.remove(item)
        self.state.contents[target].append(item)
        goal = item == self.world.goal_item and target == self.world.goal_receptacle
        where = "on" if target in self.world.surfaces else "in"
        return Outcome(
            f"You put the {item} {where} the {target}.",
            milestone=len(self.world.chain) if goal else None,
        )

    def tool_done(self) -> Outcome:
        ok = self.world.goal_item in self.state.contents[self.world.goal_receptacle]
        text = "The task is complete." if ok else "The task is not complete."
        return Outcome(text, final=True, success=ok)

    def admissible(self) -> list[str]:
        w, s = self.world, self.state
        calls = [call_text(LOOK), call_text(INVENTORY)]
        calls.extend(call_text(GO, r) for r in w.doors[s.room])
        receptacles = []
        for c in w.by_room[s.room]:
            if c in w.surfaces or s.status[c] == "open":
                receptacles.append(c)
            elif s.status[c] == "closed":
                calls.append(call_text(OPEN, c))
            elif any(w.keys.get(k) == c for k in s.held):
                calls.append(call_text(UNLOCK, c))
        calls.extend(call_text(TAKE, i) for i in self._visible())
        calls.extend(call_text(PUT, i, c) for i in s.held for c in receptacles)
        calls.append(call_text(DONE))
        return calls


class Household(Family):
    name: ClassVar[str] = "Household"
    description: ClassVar[str] = (
        "You act in a house: walk between rooms, open and unlock boxes, take and put things."
    )
    tools: ClassVar[tuple[Tool, ...]] = (LOOK, INVENTORY, GO, OPEN, UNLOCK, TAKE, PUT, DONE)
    final_tool: ClassVar[str] = "done"
    presets: ClassVar[dict[str, dict[str, int]]] = {
        "easy": {"locks": 0, "distance": 0, "rooms": 4, "decoys": 3},
        "medium": {"locks": 2, "distance": 1, "rooms": 6, "decoys": 5},
        "hard": {"locks": 5, "distance": 2, "rooms": 9, "decoys": 8},
    }
    bounds: ClassVar[dict[str, tuple[int, int]]] = {
        "locks": (0, 12),
        "distance": (0, 5),
        "rooms": (1, len(ROOMS)),
        "decoys": (0, 16),
    }
    max_task_chars: ClassVar[int] = 4000

    def __init__(self, difficulty: str = "medium", **overrides: int) -> None:
        super().__init__(difficulty, **overrides)
        p = self.params
        if p["locks"] + p["decoys"] > len(KEY_METALS):
            raise ValueError(
                f"Household needs locks + decoys <= {len(KEY_METALS)} (one key metal each); "
                f"got locks={p['locks']}, decoys={p['decoys']}"
            )
        if p["rooms"] < 2 * p["distance"] + 1:
            raise ValueError(
                f"Household needs rooms >= 2 * distance + 1 so every room has one at that "
                f"distance; got rooms={p['rooms']}, distance={p['distance']}"
            )

    def optimal_calls(self) -> int:
        k, d = self.params["locks"], self.params["distance"]
        return (k + 2) * d + 3 * k + 4

    def milestones(self) -> int:
        return self.params["locks"] + 2

    def generate(self, rng: np.random.Generator) -> HouseEpisode:
        draw = Draw(rng)
        p = self.params
        k, d = p["locks"], p["distance"]
        rooms = draw.sample(ROOMS, p["rooms"])
        # A spine of 2d + 1 rooms makes the tree's diameter >= 2d: then every room has
        # another at exactly distance d. The other rooms hang off random earlier rooms.
        links = [(rooms[i - 1], rooms[i]) for i in range(1, min(2 * d + 1, len(rooms)))]
        links += [(rooms[draw.below(i)], rooms[i]) for i in range(2 * d + 1, len(rooms))]
        neighbours: dict[str, list[str]] = {r: [] for r in rooms}
        for a, b in links:
            neighbours[a].append(b)
            neighbours[b].append(a)
        doors = {r: tuple(sorted(neighbours[r])) for r in rooms}
        dist = {r: _distances(doors, r) for r in rooms}

        def step_from(room: str) -> str:
            return draw.choice([r for r in rooms if dist[room][r] == d])

        start = draw.choice(rooms)
        chain_rooms = [step_from(start)]
        for _ in range(k):
            chain_rooms.append(step_from(chain_rooms[-1]))
        goal_room = step_from(chain_rooms[-1])

        n_boxes = k + 1 + p["decoys"]
        box_names = _unique_names(draw, MATERIALS, BOXES, n_boxes + 1)
        surface_names = _unique_names(draw, MATERIALS, SURFACES, 1 + p["decoys"])
        goal_item, *objects = _unique_names(draw, ITEM_ADJECTIVES, ITEMS, 1 + 2 * p["decoys"])
        metals = draw.sample(KEY_METALS, k + p["decoys"])

        containers: dict[str, str] = {}
        status: dict[str, str] = {}
        contents: dict[str, list[str]] = {}
        keys: dict[str, str] = {}
        chain = box_names[: k + 1]
        for i, (box, room) in enumerate(zip(chain, chain_rooms)):
            containers[box], status[box], contents[box] = room, "locked" if i else "closed", []
        for i in range(k):
            key = f"{metals[i]} key"
            keys[key] = chain[i + 1]
            contents[chain[i]].append(key)
        contents[chain[k]].append(goal_item)
        goal = surface_names[0]
        containers[goal], contents[goal] = goal_room, []

        # Decoys: boxes in any state, surfaces, objects, and keys to the locked decoy boxes.
        decoy_boxes = box_names[k + 1 : k + 1 + p["decoys"]]
        for box in decoy_boxes:
            containers[box] = draw.choice(rooms)
            status[box] = draw.choice(("open", "closed", "closed", "locked"))
            contents[box] = []
        for s in surface_names[1:]:
            containers[s], contents[s] = draw.choice(rooms), []
        holders = decoy_boxes + surface_names[1:]
        for obj in objects:
            contents[draw.choice(holders)].append(obj)
        for box, metal in zip(decoy_boxes, metals[k:]):
            if status[box] == "locked":
                key = f"{metal} key"
                keys[key] = box
                others = [h for h in holders if h != box]
                if others:
                    contents[draw.choice(others)].append(key)
        order = sorted(containers, key=lambda c: (rooms.index(containers[c]), c))
        containers = {c: containers[c] for c in order}
        world = HouseWorld(
            doors=doors,
            containers=containers,
            by_room={r: tuple(c for c in containers if containers[c] == r) for r in rooms},
            surfaces=frozenset(surface_names),
            keys=keys,
            goal_item=goal_item,
            goal_receptacle=goal,
            chain=tuple(chain),
        )
        state = HouseState(room=start, status=status, contents=contents)
        episode = HouseEpisode("", world, state)
        house_map = "\n".join(f"- {r}: {', '.join(doors[r])}" for r in sorted(rooms))
        episode.task = (
            f"Put the {goal_item} on the {goal} in the {goal_room}, then call done.\n"
            f"The {goal_item} is stored away. Start with the {chain[0]} in the {chain_rooms[0]}; "
            "every key is tagged with the box it opens.\n"
            f"House map (each room and its doors):\n{house_map}\n{episode.describe()}"
        )
        return episode

    def compact_task(self, task: str) -> str:
        """The same task with its fixed wording shortened (``Map:`` instead of the sentence)."""
        return (
            task.replace(", then call done.", ", then done.")
            .replace("; every key is tagged with the box it opens.", ".")
            .replace("House map (each room and its doors):", "Map:")
        )

    # -- the oracle: reads the conversation, keeps no state --------------------------------
    _GOAL = re.compile(r"^Put the (.+) on the (.+) in the (.+), then call done\.$", re.M)
    _START = re.compile(r"Start with the (.+) in the (.+?);")
    _HERE = re.compile(r"You are in the (.+?)\. Doors:")
    _TAG = re.compile(r"(?:a|an) (\w+ key) \(tag: opens the (.+?) in the (.+?)\)")

    @classmethod
    def oracle_call(cls, transcript: Transcript) -> str:
        task = transcript.task
        item, goal, goal_room = cls._GOAL.search(task).groups()
        target, target_room = cls._START.search(task).groups()
        doors = {
            line[2:].split(": ")[0]: tuple(line.split(": ")[1].split(", "))
            for line in task.splitlines()
            if line.startswith("- ")
        }
        room = cls._HERE.findall(task)[-1]
        need_unlock, to_take, placed, held = False, None, False, set()
        for t in transcript.turns:
            call = json.loads(t.call)
            tool, args = call["tool"], call["args"]
            if tool == "go":
                room = args["room"]
            elif tool == "unlock":
                need_unlock = False
            elif tool == "open":
                inside = t.result.split("Inside: ", 1)[1]
                tag = cls._TAG.search(inside)
                if item in inside:
                    to_take = item
                elif tag:
                    to_take, target, target_room = tag.groups()
                    need_unlock = True
            elif tool == "take":
                held.add(args["item"])
                to_take = None
            elif tool == "put":
                placed = True
        if placed:
            return call_text(DONE)
        if to_take is not None:
            return call_text(TAKE, to_take)
        if item in held:
            if room != goal_room:
                return call_text(GO, _next_room(doors, room, goal_room))
            return call_text(PUT, item, goal)
        if room != target_room:
            return call_text(GO, _next_room(doors, room, target_room))
        return call_text(UNLOCK if need_unlock else OPEN, target)


def _distances(doors: dict[str, tuple[str, ...]], source: str) -> dict[str, int]:
    dist = {source: 0}
    queue = deque([source])
    while queue:
        r = queue.popleft()
        for n in doors[r]:
            if n not in dist:
                dist[n] = dist[r] + 1
                queue.append(n)
    return dist


def _next_room(doors: dict[str, tuple[str, ...]], here: str, there: str) -> str:
    """The first door on the shortest way from ``here`` to ``there``."""
    dist = _distances(doors, there)
    return min(doors[here], key=lambda r: (dist[r], r))


def _unique_names(draw: Draw, heads: tuple[str, ...], nouns: tuple[str, ...], n: int) -> list[str]:
    names = [f"{h} {x}" for h in heads for x in nouns]
    return draw.sample(names, n)
