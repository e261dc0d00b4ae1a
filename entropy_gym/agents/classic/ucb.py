"""UCB1: optimism in the face of uncertainty."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from entropy_gym.agents.classic.bandit_base import BanditAgent, uniform_over
from entropy_gym.core.errors import ConfigError


class UCB1Agent(BanditAgent):
    """Tries every arm once, then pulls ``argmax_a mean_a + c * sqrt(2 ln t / n_a)``, where
    ``t`` is the number of pulls so far in the episode (Auer et al., 2002, with scale ``c``;
    ``c = 1`` is the classic bound for rewards in [0, 1]).

    Ties are broken uniformly, so the reported entropy is ``log(#tied arms)``, usually 0.
    """

    name: ClassVar[str] = "ucb1"
    description: ClassVar[str] = "bandit: UCB1, mean + c*sqrt(2 ln t / n)"

    def __init__(self, c: float = 1.0) -> None:
        if not c >= 0:
            raise ConfigError(f"ucb1 c must be >= 0, got {c!r}")
        super().__init__(c=float(c))
        self.c = float(c)

    def probabilities(self) -> np.ndarray:
        counts = self.counts
        unpulled = counts == 0
        t = np.maximum(counts.sum(axis=1, keepdims=True), 1)
        n = np.maximum(counts, 1)
        score = self.sums / n + self.c * np.sqrt(2.0 * np.log(t) / n)
        score = np.where(unpulled, -np.inf, score)
        best = score == score.max(axis=1, keepdims=True)
        return uniform_over(np.where(unpulled.any(axis=1, keepdims=True), unpulled, best))
