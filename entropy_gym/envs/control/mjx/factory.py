"""``make_mjx_env``: the MJX env of a ``Control/`` id, built from the CPU env of the same id.

The CPU env class is instantiated once with the same keywords: it checks every parameter with
the messages of ``gym.make``, resolves the defaults, and compiles the ``MjModel`` that is put
on the device. Only its constants are kept.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from gymnasium.envs.registration import load_env_creator
from mujoco import mjx

from entropy_gym.envs.control.base import ControlEnv
from entropy_gym.envs.control.mjx.env import MjxControlEnv
from entropy_gym.envs.control.mjx.tasks import check_task_kwargs, task_dynamics
from entropy_gym.envs.control.mjx.types import (
    ActionCorruption,
    ConceptDrift,
    PartialObservation,
    Plain,
    RandomPerturb,
    RandomPush,
    concept_leaves,
)
from entropy_gym.envs.control.tasks import MJX_TASKS

#: ``backend=`` values: ``"mjx"`` (MJX's JAX implementation) or ``"warp"`` (MuJoCo Warp).
BACKENDS = ("mjx", "warp")


def make_mjx_env(
    env_id: str,
    num_envs: int,
    *,
    backend: str = "mjx",
    device: jax.Device | None = None,
    **kwargs: Any,
) -> MjxControlEnv:
    """``num_envs`` envs of ``env_id`` (``Control/<Task>-T<type>-v0``) on MJX.

    ``kwargs`` are those ``gym.make(env_id, ...)`` accepts (the type's parameters, over the
    registered defaults); ``max_episode_steps`` overrides the time limit.
    """
    import entropy_gym.envs.control  # noqa: F401  (registers the ids)
    from entropy_gym.registration import env_card

    card = env_card(env_id)
    if card.family != "control":
        raise ValueError(
            f"env id {env_id!r} is not a Control/ id; expected Control/<Task>-T<type>-v0"
        )
    task = str(card.game)
    if task not in MJX_TASKS:
        raise ValueError(
            f"{card.id}: MJX cannot run {task}-v5, whose model uses the PGS solver that MJX "
            f"lacks; expected a task of {MJX_TASKS}, or vectorization_mode='sync'"
        )
    if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(
            f"{card.id}: num_envs={num_envs!r} is not allowed; expected an integer >= 1"
        )
    impl = _impl(card.id, backend)
    kwargs = {**card.kwargs, **kwargs}
    max_steps = kwargs.pop("max_episode_steps", None) or card.max_episode_steps or 1000
    if kwargs.get("render_mode") is not None:
        raise ValueError(
            f"{card.id}: render_mode={kwargs['render_mode']!r} is not supported by the MJX backend; expected None"
        )
    kwargs.pop("render_mode", None)

    cpu: Any = load_env_creator(card.entry_point)(**kwargs)
    try:
        check_task_kwargs(cpu.label, cpu.task_env, cpu.task_kwargs)
        dynamics = task_dynamics(task, cpu.task_env)
        model = mjx.put_model(cpu.model, device=device, impl=impl)
        data = mjx.make_data(cpu.model, device=device, impl=impl)
        stochasticity = _stochasticity(cpu, model, device, impl, dynamics.reads_body_positions)
        space = cpu.action_space
        return MjxControlEnv(
            env_id=card.id,
            num_envs=int(num_envs),
            model=model,
            data=data,
            task=dynamics,
            stochasticity=stochasticity,
            max_episode_steps=int(max_steps),
            action_low=space.low,
            action_high=space.high,
            task_info={**cpu.task_info(), "backend": backend},
        )
    finally:
        cpu.close()


def _impl(label: str, backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"{label}: backend={backend!r} is not allowed; expected one of {BACKENDS}")
    if backend == "warp":
        try:
            import mujoco_warp  # noqa: F401
            import warp
        except ImportError:
            raise ImportError(
                f"{label}: backend='warp' needs mujoco_warp, which is not installed "
                "(pip install 'entropy-gym[warp]'); expected backend='mjx'"
            ) from None
        # MuJoCo Warp targets NVIDIA GPUs; on Warp's CPU device MJX's batched (vmapped) warp
        # step fails inside JAX, so it is refused here rather than there.
        if not warp.is_cuda_available():
            raise ValueError(
                f"{label}: backend='warp' runs on an NVIDIA GPU and Warp sees none; expected "
                "backend='mjx' on this machine"
            )
    return "warp" if backend == "warp" else "jax"


def _stochasticity(
    cpu: ControlEnv, model: mjx.Model, device: Any, impl: str, refresh_kinematics: bool
) -> Plain:
    """The type of the CPU env ``cpu``, with its resolved parameters."""
    env: Any = cpu
    kind = cpu.stochasticity_type
    if kind == "1":
        space = cpu.action_space
        span = (space.high - space.low).astype(np.float32)
        return ActionCorruption(
            p=env.p,
            replace=env.mode == "random",
            low=space.low.astype(np.float32),
            high=space.high.astype(np.float32),
            noise_std=(env.scale * span / 2).astype(np.float32),
        )
    if kind == "2.1" and env.mode == "push":
        return RandomPush(
            p=env.p,
            newtons=float(env._newtons),
            duration=int(env.duration),
            body=int(env._body_id),
            axes=tuple(int(a) for a in env._axes),
        )
    if kind == "2.1":
        m = cpu.model
        joints = tuple(
            (int(m.jnt_type[j]), int(m.jnt_qposadr[j]), int(m.jnt_dofadr[j])) for j in range(m.njnt)
        )
        return RandomPerturb(
            p=env.p,
            qpos_noise=env.qpos_noise,
            qvel_noise=env.qvel_noise,
            joints=joints,
            nv=int(m.nv),
            refresh_kinematics=refresh_kinematics,
        )
    if kind == "2.2":
        from entropy_gym.envs.control.concept_drift import _scaled, _summary

        other = _scaled(cpu.model, env.param, env.scale)
        indices, values = concept_leaves(model, mjx.put_model(other, device=device, impl=impl))
        return ConceptDrift(
            sudden=env.mode == "sudden",
            threshold=int(env.threshold),
            scale=float(env.scale),
            values=(_summary(cpu.model, env.param), _summary(other, env.param)),
            indices=indices,
            concept_2=values,
        )
    if kind == "3.2":
        n_obs = cpu.observation_space.shape[0]
        mask = np.zeros(n_obs, bool)
        mask[list(cpu.velocity_dims())] = True
        return PartialObservation(p=env.p, drop=env.mode == "drop", velocity_mask=mask)
    return Plain()


__all__ = ["BACKENDS", "MJX_TASKS", "make_mjx_env"]
