"""The llm_grpo trainer: sampling, packing, a few real updates, its refusals and failures."""

from __future__ import annotations

import json
import math

import gymnasium as gym
import numpy as np
import pytest
import torch

from entropy_gym.agents import Budget, ConfigError, Intervention, TaskSpec, make_agent
from entropy_gym.agents.llm.rl.batch import RolloutPlan, Trajectory, Turn
from entropy_gym.agents.llm.rl.objective import (
    aggregate,
    pack,
    sample_advantages,
    token_advantages,
    token_logprobs,
)
from entropy_gym.agents.llm.rl.sampling import entropy_of, sample
from entropy_gym.agents.progress import PREFIX
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.envs import make_env
from entropy_gym.runner.evaluation import make_task
from entropy_gym.runner.failure import CellFailure
from entropy_gym.runner.rollout import run_cell

BANDIT, BANDIT_KW = "TextBandit/Bernoulli-K5-hard-v0", {"horizon": 2, "history": "summary"}
TINY = {"name": "llm_grpo", "groups": 1, "group_size": 2, "max_new_tokens": 4, "epochs": 1}


# -- no model ------------------------------------------------------------------------------------
def test_refuses_an_env_of_another_family_in_one_line():
    agent = make_agent("llm_grpo")
    space = gym.spaces.Discrete(2)
    with pytest.raises(ConfigError) as err:
        agent.setup(TaskSpec("CartPole-v1", gym.spaces.Box(-1, 1, (4,)), space), 0, "cpu")
    message = str(err.value)
    assert "\n" not in message and "'llm_grpo' trains on text envs" in message
    assert "'CartPole-v1'" in message and "family None" in message


@pytest.mark.parametrize(
    "config, fragment",
    [
        ({"loss_type": "ppo"}, "loss_type 'ppo' is unknown; expected one of: grpo, dapo, dr_grpo"),
        ({"group_size": 0}, "group_size must be an integer >= 1, got 0"),
        ({"learning_rate": -1}, "learning_rate must be a number > 0"),
        ({"lora": {"rank": 4}}, "lora has unknown key(s) rank"),
    ],
)
def test_bad_parameters_are_refused_when_built(config, fragment):
    with pytest.raises(ConfigError) as err:
        make_agent({"name": "llm_grpo", **config})
    assert fragment in str(err.value)


def test_group_advantages_and_loss_aggregation_rules():
    rewards = torch.tensor([1.0, 0.0, 1.0, 1.0])
    groups = torch.tensor([0, 0, 1, 1])
    scaled = sample_advantages(rewards, groups, scale=True)
    assert scaled[:2].tolist() == pytest.approx([1.0, -1.0], abs=1e-5)
    assert scaled[2:].tolist() == [0.0, 0.0]  # a group of equal returns teaches nothing
    assert sample_advantages(rewards, groups, scale=False)[:2].tolist() == [0.5, -0.5]
    # Two samples: 3 tokens of loss 1, 1 token of loss 3.
    loss = torch.tensor([1.0, 1.0, 1.0, 3.0])
    index, keep = torch.tensor([0, 0, 0, 1]), torch.ones(4, dtype=torch.bool)
    common = dict(num_samples=2, normaliser=4.0)
    assert float(aggregate(loss, keep, index, loss_type="dapo", **common)) == 1.5  # token mean
    assert float(aggregate(loss, keep, index, loss_type="grpo", **common)) == 2.0  # sample mean
    assert float(aggregate(loss, keep, index, loss_type="dr_grpo", **common)) == 0.75  # 6 / (2 x 4)
    keep_first = torch.tensor([True, False, False, False])
    assert float(aggregate(loss, keep_first, index, loss_type="grpo", **common)) == 1.0


def test_rollout_plan_refuses_bad_values():
    assert RolloutPlan(2, 4, 8).with_(group_size=2).group_size == 2
    with pytest.raises(ConfigError, match="branch_turn must be null or an integer >= 1, got 0"):
        RolloutPlan(2, 4, 8, branch_turn=0)


def test_packing_keeps_turns_samples_groups_and_masks_env_text():
    trajs = [
        Trajectory(
            0,
            [
                Turn([1, 2, 3], [7, 8], [-0.1, -0.2], [1.0, 2.0]),
                Turn([1, 2, 3, 9], [5], [-0.3], [0.5]),
            ],
            1.0,
        ),
        Trajectory(0, [Turn([1, 2, 3], [6], [-0.4], [1.5])], 0.0),
    ]
    ro = pack(trajs, pad_id=0)
    assert ro.row_sample.tolist() == [0, 0, 1] and ro.row_turn.tolist() == [0, 1, 0]
    assert ro.response_mask.sum(1).tolist() == [2, 1, 1]
    assert ro.input_ids[1, :5].tolist() == [1, 2, 3, 9, 5]
    assert ro.response_mask[1].tolist()[:5] == [False, False, False, False, True]
    adv = token_advantages(ro, torch.tensor([0.5, -0.5]))
    assert adv[0].tolist()[:5] == [0, 0, 0, 0.5, 0.5] and adv[2, 3].item() == -0.5


# -- with the model ------------------------------------------------------------------------------
@pytest.mark.llm
def test_sampler_logprobs_and_entropies_match_a_full_forward(lm):
    prompts = [lm.chat_ids("What is 3 + 4?"), lm.chat_ids("Name a colour, please.")]
    drawn = sample(
        lm.model,
        prompts,
        max_new_tokens=6,
        stop_ids=[lm.eos_id],
        pad_id=lm.pad_id,
        generator=torch.Generator().manual_seed(0),
    )
    for prompt, tokens, logprobs, entropies in zip(
        prompts, drawn.tokens, drawn.logprobs, drawn.entropies
    ):
        with torch.no_grad():
            logits = lm.model(input_ids=torch.tensor([prompt + tokens])).logits[0].float()
        logp, entropy = entropy_of(logits[len(prompt) - 1 : -1])
        chosen = logp.gather(1, torch.tensor(tokens)[:, None]).squeeze(1)
        np.testing.assert_allclose(chosen.numpy(), logprobs, atol=1e-4)
        np.testing.assert_allclose(entropy.numpy(), entropies, atol=1e-4)
        assert all(0 < h < math.log(lm.model.config.vocab_size) for h in entropies)


@pytest.mark.llm
def test_shared_prefix_packing_gives_each_rows_own_logprobs(lm):
    p1, p2 = lm.chat_ids("What is 3 + 4?"), lm.chat_ids("Name a colour.")
    trajs = [
        Trajectory(0, [Turn(p1, [504, 2988, 314], [0.0] * 3, [0.0] * 3)]),
        Trajectory(0, [Turn(p1, [35, 1232], [0.0] * 2, [0.0] * 2)]),
        Trajectory(
            1,
            [
                Turn(p2, [36549, 95], [0.0] * 2, [0.0] * 2),
                Turn([*p1, 5], [7, 8], [0.0] * 2, [0.0] * 2),
            ],
        ),
    ]
    ro = pack(trajs, lm.pad_id)
    rows = torch.arange(ro.num_rows)
    with torch.no_grad():
        separate = token_logprobs(lm.model, ro, rows, pad_id=lm.pad_id, shared_prefix=False)
        shared = token_logprobs(lm.model, ro, rows, pad_id=lm.pad_id, shared_prefix=True)
    np.testing.assert_allclose(shared[0].numpy(), separate[0].numpy(), atol=1e-4)
    np.testing.assert_allclose(shared[1].numpy(), separate[1].numpy(), atol=1e-4)


@pytest.mark.llm
def test_a_few_updates_move_the_parameters_and_log_finite_telemetry(lm):
    # An entropy coefficient makes the gradient non-zero even when a group's returns tie.
    agent = make_agent({**TINY, "learning_rate": 1e-4, "ent_coef": 0.01})
    agent.setup(make_task(BANDIT, BANDIT_KW), seed=0, device="cpu")
    before = {n: p.detach().clone() for n, p in agent.policy.named_parameters()}
    reference = lm.model.get_input_embeddings().weight.detach().clone()
    agent.train(lambda seed: make_env(BANDIT, BANDIT_KW), Budget(episodes=4))
    records = agent.telemetry()
    assert [r["update"] for r in records] == [1.0, 2.0] and records[-1]["episodes"] == 4.0
    for key in (
        "loss",
        "entropy",
        "entropy_top20",
        "covariance",
        "kl",
        "response_length",
        "return",
    ):
        assert all(math.isfinite(r[key]) for r in records), key
    assert records[0]["kl"] == pytest.approx(
        0.0, abs=1e-5
    )  # the first update starts at the reference
    moved = [
        n for n, p in agent.policy.named_parameters() if not torch.equal(p.detach(), before[n])
    ]
    assert len(moved) > 100 and all(r["grad_norm"] > 0 for r in records)
    # The reference (the shared, loaded model) did not move.
    assert torch.equal(lm.model.get_input_embeddings().weight, reference)
    decision = agent.act(
        ("Press 1 of 2. Which button do you press? Answer with one of: A, B, C, D, E.",)
    )
    assert isinstance(decision.actions[0], str) and 0 < decision.entropy[0] < 11


class NaNLoss(Intervention):
    """Turns the loss into NaN: the trainer must stop with a clear reason."""

    name = "nan_loss"
    requires = frozenset({"loss"})

    def on_loss(self, batch):
        return batch.pg_loss * float("nan")


@pytest.mark.llm
def test_a_nan_loss_and_a_directory_that_is_no_causal_lm_fail_their_cells(lm, tmp_path):
    def cell(config: dict) -> Cell:
        return Cell(
            suite="t",
            agent_label="x",
            agent_config=config,
            env_name=BANDIT,
            env_id=BANDIT,
            env_kwargs=BANDIT_KW,
            seed=0,
            num_envs=1,
            eval_episodes=1,
            budget={"episodes": 2},
        )

    nan = {**TINY, "interventions": [{"name": f"{__file__}:NaNLoss"}]}
    with pytest.raises(CellFailure) as err:
        run_cell(cell(nan), "cpu")
    assert (
        err.value.reason
        == "agent.train raised FloatingPointError: the loss is nan at update 1 (epoch 1)"
    )
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(CellFailure) as err:
        run_cell(cell({**TINY, "model": str(tmp_path)}), "cpu")
    assert err.value.reason.startswith(
        f"agent.setup raised ConfigError: llm_grpo model {str(tmp_path)!r} could not be loaded as a causal LM"
    )


@pytest.mark.llm
def test_gradient_checkpointing_changes_memory_not_the_update(lm):
    def trained(checkpointing: bool) -> dict:
        agent = make_agent(
            {
                **TINY,
                "learning_rate": 1e-4,
                "ent_coef": 0.01,
                "gradient_checkpointing": checkpointing,
            }
        )
        agent.setup(make_task(BANDIT, BANDIT_KW), seed=0, device="cpu")
        agent.train(lambda seed: make_env(BANDIT, BANDIT_KW), Budget(episodes=2))
        return {n: p.detach().clone() for n, p in agent.policy.named_parameters()}

    on, off = trained(True), trained(False)
    assert on.keys() == off.keys()
    assert all(torch.allclose(on[n], off[n], atol=1e-6) for n in on)


@pytest.mark.llm
@pytest.mark.parametrize(
    "env_id, env_kwargs, turns",
    [
        ("Reasoning/Arithmetic-easy-v0", {}, (1, 1)),  # single-turn: one reply per episode
        ("ToolTask/KnowledgeBase-easy-v0", {"max_turns": 2}, (1, 2)),  # ends early on an answer
        (BANDIT, BANDIT_KW, (2, 2)),  # the bandit always plays its horizon
    ],
    ids=["reasoning", "tooltask", "bandit"],
)
def test_trains_through_the_runner_on_each_text_family(lm, env_id, env_kwargs, turns, capsys):
    cell = Cell(
        suite="t",
        agent_label="grpo",
        agent_config=TINY,
        env_name=env_id,
        env_id=env_id,
        env_kwargs=env_kwargs,
        seed=0,
        num_envs=1,
        eval_episodes=1,
        budget={"episodes": 2},
    )
    result = run_cell(cell, "cpu")
    (record,) = result.telemetry  # one update of one group of two episodes
    assert record["episodes"] == 2.0 and math.isfinite(record["loss"])
    assert turns[0] <= record["turns"] <= turns[1]
    assert len(result.returns) == 1 and result.entropy is not None
    # Progress: the update's line on stderr; a group without spread (Reasoning's rewards are 0
    # or 1: both samples agree when the mean is 0 or 1) gets a warning.
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith(PREFIX)]
    assert any(
        ln.startswith(f"{PREFIX}llm_grpo: update 1, 100% of the budget, ")
        and ", done; return " in ln
        and ", entropy " in ln
        for ln in lines
    ), lines
    warned = any("every group's samples got the same return" in ln for ln in lines)
    if env_id.startswith("Reasoning/"):
        assert warned == (record["return"] in (0.0, 1.0)), (record, lines)
