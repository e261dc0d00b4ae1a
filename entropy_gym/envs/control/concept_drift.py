"""Type 2.2, concept drift: the physics changes during an episode, suddenly or back and forth.

STORI's type 2.2 switches between two "concepts" at a step threshold. Here concept 1 is the task
as loaded and concept 2 the same task with one physical parameter scaled: body masses, contact
friction, gravity or actuator strength (gear). Both concepts are built once, at construction, as
the exact values of every model field that differs between them (including the constants that
MuJoCo derives from masses and gears with ``mj_setConst``); switching copies those few arrays
into this env's own model, and ``reset`` switches back to concept 1.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import mujoco
import numpy as np

from entropy_gym.envs.control.base import (
    ControlEnv,
    check_choice,
    check_count,
    check_nonneg,
)

PARAMS = ("mass", "friction", "gravity", "gear")
MODES = ("sudden", "cyclic")


class ConceptDriftEnv(ControlEnv):
    """The task switches to a second concept (one physical parameter scaled) at a step threshold.

    Args:
        task: the MuJoCo task, e.g. ``"Walker2d"``.
        param: what drifts: ``"mass"`` (every body's mass and rotational inertia, i.e. a uniform
            density change), ``"friction"`` (every geom's friction coefficients), ``"gravity"``,
            or ``"gear"`` (every actuator's gear, i.e. motor strength).
        scale: the multiplier of ``param`` in concept 2.
        mode: ``"sudden"``: concept 2 from step ``threshold`` of the episode on; ``"cyclic"``:
            concept 1 for steps ``[0, T)``, concept 2 for ``[T, 2T)``, concept 1 again for
            ``[2T, 3T)``, and so on (steps counted from 0 at reset).
        threshold: ``T``, in env steps.

    ``info`` of every step and of reset: ``concept`` (1 or 2, the physics this step ran under),
    ``drift_param``, ``drift_scale`` (1.0 or ``scale``), and ``drift_value``: the parameter's
    current value in one number (total mass in kg, mean sliding friction coefficient, |gravity|
    in m/s^2, or mean actuator gear).
    """

    stochasticity_type: ClassVar[str] = "2.2"
    param_names: ClassVar[tuple[str, ...]] = ("param", "scale", "mode", "threshold")

    def __init__(
        self,
        task: str,
        param: str = "gear",
        scale: float = 0.5,
        mode: str = "sudden",
        threshold: int = 300,
        render_mode: str | None = None,
        **task_kwargs: Any,
    ) -> None:
        super().__init__(task, render_mode, **task_kwargs)
        label, model = self.label, self.model
        self.param = check_choice(label, "param", param, PARAMS)
        self.scale = check_nonneg(label, "scale", scale, positive=True)
        self.mode = check_choice(label, "mode", mode, MODES)
        self.threshold = check_count(label, "threshold", threshold)
        if param == "friction" and not _has_contacts(model):
            raise ValueError(
                f"{label}: param='friction' has no effect on this task (it has no contacts); "
                f"expected one of {tuple(p for p in PARAMS if p != 'friction')}"
            )
        concept_2 = _scaled(model, param, self.scale)
        self._fields = _differing_fields(model, concept_2)
        self._values = {1: _summary(model, param), 2: _summary(concept_2, param)}
        self._scales = {1: 1.0, 2: self.scale}
        self._sudden = mode == "sudden"
        self._t = 0
        self._concept = 1

    def concept_at(self, t: int) -> int:
        """The concept that step ``t`` of an episode (0-based) runs under."""
        if self._sudden:
            return 2 if t >= self.threshold else 1
        return 2 if (t // self.threshold) % 2 else 1

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if self._concept != 1:
            self._switch(1)
        self._t = 0
        obs, info = super().reset(seed=seed, options=options)
        self._add_info(info, 1)
        return obs, info

    def step(self, action: np.ndarray):
        action = self.checked(action)
        concept = self.concept_at(self._t)
        self._t += 1
        if concept != self._concept:
            self._switch(concept)
        obs, reward, terminated, truncated, info = self.task_env.step(action)
        self._add_info(info, concept)
        return obs, reward, terminated, truncated, info

    def _switch(self, concept: int) -> None:
        for owner, name, values in self._fields:
            target, value = owner(self.model), values[concept - 1]
            if isinstance(value, np.ndarray):
                np.copyto(getattr(target, name), value)
            else:
                setattr(target, name, value)
        self._concept = concept

    def _add_info(self, info: dict[str, Any], concept: int) -> None:
        info["concept"] = concept
        info["drift_param"] = self.param
        info["drift_scale"] = self._scales[concept]
        info["drift_value"] = self._values[concept]


def _has_contacts(model: mujoco.MjModel) -> bool:
    return bool(np.any(model.geom_contype) and np.any(model.geom_conaffinity))


def _scaled(model: mujoco.MjModel, param: str, scale: float) -> mujoco.MjModel:
    """A copy of ``model`` with ``param`` scaled and MuJoCo's derived constants recomputed."""
    other = copy.deepcopy(model)
    if param == "mass":
        other.body_mass[:] *= scale
        other.body_inertia[:] *= scale
    elif param == "friction":
        other.geom_friction[:] *= scale
    elif param == "gravity":
        other.opt.gravity[:] *= scale
    else:
        other.actuator_gear[:] *= scale
    mujoco.mj_setConst(other, mujoco.MjData(other))
    return other


_OWNERS = (lambda m: m, lambda m: m.opt, lambda m: m.stat)


def _differing_fields(model: mujoco.MjModel, other: mujoco.MjModel) -> list[tuple[Any, str, tuple]]:
    """Every float field of the model (and of ``opt`` and ``stat``) whose values differ."""
    fields = []
    for owner in _OWNERS:
        a, b = owner(model), owner(other)
        for name in dir(a):
            if name.startswith("_"):
                continue
            value, new = getattr(a, name), getattr(b, name)
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                if not np.array_equal(value, new):
                    fields.append((owner, name, (value.copy(), new.copy())))
            elif isinstance(value, float) and value != new:
                fields.append((owner, name, (value, new)))
    return fields


def _summary(model: mujoco.MjModel, param: str) -> float:
    if param == "mass":
        return float(np.sum(model.body_mass))
    if param == "friction":
        return float(np.mean(model.geom_friction[:, 0]))
    if param == "gravity":
        return float(np.linalg.norm(model.opt.gravity))
    return float(np.mean(np.abs(model.actuator_gear[:, 0])))
