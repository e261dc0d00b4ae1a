"""Training budgets for SB3 agents: the callback that stops SB3 when a budget is spent.

SB3 counts progress against ``total_timesteps``; entropy-gym budgets may instead be episodes
or wall-clock seconds, so the agents measure progress with a
:class:`~entropy_gym.core.budget.BudgetTracker` (defined on the ground floor, shared with the
other trainers, importable from here as before) and feed it to SB3 (learning-rate and
exploration schedules) and to interventions (``agent.progress``).
"""

from __future__ import annotations

from typing import Any

from entropy_gym.core.budget import BudgetTracker


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


__all__ = ["BudgetTracker", "make_budget_callback"]
