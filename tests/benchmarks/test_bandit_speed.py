"""Speed of the text-bandit stack, as ratios against a baseline measured in the same run.

Run: ``pytest tests/benchmarks/test_bandit_speed.py --benchmark-only -m "" -s``

- numpy vector bandit: arm pulls per second of ``BanditBatch`` (8192 bandits per step), against
  the same core stepping one bandit per call (target: at least 1M pulls/s on one core);
- LLM agent, incremental KV cache against full re-encoding, over one raw-history episode
  (target: at least 3x decisions per second);
- LLM agent, one batched forward for many envs against one call per env (on CUDA when torch
  sees a GPU, else on CPU, where batching is not expected to help: the forward is compute-bound).
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest
import torch

import entropy_gym  # noqa: F401
from entropy_gym.agents import make_agent
from entropy_gym.agents.llm.model import INSTALL_HINT, default_model_available
from entropy_gym.envs.text.bandits.core import BanditBatch
from entropy_gym.envs.text.bandits.spec import BanditSpec
from entropy_gym.runner.evaluation import make_task

HARD = "entropy_gym:TextBandit/Bernoulli-K5-hard-v0"
needs_llm = pytest.mark.skipif(
    not default_model_available(), reason=f"the default LLM is not installed: `{INSTALL_HINT}`"
)


def _pulls_per_second(num_envs: int, steps: int) -> float:
    core = BanditBatch(BanditSpec(gap=0.2, horizon=10**9), num_envs)
    core.seed(0)
    core.reset()
    arms = np.random.default_rng(0).integers(5, size=num_envs)
    core.step(arms)
    start = time.perf_counter()
    for _ in range(steps):
        core.step(arms)
    return num_envs * steps / (time.perf_counter() - start)


def test_numpy_vector_bandit_pulls_per_second(benchmark):
    torch.set_num_threads(1)
    num_envs = 8192
    core = BanditBatch(BanditSpec(gap=0.2, horizon=10**9), num_envs)
    core.seed(0)
    core.reset()
    arms = np.random.default_rng(0).integers(5, size=num_envs)
    benchmark(core.step, arms)
    batched = num_envs / benchmark.stats.stats.mean
    single = _pulls_per_second(1, 2000)
    benchmark.extra_info.update(
        pulls_per_s=batched, single_pulls_per_s=single, speedup=batched / single
    )
    print(
        f"\nnumpy vector bandit: {batched / 1e6:.2f}M pulls/s with {num_envs} bandits per "
        f"step; {single / 1e3:.1f}k pulls/s one bandit per step ({batched / single:.0f}x)"
    )
    assert batched > 100 * single
    assert batched >= 1e6  # the target: a million arm pulls per second on one core


def _episode_prompts(horizon: int, seed: int = 0) -> list[str]:
    """The prompts of one raw-history episode under uniformly random actions."""
    env = gym.make(HARD, horizon=horizon)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    prompts = []
    for _ in range(horizon):
        prompts.append(obs)
        obs, *_ = env.step(int(rng.integers(5)))
    return prompts


def _llm_agent(num_envs: int, device: str, **config):
    agent = make_agent({"name": "llm_bandit", **config})
    agent.setup(make_task(HARD, {}, num_envs), 0, device)
    return agent


@needs_llm
def test_llm_incremental_cache_against_full_reencoding(benchmark):
    horizon = 40
    prompts = _episode_prompts(horizon)
    full = _llm_agent(1, "cpu", cache=False)
    cached = _llm_agent(1, "cpu", cache=True)
    full.act([prompts[0]])  # warm-up

    def run(agent):
        for prompt in prompts:
            agent.act([prompt])

    start = time.perf_counter()
    run(full)
    full_rate = horizon / (time.perf_counter() - start)
    benchmark.pedantic(run, args=(cached,), rounds=1, iterations=1)
    cached_rate = horizon / benchmark.stats.stats.mean
    ratio = cached_rate / full_rate
    benchmark.extra_info.update(
        cached_decisions_per_s=cached_rate, full_decisions_per_s=full_rate, speedup=ratio
    )
    print(
        f"\nLLM decisions/s over a {horizon}-step raw-history episode (CPU): "
        f"cached {cached_rate:.2f}, full re-encode {full_rate:.2f}, speedup {ratio:.1f}x"
    )
    assert ratio >= 3.0


@needs_llm
def test_llm_batched_against_one_at_a_time(benchmark):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    batch = 32 if device == "cuda" else 8
    prompts = [_episode_prompts(12, seed=s)[-1] for s in range(batch)]
    batched = _llm_agent(batch, device, cache=False)
    single = _llm_agent(1, device, cache=False)
    batched.act(prompts)  # warm-up

    start = time.perf_counter()
    for prompt in prompts:
        single.act([prompt])
    single_rate = batch / (time.perf_counter() - start)
    benchmark.pedantic(batched.act, args=(prompts,), rounds=3, iterations=1)
    batched_rate = batch / benchmark.stats.stats.mean
    ratio = batched_rate / single_rate
    benchmark.extra_info.update(
        device=device,
        batch=batch,
        batched_decisions_per_s=batched_rate,
        single_decisions_per_s=single_rate,
        speedup=ratio,
    )
    print(
        f"\nLLM decisions/s on {device}, {batch} envs: batched {batched_rate:.2f}, one at a "
        f"time {single_rate:.2f}, speedup {ratio:.1f}x"
    )
    if device == "cuda":
        assert ratio > 2.0
