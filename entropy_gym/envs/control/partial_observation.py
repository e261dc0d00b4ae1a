"""Type 3.2, missing state variables: parts of the observation are hidden.

STORI's type 3.2 masks parts of the screen; a MuJoCo observation is a state vector, so here the
velocities are hidden (the agent must infer them from successive positions), or each dimension
is dropped at random. Hidden values are set to zero, so the observation space and shape stay
those of the plain task and a policy network fits either.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from entropy_gym.envs.control.base import ControlEnv, check_choice, check_prob
from entropy_gym.envs.control.tasks import velocity_slices

MODES = ("velocity", "drop")

#: Default ``p`` per mode: velocities always hidden, or a tenth of the dims dropped.
DEFAULT_P = {"velocity": 1.0, "drop": 0.1}


class PartialObservationEnv(ControlEnv):
    """Observations with velocities hidden, or with random dimensions dropped (zeroed).

    Args:
        task: the MuJoCo task, e.g. ``"Ant"``.
        mode: ``"velocity"``: with probability ``p`` per observation, every velocity dim (the
            ``qvel`` block, plus ``cvel`` for Humanoid; read from the env's
            ``observation_structure``) is zeroed; ``"drop"``: each dim is zeroed independently
            with probability ``p``.
        p: ``None`` means 1.0 (always) for ``"velocity"`` and 0.1 for ``"drop"``.

    The observation of ``reset`` is masked the same way. ``info["dropped_dims"]`` (step and
    reset) is the tuple of the indices zeroed in this observation.
    """

    stochasticity_type: ClassVar[str] = "3.2"
    param_names: ClassVar[tuple[str, ...]] = ("mode", "p")

    def __init__(
        self,
        task: str,
        mode: str = "velocity",
        p: float | None = None,
        render_mode: str | None = None,
        **task_kwargs: Any,
    ) -> None:
        super().__init__(task, render_mode, **task_kwargs)
        self.mode = check_choice(self.label, "mode", mode, MODES)
        self.p = check_prob(self.label, "p", DEFAULT_P[mode] if p is None else p)
        self._slices = velocity_slices(self.task_env)
        self._velocity_dims = self.velocity_dims()
        self._n_obs = self.observation_space.shape[0]
        self._drop = mode == "drop"
        self._always = self.p == 1.0  # skip the coin flip that cannot come up tails

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = super().reset(seed=seed, options=options)
        info["dropped_dims"] = self._mask(obs)
        return obs, info

    def step(self, action: np.ndarray):
        action = self.checked(action)
        obs, reward, terminated, truncated, info = self.task_env.step(action)
        info["dropped_dims"] = self._mask(obs)
        return obs, reward, terminated, truncated, info

    def _mask(self, obs: np.ndarray) -> tuple[int, ...]:
        """Zero the hidden dims of ``obs`` in place (it is a fresh array) and name them."""
        if self._drop:
            dropped = (self.draw_row("random", self._n_obs) < self.p).nonzero()[0]
            obs[dropped] = 0.0
            return tuple(dropped.tolist())
        if self._always or self.uniform() < self.p:
            for s in self._slices:
                obs[s] = 0.0
            return self._velocity_dims
        return ()
