"""Rank correlation with a bootstrap interval (entropy_gym.scoring.rank_correlation)."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_gym.scoring.rank_correlation import (
    kendall,
    pairwise_rank_correlations,
    rank_correlation,
    ranks,
    spearman,
)

stats = pytest.importorskip("scipy.stats")


def test_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 4, 9).astype(float)
        y = rng.normal(size=9)
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)
        assert kendall(x, y) == pytest.approx(stats.kendalltau(x, y).statistic)
    assert np.array_equal(ranks(np.array([3.0, 1.0, 3.0, 2.0])), [3.5, 1.0, 3.5, 2.0])


def test_interval_separates_carried_over_from_unrelated_orderings():
    rng = np.random.default_rng(1)
    skill = np.arange(8, dtype=float)
    a = skill + rng.normal(0, 0.3, (10, 8))
    same = rank_correlation(a, skill + rng.normal(0, 0.3, (10, 8)), seed=3)
    assert same.value > 0.9 and same.low > 0.7 and same.resolves_zero
    other = rank_correlation(a, rng.normal(0, 3.0, (10, 8)), seed=3)
    assert other.low < 0 < other.high and not other.resolves_zero
    flipped = rank_correlation(a, -a, method="kendall")
    assert flipped.value == -1 and flipped.high < 0
    # same seed, same interval
    assert rank_correlation(a, -a, seed=5) == rank_correlation(a, -a, seed=5)


def test_pairs_and_errors():
    table = {t: np.random.default_rng(i).normal(size=(5, 4)) for i, t in enumerate("ABC")}
    pairs = pairwise_rank_correlations(table, reps=200)
    assert list(pairs) == [("A", "B"), ("A", "C"), ("B", "C")]
    with pytest.raises(ValueError, match="at least 3 items"):
        rank_correlation(np.ones((3, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="same items"):
        rank_correlation(np.ones((3, 4)), np.ones((3, 5)))
    with pytest.raises(ValueError, match="method 'pearson' is unknown"):
        rank_correlation(np.ones((3, 4)), np.ones((3, 4)), method="pearson")
