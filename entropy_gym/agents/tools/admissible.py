"""Where an agent gets each env's admissible calls: ``infos`` first, the conversation at turn 0.

Text tool envs publish the calls valid at each turn in ``info["admissible_actions"]``. An agent
receives ``infos`` through ``observe(step)``, *after* the step, which is exactly the list it needs
for its next decision (with same-step autoreset, an ended env's ``infos`` already describe its
new episode). Only the very first decision of an env has had no ``observe``; for it the
conversation itself lists the calls: every conversation opens with a "Calls you can make now:"
block (see :mod:`entropy_gym.envs.text.tools.transcript`).

:class:`AdmissibleActions` keeps one list per env and checks that it belongs to the observation
it is asked about (by the observation's length), so a stale list is never used silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import StepBatch, TaskSpec
from entropy_gym.core.errors import ConfigError
from entropy_gym.envs.text.tools.transcript import parse_transcript

KEY = "admissible_actions"


def infos_column(
    infos: Mapping[str, Any] | Sequence[Mapping[str, Any]], key: str, n: int
) -> list[Any]:
    """``infos[key]`` for each of ``n`` envs (None where absent), from a vector env's dict of
    arrays (with its ``_key`` mask; a dict-valued entry comes back as one dict per env) or from
    a list of per-env dicts."""
    if not isinstance(infos, Mapping):
        return [info.get(key) if info else None for info in infos]
    values = infos.get(key)
    if values is None:
        return [None] * n
    mask = infos.get(f"_{key}")
    if isinstance(values, Mapping):  # a nested dict, batched key by key
        columns = {k: infos_column(values, k, n) for k in values if not k.startswith("_")}
        rows: list[Any] = []
        for i in range(n):
            if mask is not None and not mask[i]:
                rows.append(None)
            else:
                rows.append({k: col[i] for k, col in columns.items() if col[i] is not None})
        return rows
    return [values[i] if mask is None or mask[i] else None for i in range(n)]


def require_admissible_env(agent: str, task: TaskSpec) -> None:
    """Refuse, in one line, an env whose actions are not text calls listed in its infos."""
    if not isinstance(task.action_space, gym.spaces.Text):
        raise ConfigError(
            f"agent {agent!r} needs a text env that lists admissible actions, got action "
            f"space {task.action_space} for env {task.env_id!r}"
        )


class AdmissibleActions:
    """The admissible calls of each env of a batch, for the decision at hand."""

    def __init__(self, num_envs: int) -> None:
        self._lists: list[list[str] | None] = [None] * num_envs
        self._obs_len: list[int] = [-1] * num_envs

    def update(self, step: StepBatch) -> None:
        """Remember the lists that ``step.infos`` gives for ``step.next_obs``."""
        n = len(self._lists)
        for i, calls in enumerate(infos_column(step.infos, KEY, n)):
            if calls is not None:
                self._lists[i] = list(calls)
                self._obs_len[i] = len(step.next_obs[i])

    def get(self, i: int, obs: str) -> list[str]:
        """The admissible calls of env ``i``, whose observation is ``obs``."""
        calls = self._lists[i]
        if calls is not None and self._obs_len[i] == len(obs):
            return calls
        if "\n[call 1] " not in obs:  # turn 0: the conversation lists them
            return list(parse_transcript(obs).first_calls)
        raise RuntimeError(
            f"no admissible calls known for env {i} at this turn: pass the step's infos "
            "(with 'admissible_actions') to agent.observe() after every step"
        )

    def batch(self, obs_batch: Sequence[str]) -> list[list[str]]:
        """``get`` for every env of a batch."""
        return [self.get(i, obs) for i, obs in enumerate(obs_batch)]


def uniform_entropy(sizes: Sequence[int]) -> np.ndarray:
    """Entropy in nats of a uniform choice among ``n`` items, per ``n`` (0 where ``n <= 1``)."""
    return np.log(np.maximum(np.asarray(sizes, dtype=np.float64), 1.0))
