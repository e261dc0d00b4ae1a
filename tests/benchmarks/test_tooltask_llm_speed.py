"""Speed of candidate scoring for the LLM tool agent: prefix trie against separate forwards.

Run: ``pytest tests/benchmarks/test_tooltask_llm_speed.py --benchmark-only -m "" -s``

For the first decision of an episode that offers a choice (KnowledgeBase-easy's turn 0 lists one
call, so its first prompt after the search; FileTree-easy's turn 0), every admissible call is
scored after the conversation (a) by :func:`score_candidates`: the prompt once, then all
candidates in one pass over their prefix trie, and (b) by one plain forward of prompt +
candidate per candidate. Both start from no cache. The ratio (b)/(a) is measured in the same
run; the scores agree to 1e-4 (checked here and in tests/test_tooltask_llm.py).
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

import entropy_gym  # noqa: F401
from entropy_gym.agents.llm.candidates import CandidateTrie, score_candidates, score_separately
from entropy_gym.agents.llm.model import INSTALL_HINT, default_model_available
from entropy_gym.envs.text.tools.transcript import call_prompt

needs_llm = pytest.mark.skipif(
    not default_model_available(), reason=f"the default LLM is not installed: `{INSTALL_HINT}`"
)


def _first_choice(env_id: str, seed: int = 0) -> tuple[str, list[str]]:
    """The first observation with more than one admissible call (taking the first listed)."""
    env = gym.make(env_id)
    obs, info = env.reset(seed=seed)
    while len(info["admissible_actions"]) < 2:
        obs, _, _, _, info = env.step(info["admissible_actions"][0])
    env.close()
    return obs, list(info["admissible_actions"])


@needs_llm
@pytest.mark.parametrize("env_id", ["ToolTask/KnowledgeBase-easy-v0", "ToolTask/FileTree-easy-v0"])
def test_trie_scoring_against_separate_forwards(benchmark, env_id):
    import torch

    from entropy_gym.agents.llm.lm import LanguageModel

    torch.set_num_threads(1)
    lm = LanguageModel.load()
    obs, calls = _first_choice(env_id)
    prompt = lm.encode(call_prompt(obs)[:-1])
    cands = [lm.encode(" " + c + "\n") for c in calls]
    trie_scores = benchmark.pedantic(
        lambda: score_candidates(lm, [prompt], [cands])[0], rounds=3, iterations=1, warmup_rounds=1
    )
    trie_s = benchmark.stats.stats.min
    separate_s = np.inf
    for _ in range(2):
        start = time.perf_counter()
        separate = score_separately(lm, prompt, cands)
        separate_s = min(separate_s, time.perf_counter() - start)
    np.testing.assert_allclose(trie_scores, separate, atol=1e-4, rtol=0)
    fed = len(prompt) + len(CandidateTrie.build(cands))
    naive = sum(len(prompt) + len(c) for c in cands)
    benchmark.extra_info.update(
        candidates=len(cands),
        prompt_tokens=len(prompt),
        tokens_fed=fed,
        tokens_fed_separately=naive,
        separate_s=separate_s,
        speedup=separate_s / trie_s,
    )
    print(
        f"\n{env_id}: {len(cands)} candidates after a {len(prompt)}-token prompt; trie "
        f"{trie_s:.2f} s ({fed} tokens), separate forwards {separate_s:.2f} s ({naive} "
        f"tokens): {separate_s / trie_s:.1f}x"
    )
    assert separate_s > trie_s
