"""Per-episode statistics of per-turn action entropy (the quantity EPO smooths).

An agent reports, with every decision, the entropy in nats of the distribution it sampled
each env's action from (``Decision.entropy``). Over one episode of a multi-turn task those
per-turn entropies form a sequence ``H_1 .. H_T``; :func:`episode_entropy_stats` reduces it to
its mean and its variance (population variance, ``ddof=0``: the spread of the turns that
happened, not an estimate for unseen turns; 0 for a one-turn episode).
:class:`EpisodeEntropy` does the bookkeeping for a batch of envs stepped together, closing an
env's episode where ``terminated | truncated`` marks it (the decision of that final step
belongs to the episode that ended).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def episode_entropy_stats(entropies: Sequence[float]) -> dict[str, float]:
    """``{"entropy_mean", "entropy_var", "entropy_turns"}`` of one episode's per-turn entropies.

    NaN entries (turns where the agent reported no entropy) are left out; with no finite entry
    the mean and variance are NaN.
    """
    h = np.asarray(entropies, dtype=np.float64)
    h = h[np.isfinite(h)]
    if h.size == 0:
        return {"entropy_mean": math.nan, "entropy_var": math.nan, "entropy_turns": 0.0}
    return {
        "entropy_mean": float(h.mean()),
        "entropy_var": float(h.var()),
        "entropy_turns": float(h.size),
    }


class EpisodeEntropy:
    """Accumulates per-turn entropies for ``num_envs`` envs and emits each finished episode's
    statistics. Call :meth:`update` once per vector step with the decision's entropy and the
    step's done mask."""

    def __init__(self, num_envs: int) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self._turns: list[list[float]] = [[] for _ in range(num_envs)]

    def update(
        self, entropy: np.ndarray | Sequence[float] | None, done: np.ndarray | Sequence[bool]
    ) -> list[tuple[int, dict[str, float]]]:
        """Record this step's entropies (``None``: the agent reported none) and return
        ``(env index, stats)`` for every env whose episode ended at this step."""
        n = len(self._turns)
        done = np.asarray(done, dtype=bool)
        if done.shape != (n,):
            raise ValueError(f"done must have shape ({n},), got {done.shape}")
        values = np.full(n, np.nan) if entropy is None else np.asarray(entropy, dtype=np.float64)
        if values.shape != (n,):
            raise ValueError(f"entropy must have shape ({n},), got {values.shape}")
        finished = []
        for i in range(n):
            self._turns[i].append(float(values[i]))
            if done[i]:
                finished.append((i, episode_entropy_stats(self._turns[i])))
                self._turns[i] = []
        return finished
