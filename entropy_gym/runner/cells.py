"""Cells: the unit of work. A suite expands to one cell per (agent, env, seed).

A cell is plain data (it crosses process and Ray boundaries) and has a stable ``key``, a hash
of everything that determines its result; the store uses it to skip finished cells on resume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from entropy_gym.core.hashing import config_hash
from entropy_gym.runner.suite import Suite


@dataclass(frozen=True)
class Cell:
    """One agent on one env under one seed, with the suite's evaluation protocol."""

    suite: str
    agent_label: str
    agent_config: Mapping[str, Any]
    env_name: str
    env_id: str
    env_kwargs: Mapping[str, Any]
    seed: int
    num_envs: int = 1
    eval_episodes: int = 1
    budget: Mapping[str, float] | None = None
    time_limit_s: float = 600.0
    memory_limit_mb: int | None = None
    source: str = "suite"
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: ``sync``, ``native``, or ``None`` (the agent's wish, else sync): how the envs are batched.
    vectorization: str | None = None

    @property
    def protocol(self) -> dict[str, Any]:
        """What determines the task a cell is scored on, whichever agent runs it (a suite's
        ``vectorization`` only where it sets one, so that other cells keep their keys)."""
        protocol = {
            "env_id": self.env_id,
            "env_kwargs": dict(self.env_kwargs),
            "seed": self.seed,
            "num_envs": self.num_envs,
            "eval_episodes": self.eval_episodes,
            "budget": dict(self.budget) if self.budget else None,
        }
        if self.vectorization is not None:
            protocol["vectorization"] = self.vectorization
        return protocol

    @property
    def protocol_key(self) -> str:
        return config_hash(self.protocol)

    @property
    def key(self) -> str:
        """Stable identity of the cell's result: agent label and config plus the protocol."""
        identity = {
            "agent_label": self.agent_label,
            "agent_config": dict(self.agent_config),
            **self.protocol,
        }
        if self.extra:  # e.g. a submitted file's sha256: changed code is a new cell
            identity["extra"] = dict(self.extra)
        return config_hash(identity)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cell:
        return cls(**dict(data))

    def describe(self) -> str:
        return f"{self.agent_label} on {self.env_name} seed {self.seed}"


def expand(
    suite: Suite,
    agents: Any = None,
    *,
    source: str = "suite",
    memory_limit_mb: int | None = None,
    time_limit_s: float | None = None,
) -> list[Cell]:
    """Cells of ``suite`` in a fixed order (agent, env, seed); ``agents`` replaces the suite's
    agents (``submit`` scores a user's agent on the suite's envs and seeds). An env's own
    budget, evaluation episodes, vectorization and (for the suite's agents) agent parameters
    apply to its cells."""
    rows = suite.agents if agents is None else agents
    return [
        Cell(
            suite=suite.name,
            agent_label=agent.label,
            agent_config={**agent.config, **(env.agent_params if agents is None else {})},
            env_name=env.name,
            env_id=env.id,
            env_kwargs=dict(env.kwargs),
            seed=seed,
            num_envs=suite.num_envs,
            eval_episodes=suite.eval_episodes_for(env),
            budget=_plain(suite.budget_for(env)),
            time_limit_s=suite.time_limit_s if time_limit_s is None else time_limit_s,
            memory_limit_mb=memory_limit_mb,
            source=source,
            vectorization=suite.vectorization_for(env),
        )
        for agent in rows
        for env in suite.envs
        for seed in suite.seeds
    ]


def _plain(budget: Mapping[str, float] | None) -> dict[str, float] | None:
    return dict(budget) if budget else None
