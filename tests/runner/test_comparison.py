"""Verdicts against a baseline on hand-built score sets whose answers are known: the exact
permutation p-value (checked against brute-force enumeration of every split), Holm's
correction, the verdict, the tier ranks, and the error rates under the null hypothesis."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from entropy_gym.scoring.aggregate import improvement_estimate
from entropy_gym.scoring.comparison import (
    BETTER,
    UNRESOLVED,
    WORSE,
    Comparison,
    compare_group,
    doubled_midranks,
    env_null,
    holm,
    permutation_p_value,
    tier_ranks,
    verdict,
)


def brute_force_p(x: np.ndarray, y: np.ndarray) -> float:
    """The stratified two-sided permutation p-value by enumerating every joint split."""
    nx, tasks = x.shape
    per_env = []
    for t in range(tasks):
        pooled = np.concatenate([x[:, t], y[:, t]])
        values = []
        for chosen in itertools.combinations(range(pooled.size), nx):
            mask = np.zeros(pooled.size, dtype=bool)
            mask[list(chosen)] = True
            a, b = pooled[mask][:, None], pooled[~mask][None, :]
            values.append(int((2 * (a > b) + (a == b)).sum()))
        per_env.append(values)
    observed = sum(
        int((2 * (x[:, [t]] > y[:, t]) + (x[:, [t]] == y[:, t])).sum()) for t in range(tasks)
    )
    centre = tasks * nx * y.shape[0]
    hits = total = 0
    for combo in itertools.product(*per_env):
        total += 1
        hits += abs(sum(combo) - centre) >= abs(observed - centre)
    return hits / total


def column(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)[:, None]


def test_three_seeds_that_all_win_are_not_a_verdict():
    """P = 1 and a bootstrap interval of [1, 1], yet the exact test cannot go below 0.1."""
    x, y = column(4, 5, 6), column(1, 2, 3)
    poi, p = permutation_p_value(x, y)
    assert poi == 1.0 and p == pytest.approx(2 / math.comb(6, 3)) == 0.1
    assert improvement_estimate(x, y, reps=500)["ci"] == [1.0, 1.0]
    [c] = compare_group("base", ["x"], {"x": x, "base": y})
    assert c.verdict == UNRESOLVED and c.p_adjusted == pytest.approx(0.1)


def test_ten_seeds_that_all_win_or_all_lose_are_better_and_worse():
    x, y = np.arange(10.0)[:, None] + 10, np.arange(10.0)[:, None]
    poi, p = permutation_p_value(x, y)
    assert poi == 1.0 and p == pytest.approx(2 / math.comb(20, 10), rel=1e-9)
    results = compare_group("y", ["x", "z"], {"x": x, "z": y - 20, "y": y})
    assert [(c.label, c.verdict) for c in results] == [("x", BETTER), ("z", WORSE)]
    assert results[1].poi == 0.0


def test_identical_runs_are_not_resolved():
    x = column(0.3, 0.1, 0.7, 0.2)
    assert permutation_p_value(x, x.copy()) == (0.5, 1.0)
    assert verdict(0.5, 0.0) == UNRESOLVED  # no direction, no verdict


def test_envs_are_strata_and_their_evidence_adds_up():
    """3 seeds each on 2 envs, every X run above every Y run: 2 / 20**2 = 0.005."""
    x = np.array([[4.0, 14.0], [5.0, 15.0], [6.0, 16.0]])
    y = x - 3.5
    poi, p = permutation_p_value(x, y)
    assert poi == 1.0 and p == pytest.approx(0.005)
    [c] = compare_group("y", ["x"], {"x": x, "y": y})
    assert c.verdict == BETTER


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (column(1, 1, 2, 3, 3, 3), column(0, 1, 1, 2, 2)),  # ties, unequal counts
        (np.array([[1.0, 0.0], [2.0, 5.0], [2.0, 1.0]]), np.array([[2.0, 1.0], [0.0, 1.0]])),
        (np.array([[0.5, 0.5], [0.5, 0.7]]), np.array([[0.5, 0.6], [0.4, 0.5], [0.5, 0.5]])),
        (
            np.random.default_rng(3).integers(0, 3, (4, 3)),
            np.random.default_rng(4).integers(0, 3, (3, 3)),
        ),
    ],
)
def test_exact_p_value_equals_enumerating_every_split(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    assert permutation_p_value(x, y)[1] == pytest.approx(brute_force_p(x, y), abs=1e-12)


def test_one_env_without_ties_is_the_exact_mann_whitney_test():
    rng = np.random.default_rng(11)
    for nx, ny in [(4, 5), (7, 7), (12, 9)]:
        a, b = rng.normal(size=nx), rng.normal(size=ny) + 0.7
        expected = stats.mannwhitneyu(a, b, method="exact").pvalue
        assert permutation_p_value(a[:, None], b[:, None])[1] == pytest.approx(expected, rel=1e-9)


def test_null_distribution_and_mid_ranks():
    assert doubled_midranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [7, 2, 7, 4]
    dist = env_null(np.arange(6.0), 3)  # U of 3 vs 3: 1 1 2 3 3 3 3 2 1 1 (over 20), in half points
    assert np.allclose(dist[::2] * 20, [1, 1, 2, 3, 3, 3, 3, 2, 1, 1]) and dist[1::2].sum() == 0


def test_many_seeds_use_the_normal_approximation_close_to_the_exact_test():
    rng = np.random.default_rng(5)
    x, y = rng.normal(0.2, 1, (60, 2)), rng.normal(0, 1, (60, 2))
    _, p = permutation_p_value(x, y)  # 60 a side: beyond the exact table
    z = (
        stats.mannwhitneyu(x[:, 0], y[:, 0]).statistic
        + stats.mannwhitneyu(x[:, 1], y[:, 1]).statistic
        - 3600
    ) / math.sqrt(2 * 3600 * 121 / 12)
    assert p == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-6)


def test_holm_adjusts_step_down_and_keeps_the_order():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.2, 0.001]) == pytest.approx([0.2, 0.002])
    assert holm([0.5, 0.6, 0.9, 0.01]) == pytest.approx([1.0, 1.0, 1.0, 0.04])
    assert holm([]) == []


def _five(u: int) -> np.ndarray:
    """5 runs against the baseline's 0..4 winning ``u`` (23 to 25) of the 25 pairs: four
    runs above every baseline run, one above all but ``25 - u`` of them."""
    return column(4.5 - (25 - u), 6, 7, 8, 9)


def test_holm_turns_four_significant_tests_into_no_verdict():
    """Four agents, each with U = 23 of 25 against the baseline: alone p = 8 / 252 = 0.032,
    significant at 0.05; over four comparisons Holm's first step needs 0.0125: none resolved.
    One of them winning every pair (p = 2 / 252) is then resolved, and lets the rest be
    tested at 0.05 / 3 = 0.0167, still too strict for 0.032."""
    base = np.arange(5.0)[:, None]
    assert permutation_p_value(_five(23), base)[1] == pytest.approx(8 / 252)
    four = {f"a{i}": _five(23) for i in range(4)}
    results = compare_group("base", list(four), {**four, "base": base})
    assert all(
        c.verdict == UNRESOLVED and c.p_adjusted == pytest.approx(4 * 8 / 252) for c in results
    )
    mixed = {"a0": _five(25), "a1": _five(23), "a2": _five(23), "a3": _five(23)}
    results = {c.label: c for c in compare_group("base", list(mixed), {**mixed, "base": base})}
    assert results["a0"].verdict == BETTER and results["a0"].p_adjusted == pytest.approx(
        4 * 2 / 252
    )
    assert {results[k].verdict for k in ("a1", "a2", "a3")} == {UNRESOLVED}
    assert results["a1"].p_adjusted == pytest.approx(3 * 8 / 252)


def test_labels_without_scores_get_no_comparison():
    x = column(1, 2, 3)
    assert compare_group("base", ["x"], {"x": x}) == []
    assert [c.label for c in compare_group("base", ["x", "gone"], {"x": x, "base": x})] == ["x"]


def test_tier_ranks_separate_only_resolved_verdicts():
    comparisons = [
        Comparison("a", "b", 0.9, 0.001, 0.004, BETTER),
        Comparison("c", "b", 0.7, 0.2, 0.4, UNRESOLVED),
        Comparison("d", "b", 0.1, 0.001, 0.004, WORSE),
        Comparison("e", "b", 0.95, 0.001, 0.004, BETTER),
        Comparison("f", "b", 0.3, 0.3, 0.6, UNRESOLVED),
    ]
    assert tier_ranks("b", comparisons) == {"b": 3, "a": 1, "c": 3, "d": 6, "e": 1, "f": 3}
    assert tier_ranks("b", comparisons[1:2]) == {"b": 1, "c": 1}


def test_error_rates_under_the_null_stay_at_the_level():
    """Boards whose agents all equal the baseline (5 seeds, 3 envs, 3 agents): a single
    comparison rejects at most about 5% of the time, Holm's family at most about 5% too."""
    rng = np.random.default_rng(2024)
    single = family = 0
    trials = 400
    for _ in range(trials):
        scores = {k: rng.normal(size=(5, 3)) for k in ("base", "a", "b", "c")}
        results = compare_group("base", ["a", "b", "c"], scores)
        single += results[0].p_value <= 0.05
        family += any(c.verdict != UNRESOLVED for c in results)
    bound = 0.05 + 2.5 * math.sqrt(0.05 * 0.95 / trials)
    assert single / trials <= bound and family / trials <= bound
    assert family / trials < 3 * single / trials + 0.01  # Holm is far from the sum of three
