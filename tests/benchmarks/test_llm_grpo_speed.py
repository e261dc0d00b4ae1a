"""Speed of llm_grpo's sampler against ``model.generate`` on the same batch.

Run: ``pytest tests/benchmarks/test_llm_grpo_speed.py --benchmark-only -m "" -s``

Eight chat-templated ``Reasoning/Arithmetic-easy-v0`` questions, 24 new tokens each with no
early stop, sampled at temperature 1 (a) by :func:`entropy_gym.agents.llm.rl.sampling.sample`,
which also records every token's log-probability and exact full-vocabulary entropy, and (b) by
one batched ``model.generate(do_sample=True)`` call on the same left-padded prompts, which
records nothing. Generated tokens per second of both, and their ratio, in the same run.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

import entropy_gym  # noqa: F401
from entropy_gym.agents.llm.model import INSTALL_HINT, default_model_available

needs_llm = pytest.mark.skipif(
    not default_model_available(), reason=f"the default LLM is not installed: `{INSTALL_HINT}`"
)
BATCH, NEW_TOKENS = 8, 24


@needs_llm
def test_sampler_tokens_per_second_against_generate(benchmark):
    import torch

    from entropy_gym.agents.llm.lm import LanguageModel
    from entropy_gym.agents.llm.rl.sampling import left_pad, sample

    lm = LanguageModel.load()
    env = gym.make("Reasoning/Arithmetic-easy-v0")
    prompts = [lm.chat_ids(env.reset(seed=s)[0]) for s in range(BATCH)]
    generator = torch.Generator().manual_seed(0)

    def ours():
        with torch.no_grad():
            return sample(
                lm.model,
                prompts,
                max_new_tokens=NEW_TOKENS,
                stop_ids=[],
                pad_id=lm.pad_id,
                generator=generator,
            )

    drawn = benchmark.pedantic(ours, rounds=3, iterations=1, warmup_rounds=1)
    assert all(len(t) == NEW_TOKENS for t in drawn.tokens)
    assert all(np.isfinite(e).all() and len(e) == NEW_TOKENS for e in drawn.entropies)
    ours_s = benchmark.stats.stats.min

    ids, mask, _ = left_pad(prompts, lm.pad_id, "cpu")
    generate_s = np.inf
    for _ in range(3):
        torch.manual_seed(0)
        start = time.perf_counter()
        with torch.no_grad():
            out = lm.model.generate(
                input_ids=ids,
                attention_mask=mask,
                do_sample=True,
                top_k=0,
                top_p=1.0,
                temperature=1.0,
                max_new_tokens=NEW_TOKENS,
                min_new_tokens=NEW_TOKENS,
                pad_token_id=lm.pad_id,
            )
        generate_s = min(generate_s, time.perf_counter() - start)
    assert out.shape == (BATCH, ids.shape[1] + NEW_TOKENS)
    tokens = BATCH * NEW_TOKENS
    benchmark.extra_info.update(
        sampler_tokens_per_s=tokens / ours_s,
        generate_tokens_per_s=tokens / generate_s,
        ratio=generate_s / ours_s,
    )
    print(
        f"\nsampler {tokens / ours_s:.0f} tok/s, generate {tokens / generate_s:.0f} tok/s, "
        f"sampler/generate speed x{generate_s / ours_s:.2f}"
    )
