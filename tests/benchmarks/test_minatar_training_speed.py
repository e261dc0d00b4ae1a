"""Training throughput on STORI/MinAtar-Breakout-T3.1-v0, env steps per second in one run:
minatar_ppo (rollout and update jitted; the first train call includes compilation, reported
separately, then a second, warm call of the same program) against this repo's SB3 PPO on the
same id through Gymnasium (``gym.make``, ``DummyVecEnv``, MlpPolicy, torch on the CPU), at the
same rollout shape (16 envs x 128 steps, 4 epochs, 4 minibatches) and network (64-64 MLP).
Compilation is the first call's time minus the warm call's (jax's on-disk cache off).

    pytest tests/benchmarks/test_minatar_training_speed.py --benchmark-only -m '' -s -p no:xdist
"""

from __future__ import annotations

import os
import time

import gymnasium as gym
import pytest

# Compilation is measured, so jax's on-disk cache (which the MinAtar envs turn on) stays off.
os.environ.setdefault("ENTROPY_GYM_JAX_CACHE", "off")

pytest.importorskip("gymnax")

from entropy_gym.agents import Budget, TaskSpec, make_agent
from entropy_gym.runner.rollout import _train_env_factory

ENV_ID = "STORI/MinAtar-Breakout-T3.1-v0"
STEPS = 16 * 128 * 8  # 8 updates
JAX = {"num_envs": 16, "n_steps": 128, "n_epochs": 4, "n_minibatches": 4, "hidden": [64, 64]}
SB3 = {
    "n_envs": 16,
    "n_steps": 128,
    "n_epochs": 4,
    "batch_size": 512,
    "policy": "MlpPolicy",
    "policy_kwargs": {"net_arch": [64, 64]},
}
RESULTS: dict[str, float] = {}


def _task() -> TaskSpec:
    env = gym.make(ENV_ID)
    return TaskSpec(ENV_ID, env.observation_space, env.action_space)


@pytest.mark.parametrize("agent", ["minatar_ppo", "ppo"])
def test_training_steps_per_second(benchmark, agent):
    config = {"name": agent, **(JAX if agent == "minatar_ppo" else SB3)}
    result: dict[str, float] = {}

    def run() -> None:
        a = make_agent(config)
        a.setup(_task(), 0, "cpu")
        started = time.perf_counter()
        a.train(_train_env_factory_for(), Budget(env_steps=STEPS))
        first = time.perf_counter() - started
        result["first_call_s"] = first
        if agent == "minatar_ppo":
            b = make_agent(config)
            b.setup(_task(), 1, "cpu")
            started = time.perf_counter()
            b.train(None, Budget(env_steps=STEPS))
            warm = time.perf_counter() - started
            result["warm_steps_per_second"] = STEPS / warm
            result["compile_s"] = max(0.0, first - warm)
        else:
            result["warm_steps_per_second"] = STEPS / first
            result["compile_s"] = 0.0

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    RESULTS[agent] = result["warm_steps_per_second"]
    print(
        f"\n{agent}: {STEPS} env steps: {result['warm_steps_per_second']:.0f} steps/s trained, "
        f"compilation {result['compile_s']:.1f} s"
    )
    if len(RESULTS) == 2:
        print(f"minatar_ppo / SB3 ppo: x{RESULTS['minatar_ppo'] / RESULTS['ppo']:.1f}")
    assert result["warm_steps_per_second"] > 0


def _train_env_factory_for():
    from entropy_gym.runner.cells import Cell

    return _train_env_factory(
        Cell(
            suite="bench",
            agent_label="x",
            agent_config={},
            env_name=ENV_ID,
            env_id=ENV_ID,
            env_kwargs={},
            seed=0,
        )
    )
