"""Greedy and epsilon-greedy: exploit the best empirical mean (after trying each arm once)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from entropy_gym.agents.classic.bandit_base import BanditAgent, uniform_over
from entropy_gym.core.errors import ConfigError


class GreedyAgent(BanditAgent):
    """Tries every arm once, then pulls the arm with the highest empirical mean.

    Ties are broken uniformly at random, so the reported entropy is ``log(#tied arms)``: 0
    whenever one arm is strictly best.
    """

    name: ClassVar[str] = "greedy"
    description: ClassVar[str] = "bandit: best empirical mean, each arm tried once first"

    def __init__(self) -> None:
        super().__init__()

    def probabilities(self) -> np.ndarray:
        return uniform_over(self.greedy_set())


class EpsilonGreedyAgent(BanditAgent):
    """With probability ``epsilon`` a uniformly random arm, otherwise the greedy choice.

    The reported entropy is exact: that of the mixture
    ``p_a = epsilon / K + (1 - epsilon) * [a greedy] / #greedy``.
    """

    name: ClassVar[str] = "epsilon_greedy"
    description: ClassVar[str] = "bandit: greedy, but a uniform arm with probability epsilon"

    def __init__(self, epsilon: float = 0.1) -> None:
        if not 0.0 <= epsilon <= 1.0:
            raise ConfigError(f"epsilon_greedy epsilon must be in [0, 1], got {epsilon!r}")
        super().__init__(epsilon=float(epsilon))
        self.epsilon = float(epsilon)

    def probabilities(self) -> np.ndarray:
        greedy = uniform_over(self.greedy_set())
        return self.epsilon / self.num_arms + (1.0 - self.epsilon) * greedy
