"""Aggregate statistics over a suite with rliable: IQM and mean with stratified bootstrap
confidence intervals, probability of improvement, and performance profiles.

Score matrices are ``(runs, tasks)`` with **seeds on the runs axis**: a cell's evaluation
episodes are averaged first, so that episodes never inflate the number of runs.

Reproducibility: rliable's ``StratifiedBootstrap`` draws its resampling indices from NumPy's
*global* generator (``np.random.choice``), not from ``random_state``. Every bootstrap here
therefore runs inside :func:`seeded_global_numpy`, which seeds the global generator and
restores its previous state afterwards, so a leaderboard reproduces bit for bit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

#: Seed of every bootstrap (a leaderboard is a pure function of its rows).
BOOTSTRAP_SEED = 20211206
CONFIDENCE = 0.95


def _rliable() -> Any:
    """``rliable.library``, or a one-line error that says how to install it."""
    try:
        from rliable import library
    except ImportError as err:
        from entropy_gym.agents.base import ConfigError

        raise ConfigError(
            f"leaderboard statistics need rliable ({err}); "
            "install them with: pip install 'entropy-gym[stats]'"
        ) from None
    return library


def stable_seed(*parts: str) -> int:
    """A bootstrap seed from names (e.g. a row label), so a row's interval does not depend on
    which other rows the leaderboard holds or in what order."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (int.from_bytes(digest[:4], "little") ^ BOOTSTRAP_SEED) % 2**32


@contextmanager
def seeded_global_numpy(seed: int) -> Iterator[None]:
    """Seed NumPy's global generator for the block and restore its state afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean over all runs and tasks: the mean of the middle 50% of scores after
    cutting ``int(0.25 * n)`` from each end. The same number as
    ``rliable.metrics.aggregate_iqm`` (``scipy.stats.trim_mean(scores, 0.25, axis=None)``),
    without SciPy's per-call overhead, which dominates a 2,000-replication bootstrap."""
    flat = np.sort(np.asarray(scores, dtype=np.float64), axis=None)
    cut = int(0.25 * flat.size)
    return float(flat[cut : flat.size - cut].mean())


def iqm_and_mean(scores: np.ndarray) -> np.ndarray:
    """``[IQM, mean]`` of a score matrix (what every bootstrap replication evaluates)."""
    return np.array([iqm(scores), float(np.mean(scores))])


def aggregate_estimates(
    score_dict: Mapping[str, np.ndarray], reps: int
) -> dict[str, dict[str, Any]]:
    """IQM and mean of each ``(runs, tasks)`` matrix with 95% stratified bootstrap CIs
    (``rliable.library.get_interval_estimates``; runs are resampled within each task)."""
    rly = _rliable()

    out: dict[str, dict[str, Any]] = {}
    for label, scores in score_dict.items():
        scores = np.asarray(scores, dtype=np.float64)
        seed = stable_seed("aggregate", label)
        with seeded_global_numpy(seed):
            points, intervals = rly.get_interval_estimates(
                {label: scores},
                iqm_and_mean,
                reps=reps,
                confidence_interval_size=CONFIDENCE,
            )
        (iqm, mean), ci = points[label], intervals[label]
        out[label] = {
            "iqm": float(iqm),
            "iqm_ci": [float(ci[0][0]), float(ci[1][0])],
            "mean": float(mean),
            "mean_ci": [float(ci[0][1]), float(ci[1][1])],
        }
    return out


def probability_of_improvement(scores_x: np.ndarray, scores_y: np.ndarray) -> float:
    """P(X > Y): per task, the Mann-Whitney U statistic of X's runs against Y's divided by
    ``n_x * n_y`` (ties count one half), averaged over tasks. The same statistic as
    ``rliable.metrics.probability_of_improvement``, counted over all (x run, y run, task)
    triples at once instead of one SciPy call per task, which matters inside a bootstrap.
    (Every task has ``n_x * n_y`` pairs, so the mean over tasks is the mean over triples.)"""
    x = np.asarray(scores_x, dtype=np.float64)[:, None, :]
    y = np.asarray(scores_y, dtype=np.float64)[None, :, :]
    greater = np.count_nonzero(x > y)
    ties = np.count_nonzero(x == y)
    return float((greater + 0.5 * ties) / (x.shape[0] * y.shape[1] * x.shape[2]))


def improvement_estimate(
    scores_x: np.ndarray, scores_y: np.ndarray, reps: int, seed: int = BOOTSTRAP_SEED
) -> dict[str, Any]:
    """P(X > Y) with a 95% CI from rliable's stratified independent bootstrap (the runs of X
    and Y are resampled independently within each task, so their counts may differ)."""
    rly = _rliable()

    def func(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.array([probability_of_improvement(x, y)])

    with seeded_global_numpy(seed):
        points, intervals = rly.get_interval_estimates(
            {"x,y": (np.asarray(scores_x, float), np.asarray(scores_y, float))},
            func,
            reps=reps,
            confidence_interval_size=CONFIDENCE,
        )
    ci = intervals["x,y"]
    return {"p": float(points["x,y"][0]), "ci": [float(ci[0][0]), float(ci[1][0])]}


def score_distribution(scores: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """Fraction of all (run, task) scores above each tau: rliable's score distribution
    (``rliable.library.score_distributions``) as one broadcast instead of a loop over taus."""
    flat = np.asarray(scores, dtype=np.float64).ravel()
    return np.asarray((flat[:, None] > np.asarray(taus)[None, :]).mean(axis=0))


def performance_profiles(
    score_dict: Mapping[str, np.ndarray], taus: np.ndarray, reps: int
) -> dict[str, dict[str, list[float]]]:
    """Score distributions (fraction of runs with score > tau, over all runs and tasks) with
    95% CIs (``rliable.library.create_performance_profile``)."""
    rly = _rliable()

    out = {}
    for label, scores in score_dict.items():
        with seeded_global_numpy(stable_seed("profile", label)):
            profiles, cis = rly.create_performance_profile(
                {label: np.asarray(scores, float)},
                taus,
                custom_profile_func=score_distribution,
                reps=reps,
                confidence_interval_size=CONFIDENCE,
            )
        out[label] = {
            "tau": [float(t) for t in taus],
            "fraction": [float(v) for v in profiles[label]],
            "lower": [float(v) for v in cis[label][0]],
            "upper": [float(v) for v in cis[label][1]],
        }
    return out
