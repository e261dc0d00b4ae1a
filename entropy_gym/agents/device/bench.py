"""Training throughput of the device agents and their host-side counterparts.

:func:`training_steps_per_second` trains one agent for a fixed number of env steps on an env
id and reports env steps per second, with and without the first call's compile time::

    from entropy_gym.agents.device.bench import training_steps_per_second
    training_steps_per_second("jax_sac", "Control/InvertedPendulum-T3.1-v0", 64, 65_536)

Agents: ``jax_ppo`` / ``jax_sac`` (this package; the "warm" run is a second ``train`` call
of the same agent, whose program is compiled already), ``ppo`` / ``sac`` (this repo's SB3
agents on ``n_envs`` Gymnasium envs, torch on one thread) and ``sbx_ppo`` / ``sbx_sac``
(sbx, SB3 in JAX, on a ``DummyVecEnv``; warm is a second ``learn``). All use the same
per-step work where the algorithms share a knob: PPO rollouts of 64 steps per env, 4
minibatches, 10 epochs; SAC one gradient step of 256 samples per vector step, 256x256
networks, learning from 100 steps.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import gymnasium as gym

from entropy_gym.agents.base import TaskSpec
from entropy_gym.core.budget import Budget

AGENTS = ("jax_ppo", "jax_sac", "ppo", "sac", "sbx_ppo", "sbx_sac")

#: Shared settings: rollout length per env (PPO), minibatches, epochs (PPO), SAC's start.
PPO_STEPS, PPO_MINIBATCHES, PPO_EPOCHS, SAC_STARTS = 64, 4, 10, 100


def training_steps_per_second(
    agent: str,
    env_id: str,
    num_envs: int,
    env_steps: int,
    device: str | None = None,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Train ``agent`` for ``env_steps`` env steps (across ``num_envs`` envs) on ``env_id``.

    Returns ``steps`` (env steps trained: rounded down to whole updates), ``seconds`` and
    ``steps_per_second`` of the first run (set-up, compilation and training), and
    ``warm_seconds`` / ``warm_steps_per_second`` of a second run of the same size without
    compilation (``None`` for the SB3 agents, which compile nothing), plus the device.
    ``device`` defaults to the GPU where jax (or torch, for ``ppo`` / ``sac``) has one.
    """
    import entropy_gym  # noqa: F401  (registers the env ids)

    if agent not in AGENTS:
        raise ValueError(f"agent {agent!r} is unknown; expected one of: {', '.join(AGENTS)}")
    extra = dict(options or {})
    if agent.startswith("jax_"):
        return _device_agent(agent, env_id, num_envs, env_steps, device, seed, extra)
    if agent.startswith("sbx_"):
        return _sbx(agent, env_id, num_envs, env_steps, seed, extra)
    return _sb3(agent, env_id, num_envs, env_steps, device, seed, extra)


def _result(agent: str, env_id: str, num_envs: int, device: str, **timing: Any) -> dict[str, Any]:
    steps, seconds, warm = timing["steps"], timing["seconds"], timing.get("warm_seconds")
    return {
        "agent": agent,
        "env_id": env_id,
        "num_envs": num_envs,
        "device": device,
        "steps": steps,
        "seconds": seconds,
        "steps_per_second": steps / seconds,
        "warm_seconds": warm,
        "warm_steps_per_second": steps / warm if warm else None,
    }


def _task(env_id: str, num_envs: int) -> TaskSpec:
    probe = gym.make(env_id)
    task = TaskSpec(env_id, probe.observation_space, probe.action_space, num_envs=num_envs)
    probe.close()
    return task


def _device_agent(
    agent: str,
    env_id: str,
    num_envs: int,
    env_steps: int,
    device: str | None,
    seed: int,
    options: dict[str, Any],
) -> dict[str, Any]:
    import jax

    from entropy_gym.agents.registry import make_agent

    if device is None:
        device = "cuda" if any(d.platform == "gpu" for d in jax.devices()) else "cpu"
    if agent == "jax_ppo":
        defaults = {"n_steps": PPO_STEPS, "n_minibatches": PPO_MINIBATCHES, "n_epochs": PPO_EPOCHS}
    else:
        defaults = {"learning_starts": SAC_STARTS}
    learner: Any = make_agent(agent, num_envs=num_envs, **{**defaults, **options})
    task = _task(env_id, num_envs)
    start = time.perf_counter()
    learner.setup(task, seed=seed, device=device)
    learner.train(None, Budget(env_steps=env_steps))
    seconds = time.perf_counter() - start
    steps = int(learner.telemetry()[-1]["step"])
    start = time.perf_counter()
    learner.train(None, Budget(env_steps=env_steps))
    jax.block_until_ready(learner.model.params)
    warm = time.perf_counter() - start
    return _result(agent, env_id, num_envs, device, steps=steps, seconds=seconds, warm_seconds=warm)


def _sb3(
    agent: str,
    env_id: str,
    num_envs: int,
    env_steps: int,
    device: str | None,
    seed: int,
    options: dict[str, Any],
) -> dict[str, Any]:
    import torch

    from entropy_gym.agents.registry import make_agent

    torch.set_num_threads(1)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if agent == "ppo":
        defaults = {
            "n_steps": PPO_STEPS,
            "batch_size": PPO_STEPS * num_envs // PPO_MINIBATCHES,
            "n_epochs": PPO_EPOCHS,
        }
    else:
        defaults = {"learning_starts": SAC_STARTS}
    learner: Any = make_agent(agent, n_envs=num_envs, **{**defaults, **options})
    start = time.perf_counter()
    learner.setup(_task(env_id, num_envs), seed=seed, device=device)
    learner.train(lambda s: gym.make(env_id), Budget(env_steps=env_steps))
    seconds = time.perf_counter() - start
    steps = int(learner.model.num_timesteps)
    return _result(agent, env_id, num_envs, device, steps=steps, seconds=seconds)


def _sbx(
    agent: str, env_id: str, num_envs: int, env_steps: int, seed: int, options: dict[str, Any]
) -> dict[str, Any]:
    import jax
    import sbx
    from stable_baselines3.common.logger import Logger
    from stable_baselines3.common.vec_env import DummyVecEnv

    if agent == "sbx_ppo":
        algo: Any = sbx.PPO
        defaults: dict[str, Any] = {
            "n_steps": PPO_STEPS,
            "batch_size": PPO_STEPS * num_envs // PPO_MINIBATCHES,
            "n_epochs": PPO_EPOCHS,
        }
    else:
        algo, defaults = sbx.SAC, {"learning_starts": SAC_STARTS}
    env = DummyVecEnv([lambda: gym.make(env_id)] * num_envs)
    start = time.perf_counter()
    model = algo("MlpPolicy", env, seed=seed, verbose=0, **{**defaults, **options})
    model.set_logger(Logger(folder=None, output_formats=[]))
    model.learn(env_steps)
    seconds = time.perf_counter() - start
    steps = int(model.num_timesteps)
    start = time.perf_counter()
    model.learn(env_steps, reset_num_timesteps=True)
    warm = time.perf_counter() - start
    env.close()
    device = jax.devices()[0].platform
    return _result(agent, env_id, num_envs, device, steps=steps, seconds=seconds, warm_seconds=warm)
