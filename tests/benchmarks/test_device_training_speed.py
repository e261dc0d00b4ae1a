"""Training throughput on Control/InvertedPendulum-T3.1-v0, env steps per second at the same
budget: the device agents jax_sac / jax_ppo (first call with compilation, and warm: a second
train call of the same agent), this repo's SB3 agents sac / ppo (torch on one thread) and
sbx's SAC / PPO (SB3 in JAX on host-side Gymnasium envs; skipped when sbx-rl is absent).

    pytest tests/benchmarks/test_device_training_speed.py --benchmark-only -m '' -s

``ENTROPY_GYM_BENCH_DEVICE`` (default: the GPU where jax / torch has one, else cpu) picks the
device; the settings shared by all agents are in :mod:`entropy_gym.agents.device.bench`.
"""

from __future__ import annotations

import os

import pytest

from entropy_gym.agents.device.bench import training_steps_per_second

ENV_ID = "Control/InvertedPendulum-T3.1-v0"
NUM_ENVS = 16
ENV_STEPS = 16_384  # a whole number of updates of every agent (1024 env steps each)
AGENTS = ("jax_sac", "jax_ppo", "sac", "ppo", "sbx_sac", "sbx_ppo")


@pytest.mark.parametrize("agent", AGENTS)
def test_training_steps_per_second(benchmark, agent):
    if agent.startswith("jax_"):
        pytest.importorskip("jax")
        pytest.importorskip("entropy_gym.envs.control.mjx", reason="no MJX backend yet")
    if agent.startswith("sbx_"):
        pytest.importorskip("sbx", reason="sbx-rl is not installed")
    if agent in ("sac", "ppo"):
        pytest.importorskip("stable_baselines3")
    device = os.environ.get("ENTROPY_GYM_BENCH_DEVICE") or None
    result: dict = {}

    def run() -> None:
        result.update(training_steps_per_second(agent, ENV_ID, NUM_ENVS, ENV_STEPS, device))

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    warm = result["warm_steps_per_second"]
    print(
        f"\n{agent}: {result['steps']} env steps on {result['device']}: "
        f"{result['steps_per_second']:.0f} steps/s with set-up and compilation "
        f"({result['seconds']:.1f} s)" + (f", {warm:.0f} steps/s warm" if warm else "")
    )
    assert result["steps"] == ENV_STEPS
