"""Rank correlation with a bootstrap interval: does an ordering under one condition carry over
to another?

STORI's by-type claim is that robustness to one kind of stochasticity does not carry over to
another: the agents' ranking (or their robustness) under type A predicts little about type B.
:func:`rank_correlation` measures that for one pair of conditions: the Spearman (or Kendall
tau-b) correlation between the items' mean scores under A and under B, with a percentile
interval from a bootstrap over runs (seeds), resampled independently per item and condition,
as rliable resamples runs. An interval that contains 0 says the ordering under A does not
resolve the ordering under B at these seeds; one near 1, that it carries over.
:func:`pairwise_rank_correlations` does every pair of a table of conditions.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

METHODS = ("spearman", "kendall")


@dataclass(frozen=True)
class RankCorrelation:
    """A rank correlation of ``n_items`` items, its bootstrap interval and the method."""

    value: float
    low: float
    high: float
    n_items: int
    method: str
    confidence: float

    @property
    def resolves_zero(self) -> bool:
        """Whether the interval excludes 0 (the orderings are related, or opposed)."""
        return self.low > 0 or self.high < 0


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, 1-based, ties sharing their average rank."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, axis=-1, kind="stable")
    sorted_values = np.take_along_axis(values, order, axis=-1)
    n = values.shape[-1]
    base = np.broadcast_to(np.arange(1, n + 1, dtype=np.float64), values.shape).copy()
    # Average the ranks of each run of equal values.
    flat_sorted = sorted_values.reshape(-1, n)
    flat_base = base.reshape(-1, n)
    for row, (vals, rk) in enumerate(zip(flat_sorted, flat_base)):
        start = 0
        for i in range(1, n + 1):
            if i == n or vals[i] != vals[start]:
                if i - start > 1:
                    flat_base[row, start:i] = rk[start:i].mean()
                start = i
    out = np.empty_like(base)
    np.put_along_axis(out, order, base, axis=-1)
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho along the last axis (NaN where either side has no spread)."""
    rx, ry = ranks(x), ranks(y)
    rx = rx - rx.mean(-1, keepdims=True)
    ry = ry - ry.mean(-1, keepdims=True)
    den = np.sqrt((rx**2).sum(-1) * (ry**2).sum(-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (rx * ry).sum(-1) / np.where(den > 0, den, 1.0), np.nan)


def kendall(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b along the last axis (NaN where either side has no spread)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    n = x.shape[-1]
    i, j = np.triu_indices(n, 1)
    sx = np.sign(x[..., j] - x[..., i])
    sy = np.sign(y[..., j] - y[..., i])
    concordance = (sx * sy).sum(-1)
    den = np.sqrt((sx != 0).sum(-1) * (sy != 0).sum(-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, concordance / np.where(den > 0, den, 1.0), np.nan)


def _check(scores: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(scores, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 3:
        raise ValueError(
            f"{name} must be a (runs, items) array with at least 3 items, got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} has non-finite scores")
    return array


def rank_correlation(
    scores_a: np.ndarray,
    scores_b: np.ndarray,
    *,
    method: str = "spearman",
    reps: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> RankCorrelation:
    """The rank correlation between the items' mean scores under condition A and under B.

    ``scores_a`` and ``scores_b`` are ``(runs, items)``: column ``k`` holds item ``k``'s score
    in each run (seed) under that condition; the runs of A and B need not be paired or equal
    in number. The interval is the percentile interval of ``reps`` bootstrap replications,
    each resampling every item's runs with replacement, independently per condition.
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r} is unknown; expected one of: {', '.join(METHODS)}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    a, b = _check(scores_a, "scores_a"), _check(scores_b, "scores_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"scores_a and scores_b must have the same items, got {a.shape[1]} and {b.shape[1]}"
        )
    corr = spearman if method == "spearman" else kendall
    value = float(corr(a.mean(0), b.mean(0)))
    rng = np.random.default_rng(seed)
    boot = []
    for scores in (a, b):
        runs, items = scores.shape
        draws = rng.integers(0, runs, size=(reps, runs, items))
        boot.append(np.take_along_axis(scores[None], draws, axis=1).mean(1))
    replications = corr(boot[0], boot[1])
    replications = replications[np.isfinite(replications)]
    tail = (1 - confidence) / 2 * 100
    low, high = (
        np.percentile(replications, [tail, 100 - tail]) if replications.size else (np.nan, np.nan)
    )
    return RankCorrelation(value, float(low), float(high), a.shape[1], method, confidence)


def pairwise_rank_correlations(
    table: Mapping[str, np.ndarray], **kwargs: object
) -> dict[tuple[str, str], RankCorrelation]:
    """:func:`rank_correlation` for every pair of conditions in ``table`` (condition ->
    ``(runs, items)`` scores, the same items in the same order), in the table's order."""
    return {
        (p, q): rank_correlation(table[p], table[q], **kwargs)  # type: ignore[arg-type]
        for p, q in itertools.combinations(table, 2)
    }
