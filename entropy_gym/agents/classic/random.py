"""The uniform random agent: the floor every leaderboard is normalised against."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import BaseAgent, Decision, TaskSpec, batch_size_of
from entropy_gym.core.errors import ConfigError


class RandomAgent(BaseAgent):
    """Samples each action uniformly from the action space with its own seeded generator.

    Reports the entropy of that uniform distribution: ``log n`` for ``Discrete(n)``, the sum
    over dimensions for ``MultiDiscrete``, and the differential entropy ``sum log(high - low)``
    for a bounded ``Box``.
    """

    name: ClassVar[str] = "random"
    hooks: ClassVar[frozenset[str]] = frozenset()
    description: ClassVar[str] = "uniform random actions (Discrete, MultiDiscrete, bounded Box)"

    def __init__(self) -> None:
        super().__init__()

    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        space = task.action_space
        if isinstance(space, gym.spaces.Discrete):
            self._entropy = float(np.log(space.n))
        elif isinstance(space, gym.spaces.MultiDiscrete):
            self._entropy = float(np.log(space.nvec).sum())
        elif isinstance(space, gym.spaces.Box) and space.is_bounded():
            self._entropy = float(np.log(space.high - space.low).sum())
        else:
            raise ConfigError(
                f"agent 'random' supports Discrete, MultiDiscrete and bounded Box action "
                f"spaces, got {space} for env {task.env_id!r}"
            )
        self._space = space

    def act(self, obs_batch: Any) -> Decision:
        n = batch_size_of(obs_batch)
        space = self._space
        if isinstance(space, gym.spaces.Discrete):
            actions = space.start + self.rng.integers(space.n, size=n)
        elif isinstance(space, gym.spaces.MultiDiscrete):
            actions = space.start + self.rng.integers(space.nvec, size=(n, *space.nvec.shape))
        else:
            actions = self.rng.uniform(space.low, space.high, size=(n, *space.shape))
            actions = actions.astype(space.dtype)
        return Decision(actions=actions, entropy=np.full(n, self._entropy))
