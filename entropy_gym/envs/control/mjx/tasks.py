"""Observation, reward and termination of each Gymnasium v5 MuJoCo task, in JAX.

Each function mirrors the task's ``step`` / ``reset_model`` / ``_get_obs`` in
``gymnasium/envs/mujoco/<task>_v5.py`` line by line, for one env (the env vmaps them). Every
constant (weights, healthy ranges, noise scale, frame skip, initial state) is read from the
Gymnasium env the CPU class built, so the two can only differ in arithmetic precision.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np
from mujoco import mjx

#: Task keywords whose value the MJX task reads from the Gymnasium env (any value works);
#: every other keyword of a v5 env must keep its default.
SUPPORTED_TASK_KWARGS = (
    "frame_skip",
    "forward_reward_weight",
    "ctrl_cost_weight",
    "contact_cost_weight",
    "healthy_reward",
    "terminate_when_unhealthy",
    "healthy_state_range",
    "healthy_z_range",
    "healthy_angle_range",
    "contact_force_range",
    "reset_noise_scale",
)

Info = dict[str, jax.Array]


@dataclasses.dataclass(frozen=True)
class TaskDynamics:
    """What one task computes around the physics, for one env. Subclasses fill in the task."""

    frame_skip: int
    dt: float
    init_qpos: np.ndarray
    init_qvel: np.ndarray
    noise_scale: float
    obs_size: int
    #: Keys of the task's step info (all scalars), as in the v5 env's ``info``.
    info_keys: tuple[str, ...] = ()
    #: Whether the reward reads a body position of ``data`` (then a changed state needs
    #: ``mjx.kinematics`` before the step, as ``mj_forward`` gives the CPU env).
    reads_body_positions: bool = False
    #: Whether the observation or reward reads ``cfrc_ext`` (filled by
    #: ``mjx.rne_postconstraint`` after the physics, as the v5 env calls
    #: ``mj_rnePostConstraint``).
    reads_contact_forces: bool = False

    def reset_state(self, key: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Initial ``qpos``, ``qvel``: uniform noise of ``noise_scale`` on both."""
        kq, kv = jax.random.split(key)
        s = self.noise_scale
        qpos = self.init_qpos + jax.random.uniform(kq, self.init_qpos.shape, minval=-s, maxval=s)
        qvel = self.init_qvel + jax.random.uniform(kv, self.init_qvel.shape, minval=-s, maxval=s)
        return qpos, qvel

    def position(self, data: mjx.Data) -> jax.Array:
        """What the forward reward differentiates (``qpos[0]`` for the planar tasks)."""
        return data.qpos[0]

    def observe(self, data: mjx.Data) -> jax.Array:
        raise NotImplementedError

    def outcome(
        self, before: jax.Array, data: mjx.Data, action: jax.Array
    ) -> tuple[jax.Array, jax.Array, Info]:
        """Reward, terminated and info of a step from position ``before`` to ``data``."""
        raise NotImplementedError

    def reset_info(self, data: mjx.Data) -> Info:
        """The v5 env's ``_get_reset_info``."""
        return {}

    def empty_info(self) -> Info:
        return {k: jnp.zeros((), jnp.float32) for k in self.info_keys}


@dataclasses.dataclass(frozen=True)
class InvertedPendulumDynamics(TaskDynamics):
    def observe(self, data: mjx.Data) -> jax.Array:
        return jnp.concatenate([data.qpos, data.qvel])

    def outcome(self, before, data, action):
        obs = self.observe(data)
        terminated = ~jnp.all(jnp.isfinite(obs)) | (jnp.abs(obs[1]) > 0.2)
        reward = jnp.where(terminated, 0.0, 1.0).astype(jnp.float32)
        return reward, terminated, {"reward_survive": reward}


@dataclasses.dataclass(frozen=True)
class PlanarDynamics(TaskDynamics):
    """HalfCheetah, Hopper and Walker2d: forward velocity of ``qpos[0]`` minus control cost,
    plus (Hopper, Walker2d) a healthy reward and termination."""

    forward_weight: float = 1.0
    ctrl_weight: float = 0.0
    healthy_reward: float = 0.0
    terminate_when_unhealthy: bool = False
    #: Hopper/Walker2d clip the observed velocities to [-10, 10].
    clip_velocity: bool = False
    #: ``(low, high)`` open intervals, or ``None`` when the task has no such check.
    healthy_state_range: tuple[float, float] | None = None
    healthy_z_range: tuple[float, float] | None = None
    healthy_angle_range: tuple[float, float] | None = None
    #: HalfCheetah draws the initial velocity from a normal, the others from a uniform.
    normal_qvel_noise: bool = False

    def reset_state(self, key):
        if not self.normal_qvel_noise:
            return super().reset_state(key)
        kq, kv = jax.random.split(key)
        s = self.noise_scale
        qpos = self.init_qpos + jax.random.uniform(kq, self.init_qpos.shape, minval=-s, maxval=s)
        qvel = self.init_qvel + s * jax.random.normal(kv, self.init_qvel.shape)
        return qpos, qvel

    def observe(self, data):
        velocity = jnp.clip(data.qvel, -10, 10) if self.clip_velocity else data.qvel
        return jnp.concatenate([data.qpos[1:], velocity])

    def is_healthy(self, data: mjx.Data) -> jax.Array:
        healthy = jnp.asarray(True)
        if self.healthy_state_range is not None:
            state = jnp.concatenate([data.qpos, data.qvel])[2:]
            low, high = self.healthy_state_range
            healthy &= jnp.all((low < state) & (state < high))
        for value, bounds in (
            (data.qpos[1], self.healthy_z_range),
            (data.qpos[2], self.healthy_angle_range),
        ):
            if bounds is not None:
                healthy &= (bounds[0] < value) & (value < bounds[1])
        return healthy

    def outcome(self, before, data, action):
        x_after = data.qpos[0]
        x_velocity = (x_after - before) / self.dt
        forward = self.forward_weight * x_velocity
        ctrl_cost = self.ctrl_weight * jnp.sum(jnp.square(action))
        info = {"x_position": x_after}
        if self.healthy_z_range is None:  # HalfCheetah
            terminated = jnp.asarray(False)
            reward = forward - ctrl_cost
            info.update(x_velocity=x_velocity, reward_forward=forward, reward_ctrl=-ctrl_cost)
        else:
            healthy = self.is_healthy(data)
            survive = healthy * self.healthy_reward
            reward = forward + survive - ctrl_cost
            terminated = ~healthy & self.terminate_when_unhealthy
            info.update(
                z_distance_from_origin=data.qpos[1] - self.init_qpos[1],
                x_velocity=x_velocity,
                reward_forward=forward,
                reward_ctrl=-ctrl_cost,
                reward_survive=survive,
            )
        return reward.astype(jnp.float32), terminated, _f32(info)

    def reset_info(self, data):
        info = {"x_position": data.qpos[0]}
        if self.healthy_z_range is not None:
            info["z_distance_from_origin"] = data.qpos[1] - self.init_qpos[1]
        return _f32(info)


@dataclasses.dataclass(frozen=True)
class AntDynamics(TaskDynamics):
    """Ant: forward velocity of the main body's ``xpos``, healthy reward, control and contact
    cost; the observation ends with the clipped external contact forces ``cfrc_ext[1:]``."""

    main_body: int = 1
    forward_weight: float = 1.0
    ctrl_weight: float = 0.5
    contact_weight: float = 5e-4
    healthy_reward: float = 1.0
    terminate_when_unhealthy: bool = True
    healthy_z_range: tuple[float, float] = (0.2, 1.0)
    contact_force_range: tuple[float, float] = (-1.0, 1.0)

    def reset_state(self, key):
        kq, kv = jax.random.split(key)
        s = self.noise_scale
        qpos = self.init_qpos + jax.random.uniform(kq, self.init_qpos.shape, minval=-s, maxval=s)
        qvel = self.init_qvel + s * jax.random.normal(kv, self.init_qvel.shape)
        return qpos, qvel

    def position(self, data):
        return data.xpos[self.main_body, :2]

    def contact_forces(self, data: mjx.Data) -> jax.Array:
        return jnp.clip(data.cfrc_ext, *self.contact_force_range)

    def observe(self, data):
        forces = self.contact_forces(data)[1:].reshape(-1)
        return jnp.concatenate([data.qpos[2:], data.qvel, forces])

    def outcome(self, before, data, action):
        xy_velocity = (self.position(data) - before) / self.dt
        state = jnp.concatenate([data.qpos, data.qvel])
        low, high = self.healthy_z_range
        healthy = jnp.all(jnp.isfinite(state)) & (low <= state[2]) & (state[2] <= high)
        forward = xy_velocity[0] * self.forward_weight
        survive = healthy * self.healthy_reward
        ctrl_cost = self.ctrl_weight * jnp.sum(jnp.square(action))
        contact_cost = self.contact_weight * jnp.sum(jnp.square(self.contact_forces(data)))
        reward = forward + survive - ctrl_cost - contact_cost
        terminated = ~healthy & self.terminate_when_unhealthy
        info = {
            "x_position": data.qpos[0],
            "y_position": data.qpos[1],
            "distance_from_origin": jnp.linalg.norm(data.qpos[0:2]),
            "x_velocity": xy_velocity[0],
            "y_velocity": xy_velocity[1],
            "reward_forward": forward,
            "reward_ctrl": -ctrl_cost,
            "reward_contact": -contact_cost,
            "reward_survive": survive,
        }
        return reward.astype(jnp.float32), terminated, _f32(info)

    def reset_info(self, data):
        return _f32(
            {
                "x_position": data.qpos[0],
                "y_position": data.qpos[1],
                "distance_from_origin": jnp.linalg.norm(data.qpos[0:2]),
            }
        )


def _f32(info: dict[str, Any]) -> Info:
    return {k: jnp.asarray(v, jnp.float32) for k, v in info.items()}


def check_task_kwargs(label: str, task_env: gym.Env, task_kwargs: dict[str, Any]) -> None:
    """A one-line ``ValueError`` for a task keyword the MJX task does not read, unless it keeps
    its default (the CPU env has already refused unknown ones)."""
    defaults = {
        n: p.default for n, p in inspect.signature(type(task_env.unwrapped)).parameters.items()
    }
    for name, value in task_kwargs.items():
        if name in SUPPORTED_TASK_KWARGS or (name in defaults and _equal(value, defaults[name])):
            continue
        raise ValueError(
            f"{label}: {name}={value!r} is not supported by the MJX backend; expected the "
            f"default {defaults.get(name)!r}, a keyword of {SUPPORTED_TASK_KWARGS}, or "
            "vectorization_mode='sync'"
        )


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b)))
    except (TypeError, ValueError):
        return a == b


def task_dynamics(name: str, task_env: gym.Env) -> TaskDynamics:
    """The :class:`TaskDynamics` of ``name``, with the constants of the built ``task_env``."""
    env: Any = task_env.unwrapped
    common: dict[str, Any] = dict(
        frame_skip=int(env.frame_skip),
        dt=float(env.dt),
        init_qpos=np.asarray(env.init_qpos, np.float32),
        init_qvel=np.asarray(env.init_qvel, np.float32),
        noise_scale=float(env._reset_noise_scale),
        obs_size=int(env.observation_space.shape[0]),
    )
    if name == "InvertedPendulum":
        return InvertedPendulumDynamics(**common, info_keys=("reward_survive",))
    if name == "HalfCheetah":
        return PlanarDynamics(
            **common,
            info_keys=("x_position", "x_velocity", "reward_forward", "reward_ctrl"),
            forward_weight=float(env._forward_reward_weight),
            ctrl_weight=float(env._ctrl_cost_weight),
            normal_qvel_noise=True,
        )
    if name in ("Hopper", "Walker2d"):
        return PlanarDynamics(
            **common,
            info_keys=(
                "x_position",
                "z_distance_from_origin",
                "x_velocity",
                "reward_forward",
                "reward_ctrl",
                "reward_survive",
            ),
            forward_weight=float(env._forward_reward_weight),
            ctrl_weight=float(env._ctrl_cost_weight),
            healthy_reward=float(env._healthy_reward),
            terminate_when_unhealthy=bool(env._terminate_when_unhealthy),
            clip_velocity=True,
            healthy_state_range=_range(getattr(env, "_healthy_state_range", None)),
            healthy_z_range=_range(env._healthy_z_range),
            healthy_angle_range=_range(env._healthy_angle_range),
        )
    if name == "Ant":
        body = env._main_body
        main_body = body if isinstance(body, int) else env.model.body(body).id
        return AntDynamics(
            **common,
            info_keys=(
                "x_position",
                "y_position",
                "distance_from_origin",
                "x_velocity",
                "y_velocity",
                "reward_forward",
                "reward_ctrl",
                "reward_contact",
                "reward_survive",
            ),
            reads_body_positions=True,
            reads_contact_forces=True,
            main_body=int(main_body),
            forward_weight=float(env._forward_reward_weight),
            ctrl_weight=float(env._ctrl_cost_weight),
            contact_weight=float(env._contact_cost_weight),
            healthy_reward=float(env._healthy_reward),
            terminate_when_unhealthy=bool(env._terminate_when_unhealthy),
            healthy_z_range=_range(env._healthy_z_range),
            contact_force_range=_range(env._contact_force_range),
        )
    raise ValueError(f"control task {name!r} has no MJX dynamics")


def _range(value: Any) -> Any:
    return None if value is None else (float(value[0]), float(value[1]))
