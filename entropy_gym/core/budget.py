"""Training budgets: how much an agent may train, and how far along its training is.

Budgets may be env steps, episodes or wall-clock seconds; every trainer (SB3, the LLM
trainer, the JAX agents) counts its progress with a :class:`BudgetTracker` and feeds it to its
schedules and to interventions (``agent.progress``).

>>> tracker = BudgetTracker(Budget(env_steps=100))
>>> tracker.steps = 25
>>> tracker.progress, tracker.exhausted
(0.25, False)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from entropy_gym.core.errors import ConfigError


@dataclass(frozen=True)
class Budget:
    """How much an agent may train. Any unset limit is unlimited; at least one must be set
    for agents that learn."""

    env_steps: int | None = None
    episodes: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        for name in ("env_steps", "episodes", "seconds"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigError(f"budget {name} must be >= 0, got {value!r}")

    @property
    def is_zero(self) -> bool:
        """True when the budget allows no training at all."""
        return self.env_steps == 0 or self.episodes == 0 or self.seconds == 0


class BudgetTracker:
    """Counts env steps, finished episodes and seconds against a :class:`Budget`.

    ``progress`` is the largest used fraction of any set limit, in [0, 1]; the budget is
    exhausted when any limit is reached.
    """

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.steps = 0
        self.episodes = 0
        self._start = time.monotonic()

    @property
    def elapsed(self) -> float:
        """Seconds since the tracker was created."""
        return time.monotonic() - self._start

    @property
    def progress(self) -> float:
        b = self.budget
        fractions = [0.0]
        if b.env_steps:
            fractions.append(self.steps / b.env_steps)
        if b.episodes:
            fractions.append(self.episodes / b.episodes)
        if b.seconds:
            fractions.append(self.elapsed / b.seconds)
        return min(1.0, max(fractions))

    @property
    def exhausted(self) -> bool:
        b = self.budget
        return (
            (b.env_steps is not None and self.steps >= b.env_steps)
            or (b.episodes is not None and self.episodes >= b.episodes)
            or (b.seconds is not None and self.elapsed >= b.seconds)
        )


__all__ = ["Budget", "BudgetTracker"]
