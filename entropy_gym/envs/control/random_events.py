"""Type 2.1, action-independent random events: the world pushes the robot, whatever it does.

The continuous-control port of STORI's type 2.1 (random changes to the emulator state): either an
external push on a body through MuJoCo's ``xfrc_applied`` for a few steps, or a jolt of the
joint positions and velocities.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import mujoco
import numpy as np

from entropy_gym.envs.control.base import (
    ControlEnv,
    check_choice,
    check_count,
    check_nonneg,
    check_prob,
)

MODES = ("push", "perturb")
_AXES = {"x": (0,), "xz": (0, 2), "xy": (0, 1)}


class RandomEventsEnv(ControlEnv):
    """With probability ``p`` per step, a random event perturbs the robot.

    Args:
        task: the MuJoCo task, e.g. ``"Hopper"``.
        mode: ``"push"``: a force of ``force`` x the robot's weight, in a uniformly random
            direction of the task's plane of motion (x-z for the planar walkers, horizontal x-y
            for Ant and Humanoid, +-x for InvertedPendulum), acts on ``body`` for ``duration``
            steps; no new push starts while one acts. ``"perturb"``: Gaussian noise of standard
            deviation ``qpos_noise`` is added to the joint positions (through
            ``mj_integratePos``, so free-joint quaternions stay unit) and ``qvel_noise`` to the
            joint velocities.
        p: probability per step of an event; per-task default, about one per simulated second.
        force, duration, body: the push (per-task defaults, about 0.1 s on the torso).
        qpos_noise, qvel_noise: the perturbation's standard deviations (rad or m, and per s).

    ``info`` of every step: ``event`` (``"push"`` when a push starts, ``"perturb"``, or
    ``None``), and in push mode ``push_force`` (the world-frame force in newtons acting during
    this step, zeros when none), in perturb mode ``qpos_noise`` and ``qvel_noise`` (the noise
    applied before this step, zeros when none).
    """

    stochasticity_type: ClassVar[str] = "2.1"
    param_names: ClassVar[tuple[str, ...]] = (
        "mode",
        "p",
        "force",
        "duration",
        "body",
        "qpos_noise",
        "qvel_noise",
    )

    def __init__(
        self,
        task: str,
        mode: str = "push",
        p: float | None = None,
        force: float | None = None,
        duration: int | None = None,
        body: str | None = None,
        qpos_noise: float = 0.02,
        qvel_noise: float = 0.2,
        render_mode: str | None = None,
        **task_kwargs: Any,
    ) -> None:
        super().__init__(task, render_mode, **task_kwargs)
        t, label, model = self.task, self.label, self.model
        self.mode = check_choice(label, "mode", mode, MODES)
        self.p = check_prob(label, "p", t.event_p if p is None else p)
        self.force = check_nonneg(label, "force", t.push_force if force is None else force)
        duration = t.push_steps if duration is None else duration
        self.duration = check_count(label, "duration", duration)
        bodies = [model.body(i).name for i in range(1, model.nbody) if model.body(i).name]
        self.body = check_choice(label, "body", t.push_body if body is None else body, bodies)
        self.qpos_noise = check_nonneg(label, "qpos_noise", qpos_noise)
        self.qvel_noise = check_nonneg(label, "qvel_noise", qvel_noise)

        self._push = mode == "push"
        self._body_id = model.body(self.body).id
        self._axes = list(_AXES[t.push_axes])
        weight = float(np.sum(model.body_mass)) * float(np.linalg.norm(model.opt.gravity))
        self._newtons = self.force * weight
        self._push_force = np.zeros(3)
        self._push_left = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = super().reset(seed=seed, options=options)  # mj_resetData clears xfrc_applied
        self._push_force = np.zeros(3)
        self._push_left = 0
        return obs, info

    def step(self, action: np.ndarray):
        action = self.checked(action)
        if self._push:
            return self._step_push(action)
        return self._step_perturb(action)

    def _step_push(self, action: np.ndarray):
        event = None
        if self._push_left == 0 and self.uniform() < self.p:
            event = "push"
            self._push_force = self._push_direction() * self._newtons
            self._push_left = self.duration
            self.data.xfrc_applied[self._body_id, :3] = self._push_force
        obs, reward, terminated, truncated, info = self.task_env.step(action)
        info["event"] = event
        if self._push_left:
            info["push_force"] = self._push_force.copy()
            self._push_left -= 1
            if self._push_left == 0:
                self.data.xfrc_applied[self._body_id, :3] = 0.0
        else:
            info["push_force"] = np.zeros(3)
        return obs, reward, terminated, truncated, info

    def _push_direction(self) -> np.ndarray:
        """A unit vector, uniform over the directions of the task's push plane (or line)."""
        v = self.draw_row("standard_normal", len(self._axes))
        while not v.any():
            v = self.draw_row("standard_normal", len(self._axes))
        direction = np.zeros(3)
        direction[self._axes] = v / math.hypot(*v)
        return direction

    def _step_perturb(self, action: np.ndarray):
        nv = self.model.nv
        if self.uniform() < self.p:
            model, data = self.model, self.data
            dq = self.qpos_noise * self.draw_row("standard_normal", nv)
            dv = self.qvel_noise * self.draw_row("standard_normal", nv)
            mujoco.mj_integratePos(model, data.qpos, dq, 1.0)
            data.qvel += dv
            mujoco.mj_forward(model, data)  # the task reads positions before it steps
            event = "perturb"
        else:
            dq, dv, event = np.zeros(nv), np.zeros(nv), None
        obs, reward, terminated, truncated, info = self.task_env.step(action)
        info["event"] = event
        info["qpos_noise"] = dq
        info["qvel_noise"] = dv
        return obs, reward, terminated, truncated, info
