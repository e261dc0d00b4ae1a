"""Training budgets for SB3 agents: when to stop, and how far along training is.

SB3 counts progress against ``total_timesteps``; entropy-gym budgets may instead be episodes
or wall-clock seconds, so the agents measure progress here and feed it to SB3 (learning-rate
and exploration schedules) and to interventions (``agent.progress``).
"""

from __future__ import annotations

import time
from typing import Any

from entropy_gym.agents.base import Budget


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


def make_budget_callback(tracker: BudgetTracker, stop_on_steps: bool) -> Any:
    """An SB3 callback that updates ``tracker`` after every vector-env step and stops
    training once the budget is spent. ``stop_on_steps=False`` leaves the env-step limit to
    SB3's own ``total_timesteps`` (on-policy agents stop on whole rollouts)."""
    from stable_baselines3.common.callbacks import BaseCallback

    class BudgetCallback(BaseCallback):
        def _on_step(self) -> bool:
            tracker.steps = self.num_timesteps
            dones = self.locals.get("dones")
            if dones is not None:
                tracker.episodes += int(dones.sum())
            b = tracker.budget
            if b.episodes is not None and tracker.episodes >= b.episodes:
                return False
            if b.seconds is not None and tracker.elapsed >= b.seconds:
                return False
            return not (stop_on_steps and b.env_steps is not None and tracker.steps >= b.env_steps)

    return BudgetCallback()
