"""Held-out evaluation of a policy by sampling: pass@k, answer entropy, token entropy.

Problems are env seeds from :func:`heldout_seeds`: the same list for every agent seed, run and
intervention (so cells are compared on the same problems, paired), and apart from the training
seeds (which come from the agent's seed and the update index). Each problem is played
``samples`` times by the same :class:`~.episodes.EpisodeRunner` that plays training episodes (a
problem is a group of ``samples`` members), so what is measured is exactly the sampled policy,
multi-turn episodes included.

The record (keys prefixed ``heldout_``): ``success`` (mean over every sample of "solved", see
:mod:`.answers`), ``pass@k`` for ``k = 1, 2, 4, ...`` up to ``samples / 2`` (Chen et al.'s
unbiased estimator, :mod:`.metrics`), ``answer_entropy`` (mean over problems of the entropy of
their samples' final answers), ``distinct_answers`` (mean count per problem), ``token_entropy``
(mean exact entropy of the generated tokens), ``tokens`` (generated tokens per sample),
``return`` (mean episode return) and ``invalid_rate`` (where the env reports one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from entropy_gym.agents.llm.rl.batch import RolloutPlan, Trajectory
from entropy_gym.agents.llm.rl.episodes import EpisodeRunner
from entropy_gym.agents.llm.rl.metrics import answer_entropy, ks_up_to, mean_pass_at_k
from entropy_gym.agents.llm.rl.sampling import LogitsHook

#: The fixed root of the held-out problems' seeds.
HELDOUT_ROOT = 0x4E1D0
#: Most episodes played in one batch.
MAX_BATCH = 256


def heldout_seeds(count: int) -> list[int]:
    """The env seeds of the first ``count`` held-out problems (a prefix of one fixed list)."""
    state = np.random.SeedSequence(HELDOUT_ROOT).generate_state(max(count, 1), dtype=np.uint32)
    return [int(s) for s in state[:count]]


def play_heldout(
    runner: EpisodeRunner,
    model: Any,
    seeds: Sequence[int],
    samples: int,
    max_new_tokens: int,
    generator: torch.Generator,
    logits_hook: LogitsHook | None = None,
) -> list[list[Trajectory]]:
    """``samples`` episodes of each problem ``seeds[i]``, as one list per problem."""
    per_batch = max(1, MAX_BATCH // samples)
    out: list[list[Trajectory]] = []
    for start in range(0, len(seeds), per_batch):
        chunk = list(seeds[start : start + per_batch])
        plan = RolloutPlan(len(chunk), samples, max_new_tokens)
        played = runner.play(model, plan, chunk, generator, logits_hook)
        out.extend(played[g * samples : (g + 1) * samples] for g in range(len(chunk)))
    return out


def summarise(problems: Sequence[Sequence[Trajectory]]) -> dict[str, float]:
    """The ``heldout_`` record of played problems (see the module docstring)."""
    episodes = [t for p in problems for t in p]
    entropies = [h for t in episodes for turn in t.turns for h in turn.entropies]
    record: dict[str, float] = {
        "heldout_return": float(np.mean([t.reward for t in episodes])),
        "heldout_tokens": float(np.mean([t.tokens for t in episodes])),
        "heldout_token_entropy": float(np.mean(entropies)) if entropies else 0.0,
    }
    invalid = [t.metrics["invalid_rate"] for t in episodes if "invalid_rate" in t.metrics]
    if invalid:
        record["heldout_invalid_rate"] = float(np.mean(invalid))
    answers = [[t.answer for t in p if t.answer is not None] for p in problems]
    if all(answers):
        record["heldout_answer_entropy"] = float(np.mean([answer_entropy(a) for a in answers]))
        record["heldout_distinct_answers"] = float(np.mean([len(set(a)) for a in answers]))
    solved = [[bool(t.solved) for t in p] for p in problems]
    if all(t.solved is not None for t in episodes):
        record["heldout_success"] = float(np.mean([s for p in solved for s in p]))
        n = min(len(p) for p in problems)
        for k, value in mean_pass_at_k(solved, ks_up_to(n)).items():
            record[f"heldout_pass@{k}"] = value
    return record


__all__ = ["HELDOUT_ROOT", "heldout_seeds", "play_heldout", "summarise"]
