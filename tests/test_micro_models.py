"""The micro models: tokenizer, demonstrations, reproducible pretraining, where they start, and
llm_grpo on them through the runner."""

from __future__ import annotations

import json
import math

import gymnasium as gym
import numpy as np
import pytest
import torch

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.agents import ConfigError, make_agent
from entropy_gym.agents.llm.micro.catalog import (
    ARITHMETIC,
    BANDIT,
    FILETREE,
    RECIPES,
    describe_models,
    model_dir,
    read_provenance,
)
from entropy_gym.agents.llm.micro.demos import DemoPlayer, worked_answer
from entropy_gym.agents.llm.micro.pretrain import RECORDED_STEPS, pretrain, start_report
from entropy_gym.agents.llm.micro.tokenizer import CHARACTERS, SPECIAL_TOKENS, build_tokenizer
from entropy_gym.agents.llm.model import ModelUnavailable, resolve_model
from entropy_gym.cli import main
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.evaluation import make_task
from entropy_gym.runner.rollout import run_cell

MODELS = sorted(RECIPES)


# -- tokenizer ------------------------------------------------------------------------------------
def test_the_tokenizer_is_one_token_per_printable_character_with_a_chat_template():
    tok = build_tokenizer()
    assert len(tok) == len(CHARACTERS) + len(SPECIAL_TOKENS) == 106
    text = "What is 3 + 4?\n\tok ~"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == len(text) and tok.decode(ids) == text
    chat = tok.apply_chat_template(
        [{"role": "user", "content": "2 + 2 ="}], tokenize=False, add_generation_prompt=True
    )
    assert chat == "<|user|>2 + 2 =<|end|><|assistant|>"
    ids = tok(chat + "4<|end|>", add_special_tokens=False)["input_ids"]
    assert len(ids) == 1 + 7 + 2 + 1 + 1 and ids[-1] == tok.eos_token_id
    assert tok.decode(ids, skip_special_tokens=True) == "2 + 2 =4"
    assert tok("é", add_special_tokens=False)["input_ids"] == [tok.unk_token_id]


# -- demonstrations -------------------------------------------------------------------------------
def test_the_imperfect_solver_works_step_by_step_and_slips_as_told():
    rng = np.random.default_rng(0)
    assert worked_answer("17 - 2 * 4", rng, 0.0) == "2*4=8, 17-8=9"
    assert worked_answer("3 + 4 - 10", rng, 0.0) == "3+4=7, 7-10=-3"
    env = gym.make("Reasoning/Arithmetic-medium-v0", framing="compact")
    right = []
    for seed in range(300):
        question, _ = env.reset(seed=seed)
        expression = question.removesuffix("=").strip()
        assert env.step(worked_answer(expression, rng, 0.0))[1] == 1.0
        env.reset(seed=seed)
        right.append(env.step(worked_answer(expression, rng, 0.3))[1])
    # Two steps that each stay right with probability 0.7 (a slip never cancels itself here).
    assert 0.40 < np.mean(right) < 0.58


@pytest.mark.parametrize("task", [ARITHMETIC, BANDIT, FILETREE], ids=lambda t: t.name)
def test_demonstrations_are_valid_replies_in_the_compact_framing(task):
    player = DemoPlayer(task)
    rng = np.random.default_rng(1)
    env = gym.make(task.env_id, **dict(task.env_kwargs))
    invalid, solved = 0, []
    for seed in range(40):
        demo = player.play(seed, rng)
        obs, _ = env.reset(seed=seed)
        for shown, reply in demo:
            assert shown == obs  # the demonstration is the env's own episode
            obs, _, term, trunc, info = env.step(reply)
            invalid += bool(info.get("invalid_action"))
        assert term or trunc
        solved.append(info.get("episode_metrics", {}).get("success", 0.0))
    assert invalid == 0
    if task is FILETREE:  # oracle prefixes and random calls: some solved, most not
        assert 0.1 < np.mean(solved) < 0.6


# -- the shipped models ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", MODELS)
def test_a_shipped_model_has_weights_provenance_and_resolves_by_name(name):
    directory = model_dir(name)
    prov = read_provenance(directory)
    recipe = RECIPES[name]
    assert prov["recipe"] == json.loads(json.dumps(recipe.to_dict()))
    assert prov["command"] == f"entropy-gym models pretrain {name}" and prov["seed"] == recipe.seed
    assert len(prov["data_sha256"]) == 64 and prov["commit"]
    source = resolve_model(name)
    assert source.directory == directory and source.model_id.startswith(f"{name}@")
    model = make_agent({"name": "llm_grpo", "model": name})
    assert model.model_name == name
    low, high = recipe.band
    for task in recipe.tasks:
        start = prov["start"][task.name]
        assert start["valid"] >= 0.85, (task.name, start)  # FileTree: 0.87, names miscopied
        assert start["token_entropy"] > 0.1, (task.name, start)
        assert low <= start["success"] <= high, (task.name, start)


@pytest.mark.parametrize("name", MODELS)
def test_pretraining_reproduces_the_first_steps(name):
    recipe = RECIPES[name]
    prov = read_provenance(model_dir(name))["first_steps"]
    _, _, first = pretrain(recipe, steps=RECORDED_STEPS)
    assert first.data_sha256 == first.first_data_sha256 == prov["data_sha256"]
    # The shipped run's losses: bit for bit on the CPU that trained them (float kernels of
    # another CPU may differ in the last bits).
    np.testing.assert_allclose(first.losses, [float.fromhex(x) for x in prov["losses"]], rtol=1e-5)
    if name == "micro-s":  # and a second run in this process is the same to the last bit
        _, _, again = pretrain(recipe, steps=RECORDED_STEPS)
        assert [x.hex() for x in again.losses] == [x.hex() for x in first.losses]


@pytest.mark.parametrize("name", MODELS)
def test_the_start_on_held_out_arithmetic_is_the_recorded_one_and_in_its_band(name):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    recipe = RECIPES[name]
    directory = model_dir(name)
    model = AutoModelForCausalLM.from_pretrained(directory).eval()
    report = start_report(
        model,
        AutoTokenizer.from_pretrained(directory),
        [ARITHMETIC],
        recipe.heldout_problems,
        recipe.heldout_samples,
    )["arithmetic"]
    recorded = read_provenance(directory)["start"]["arithmetic"]
    assert report["success"] == pytest.approx(recorded["success"], abs=1e-9)
    assert recipe.band[0] <= report["success"] <= recipe.band[1]


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_the_start_on_every_task_is_the_recorded_one(name):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    recipe = RECIPES[name]
    directory = model_dir(name)
    model = AutoModelForCausalLM.from_pretrained(directory).eval()
    report = start_report(
        model,
        AutoTokenizer.from_pretrained(directory),
        recipe.tasks,
        recipe.heldout_problems,
        recipe.heldout_samples,
    )
    recorded = read_provenance(directory)["start"]
    for task in recipe.tasks:
        assert report[task.name]["success"] == pytest.approx(recorded[task.name]["success"])
        assert recipe.band[0] <= report[task.name]["success"] <= recipe.band[1]


def test_an_unknown_or_untrained_micro_name_is_refused_in_one_line(tmp_path, monkeypatch):
    from entropy_gym.agents.llm.micro import catalog

    monkeypatch.setattr(catalog, "MODELS_DIR", tmp_path)
    with pytest.raises(
        ModelUnavailable, match=r"micro model 'micro-s' has no weights in .*; train"
    ):
        resolve_model("micro-s")
    with pytest.raises(ValueError, match="micro model 'micro-x' is unknown"):
        model_dir("micro-x")
    with pytest.raises(ConfigError) as err:  # and a suite naming it is refused before any cell
        make_agent({"name": "llm_grpo", "model": "micro-s"}).check_task(
            make_task(ARITHMETIC.env_id)
        )
    assert str(err.value) == (
        "llm_grpo micro model 'micro-s' has no weights; train them with "
        "`entropy-gym models pretrain micro-s`"
    )


def test_the_micro_pilot_suite_expands_with_its_shipped_model():
    from entropy_gym.runner import expand, load_suite
    from entropy_gym.runner.suite import check_runnable

    suite = load_suite("llm-rl-micro-pilot")
    check_runnable(suite)  # what `entropy-gym run` checks before any cell
    cells = expand(suite)
    assert len(cells) == 9 and {c.agent_config["model"] for c in cells} == {"micro-s"}
    assert {c.env_kwargs["framing"] for c in cells} == {"compact"}


def test_the_models_command_lists_size_tokenizer_start_and_provenance(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for name in MODELS:
        assert name in out
    assert "arithmetic" in out and "filetree" in out and "chars (106)" in out
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == set(MODELS) and all(r["trained"] for r in rows)
    assert all(r["parameters"] > 50_000 for r in rows)
    assert main(["models", "pretrain", "micro-x"]) == 2
    assert "micro model 'micro-x' is unknown; expected one of" in capsys.readouterr().err


# -- llm_grpo on a micro model --------------------------------------------------------------------
@pytest.mark.parametrize("task", [ARITHMETIC, BANDIT, FILETREE], ids=lambda t: t.name)
def test_llm_grpo_trains_a_micro_model_through_the_runner(task):
    config = {
        "name": "llm_grpo",
        "model": "micro-s",
        "groups": 2,
        "group_size": 4,
        "max_new_tokens": task.max_new_tokens,
        "learning_rate": 1e-3,
        "gradient_checkpointing": False,
        "heldout_problems": 2,
        "heldout_samples": 4,
    }
    cell = Cell(
        suite="t",
        agent_label="grpo",
        agent_config=config,
        env_name=task.env_id,
        env_id=task.env_id,
        env_kwargs=dict(task.env_kwargs),
        seed=0,
        num_envs=2,
        eval_episodes=2,
        budget={"episodes": 16},
    )
    result = run_cell(cell, "cpu")
    start, first, last = result.telemetry
    assert start["update"] == 0 and "heldout_pass@2" in start and "loss" not in start
    assert [first["update"], last["update"]] == [1, 2] and math.isfinite(last["loss"])
    bounds = {  # answer entropy in nats: at most ln(group size), all four answers distinct
        "reward_std_within_group": 10, "zero_variance_groups": 1, "solved": 1,
        "answer_entropy": math.log(config["group_size"]) + 1e-9,
    }  # fmt: skip
    for key, bound in bounds.items():
        assert 0 <= last[key] <= bound, (key, last[key])
    assert last["tokens_total"] == first["tokens"] + last["tokens"] > 0
    assert {"heldout_pass@1", "heldout_pass@2", "heldout_answer_entropy"} <= set(last)
    assert "group_pass@2" in last and len(result.returns) == 2


def test_prefix_shared_packing_of_growing_multi_turn_prompts_keeps_every_rows_logits():
    from entropy_gym.agents.llm.lm import LanguageModel
    from entropy_gym.agents.llm.rl.batch import Trajectory, Turn
    from entropy_gym.agents.llm.rl.objective import pack, token_logprobs
    from entropy_gym.agents.llm.rl.packing import pack_rows

    lm = LanguageModel.load("micro-s")
    rng = np.random.default_rng(0)
    trajectories = []
    for group in range(2):
        for _ in range(3):  # three members of a group share the first turn's prompt
            obs, turns = "Arms A-E, rewards 0/1, 4 pulls.\n", []
            for t in range(4):
                reply = [int(x) for x in rng.integers(6, 100, size=int(rng.integers(1, 4)))]
                reply.append(lm.eos_id)
                prompt = lm.chat_ids(obs + f"Pull {t + 1} of 4:")
                turns.append(Turn(prompt, reply, [0.0] * len(reply), [0.0] * len(reply)))
                obs += "ABCDE"[int(rng.integers(5))] + f" {int(rng.integers(2))}\n"
            trajectories.append(Trajectory(group, turns))
    rollout = pack(trajectories, lm.pad_id)
    rows = torch.arange(rollout.num_rows)
    packed = pack_rows(rollout, rows, lm.pad_id, scale=512.0)
    assert len(packed.lengths) < 6 and int(packed.lengths.sum()) < rollout.attention_mask.sum() / 2
    with torch.no_grad():
        alone = token_logprobs(lm.model, rollout, rows, pad_id=lm.pad_id, shared_prefix=False)
        shared = token_logprobs(lm.model, rollout, rows, pad_id=lm.pad_id, shared_prefix=True)
    np.testing.assert_allclose(shared[0].numpy(), alone[0].numpy(), atol=1e-4)
    np.testing.assert_allclose(shared[1].numpy(), alone[1].numpy(), atol=1e-4)


def test_describe_models_reads_each_models_record():
    rows = {r["name"]: r for r in describe_models()}
    for name in MODELS:
        assert rows[name]["start"].keys() == {t.name for t in RECIPES[name].tasks}
