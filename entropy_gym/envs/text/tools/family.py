"""What a tool-task family provides: tools, difficulty presets, a world generator, and an oracle.

A family is a small world type (a knowledge base, a file tree, a house). For one env
configuration it knows its tools and how many calls an optimal solver needs; for each episode
it generates an :class:`Episode` from the env's seeded generator. The env
(:class:`~entropy_gym.envs.text.tools.env.ToolTaskEnv`) owns everything generic: parsing calls,
the conversation, the turn limit, rewards, metrics and save/restore.

Episodes split their data into an immutable ``world`` (made once by the generator, shared by
every snapshot) and a small mutable ``state`` (copied by :meth:`Episode.fork`), so saving the
state for branching rollouts costs little.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from entropy_gym.envs.text.tools.calls import Tool
from entropy_gym.envs.text.tools.transcript import Transcript


class ToolError(Exception):
    """A well-formed call that cannot run now (unknown name, precondition not met).

    ``str(err)`` is the message the agent sees after ``Error:``.
    """


@dataclass(frozen=True)
class Outcome:
    """What one call did. ``final`` ends the episode; ``success`` is checked only then.

    ``milestone`` is the index (0-based) of a step of the solution this call achieved for the
    first time in the oracle's plan order, or None; the shaped reward pays for milestones.
    """

    result: str
    final: bool = False
    success: bool = False
    milestone: int | None = None


class Episode(ABC):
    """One generated task: its text, its world, and the state the calls change."""

    def __init__(self, task: str, world: Any, state: Any) -> None:
        self.task = task
        self.world = world
        self.state = state

    def fork(self) -> Episode:
        """An independent copy sharing the immutable world (what save/restore stores)."""
        twin = copy.copy(self)
        twin.state = copy.deepcopy(self.state)
        return twin

    def call(self, tool: Tool, values: tuple[str, ...]) -> Outcome:
        """Run ``tool``; raises :class:`ToolError` when it cannot run."""
        return getattr(self, f"tool_{tool.name}")(*values)

    @abstractmethod
    def admissible(self) -> list[str]:
        """Canonical calls that are valid now and whose arguments the conversation revealed."""


class Family(ABC):
    """A family of generated tool tasks, configured for one difficulty.

    Subclasses declare ``name``, ``description``, ``tools``, ``final_tool``, ``presets`` (the
    parameters of each difficulty) and ``bounds`` (the allowed range of each parameter), and
    implement :meth:`optimal_calls`, :meth:`generate` and :meth:`oracle_call`.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    tools: ClassVar[tuple[Tool, ...]]
    final_tool: ClassVar[str]
    presets: ClassVar[dict[str, dict[str, int]]]
    bounds: ClassVar[dict[str, tuple[int, int]]]
    #: Longest task text (with the first-calls list) a generated episode may have.
    max_task_chars: ClassVar[int] = 3000

    def __init__(self, difficulty: str = "medium", **overrides: int) -> None:
        if difficulty not in self.presets:
            raise ValueError(
                f"{self.name} difficulty {difficulty!r} is unknown; "
                f"expected one of {tuple(self.presets)}"
            )
        params = dict(self.presets[difficulty])
        for key, value in overrides.items():
            if key not in self.bounds:
                raise ValueError(
                    f"{self.name} has no parameter {key!r}; its parameters are {tuple(self.bounds)}"
                )
            lo, hi = self.bounds[key]
            is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
            if not is_int or not lo <= value <= hi:
                raise ValueError(
                    f"{self.name} parameter {key} must be an integer in [{lo}, {hi}], got {value!r}"
                )
            params[key] = int(value)
        self.difficulty = difficulty
        self.params: dict[str, int] = params
        self.tool_map: dict[str, Tool] = {t.name: t for t in self.tools}

    @abstractmethod
    def optimal_calls(self) -> int:
        """Calls (the final one included) an optimal solver needs, for every seed."""

    @abstractmethod
    def milestones(self) -> int:
        """How many milestones an episode has (the shaped reward divides its bonus by this)."""

    @abstractmethod
    def generate(self, rng: np.random.Generator) -> Episode:
        """A new episode drawn from ``rng`` (the env's seeded generator)."""

    @classmethod
    @abstractmethod
    def oracle_call(cls, transcript: Transcript) -> str:
        """The next call of the optimal plan, read from the conversation alone."""

    def compact_task(self, task: str) -> str:
        """The task in the compact framing: the same facts in fewer characters (families
        shorten their fixed wording; the default keeps the task as it is)."""
        return task

    def info(self) -> Mapping[str, Any]:
        """Family facts for ``task_info()``."""
        return {"family": self.name, "difficulty": self.difficulty, "params": dict(self.params)}
