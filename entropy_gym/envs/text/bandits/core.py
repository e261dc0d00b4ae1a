"""The numeric core: many bandits of one spec stepped at once, in numpy or in torch on a device.

No text is rendered here; the envs render prompts from this state only when asked. The core
also keeps the per-episode counters the metrics need, updated with a handful of array
operations per step, so a batch of thousands of bandits steps in microseconds per env.

Metrics (published at the end of an episode; ``T`` is the horizon, ``mu*_t`` the best mean at
step ``t``, ``a_t`` the arm pulled):

- ``regret``: cumulative expected regret ``sum_t (mu*_t - mu_{a_t})``; a step whose reply named
  no arm counts as ``mu*_t - min_a mu_a`` (the worst arm's regret).
- ``best_arm_frac``: fraction of steps that pulled an arm with the best mean at that step.
- ``suffix_failure``: 1 if no best arm was pulled in the last half (steps ``t >= T // 2``),
  else 0; its mean over episodes is SuffFailFreq(T/2).
- ``k_min_frac``: ``K * min_a N_a / T``, the pull share of the least-pulled arm scaled so that
  uniform play gives 1 (K*MinFrac; near 1 flags uniform-like failure).
- ``greedy_frac``: fraction of steps whose arm had the highest empirical mean among the arms
  pulled so far (every arm counts at the first step; ties all count) (GreedyFrac).
- ``invalid_rate``: fraction of steps whose reply named no arm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from entropy_gym.envs.text.bandits.spec import BanditSpec

METRICS = (
    "regret",
    "best_arm_frac",
    "suffix_failure",
    "k_min_frac",
    "greedy_frac",
    "invalid_rate",
)


#: Every array of the batch's state (what saving and restoring an episode must copy).
STATE_ARRAYS = (
    "means",
    "best_mean",
    "counts",
    "sums",
    "empirical",
    "pulls",
    "worst_mean",
    "optimal",
    "t",
    "regret",
    "best_pulls",
    "suffix_best_pulls",
    "greedy_pulls",
    "invalid",
)

_COUNTERS = (
    "counts",
    "sums",
    "pulls",
    "t",
    "regret",
    "best_pulls",
    "suffix_best_pulls",
    "greedy_pulls",
    "invalid",
)


@dataclass
class Transition:
    """What one step of the batch produced, one entry per bandit (arrays of the backend)."""

    rewards: Any
    regret: Any  # instant expected regret
    optimal_arm: Any  # the best arm when the choice was made (lowest index on ties)
    valid: Any  # False where the reply named no arm
    done: Any


class BanditBatch:
    """``num_envs`` independent bandits of ``spec``.

    With ``device=None`` the state is numpy arrays and randomness comes from a
    ``numpy.random.Generator``; with a device (``"cpu"``, ``"cuda"``...) the state is torch
    tensors on it and randomness comes from a ``torch.Generator`` there. Each step draws the
    same number of variates whatever the actions, so a seed fixes the whole trajectory.
    """

    def __init__(self, spec: BanditSpec, num_envs: int, device: str | None = None) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs!r}")
        self.spec = spec
        self.num_envs = int(num_envs)
        self.device = device
        if device is None:
            self.xp: Any = np
            self._rng: Any = np.random.default_rng()
        else:
            import torch

            self.xp = torch
            self._torch_device = torch.device(device)
            self._rng = torch.Generator(device=self._torch_device)
        n, k = self.num_envs, spec.num_arms
        self.rows = self._arange(n)
        self._row_offsets = self.rows * k  # flat index of each row's arm 0
        self.means = self._zeros((n, k), float)
        self.counts = self._zeros((n, k), int)
        self.sums = self._zeros((n, k), float)
        # Kept up to date incrementally so that a step touches one entry per row: empirical
        # means (-inf until pulled), pulls per row, and each row's best/worst mean and best arm.
        self.empirical = self._zeros((n, k), float)
        self.pulls = self._zeros((n,), int)
        self.best_mean = self._zeros((n,), float)
        self.worst_mean = self._zeros((n,), float)
        self.optimal = self._zeros((n,), int)
        self.t = self._zeros((n,), int)
        self.regret = self._zeros((n,), float)
        self.best_pulls = self._zeros((n,), int)
        self.suffix_best_pulls = self._zeros((n,), int)
        self.greedy_pulls = self._zeros((n,), int)
        self.invalid = self._zeros((n,), int)

    # -- randomness ----------------------------------------------------------------------
    def seed(self, seed: int | None) -> None:
        """Re-seed the batch's generator (``None``: fresh entropy)."""
        if self.device is None:
            self._rng = np.random.default_rng(seed)
        elif seed is None:
            self._rng.seed()
        else:
            self._rng.manual_seed(int(np.random.SeedSequence(seed).generate_state(1)[0]))

    def use_generator(self, rng: np.random.Generator) -> None:
        """Draw from ``rng`` (numpy backend only): lets a single env share its ``np_random``."""
        if self.device is not None:
            raise ValueError("use_generator needs the numpy backend (device=None)")
        self._rng = rng

    def _uniform(self, shape: tuple[int, ...]) -> Any:
        if self.device is None:
            return self._rng.random(shape)
        return self.xp.rand(
            shape, generator=self._rng, device=self._torch_device, dtype=self.xp.float64
        )

    def _normal(self, shape: tuple[int, ...]) -> Any:
        if self.device is None:
            return self._rng.standard_normal(shape)
        return self.xp.randn(
            shape, generator=self._rng, device=self._torch_device, dtype=self.xp.float64
        )

    def _integers(self, high: int, size: int) -> Any:
        if self.device is None:
            return self._rng.integers(high, size=size)
        return self.xp.randint(high, (size,), generator=self._rng, device=self._torch_device)

    # -- array helpers (numpy and torch spell a few things differently) -----------------
    def _zeros(self, shape: tuple[int, ...], kind: type) -> Any:
        if self.device is None:
            return np.zeros(shape, dtype=np.float64 if kind is float else np.int64)
        dtype = self.xp.float64 if kind is float else self.xp.int64
        return self.xp.zeros(shape, dtype=dtype, device=self._torch_device)

    def _arange(self, n: int) -> Any:
        if self.device is None:
            return np.arange(n)
        return self.xp.arange(n, device=self._torch_device)

    def _rowmax(self, a: Any) -> Any:
        return a.max(axis=1) if self.device is None else a.amax(dim=1)

    def _rowmin(self, a: Any) -> Any:
        return a.min(axis=1) if self.device is None else a.amin(dim=1)

    def _bool(self, value: Any) -> Any:
        array = self.as_array(value)
        return array.astype(bool) if self.device is None else array.bool()

    def _float(self, value: Any) -> Any:
        return value.astype(np.float64) if self.device is None else value.double()

    def as_array(self, value: Any) -> Any:
        """``value`` (a sequence or array of ints/floats) as an array of this backend."""
        if self.device is None:
            return np.asarray(value)
        return self.xp.as_tensor(np.asarray(value), device=self._torch_device)

    # -- episode lifecycle -----------------------------------------------------------------
    def reset(self, mask: Any = None) -> None:
        """Start new episodes in the bandits selected by the boolean ``mask`` (default: all)."""
        spec, k = self.spec, self.spec.num_arms
        rows = self.rows if mask is None else self.rows[self._bool(mask)]
        n = int(rows.shape[0])
        if n == 0:
            return
        if spec.means is not None:
            means = self.as_array(np.tile(np.asarray(spec.means, dtype=np.float64), (n, 1)))
        elif spec.reward == "gaussian":
            means = spec.mean_std * self._normal((n, k))
        elif spec.gap is not None:
            best = self._integers(k, n)
            means = self._zeros((n, k), float) + (0.5 - spec.gap / 2)
            means[self._arange(n), best] = 0.5 + spec.gap / 2
        else:
            means = self._uniform((n, k))
        self.means[rows] = means
        self.empirical[rows] = -np.inf
        for name in _COUNTERS:
            getattr(self, name)[rows] = 0
        self._refresh_extremes()

    def _refresh_extremes(self) -> None:
        self.best_mean[...] = self._rowmax(self.means)
        self.worst_mean[...] = self._rowmin(self.means)
        self.optimal[...] = self.means.argmax(axis=1)

    def step(self, arms: Any) -> Transition:
        """Pull ``arms`` (one int per bandit; ``-1`` for a reply that named no arm)."""
        xp, spec = self.xp, self.spec
        arms = self.as_array(arms)
        valid = arms >= 0
        flat = self._row_offsets + xp.where(valid, arms, 0)
        means, counts, sums, empirical = (
            a.reshape(-1) for a in (self.means, self.counts, self.sums, self.empirical)
        )
        mean_a = means[flat]
        best_mean, optimal = self.best_mean + 0.0, self.optimal + 0

        # GreedyFrac: is the chosen arm among the best empirical means so far? (Unpulled arms
        # sit at -inf, so they only count when nothing has been pulled yet.)
        greedy = valid & ((self.pulls == 0) | (empirical[flat] >= self._rowmax(self.empirical)))

        if spec.reward == "bernoulli":
            rewards = self._float(self._uniform((self.num_envs,)) < mean_a)
        else:
            rewards = mean_a + spec.noise_std * self._normal((self.num_envs,))
        rewards = xp.where(valid, rewards, 0.0)
        regret = best_mean - xp.where(valid, mean_a, self.worst_mean)

        hit = valid & (mean_a >= best_mean)
        counts[flat] += valid
        sums[flat] += rewards
        empirical[flat] = xp.where(
            valid, sums[flat] / xp.where(valid, counts[flat], 1), empirical[flat]
        )
        self.pulls += valid
        self.regret += regret
        self.best_pulls += hit
        self.suffix_best_pulls += hit & (self.t >= spec.suffix_start)
        self.greedy_pulls += greedy
        self.invalid += ~valid
        self.t += 1
        if spec.switch_prob > 0:
            self._switch()
        return Transition(
            rewards=rewards,
            regret=regret,
            optimal_arm=optimal,
            valid=valid,
            done=self.t >= spec.horizon,
        )

    def _switch(self) -> None:
        """With probability ``switch_prob`` per bandit, swap the best arm's mean with another's."""
        k, best = self.spec.num_arms, self.optimal
        switch = self._uniform((self.num_envs,)) < self.spec.switch_prob
        other = (best + 1 + self._integers(k - 1, self.num_envs)) % k
        rows = self.rows[switch]
        if rows.shape[0] == 0:
            return
        b, o = best[switch], other[switch]
        high, low = self.means[rows, b], self.means[rows, o]
        self.means[rows, b] = low
        self.means[rows, o] = high
        self._refresh_extremes()

    def episode_metrics(self) -> dict[str, Any]:
        """The metrics of the module docstring, one array entry per bandit (meaningful once an
        episode has reached its horizon)."""
        horizon = self.spec.horizon
        k = self.spec.num_arms
        return {
            "regret": self.regret + 0.0,
            "best_arm_frac": self._float(self.best_pulls) / horizon,
            "suffix_failure": self._float(self.suffix_best_pulls == 0),
            "k_min_frac": k * self._float(self._rowmin(self.counts)) / horizon,
            "greedy_frac": self._float(self.greedy_pulls) / horizon,
            "invalid_rate": self._float(self.invalid) / horizon,
        }
