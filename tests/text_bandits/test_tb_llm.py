"""The LLM bandit agent on the real local model: exact label distributions, batching, the
incremental KV cache, thoughts, temperature, and EAST steering."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from entropy_gym.agents import make_agent
from entropy_gym.agents.interventions.east import load_vector
from entropy_gym.cli import main
from entropy_gym.runner.evaluation import evaluate, make_task

from .conftest import bandit_prompts, suite_east

pytestmark = pytest.mark.llm

HARD = "entropy_gym:TextBandit/Bernoulli-K5-hard-v0"
SUITE_EAST = suite_east()  # {"name": "east", "vector": ..., "beta": ..., "positions": ...}


def agent_for(lm, env_id=HARD, num_envs=1, seed=0, env_kwargs=None, **config):
    agent = make_agent({"name": "llm_bandit", **config})
    agent.setup(make_task(env_id, env_kwargs or {}, num_envs), seed, "cpu")
    assert agent.lm is lm  # one model per process, shared
    return agent


def full_forward_label_probs(lm, token_ids, label_ids):
    """softmax over the label logits of one plain, unbatched, uncached forward pass."""
    with torch.inference_mode():
        logits = lm.model(input_ids=torch.tensor([token_ids])).logits[0, -1].double()
    return torch.softmax(logits[label_ids], dim=-1).numpy()


def test_arm_distribution_is_the_softmax_of_the_label_logits(lm):
    prompt = bandit_prompts()[1]
    agent = agent_for(lm)
    decision = agent.act([prompt])
    # Independent reconstruction: the chat template, the answer prefix, and each label as one
    # token after it (" A" ... " E").
    text = (
        lm.tokenizer.apply_chat_template(
            [
                {"role": "system", "content": agent.system_prompt},
                {"role": "user", "content": prompt},
            ],
            tokenize=False,
            add_generation_prompt=True,
        )
        + "Answer:"
    )
    label_ids = [lm.tokenizer.encode(" " + label, add_special_tokens=False)[0] for label in "ABCDE"]
    expected = full_forward_label_probs(
        lm, lm.tokenizer.encode(text, add_special_tokens=False), label_ids
    )
    np.testing.assert_allclose(decision.info["probs"][0], expected, atol=2e-5)
    assert decision.entropy[0] == pytest.approx(-(expected * np.log(expected)).sum(), abs=1e-4)
    assert 0.3 < decision.info["label_mass"][0] <= 1.0


def test_batched_and_single_decisions_agree(lm):
    prompts = bandit_prompts()  # three prompts of different lengths: padding matters
    batched = agent_for(lm, num_envs=3, cache=False).act(prompts).info["probs"]
    single = np.concatenate([agent_for(lm, cache=False).act([p]).info["probs"] for p in prompts])
    np.testing.assert_allclose(batched, single, atol=1e-4)
    assert not np.allclose(single[0], single[2], atol=1e-3)  # the prompts do matter


def test_incremental_cache_decisions_equal_full_reencoding(lm):
    records = {}
    for cache in (True, False):
        agent = make_agent({"name": "llm_bandit", "cache": cache})
        probs, actions = [], []
        evaluate(
            agent,
            HARD,
            {"horizon": 5},
            num_envs=2,
            episodes=2,
            seed=3,
            on_step=lambda d, step, counted, probs=probs, actions=actions: (
                probs.append(d.info["probs"]),
                actions.append(d.actions),
            ),
        )
        records[cache] = (np.stack(probs), np.stack(actions), agent)
    (p_inc, a_inc, agent), (p_full, a_full, _) = records[True], records[False]
    np.testing.assert_allclose(p_inc, p_full, atol=1e-4)
    assert np.array_equal(a_inc, a_full)  # same seed, same distributions: same samples
    cache = agent._caches[0]
    assert cache.reused_tokens > cache.fed_tokens  # most of each prompt came from the cache


def test_temperature_divides_the_label_logits(lm):
    prompt = bandit_prompts()[2]
    plain = agent_for(lm)
    hot = agent_for(lm, interventions=[{"name": "temperature", "t": 2.0}])
    logits = plain.label_logits([prompt]).double()
    d_plain, d_hot = plain.act([prompt]), hot.act([prompt])
    np.testing.assert_allclose(d_plain.info["probs"][0], torch.softmax(logits, -1)[0], atol=1e-6)
    np.testing.assert_allclose(d_hot.info["probs"][0], torch.softmax(logits / 2, -1)[0], atol=1e-6)
    assert d_hot.entropy[0] > d_plain.entropy[0]


def test_thoughts_are_seeded_and_the_action_is_read_after_them(lm):
    prompts = bandit_prompts(framing="adverts")[:2]
    runs = [agent_for(lm, num_envs=2, seed=7, thought_tokens=6).act(prompts) for _ in range(2)]
    assert runs[0].info["thoughts"] == runs[1].info["thoughts"]
    assert np.array_equal(runs[0].actions, runs[1].actions)
    agent = agent_for(lm, num_envs=2, seed=7, thought_tokens=6)
    for i, prompt in enumerate(prompts):
        thought = runs[0].info["thought_ids"][i]
        assert 0 < len(thought) <= 6
        ids = agent._prompt_ids(prompt) + thought + agent._cue
        expected = full_forward_label_probs(lm, ids, agent.label_ids)
        np.testing.assert_allclose(runs[0].info["probs"][i], expected, atol=1e-4)
    other = agent_for(lm, num_envs=2, seed=8, thought_tokens=6).act(prompts)
    assert other.info["thoughts"] != runs[0].info["thoughts"]


def test_east_with_zero_beta_changes_nothing(lm):
    prompts = bandit_prompts()
    plain = agent_for(lm, num_envs=3).act(prompts)
    zero = agent_for(lm, num_envs=3, interventions=[{**SUITE_EAST, "beta": 0.0}]).act(prompts)
    assert np.array_equal(plain.info["probs"], zero.info["probs"])
    assert np.array_equal(plain.actions, zero.actions)


def test_east_raises_action_entropy_on_fixed_prompts(lm):
    # Prompts of both suite envs, two framings and both history modes.
    prompts = (
        bandit_prompts()
        + bandit_prompts(framing="slots", seed=1)
        + bandit_prompts("TextBandit/Gaussian-K5-v0", seed=2, history="summary")
    )
    assert SUITE_EAST["beta"] > 0
    plain = agent_for(lm, num_envs=9).act(prompts)
    steered = agent_for(lm, num_envs=9, interventions=[SUITE_EAST]).act(prompts)
    assert steered.entropy.mean() > plain.entropy.mean() + 0.03
    assert (steered.entropy > plain.entropy).mean() >= 7 / 9
    # The model still answers with labels: the steered label mass stays near the plain one.
    assert steered.info["label_mass"].mean() > 0.8 * plain.info["label_mass"].mean()
    # The hook is removed after each forward pass: the shared model is left untouched.
    assert not any(m._forward_hooks for m in lm.layers)


def test_east_fit_command_saves_a_vector_with_provenance(lm, tmp_path, monkeypatch, capsys):
    from entropy_gym.agents.interventions.east import FORMULA_VERSION

    monkeypatch.setenv("ENTROPY_GYM_CACHE", str(tmp_path))
    easy, gauss = "TextBandit/Bernoulli-K5-easy-v0", "TextBandit/Gaussian-K5-v0"
    status = main(
        [
            "east",
            "fit",
            "--name",
            "tiny",
            "--env",
            easy,
            gauss,
            "--env-kwargs",
            '[{"horizon": 3}, {"horizon": 2, "history": "summary"}]',
            "--layer",
            "10",
            "--episodes",
            "1",
            "--num-envs",
            "1",
            "--seed",
            "5",
        ]
    )
    assert status == 0
    path = tmp_path / "east" / "tiny.json"
    data = json.loads(path.read_text())
    p = data["provenance"]
    assert p["num_prompts"] == 2 * (3 + 2) and p["layer"] == 10 and p["seed"] == 5
    assert p["env_id"] == [f"entropy_gym:{easy}", f"entropy_gym:{gauss}"]
    assert [(v["env_id"], v["env_kwargs"]["horizon"], v["seed"]) for v in p["variants"]] == [
        (f"entropy_gym:{easy}", 3, 5),
        (f"entropy_gym:{easy}", 2, 6),
        (f"entropy_gym:{gauss}", 3, 7),
        (f"entropy_gym:{gauss}", 2, 8),
    ]
    assert p["model_sha256"] == lm.source.sha256
    assert p["formula_version"] == data["format"] == FORMULA_VERSION == "east-v2"
    vector = load_vector("tiny")
    assert vector.direction.shape == (lm.hidden_size,)
    assert np.linalg.norm(vector.direction) == pytest.approx(1.0, abs=1e-5)
    capsys.readouterr()
    assert main(["east", "list"]) == 0
    assert "tiny" in capsys.readouterr().out
    assert main(["east", "fit", "--name", "tiny", "--episodes", "1"]) == 2  # exists: refused


def test_continuation_logprobs_match_next_token_logits(lm):
    prefix = lm.chat_ids("Pick a letter.", assistant_prefix="Answer:")
    a, b = lm.encode(" A"), lm.encode(" B")
    scores = lm.continuation_logprobs(prefix, [a, b, a + b])
    logp = torch.log_softmax(lm.next_token_logits([prefix]).double(), dim=-1)[0]
    assert scores[0].item() == pytest.approx(logp[a[0]].item(), abs=1e-4)
    assert scores[1].item() == pytest.approx(logp[b[0]].item(), abs=1e-4)
    then_b = torch.log_softmax(lm.next_token_logits([prefix + a]).double(), dim=-1)[0, b[0]]
    assert scores[2].item() == pytest.approx(scores[0].item() + then_b.item(), abs=1e-4)


@pytest.mark.slow
def test_shipped_vector_reproduces_from_its_provenance(lm):
    from entropy_gym.experiments.east_fit import fit_east_vector

    shipped = load_vector(SUITE_EAST["vector"])
    p = shipped.provenance
    agent_kwargs = {k: v for k, v in p["agent"].items() if k != "name"}
    refit = fit_east_vector(
        "refit",
        p["env_id"],
        p["env_kwargs"],
        layer=p["layer"],
        episodes=p["episodes_per_variant"],
        num_envs=p["num_envs"],
        seed=p["seed"],
        agent_kwargs=agent_kwargs,
    )
    assert refit.provenance["variants"] == p["variants"]
    assert refit.provenance["num_prompts"] == p["num_prompts"]
    assert float(refit.direction @ shipped.direction) > 0.999
    assert refit.reference_norm == pytest.approx(shipped.reference_norm, rel=1e-4)
