"""STORI type 2.2: action-independent concept drift.

The env switches between two concepts over agent steps: concept 1 is the plain game (type 3.1),
concept 2 is a secondary type (1, 2.1 or 3.2) that is built once, inside the same wrapper stack,
and only switched on and off. Nothing is rebuilt or shared between envs.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from entropy_gym.envs.stori.atari import FramePart, stori_base

SCHEDULES = ("sudden", "cyclic")


class _StepCounter(FramePart):
    """Agent steps since reset, kept with the frame parts for full-state snapshots."""

    def __init__(self) -> None:
        self.steps = 0

    def get_state(self) -> Any:
        return self.steps

    def set_state(self, state: Any) -> None:
        self.steps = state


class ConceptDrift(gym.Wrapper):
    """Type 2.2: switch ``secondary`` on and off by a schedule over agent steps.

    With ``threshold`` T and steps counted from 0 after each reset, concept 2 is active for step
    ``n`` when ``n >= T`` (``"sudden"``: T plain steps, then the secondary concept until the
    episode ends) or when ``(n // T)`` is odd (``"cyclic"``: T plain steps, T secondary steps,
    and so on). The reset observation is always concept 1. ``info["concept"]`` is 1 or 2.

    ``secondary`` is a wrapper inside ``env`` with an ``active`` flag (:class:`RandomActions`,
    :class:`RandomEvents`, :class:`ObservationMask` or :class:`RamHiding`).
    """

    def __init__(
        self, env: gym.Env, secondary: Any, threshold: int, schedule: str = "sudden"
    ) -> None:
        super().__init__(env)
        if schedule not in SCHEDULES:
            raise ValueError(f"drift {schedule!r} is unknown; expected one of {SCHEDULES}")
        if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
            raise ValueError(f"threshold must be an integer >= 1 (agent steps), got {threshold!r}")
        if not hasattr(secondary, "active"):
            raise TypeError(
                f"the secondary concept {type(secondary).__name__} has no `active` switch"
            )
        self.secondary = secondary
        self.threshold = threshold
        self.schedule = schedule
        self._counter = _StepCounter()
        stori_base(env).add_part(self._counter)
        secondary.active = False

    def concept(self, step: int) -> int:
        """The concept (1 or 2) of agent step ``step`` (0-based, since reset)."""
        if self.schedule == "sudden":
            return 2 if step >= self.threshold else 1
        return 2 if (step // self.threshold) % 2 else 1

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        self._counter.steps = 0
        self.secondary.active = False
        obs, info = self.env.reset(**kwargs)
        info["concept"] = 1
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        concept = self.concept(self._counter.steps)
        self.secondary.active = concept == 2
        self._counter.steps += 1
        obs, reward, terminated, truncated, info = self.env.step(action)
        info["concept"] = concept
        return obs, reward, terminated, truncated, info
