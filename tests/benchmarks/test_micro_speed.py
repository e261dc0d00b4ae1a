"""Updates per minute of llm_grpo on the micro models against SmolLM2-135M, same task and batch.

Run: ``pytest tests/benchmarks/test_micro_speed.py --benchmark-only -m "" -s -p no:xdist``

Every model trains with the same ``llm_grpo`` config on ``Reasoning/Arithmetic-medium-v0`` in
its compact framing: 2 groups x 4 episodes per update, replies of at most 24 tokens sampled at
temperature 1 (stopping at the model's end-of-turn token), two inner epochs, DAPO loss, full
fine-tuning, no activation checkpointing and no KL reference pass, one torch thread (what a
cell gets when two run side by side on 2 cores). One warm-up update each, then timed updates
(3 for SmolLM2, 20 for a micro model); the ratios are a micro model's updates per minute over
SmolLM2's, measured in the same run.
"""

from __future__ import annotations

import time

import gymnasium as gym
import pytest

import entropy_gym  # noqa: F401
from entropy_gym.agents.llm.micro.catalog import RECIPES
from entropy_gym.agents.llm.model import INSTALL_HINT, default_model_available

needs_llm = pytest.mark.skipif(
    not default_model_available(), reason=f"the default LLM is not installed: `{INSTALL_HINT}`"
)
ENV_ID, ENV_KWARGS = "Reasoning/Arithmetic-medium-v0", {"framing": "compact"}
GROUPS, GROUP_SIZE, NEW_TOKENS = 2, 4, 24
BATCH = GROUPS * GROUP_SIZE


def seconds_per_update(model: str, updates: int) -> tuple[float, float]:
    """``(seconds per update, mean reply tokens)`` of ``updates`` timed updates."""
    import torch

    from entropy_gym.agents.base import Budget
    from entropy_gym.agents.registry import make_agent
    from entropy_gym.runner.evaluation import make_task

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        agent = make_agent(
            {
                "name": "llm_grpo", "model": model, "groups": GROUPS, "group_size": GROUP_SIZE,
                "max_new_tokens": NEW_TOKENS, "gradient_checkpointing": False, "track_kl": False,
            }
        )  # fmt: skip
        agent.setup(make_task(ENV_ID, ENV_KWARGS), seed=0, device="cpu")

        def make_env(seed: int) -> gym.Env:
            return gym.make(ENV_ID, **ENV_KWARGS)

        agent.train(make_env, Budget(episodes=BATCH))  # warm-up update
        start = time.perf_counter()
        agent.train(make_env, Budget(episodes=BATCH * updates))
        elapsed = (time.perf_counter() - start) / updates
        lengths = [r["response_length"] for r in agent.telemetry()[1:]]
        return elapsed, sum(lengths) / len(lengths)
    finally:
        torch.set_num_threads(threads)


@needs_llm
def test_micro_models_update_30x_faster_than_smollm2(benchmark):
    micro = {}

    def run_micro():
        for name in RECIPES:
            micro[name] = seconds_per_update(name, 20)

    benchmark.pedantic(run_micro, rounds=1, iterations=1)
    smol, smol_len = seconds_per_update("smollm2-135m-instruct", 3)
    lines = [f"smollm2-135m: {60 / smol:.1f} updates/min ({smol:.2f} s, {smol_len:.1f} tokens)"]
    for name, (seconds, length) in micro.items():
        ratio = smol / seconds
        benchmark.extra_info[f"{name}_updates_per_min"] = 60 / seconds
        benchmark.extra_info[f"{name}_ratio"] = ratio
        lines.append(
            f"{name}: {60 / seconds:.0f} updates/min ({seconds:.3f} s, {length:.1f} tokens), "
            f"x{ratio:.0f} SmolLM2"
        )
        assert seconds > 0 and length > 0
    benchmark.extra_info["smollm2_updates_per_min"] = 60 / smol
    print("\n" + "\n".join(lines))
