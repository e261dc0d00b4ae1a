"""Agents against a declared baseline: a test of P(X > Y), Holm's correction, verdicts, ranks.

**The statistic** is rliable's probability of improvement, ``P(X > Y)``: per env, the
Mann-Whitney ``U`` of X's runs (seeds) against the baseline's over ``n_x n_y`` (ties count one
half), averaged over envs (:func:`~entropy_gym.scoring.aggregate.probability_of_improvement`).

**The test** is the stratified permutation test of that statistic (the stratified
Wilcoxon-Mann-Whitney test, as van Elteren's, with its exact null distribution): under the null
hypothesis that X's and Y's runs on an env are exchangeable, every split of the env's pooled
``n_x + n_y`` scores into ``n_x`` and ``n_y`` is equally likely, independently per env. Since
``2 U = 2 R_x - n_x (n_x + 1)`` with ``R_x`` the sum of X's mid-ranks (ties share the mean of
their ranks, so twice a mid-rank is an integer), each env's null distribution of ``2 U`` is
counted exactly, ties included, by a dynamic programme over the pooled scores (how many ways
``j`` of the first ``i`` scores sum to each doubled rank sum), and the null distribution of
``sum_t 2 U_t`` is their convolution. The two-sided p-value is the null probability of a
statistic at least as far from its centre (``P = 1/2``) as the observed one. It is exact
for small boards, where bootstrap intervals are not: with 3 seeds against 3 on one env, every
run of X above every run of Y gives ``P = 1`` and a bootstrap interval of ``[1, 1]``, but a
two-sided p-value of ``2 / C(6, 3) = 0.1``, so no verdict. Beyond :data:`EXACT_CELLS` table
entries per env (about 50 seeds a side) the normal approximation with the tie-corrected
variance replaces the count.

**Holm's correction** over the ``m`` agents compared with one baseline: sort their p-values,
``p_(1) <= ... <= p_(m)``; the adjusted ``p~_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``.
An agent is **better** (worse) than its baseline when ``p~ <= alpha`` (0.05) and ``P(X > Y)``
is above (below) one half, else **not resolved**. Holm controls the family-wise error rate
at ``alpha`` for any dependence between the tests; a directional verdict from a two-sided
rejection keeps that control in practice (Shaffer 1980).

**Ranks** are tiers relative to the baseline: the agents resolved better than it share the
first rank, the baseline and every agent not resolved against it share the next, the agents
resolved worse share the last (competition ranking: 1, 1, 3, 3, 5). A rank therefore
separates two rows only where a resolved verdict places one of them above or below the
baseline the other is not resolved from; rows of different baseline groups are ranked within
their group.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from entropy_gym.scoring.aggregate import probability_of_improvement

#: Family-wise error rate of the verdicts.
ALPHA = 0.05
#: Largest dynamic-programme table (count x doubled rank sum) of an exact null distribution.
EXACT_CELLS = 500_000

BETTER, WORSE, UNRESOLVED = "better", "worse", "not resolved"


def _pair_points(pooled: np.ndarray) -> np.ndarray:
    """``(n, n)`` integers: 2 where ``pooled[i] > pooled[j]``, 1 for a tie, 0 otherwise."""
    a, b = pooled[:, None], pooled[None, :]
    return np.asarray(2 * (a > b) + (a == b), dtype=np.int64)


def doubled_midranks(pooled: np.ndarray) -> np.ndarray:
    """Twice the mid-ranks (1-based) of ``pooled``: integers, ties sharing their mean rank."""
    values = np.asarray(pooled, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    out = np.empty(values.size, dtype=np.int64)
    start = 0
    while start < values.size:
        stop = start
        while stop + 1 < values.size and ranked[stop + 1] == ranked[start]:
            stop += 1
        out[order[start : stop + 1]] = (start + 1) + (stop + 1)  # first + last rank
        start = stop + 1
    return out


def env_null(pooled: np.ndarray, nx: int) -> np.ndarray:
    """Exact null distribution of ``2 U`` on one env: probabilities of ``0 .. 2 n_x n_y`` over
    the equally likely splits of ``pooled`` (X's runs and Y's together) into ``n_x`` and the
    rest, ties included (module docstring)."""
    ranks = doubled_midranks(pooled)
    n = ranks.size
    ny = n - nx
    top = int(np.sort(ranks)[-nx:].sum()) if nx else 0
    if (nx + 1) * (top + 1) > EXACT_CELLS:
        raise OverflowError("too many runs for an exact null distribution")
    ways = np.zeros((nx + 1, top + 1))
    ways[0, 0] = 1.0
    for taken, r in enumerate(ranks, start=1):
        hi = min(nx, taken)
        # Ways with this score among X's: one more in X, doubled rank sum shifted by r.
        ways[1 : hi + 1, r:] += ways[0:hi, : top + 1 - r].copy()
    shift = nx * (nx + 1)  # 2U = 2R - n_x (n_x + 1)
    dist = ways[nx, shift : shift + 2 * nx * ny + 1]
    return np.asarray(dist / dist.sum())


def convolve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distribution of the sum of two independent integer variables (FFT for long ones)."""
    if a.size * b.size <= 4_000_000:
        return np.convolve(a, b)
    size = a.size + b.size - 1
    out = np.fft.irfft(np.fft.rfft(a, size) * np.fft.rfft(b, size), size)
    return np.clip(out, 0.0, None)


def _normal_p(observed: float, centre: float, variance: float) -> float:
    if variance <= 0:
        return 1.0 if observed == centre else 0.0
    z = abs(observed - centre) / math.sqrt(variance)
    return float(math.erfc(z / math.sqrt(2.0)))


def _u2_variance(pooled: np.ndarray, nx: int) -> float:
    """Null variance of ``2 U`` with the tie correction."""
    n, ny = pooled.size, pooled.size - nx
    if n < 2:
        return 0.0
    _, counts = np.unique(pooled, return_counts=True)
    ties = float(((counts**3) - counts).sum())
    return 4.0 * nx * ny / 12.0 * ((n + 1) - ties / (n * (n - 1)))


def permutation_p_value(scores_x: np.ndarray, scores_y: np.ndarray) -> tuple[float, float]:
    """``(P(X > Y), two-sided p-value)`` of the stratified permutation test (module
    docstring). Score matrices are ``(runs, envs)``; X and Y may have different run counts."""
    x = np.asarray(scores_x, dtype=np.float64)
    y = np.asarray(scores_y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"expected (runs, envs) matrices with the same envs, got {x.shape} and {y.shape}"
        )
    (nx, tasks), ny = x.shape, y.shape[0]
    pooled = [np.concatenate([x[:, t], y[:, t]]) for t in range(tasks)]
    observed = sum(int(_pair_points(p)[:nx, nx:].sum()) for p in pooled)
    centre = tasks * nx * ny  # E[sum 2U] = tasks * n_x n_y
    poi = probability_of_improvement(x, y)
    try:
        total = np.ones(1)
        for p in pooled:
            total = convolve(total, env_null(p, nx))
    except OverflowError:
        return poi, _normal_p(observed, centre, sum(_u2_variance(p, nx) for p in pooled))
    support = np.abs(np.arange(total.size) - centre)
    # Rounded so that sums of exact fractions compare exactly with alpha (0.05 is not 0.0500001).
    return poi, round(float(min(1.0, total[support >= abs(observed - centre)].sum())), 12)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order (step-down, monotone, capped at 1)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: (p_values[i], i))
    adjusted = [0.0] * m
    running = 0.0
    for step, i in enumerate(order):
        running = max(running, min(1.0, (m - step) * float(p_values[i])))
        adjusted[i] = running
    return adjusted


def verdict(poi: float, p_adjusted: float, alpha: float = ALPHA) -> str:
    """``better``, ``worse`` or ``not resolved`` from P(X > Y) and the adjusted p-value."""
    if p_adjusted <= alpha and poi != 0.5:
        return BETTER if poi > 0.5 else WORSE
    return UNRESOLVED


@dataclass(frozen=True)
class Comparison:
    """One agent against its baseline."""

    label: str
    baseline: str
    poi: float
    p_value: float
    p_adjusted: float
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def compare_group(
    baseline: str,
    labels: Sequence[str],
    matrices: Mapping[str, np.ndarray],
    alpha: float = ALPHA,
) -> list[Comparison]:
    """Every label with a score matrix against ``baseline``, Holm-corrected over those
    compared. Labels without scores, or a baseline without them, get no comparison."""
    if baseline not in matrices:
        return []
    compared = [lab for lab in labels if lab in matrices and lab != baseline]
    tests = [permutation_p_value(matrices[lab], matrices[baseline]) for lab in compared]
    adjusted = holm([p for _, p in tests])
    return [
        Comparison(lab, baseline, poi, p, adj, verdict(poi, adj, alpha))
        for lab, (poi, p), adj in zip(compared, tests, adjusted)
    ]


#: Tier of a row within its baseline group (lower ranks higher).
TIERS = {BETTER: 0, UNRESOLVED: 1, WORSE: 2}


def tier_ranks(baseline: str, comparisons: Sequence[Comparison]) -> dict[str, int]:
    """Competition ranks of a baseline group by tier (module docstring): better agents first,
    then the baseline with every unresolved agent, then worse agents."""
    tiers = {baseline: TIERS[UNRESOLVED], **{c.label: TIERS[c.verdict] for c in comparisons}}
    return {label: 1 + sum(1 for t in tiers.values() if t < tier) for label, tier in tiers.items()}
