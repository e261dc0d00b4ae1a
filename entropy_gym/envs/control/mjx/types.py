"""The five stochasticity types as pure functions of one env (the env vmaps them over the batch).

A type hooks into the step at fixed points, in the order the CPU classes act:
``corrupt_action`` (type 1), ``model_at`` (2.2: which concept's physics), ``disturb`` (2.1:
start a push, or jolt the state, before the physics), ``settle`` (2.1: after the physics),
``mask_obs`` (3.2). Every hook draws from the key it is given, so each env has its own stream.
Each type is built from the CPU env of the same id, which has checked and resolved its
parameters, so both read the same values.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
from mujoco import mjx

Info = dict[str, jax.Array]
Extra = dict[str, jax.Array]


@dataclasses.dataclass(frozen=True)
class Plain:
    """Type 3.1: every hook is the identity."""

    def extra_init(self) -> Extra:
        """The type's own state at reset."""
        return {}

    def reset_info(self) -> Info:
        """The type's info keys of ``reset`` (those not drawn by ``mask_obs``)."""
        return {}

    def empty_info(self) -> Info:
        """The step info of a state that has not stepped yet (same keys and shapes)."""
        return {}

    def corrupt_action(self, key: jax.Array, action: jax.Array) -> tuple[jax.Array, Info]:
        return action, {}

    def model_at(self, model: mjx.Model, t: jax.Array) -> tuple[mjx.Model, Info]:
        return model, {}

    def disturb(
        self, key: jax.Array, model: mjx.Model, data: mjx.Data, extra: Extra
    ) -> tuple[mjx.Data, Extra, Info]:
        return data, extra, {}

    def settle(self, data: mjx.Data, extra: Extra) -> tuple[mjx.Data, Extra, Info]:
        return data, extra, {}

    def mask_obs(self, key: jax.Array, obs: jax.Array) -> tuple[jax.Array, Info]:
        return obs, {}


@dataclasses.dataclass(frozen=True)
class ActionCorruption(Plain):
    """Type 1: with probability ``p`` the action is replaced by a uniform draw from
    ``[low, high]`` (``replace``), or gets Gaussian noise of std ``noise_std`` and is clipped."""

    p: float
    replace: bool
    low: np.ndarray
    high: np.ndarray
    noise_std: np.ndarray

    def empty_info(self):
        return {
            "action_corrupted": jnp.asarray(False),
            "executed_action": jnp.zeros(self.low.shape, jnp.float32),
        }

    def corrupt_action(self, key, action):
        k_coin, k_draw = jax.random.split(key)
        corrupted = jax.random.uniform(k_coin) < self.p
        if self.replace:
            drawn = self.low + (self.high - self.low) * jax.random.uniform(k_draw, self.low.shape)
        else:
            noise = self.noise_std * jax.random.normal(k_draw, self.low.shape)
            drawn = jnp.clip(action + noise, self.low, self.high)
        executed = jnp.where(corrupted, drawn, action)
        return executed, {"action_corrupted": corrupted, "executed_action": executed}


@dataclasses.dataclass(frozen=True)
class RandomPush(Plain):
    """Type 2.1 ``push``: with probability ``p`` per step, unless one acts, a push of
    ``newtons`` in a uniform direction over ``axes`` acts on ``body`` for ``duration`` steps."""

    p: float
    newtons: float
    duration: int
    body: int
    axes: tuple[int, ...]

    def extra_init(self):
        return {"push_left": jnp.zeros((), jnp.int32), "push_force": jnp.zeros(3, jnp.float32)}

    def empty_info(self):
        return {"event": jnp.asarray(False), "push_force": jnp.zeros(3, jnp.float32)}

    def disturb(self, key, model, data, extra):
        k_coin, k_dir = jax.random.split(key)
        start = (extra["push_left"] == 0) & (jax.random.uniform(k_coin) < self.p)
        v = jax.random.normal(k_dir, (len(self.axes),))
        norm = jnp.sqrt(jnp.sum(v * v))
        unit = jnp.where(norm > 0, v / jnp.where(norm > 0, norm, 1.0), jnp.eye(len(v))[0])
        direction = jnp.zeros(3).at[np.array(self.axes)].set(unit)
        force = jnp.where(start, direction * self.newtons, extra["push_force"])
        left = jnp.where(start, self.duration, extra["push_left"])
        data = self._apply(data, jnp.where(left > 0, force, 0.0))
        return data, {"push_left": left, "push_force": force}, {"event": start}

    def settle(self, data, extra):
        left, force = extra["push_left"], extra["push_force"]
        acting = jnp.where(left > 0, force, 0.0)
        left = jnp.maximum(left - 1, 0)
        data = self._apply(data, jnp.where(left > 0, force, 0.0))
        return data, {"push_left": left, "push_force": force}, {"push_force": acting}

    def _apply(self, data: mjx.Data, force: jax.Array) -> mjx.Data:
        return data.replace(xfrc_applied=data.xfrc_applied.at[self.body, :3].set(force))


@dataclasses.dataclass(frozen=True)
class RandomPerturb(Plain):
    """Type 2.1 ``perturb``: with probability ``p`` per step, Gaussian noise is added to the
    joint positions (integrated as ``mj_integratePos`` does) and velocities."""

    p: float
    qpos_noise: float
    qvel_noise: float
    joints: tuple[tuple[int, int, int], ...]  # (type, qpos address, dof address) per joint
    nv: int
    #: Recompute body positions after a jolt (``mj_forward`` in the CPU env), for tasks whose
    #: reward reads them.
    refresh_kinematics: bool

    def empty_info(self):
        zeros = jnp.zeros(self.nv, jnp.float32)
        return {"event": jnp.asarray(False), "qpos_noise": zeros, "qvel_noise": zeros}

    def disturb(self, key, model, data, extra):
        k_coin, k_pos, k_vel = jax.random.split(key, 3)
        event = jax.random.uniform(k_coin) < self.p
        dq = jnp.where(event, self.qpos_noise * jax.random.normal(k_pos, (self.nv,)), 0.0)
        dv = jnp.where(event, self.qvel_noise * jax.random.normal(k_vel, (self.nv,)), 0.0)
        qpos = jnp.where(event, integrate_pos(self.joints, data.qpos, dq), data.qpos)
        jolted = data.replace(qpos=qpos, qvel=data.qvel + dv)
        if self.refresh_kinematics:
            moved = mjx.kinematics(model, jolted)
            jolted = jax.tree_util.tree_map(lambda a, b: jnp.where(event, a, b), moved, jolted)
        return jolted, extra, {"event": event, "qpos_noise": dq, "qvel_noise": dv}


def integrate_pos(
    joints: tuple[tuple[int, int, int], ...], qpos: jax.Array, dq: jax.Array
) -> jax.Array:
    """``qpos`` moved by the velocity ``dq`` over unit time, as ``mj_integratePos``."""
    for kind, qa, da in joints:
        if kind == mujoco.mjtJoint.mjJNT_FREE:
            qpos = qpos.at[qa : qa + 3].add(dq[da : da + 3])
            qpos = qpos.at[qa + 3 : qa + 7].set(
                quat_integrate(qpos[qa + 3 : qa + 7], dq[da + 3 : da + 6])
            )
        elif kind == mujoco.mjtJoint.mjJNT_BALL:
            qpos = qpos.at[qa : qa + 4].set(quat_integrate(qpos[qa : qa + 4], dq[da : da + 3]))
        else:
            qpos = qpos.at[qa].add(dq[da])
    return qpos


def quat_integrate(quat: jax.Array, omega: jax.Array) -> jax.Array:
    """``quat`` rotated by the local angular velocity ``omega`` over unit time, normalised."""
    angle = jnp.sqrt(jnp.sum(omega * omega))
    axis = omega / jnp.where(angle > 0, angle, 1.0)
    rot = jnp.concatenate([jnp.cos(angle / 2)[None], axis * jnp.sin(angle / 2)])
    quat = quat / jnp.linalg.norm(quat)
    w1, v1, w2, v2 = quat[0], quat[1:], rot[0], rot[1:]
    out = jnp.concatenate([(w1 * w2 - v1 @ v2)[None], w1 * v2 + w2 * v1 + jnp.cross(v1, v2)])
    return out / jnp.linalg.norm(out)


@dataclasses.dataclass(frozen=True)
class ConceptDrift(Plain):
    """Type 2.2: step ``t`` runs under concept 2 (the model leaves ``concept_2`` replacing
    those at ``indices``) from ``threshold`` on (``sudden``) or on odd multiples (cyclic)."""

    sudden: bool
    threshold: int
    scale: float
    values: tuple[float, float]  # drift_value of concepts 1 and 2
    indices: tuple[int, ...]  # leaves of the flattened mjx.Model that differ
    concept_2: tuple[Any, ...]  # their values in concept 2

    def concept_at(self, t: jax.Array) -> jax.Array:
        """The concept (1 or 2) that step ``t`` of an episode (0-based) runs under."""
        second = t >= self.threshold if self.sudden else (t // self.threshold) % 2 == 1
        return jnp.where(second, 2, 1).astype(jnp.int32)

    def _info(self, concept: jax.Array) -> Info:
        second = concept == 2
        return {
            "concept": concept,
            "drift_scale": jnp.where(second, self.scale, 1.0).astype(jnp.float32),
            "drift_value": jnp.where(second, self.values[1], self.values[0]).astype(jnp.float32),
        }

    def reset_info(self):
        return self._info(jnp.asarray(1, jnp.int32))

    def empty_info(self):
        return self.reset_info()

    def model_at(self, model, t):
        concept = self.concept_at(t)
        leaves, treedef = jax.tree_util.tree_flatten(model)
        for index, value in zip(self.indices, self.concept_2):
            leaves[index] = jnp.where(concept == 2, value, leaves[index])
        return jax.tree_util.tree_unflatten(treedef, leaves), self._info(concept)


@dataclasses.dataclass(frozen=True)
class PartialObservation(Plain):
    """Type 3.2: with probability ``p`` the velocity dims are zeroed (``velocity``), or each
    dim is zeroed with probability ``p`` (``drop``); ``dropped_mask`` says which."""

    p: float
    drop: bool
    velocity_mask: np.ndarray  # (obs_size,) bool

    def empty_info(self):
        return {"dropped_mask": jnp.zeros(self.velocity_mask.shape, bool)}

    def mask_obs(self, key, obs):
        if self.drop:
            mask = jax.random.uniform(key, obs.shape) < self.p
        else:
            mask = self.velocity_mask & (jax.random.uniform(key) < self.p)
        return jnp.where(mask, 0.0, obs), {"dropped_mask": mask}


def concept_leaves(model: mjx.Model, other: mjx.Model) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    """Indices and values (in ``other``) of the leaves of ``model`` that differ in ``other``."""
    leaves, treedef = jax.tree_util.tree_flatten(model)
    other_leaves, other_def = jax.tree_util.tree_flatten(other)
    if treedef != other_def:
        raise ValueError("concept drift: the two concepts' MJX models differ in structure")
    indices, values = [], []
    for i, (a, b) in enumerate(zip(leaves, other_leaves)):
        if not np.array_equal(np.asarray(a), np.asarray(b)):
            if not isinstance(a, jax.Array):
                raise ValueError(f"concept drift: MJX model leaf {i} is static and cannot drift")
            indices.append(i)
            values.append(b)
    return tuple(indices), tuple(values)
