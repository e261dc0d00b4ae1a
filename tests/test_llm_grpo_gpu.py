"""llm_grpo on a CUDA device: sampling and updates on the GPU in bf16 autocast with fp32
master weights, through the agent and through the runner. Skipped without CUDA (run with
``pytest -m gpu tests/test_llm_grpo_gpu.py`` on a GPU machine); the same code runs on the CPU
in ``tests/test_llm_grpo.py``."""

from __future__ import annotations

import math

import pytest
import torch

from entropy_gym.agents import Budget, make_agent
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.envs import make_env
from entropy_gym.runner.evaluation import make_task
from entropy_gym.runner.rollout import run_cell

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.llm,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

TASK = "Reasoning/Arithmetic-easy-v0"
SMALL = {"name": "llm_grpo", "groups": 2, "group_size": 4, "max_new_tokens": 16, "epochs": 1}


def test_updates_run_on_the_gpu_in_bf16_and_move_fp32_weights(lm):
    agent = make_agent({**SMALL, "learning_rate": 1e-4, "ent_coef": 0.01})
    agent.setup(make_task(TASK, {}), seed=0, device="cuda")
    params = dict(agent.policy.named_parameters())
    assert all(p.device.type == "cuda" and p.dtype == torch.float32 for p in params.values())
    before = {n: p.detach().clone() for n, p in params.items()}
    with agent._autocast():
        ids = torch.tensor([lm.chat_ids("What is 2 + 3?")], device="cuda")
        assert agent.policy(input_ids=ids).logits.dtype == torch.bfloat16
    agent.train(lambda seed: make_env(TASK, {}), Budget(episodes=16))
    records = agent.telemetry()
    assert [r["update"] for r in records] == [1.0, 2.0]
    for key in ("loss", "entropy", "entropy_top20", "covariance", "kl", "return"):
        assert all(math.isfinite(r[key]) for r in records), key
    moved = [n for n, p in params.items() if not torch.equal(p.detach(), before[n])]
    assert len(moved) > 100
    decision = agent.act(("What is 4 + 4? Answer with the number only.",))
    assert isinstance(decision.actions[0], str) and 0 < decision.entropy[0] < 11


def test_a_cell_trains_and_scores_on_the_gpu():
    cell = Cell(
        suite="gpu",
        agent_label="grpo",
        agent_config=SMALL,
        env_name=TASK,
        env_id=TASK,
        env_kwargs={},
        seed=0,
        num_envs=4,
        eval_episodes=8,
        budget={"episodes": 16},
    )
    result = run_cell(cell, "cuda")
    assert len(result.returns) == 8 and 0.0 <= result.mean_return <= 1.0
    assert [r["update"] for r in result.telemetry] == [1.0, 2.0]
    assert result.entropy is not None
