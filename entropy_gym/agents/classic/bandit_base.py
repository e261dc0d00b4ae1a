"""Shared memory and plumbing of the classic bandit algorithms.

Each algorithm keeps, per env of the batch, the pull count and reward sum of every arm. Memory
is updated in :meth:`BanditAgent.observe` from ``infos["arm"]`` (the arm the env actually
pulled, ``-1`` when a text reply named none) and the rewards, and wiped for the envs whose
episode ended at that step (``step.done``), so every episode starts from a clean slate.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import (
    BaseAgent,
    Decision,
    StepBatch,
    TaskSpec,
    batch_size_of,
    categorical_entropy,
)
from entropy_gym.core.errors import ConfigError


class BanditAgent(BaseAgent):
    """Base of batched bandit algorithms over a ``Discrete(K)`` action space.

    Subclasses implement :meth:`probabilities` (the exact action distribution per env) or
    override :meth:`decide` when they sample in another way (Thompson sampling).
    """

    hooks: ClassVar[frozenset[str]] = frozenset()

    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        space = task.action_space
        if not isinstance(space, gym.spaces.Discrete):
            raise ConfigError(
                f"agent {self.name!r} needs a Discrete action space (a K-armed bandit), got "
                f"{space} for env {task.env_id!r}"
            )
        self.num_arms = int(space.n)
        self._allocate(max(int(task.num_envs), 1))

    def _allocate(self, num_envs: int) -> None:
        self.counts = np.zeros((num_envs, self.num_arms), dtype=np.int64)
        self.sums = np.zeros((num_envs, self.num_arms), dtype=np.float64)

    # -- deciding --------------------------------------------------------------------------
    def act(self, obs_batch: Any) -> Decision:
        n = batch_size_of(obs_batch)
        if n != self.counts.shape[0]:
            self._allocate(n)
        actions, entropy = self.decide()
        return Decision(actions=actions, entropy=entropy)

    def decide(self) -> tuple[np.ndarray, np.ndarray]:
        """``(actions, entropy)`` for every env, sampled from :meth:`probabilities`."""
        probs = self.probabilities()
        return sample_rows(probs, self.rng), categorical_entropy(probs)

    def probabilities(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- statistics ----------------------------------------------------------------------------
    def empirical_means(self) -> np.ndarray:
        """Mean reward per arm; ``nan`` for arms not pulled yet."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.sums / np.maximum(self.counts, 1), np.nan)

    def greedy_set(self) -> np.ndarray:
        """Boolean (n, K): unpulled arms while any remain (each arm is tried once), else the
        arms with the highest empirical mean."""
        unpulled = self.counts == 0
        means = np.where(unpulled, -np.inf, self.sums / np.maximum(self.counts, 1))
        best = means == means.max(axis=1, keepdims=True)
        return np.asarray(np.where(unpulled.any(axis=1, keepdims=True), unpulled, best))

    # -- memory -------------------------------------------------------------------------------
    def observe(self, step: StepBatch) -> None:
        arms, known = _pulled_arms(step)
        rows = np.flatnonzero(known & (arms >= 0))
        rewards = np.asarray(step.rewards, dtype=np.float64)
        self.counts[rows, arms[rows]] += 1
        self.sums[rows, arms[rows]] += rewards[rows]
        done = np.asarray(step.done, dtype=bool)
        self.counts[done] = 0
        self.sums[done] = 0.0


def _pulled_arms(step: StepBatch) -> tuple[np.ndarray, np.ndarray]:
    """The arm each env pulled and whether it is known: ``infos["arm"]`` where the env reports
    it (text bandits), else the integer actions themselves."""
    n = len(step.rewards)
    infos = step.infos or {}
    if "arm" in infos:
        arms = np.asarray(infos["arm"], dtype=np.int64)
        known = np.asarray(infos.get("_arm", np.ones(n, dtype=bool)), dtype=bool)
        return arms, known
    try:
        arms = np.asarray(step.actions, dtype=np.int64).reshape(n)
    except (TypeError, ValueError):
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool)
    return arms, np.ones(n, dtype=bool)


def sample_rows(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of a probability matrix, by inverse CDF with one uniform per row."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cdf[:, -1]
    return np.asarray(
        np.minimum((cdf <= u[:, None]).sum(axis=1), probs.shape[1] - 1), dtype=np.int64
    )


def uniform_over(mask: np.ndarray) -> np.ndarray:
    """Rows of a boolean matrix turned into uniform distributions over their True entries."""
    mask = mask.astype(np.float64)
    return np.asarray(mask / mask.sum(axis=1, keepdims=True))
