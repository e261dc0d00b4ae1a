"""Seed groups: the cells of one (agent, env) that differ only in their seed, trained together.

An agent class that sets ``batches_seeds = True`` (``minatar_ppo``, ``minatar_dqn``) offers
``train_together(agents, budget)``: one compiled program trains every seed of a group. The
local backend then runs such cells as one process per group (:func:`seed_groups`), which
builds one agent per cell, trains them together, evaluates each on its own envs and returns
one :class:`~entropy_gym.runner.result.CellResult` per cell: each seed is still its own row in
the store, with the same numbers as when run alone (the agents guarantee it and the tests
check it). Other agents, and every cell already stored, run as before, one process per cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from entropy_gym.agents.registry import BUILTIN_AGENTS
from entropy_gym.core.hashing import config_hash
from entropy_gym.runner.cells import Cell

#: Cells per group at most (a bigger group's time limit and memory grow with it).
MAX_GROUP = 16


def batches_seeds(agent_name: Any) -> bool:
    """Whether the built-in agent called ``agent_name`` trains seed groups."""
    target = BUILTIN_AGENTS.get(str(agent_name))
    if target is None:
        return False
    module, _, cls_name = target.partition(":")
    if not module.startswith("entropy_gym.agents.minatar"):
        return False  # the only agents that declare it; avoids importing the others here
    import importlib

    return bool(getattr(getattr(importlib.import_module(module), cls_name), "batches_seeds", False))


def group_key(cell: Cell) -> str:
    """What the cells of one group share: everything but the seed."""
    protocol = {k: v for k, v in cell.to_dict().items() if k != "seed"}
    return config_hash(protocol)


def seed_groups(cells: Sequence[Cell], max_group: int = MAX_GROUP) -> list[list[Cell]]:
    """``cells`` in their order, those of seed-batching agents gathered by :func:`group_key`
    (at most ``max_group`` a group, placed where the group's first cell was)."""
    groups: list[list[Cell]] = []
    open_groups: dict[str, list[Cell]] = {}
    for cell in cells:
        if not batches_seeds(cell.agent_config.get("name")):
            groups.append([cell])
            continue
        key = group_key(cell)
        group = open_groups.get(key)
        if group is None or len(group) >= max_group:
            group = []
            open_groups[key] = group
            groups.append(group)
        group.append(cell)
    return groups
