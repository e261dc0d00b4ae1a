"""Tool-task env speed: tool calls per second per family, world generation, and a baseline.

Run: ``pytest tests/benchmarks/test_tooltask_speed.py --benchmark-only -m ""``.

Each round steps ``CALLS`` calls drawn uniformly from ``info["admissible_actions"]`` (a final
call is swapped for the first listed call, so episodes run to the turn limit as a long
conversation does), resetting when an episode is truncated. It measures the env alone (parsing, the world, the conversation, the
admissible list, info), on one core. The baseline is Gymnasium's CartPole-v1 step in the same
run, so ``cartpole_steps_per_call`` compares machines. No timing is asserted.
"""

from __future__ import annotations

import random

import gymnasium as gym
import pytest

from entropy_gym.envs.text.tools.catalog import FAMILIES
from entropy_gym.envs.text.tools.env import ToolTaskEnv

CALLS = 5000
_CARTPOLE: dict[str, float] = {}


def _run_calls(env: ToolTaskEnv, calls: int, seed: int) -> int:
    pick = random.Random(seed).random
    final = f'"tool": "{env.family.final_tool}"'
    env.reset(seed=seed)
    admissible = env.admissible_actions
    for _ in range(calls):
        call = admissible[int(pick() * len(admissible))]
        if final in call:  # keep the episode going: the first listed call is never final
            call = admissible[0]
        _, _, terminated, truncated, info = env.step(call)
        admissible = info["admissible_actions"]
        if terminated or truncated:
            env.reset()
            admissible = env.admissible_actions
    return calls


def test_cartpole_step_baseline(benchmark):
    env = gym.make("CartPole-v1").unwrapped
    env.reset(seed=0)
    rng = random.Random(0).random

    def run():
        for _ in range(CALLS):
            _, _, terminated, _, _ = env.step(int(rng() * 2))
            if terminated:
                env.reset()

    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    _CARTPOLE["s_per_step"] = benchmark.stats.stats.mean / CALLS
    benchmark.extra_info["steps_per_s"] = round(1 / _CARTPOLE["s_per_step"])


@pytest.mark.parametrize("difficulty", ["medium", "hard"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_tool_calls_per_second(benchmark, family, difficulty):
    env = ToolTaskEnv(family, difficulty)
    seeds = iter(range(1000))
    benchmark.pedantic(
        lambda: _run_calls(env, CALLS, next(seeds)), rounds=5, iterations=1, warmup_rounds=1
    )
    per_call = benchmark.stats.stats.mean / CALLS
    benchmark.extra_info["calls_per_s"] = round(1 / per_call)
    if "s_per_step" in _CARTPOLE:
        benchmark.extra_info["cartpole_steps_per_call"] = round(
            per_call / _CARTPOLE["s_per_step"], 1
        )
    assert env.episode_metrics()["invalid_rate"] == 0.0


@pytest.mark.parametrize("family", list(FAMILIES))
def test_episode_generation(benchmark, family):
    """``reset()``: generating a hard world and its opening conversation."""
    env = ToolTaskEnv(family, "hard")
    env.reset(seed=0)
    benchmark.pedantic(
        lambda: [env.reset() for _ in range(100)], rounds=5, iterations=1, warmup_rounds=1
    )
    benchmark.extra_info["resets_per_s"] = round(100 / benchmark.stats.stats.mean)
