"""STORI type 1: action-dependent stochasticity (random action substitution)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from entropy_gym.envs.stori._random import Uniforms
from entropy_gym.envs.stori.atari import FramePart, stori_base

PER = ("frame", "step")


def check_probability(p: float, name: str = "p") -> float:
    """``p`` as a float, or a ``ValueError`` if it is not a probability."""
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1], got {p!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {p!r}")
    return value


def check_per(per: str) -> bool:
    """True for ``per="step"``, False for ``"frame"``; a ``ValueError`` otherwise."""
    if per not in PER:
        raise ValueError(f"per {per!r} is unknown; expected one of {PER}")
    return per == "step"


class _Substitution(FramePart):
    """The frame-level half of :class:`RandomActions`."""

    def __init__(self, p: float, per_step: bool, choices: tuple[int, ...]) -> None:
        self.p = p
        self.per_step = per_step
        self.choices = choices
        self.active = True
        self.replaced = 0
        self._uniform: Uniforms | None = None
        self._sub = -1

    def seed_rng(self, rng: np.random.Generator) -> None:
        self._uniform = Uniforms(rng)

    def before_frame(self, action: int, frame: int) -> int:
        if frame == 0:
            self.replaced = 0
        if not self.active:
            return action
        if frame == 0 or not self.per_step:
            u = self._uniform
            self._sub = self.choices[u.index(len(self.choices))] if u() < self.p else -1
        if self._sub < 0:
            return action
        self.replaced += 1
        return self._sub

    def get_state(self) -> Any:
        return (self._uniform.get_state() if self._uniform else None, self._sub, self.replaced)

    def set_state(self, state: Any) -> None:
        uniform, self._sub, self.replaced = state
        if uniform is not None:
            self._uniform.set_state(uniform)


class RandomActions(gym.Wrapper):
    """Type 1: with probability ``p`` the emulator runs a uniformly random action instead.

    The replacement is drawn uniformly from ``choices`` (all actions by default; STORI restricts
    BankHeist to its first 10 so that random substitutions rarely drop dynamite) and may equal
    the agent's action. Unlike sticky actions, which repeat the previous action, this is a
    uniform random action.

    ``per="frame"`` draws for every emulator frame: with frame skip 4 and ``p=0.3``, an agent
    step has at least one replaced frame with probability ``1 - 0.7**4 = 0.76``, as in STORI's
    experiments. ``per="step"`` draws once per agent step, at its first frame, and the outcome
    (and the random action) holds for all frames of the step.

    ``info["action_replaced"]`` says whether any frame of the step ran a substituted action and
    ``info["action_replaced_frames"]`` how many did. No-op starts are never replaced.
    """

    def __init__(
        self,
        env: gym.Env,
        p: float,
        *,
        per: str = "frame",
        choices: int | Sequence[int] | None = None,
        active: bool = True,
    ) -> None:
        super().__init__(env)
        base = stori_base(env)
        n = base.action_space.n
        if choices is None:
            options = tuple(range(n))
        elif isinstance(choices, (int, np.integer)):
            if not 1 <= choices <= n:
                raise ValueError(
                    f"random_actions must be in [1, {n}] for {base.game}, got {choices}"
                )
            options = tuple(range(int(choices)))
        else:
            options = tuple(int(c) for c in choices)
            if not options or any(not 0 <= c < n for c in options):
                raise ValueError(
                    f"random_actions must be action indices in [0, {n}) for {base.game}, got {choices!r}"
                )
        self._part = _Substitution(check_probability(p), check_per(per), options)
        self._part.active = active
        base.add_part(self._part)

    @property
    def active(self) -> bool:
        """Whether substitutions happen (concept drift toggles this)."""
        return self._part.active

    @active.setter
    def active(self, value: bool) -> None:
        self._part.active = value

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        info["action_replaced"] = False
        info["action_replaced_frames"] = 0
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        replaced = self._part.replaced
        info["action_replaced"] = replaced > 0
        info["action_replaced_frames"] = replaced
        return obs, reward, terminated, truncated, info
