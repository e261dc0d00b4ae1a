"""The measures the entropy papers argue with, from sampled episodes.

* :func:`pass_at_k`: the chance that at least one of ``k`` samples of a problem succeeds, by
  the unbiased estimator of Chen et al. (2021) from ``n >= k`` samples of which ``c`` succeed:
  ``1 - C(n - c, k) / C(n, k)``, computed as a product so that it never overflows.
* :func:`answer_entropy`: the entropy (nats) of the distinct final answers to one problem, the
  answer-level diversity that token entropy can hide (many token paths to one answer, or one
  token path to many).
* :func:`group_reward_stats`: the spread of returns within each group of GRPO and the share of
  groups whose returns are all equal: such a group has zero advantage everywhere and teaches
  nothing, the collapse warning of RAGEN's "echo trap".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from ``n`` samples with ``c`` successes (``1 <= k <= n``)."""
    if not (isinstance(n, int) and isinstance(c, int) and isinstance(k, int)):
        raise TypeError(f"pass_at_k takes integers, got n={n!r}, c={c!r}, k={k!r}")
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def ks_up_to(n: int) -> list[int]:
    """``1, 2, 4, ...``: the powers of two ``k`` with ``2k <= n`` (at least ``[1]``)."""
    ks = [1]
    while 2 * ks[-1] * 2 <= n:
        ks.append(2 * ks[-1])
    return ks


def mean_pass_at_k(
    successes: Sequence[Sequence[bool]], ks: Iterable[int] | None = None
) -> dict[int, float]:
    """pass@k averaged over problems, each given as its samples' successes; ``ks`` defaults
    to :func:`ks_up_to` the smallest sample count."""
    if not successes or any(len(s) == 0 for s in successes):
        raise ValueError("mean_pass_at_k needs at least one sample of every problem")
    n_min = min(len(s) for s in successes)
    chosen = list(ks) if ks is not None else ks_up_to(n_min)
    return {
        k: float(np.mean([pass_at_k(len(s), int(sum(map(bool, s))), k) for s in successes]))
        for k in chosen
    }


def answer_entropy(answers: Iterable[Hashable]) -> float:
    """Entropy in nats of the empirical distribution of ``answers`` (0 for one distinct)."""
    counts = np.array(list(Counter(answers).values()), dtype=np.float64)
    if counts.size == 0:
        raise ValueError("answer_entropy needs at least one answer")
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def group_reward_stats(rewards: Sequence[float], groups: Sequence[int]) -> dict[str, float]:
    """``reward_std_within_group`` (mean over groups of the population standard deviation of
    their returns) and ``zero_variance_groups`` (the share of groups whose returns are equal)."""
    if len(rewards) != len(groups) or not rewards:
        raise ValueError("group_reward_stats needs one group id per reward, and some rewards")
    r, g = np.asarray(rewards, dtype=np.float64), np.asarray(groups)
    stds = np.array([r[g == group].std() for group in np.unique(g)])
    return {
        "reward_std_within_group": float(stds.mean()),
        "zero_variance_groups": float((stds < 1e-12).mean()),
    }


__all__ = ["answer_entropy", "group_reward_stats", "ks_up_to", "mean_pass_at_k", "pass_at_k"]
