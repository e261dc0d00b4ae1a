"""Type 1, action-dependent stochasticity: the executed action is not always the chosen one.

The continuous-control port of STORI's type 1 (a uniformly random action with probability p),
plus its natural continuous variant, additive Gaussian actuator noise.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from entropy_gym.envs.control.base import ControlEnv, check_choice, check_nonneg, check_prob

MODES = ("random", "noise")

#: Default ``p`` per mode: an occasional random action, or noise on every step.
DEFAULT_P = {"random": 0.1, "noise": 1.0}


class ActionCorruptionEnv(ControlEnv):
    """With probability ``p`` per step, the action the agent chose is corrupted before it acts.

    Args:
        task: the MuJoCo task, e.g. ``"HalfCheetah"``.
        mode: ``"random"``: the action is replaced by one drawn uniformly from the action space;
            ``"noise"``: Gaussian noise with standard deviation ``scale`` x half the action range
            is added, and the result clipped to the action bounds.
        p: probability per step of a corruption; ``None`` means 0.1 for ``"random"`` and 1.0
            (every step) for ``"noise"``.
        scale: noise standard deviation in units of half the action range (``"noise"`` only).

    ``info`` of every step: ``action_corrupted`` (bool) and ``executed_action`` (the action that
    reached the actuators, whose control cost the reward charges).
    """

    stochasticity_type: ClassVar[str] = "1"
    param_names: ClassVar[tuple[str, ...]] = ("mode", "p", "scale")

    def __init__(
        self,
        task: str,
        mode: str = "random",
        p: float | None = None,
        scale: float = 0.2,
        render_mode: str | None = None,
        **task_kwargs: Any,
    ) -> None:
        super().__init__(task, render_mode, **task_kwargs)
        self.mode = check_choice(self.label, "mode", mode, MODES)
        self.p = check_prob(self.label, "p", DEFAULT_P[mode] if p is None else p)
        self.scale = check_nonneg(self.label, "scale", scale)
        space = self.action_space
        self._dtype = space.dtype
        self._low, self._high = space.low, space.high
        self._span = (space.high - space.low).astype(self._dtype)
        self._noise_std = (self.scale * self._span / 2).astype(self._dtype)
        self._n = space.shape[0]
        self._replace = mode == "random"
        self._always = self.p == 1.0  # skip the coin flip that cannot come up tails

    def step(self, action: np.ndarray):
        action = self.checked(action)
        corrupted = self._always or self.uniform() < self.p
        if not corrupted:
            executed = np.array(action)  # a copy, same dtype: p=0 is the plain env exactly
        elif self._replace:
            executed = self._low + self._span * self.draw_row("random", self._n, self._dtype)
        else:
            executed = self._noise_std * self.draw_row("standard_normal", self._n, self._dtype)
            executed += action
            np.maximum(executed, self._low, out=executed)  # two ufuncs: np.clip costs twice that
            np.minimum(executed, self._high, out=executed)
        obs, reward, terminated, truncated, info = self.task_env.step(executed)
        info["action_corrupted"] = corrupted
        info["executed_action"] = executed
        return obs, reward, terminated, truncated, info
