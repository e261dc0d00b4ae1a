"""Updates per minute of llm_grpo against TRL's GRPOTrainer on the same task, model and batch.

Run: ``pytest tests/benchmarks/test_llm_grpo_vs_trl.py --benchmark-only -m "" -s -p no:xdist``
(needs the ``trl`` extra, in ``all``).

Both train the default SmolLM2-135M-Instruct (full fine-tuning, activation checkpointing, fp32
on the CPU, learning rate 1e-5) on ``Reasoning/Arithmetic-easy-v0`` questions: per update two
prompts x four completions of at most 24 new tokens sampled at temperature 1, rewarded by the
env's own verifier, DAPO token-level loss, one inner epoch, no KL term. One warm-up update each,
then the same number of timed updates; the ratio is ours over TRL's updates per minute.
"""

from __future__ import annotations

import time

import gymnasium as gym
import pytest

import entropy_gym  # noqa: F401
from entropy_gym.agents.llm.model import INSTALL_HINT, default_model_available

needs_llm = pytest.mark.skipif(
    not default_model_available(), reason=f"the default LLM is not installed: `{INSTALL_HINT}`"
)
ENV_ID = "Reasoning/Arithmetic-easy-v0"
GROUPS, GROUP_SIZE, NEW_TOKENS, UPDATES = 2, 4, 24, 3
BATCH = GROUPS * GROUP_SIZE


def _ours_seconds_per_update() -> float:
    from entropy_gym.agents.base import Budget
    from entropy_gym.agents.registry import make_agent
    from entropy_gym.runner.evaluation import make_task

    agent = make_agent(
        {
            "name": "llm_grpo", "groups": GROUPS, "group_size": GROUP_SIZE,
            "max_new_tokens": NEW_TOKENS, "epochs": 1, "learning_rate": 1e-5,
            "loss_type": "dapo", "gradient_checkpointing": True, "track_kl": False,
        }
    )  # fmt: skip
    agent.setup(make_task(ENV_ID), seed=0, device="cpu")

    def make_env(seed: int) -> gym.Env:
        return gym.make(ENV_ID)

    agent.train(make_env, Budget(episodes=BATCH))  # warm-up update
    start = time.perf_counter()
    agent.train(make_env, Budget(episodes=BATCH * UPDATES))
    return (time.perf_counter() - start) / UPDATES


def _trl_seconds_per_update(tmp_path) -> float:
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from entropy_gym.agents.llm.lm import LanguageModel

    lm = LanguageModel.load()
    env = gym.make(ENV_ID)
    seeds = list(range(2 * GROUPS * (UPDATES + 1)))
    questions = [env.reset(seed=s)[0] for s in seeds]
    data = Dataset.from_dict(
        {"prompt": [[{"role": "user", "content": q}] for q in questions], "seed": seeds}
    )

    def reward(completions, seed, **_):
        out = []
        for completion, s in zip(completions, seed):
            text = completion[0]["content"] if isinstance(completion, list) else completion
            env.reset(seed=int(s))
            out.append(float(env.step(text)[1]))
        return out

    stamps: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            stamps.append(time.perf_counter())

    config = GRPOConfig(
        output_dir=str(tmp_path), use_cpu=True, bf16=False, report_to="none",
        save_strategy="no", logging_steps=1000, max_steps=UPDATES + 1,
        per_device_train_batch_size=BATCH, num_generations=GROUP_SIZE,
        max_completion_length=NEW_TOKENS, temperature=1.0, learning_rate=1e-5,
        loss_type="dapo", beta=0.0, num_iterations=1, gradient_checkpointing=True,
        seed=0, dataloader_num_workers=0,
    )  # fmt: skip
    trainer = GRPOTrainer(
        model=lm.model,
        reward_funcs=reward,
        args=config,
        train_dataset=data,
        processing_class=lm.tokenizer,
        callbacks=[Clock()],
    )
    trainer.train()
    assert len(stamps) == UPDATES + 1, stamps
    return (stamps[-1] - stamps[0]) / UPDATES


@needs_llm
def test_llm_grpo_updates_per_minute_against_trl(benchmark, tmp_path):
    pytest.importorskip("trl", reason="the comparison needs TRL: pip install trl")
    ours = benchmark.pedantic(_ours_seconds_per_update, rounds=1, iterations=1)
    theirs = _trl_seconds_per_update(tmp_path)
    benchmark.extra_info.update(
        ours_updates_per_min=60 / ours, trl_updates_per_min=60 / theirs, ratio=theirs / ours
    )
    print(
        f"\nllm_grpo {60 / ours:.2f} updates/min ({ours:.1f} s/update), TRL GRPOTrainer "
        f"{60 / theirs:.2f} updates/min ({theirs:.1f} s/update): ours x{theirs / ours:.2f}"
    )
