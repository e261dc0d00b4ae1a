"""The oracle of tool tasks: each family's optimal solver, acting from the conversation alone.

The oracle sees exactly what any agent sees, the observation text. It reads the task and the
results so far and returns the next call of the optimal plan (each family's ``oracle_call``).
It needs no hidden channel into the env: that every generated task is solved by it, in
``task_info()["optimal_calls"]`` calls, shows the tasks are solvable from the conversation, and
its success rate (1.0) is the ``reference_score`` of every ``ToolTask/`` id.

Which family's solver to use comes from ``TaskSpec.env_info["family"]`` (the env's
``task_info()``), or else from the env catalog's card of ``TaskSpec.env_id``. The oracle expects
a conversation made of its own calls (it does not take over mid-episode from another agent).
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import numpy as np

from entropy_gym.agents.base import BaseAgent, Decision, TaskSpec
from entropy_gym.core.errors import ConfigError
from entropy_gym.envs.text.tools.catalog import FAMILIES
from entropy_gym.envs.text.tools.transcript import parse_transcript


class ToolOracleAgent(BaseAgent):
    """Deterministic optimal solver for ``ToolTask/`` envs; entropy 0 at every turn."""

    name: ClassVar[str] = "tool_oracle"
    hooks: ClassVar[frozenset[str]] = frozenset()
    description: ClassVar[str] = "optimal solver of ToolTask/ envs, reading only the conversation"

    def __init__(self) -> None:
        super().__init__()

    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        family = task.env_info.get("family") or _family_from_catalog(task.env_id)
        if family not in FAMILIES:
            raise ConfigError(
                f"agent 'tool_oracle' solves ToolTask/ envs (families {', '.join(FAMILIES)}); "
                f"env {task.env_id!r} is not one"
            )
        module, cls = FAMILIES[family].split(":")
        self._solver = getattr(importlib.import_module(module), cls).oracle_call

    def act(self, obs_batch: Any) -> Decision:
        actions = [self._solver(parse_transcript(obs)) for obs in obs_batch]
        return Decision(actions=actions, entropy=np.zeros(len(actions)))


def _family_from_catalog(env_id: str) -> str | None:
    from entropy_gym.registration import env_card

    try:
        card = env_card(env_id)
    except ValueError:
        return None
    return card.game if card.family == "tool-task" else None
