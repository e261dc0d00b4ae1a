"""Aggregate statistics over a suite: IQM and mean with stratified bootstrap confidence
intervals, probability of improvement, and performance profiles, as rliable defines them.

Score matrices are ``(runs, tasks)`` with **seeds on the runs axis**: a cell's evaluation
episodes are averaged first, so that episodes never inflate the number of runs.

The bootstraps are rliable's stratified (independent) bootstraps with percentile intervals,
vectorised: all replications' resampling indices are drawn as one array, in the order rliable
draws them from a ``RandomState`` seeded with the same seed, and each statistic is evaluated on
every replication at once (IQM by partition along an axis; probability of improvement and
profiles from draw counts, one matrix product per task). The intervals therefore equal
rliable's exactly (tested against it), at a fraction of its per-replication Python cost.
Every bootstrap has its own seeded generator: a leaderboard reproduces bit for bit and the
global NumPy state is never touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

#: Seed of every bootstrap (a leaderboard is a pure function of its rows).
BOOTSTRAP_SEED = 20211206
CONFIDENCE = 0.95
#: Most resampled scores held at once (replications are processed in chunks of this size).
CHUNK_ELEMENTS = 1 << 22


def stable_seed(*parts: str) -> int:
    """A bootstrap seed from names (e.g. a row label), so a row's interval does not depend on
    which other rows the leaderboard holds or in what order."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (int.from_bytes(digest[:4], "little") ^ BOOTSTRAP_SEED) % 2**32


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean over all runs and tasks: the mean of the middle 50% of scores after
    cutting ``int(0.25 * n)`` from each end. The same number, bit for bit, as
    ``rliable.metrics.aggregate_iqm`` (``scipy.stats.trim_mean(scores, 0.25, axis=None)``)."""
    return float(batched_iqm(np.asarray(scores, dtype=np.float64).reshape(1, -1))[0])


def iqm_and_mean(scores: np.ndarray) -> np.ndarray:
    """``[IQM, mean]`` of a score matrix (what every bootstrap replication evaluates); the
    mean is of the task means, summed in the order of ``rliable.metrics.aggregate_mean``."""
    return np.array([iqm(scores), float(np.mean(np.mean(scores, axis=0)))])


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


def score_distribution(scores: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """Fraction of all (run, task) scores above each tau: rliable's score distribution
    (``rliable.library.score_distributions``) as one broadcast instead of a loop over taus."""
    flat = np.asarray(scores, dtype=np.float64).ravel()
    return np.asarray((flat[:, None] > np.asarray(taus)[None, :]).mean(axis=0))


def percentile_interval(replications: np.ndarray) -> np.ndarray:
    """``(2, k)`` lower and upper bounds of the 95% percentile interval of ``(reps, k)``
    replications (arch's ``conf_int(method="percentile")``, which rliable calls)."""
    alpha = 100 * (1.0 - CONFIDENCE) / 2
    reps = np.asarray(replications, dtype=np.float64)
    return np.array(
        [np.percentile(reps[:, i], [alpha, 100 - alpha]) for i in range(reps.shape[1])]
    ).T


def _chunks(reps: int, per_replication: int) -> Iterator[int]:
    """Sizes of consecutive replication chunks of at most :data:`CHUNK_ELEMENTS` scores."""
    size = max(1, CHUNK_ELEMENTS // max(1, per_replication))
    done = 0
    while done < reps:
        yield min(size, reps - done)
        done += size


def stratified_indices(rng: np.random.RandomState, reps: int, runs: int, tasks: int) -> np.ndarray:
    """``(reps, runs, tasks)`` run indices, resampled with replacement within each task: the
    draws rliable's ``StratifiedBootstrap`` makes (``choice(runs, (runs, tasks))`` per
    replication) from the same generator, in the same order."""
    return rng.randint(0, runs, size=(reps, runs, tasks))


def draw_counts(indices: np.ndarray, runs: int) -> np.ndarray:
    """``(reps, tasks, runs)``: how often each run was drawn for each task in each replication
    of ``(reps, n, tasks)`` indices (a statistic that sums over draws needs only these)."""
    reps, _, tasks = indices.shape
    cell = (np.arange(reps)[:, None, None] * tasks + np.arange(tasks)[None, None, :]) * runs
    counts = np.bincount((cell + indices).ravel(), minlength=reps * tasks * runs)
    return counts.reshape(reps, tasks, runs)


def batched_iqm(samples: np.ndarray) -> np.ndarray:
    """IQM of each row of ``(reps, n)``: the mean of the middle values after cutting
    ``int(0.25 * n)`` from each end, found by partition (as ``scipy.stats.trim_mean`` does)."""
    n = samples.shape[1]
    cut = int(0.25 * n)
    middle = np.partition(samples, (cut, n - cut - 1), axis=1)[:, cut : n - cut]
    return np.asarray(middle.mean(axis=1))


def aggregate_estimates(
    score_dict: Mapping[str, np.ndarray], reps: int
) -> dict[str, dict[str, Any]]:
    """IQM and mean of each ``(runs, tasks)`` matrix with 95% stratified bootstrap CIs (runs
    resampled within each task; rliable's ``get_interval_estimates``)."""
    out: dict[str, dict[str, Any]] = {}
    for label, scores in score_dict.items():
        scores = np.asarray(scores, dtype=np.float64)
        runs, tasks = scores.shape
        rng = np.random.RandomState(stable_seed("aggregate", label))
        replications = []
        for chunk in _chunks(reps, runs * tasks):
            idx = stratified_indices(rng, chunk, runs, tasks)
            samples = scores[idx, np.arange(tasks)]
            iqms = batched_iqm(samples.reshape(chunk, runs * tasks))
            replications.append(np.stack([iqms, samples.mean(axis=1).mean(axis=1)], axis=1))
        ci = percentile_interval(np.concatenate(replications))
        point = iqm_and_mean(scores)
        out[label] = {
            "iqm": float(point[0]),
            "iqm_ci": [float(ci[0][0]), float(ci[1][0])],
            "mean": float(point[1]),
            "mean_ci": [float(ci[0][1]), float(ci[1][1])],
        }
    return out


def _pair_values(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(tasks, n_x, n_y)``: 1 where X's run beats Y's, 0.5 for a tie, 0 otherwise."""
    xt, yt = x.T[:, :, None], y.T[:, None, :]
    return np.asarray((xt > yt) + 0.5 * (xt == yt), dtype=np.float64)


def improvement_estimate(
    scores_x: np.ndarray, scores_y: np.ndarray, reps: int, seed: int = BOOTSTRAP_SEED
) -> dict[str, Any]:
    """P(X > Y) with a 95% CI from a stratified independent bootstrap (rliable's
    ``StratifiedIndependentBootstrap``: X's and Y's runs are resampled independently within
    each task, so their counts may differ). Each replication's statistic is
    ``sum_t cx_t . V_t . cy_t / (n_x n_y tasks)`` from the draw counts ``c``."""
    x = np.asarray(scores_x, dtype=np.float64)
    y = np.asarray(scores_y, dtype=np.float64)
    (nx, tasks), ny = x.shape, y.shape[0]
    values = _pair_values(x, y)
    rng = np.random.RandomState(seed)
    replications = []
    for chunk in _chunks(reps, (nx + ny) * tasks):
        if nx == ny:  # one draw for both: per replication, X's indices then Y's
            idx = rng.randint(0, nx, size=(chunk, 2, nx, tasks))
            ix, iy = idx[:, 0], idx[:, 1]
        else:
            pairs = [
                (rng.randint(0, nx, (nx, tasks)), rng.randint(0, ny, (ny, tasks)))
                for _ in range(chunk)
            ]
            ix = np.stack([p[0] for p in pairs])
            iy = np.stack([p[1] for p in pairs])
        # (tasks, chunk, n) counts as floats: integer and half sums stay exact in float64.
        cx = draw_counts(ix, nx).transpose(1, 0, 2).astype(np.float64)
        cy = draw_counts(iy, ny).transpose(1, 0, 2).astype(np.float64)
        total = ((cx @ values) * cy).sum(axis=(0, 2))
        replications.append(total / (nx * ny * tasks))
    ci = percentile_interval(np.concatenate(replications)[:, None])
    return {"p": probability_of_improvement(x, y), "ci": [float(ci[0][0]), float(ci[1][0])]}


def performance_profiles(
    score_dict: Mapping[str, np.ndarray], taus: np.ndarray, reps: int
) -> dict[str, dict[str, list[float]]]:
    """Score distributions (fraction of runs with score > tau, over all runs and tasks) with
    95% CIs (rliable's ``create_performance_profile``): each replication's profile is its draw
    counts times the (run, task) > tau indicators."""
    taus = np.asarray(taus, dtype=np.float64)
    out = {}
    for label, scores in score_dict.items():
        scores = np.asarray(scores, dtype=np.float64)
        runs, tasks = scores.shape
        above = (scores.T[:, :, None] > taus[None, None, :]).reshape(tasks * runs, taus.size)
        above = above.astype(np.float64)  # a float product (BLAS); integer counts stay exact
        rng = np.random.RandomState(stable_seed("profile", label))
        replications = []
        for chunk in _chunks(reps, runs * tasks):
            counts = draw_counts(stratified_indices(rng, chunk, runs, tasks), runs)
            counts = counts.reshape(chunk, tasks * runs).astype(np.float64)
            replications.append(counts @ above / (runs * tasks))
        ci = percentile_interval(np.concatenate(replications))
        out[label] = {
            "tau": [float(t) for t in taus],
            "fraction": [float(v) for v in score_distribution(scores, taus)],
            "lower": [float(v) for v in ci[0]],
            "upper": [float(v) for v in ci[1]],
        }
    return out


def mean_interval(strata: Sequence[Sequence[float]], reps: int, seed: int) -> list[float] | None:
    """95% percentile interval of the pooled mean of ``strata`` (e.g. one list of per-seed
    cell values per env) from a stratified bootstrap: each stratum's values are resampled with
    replacement within it, so every stratum keeps its weight. ``None`` where no stratum has two
    values (nothing to resample: the interval would be a point)."""
    groups = [np.asarray(s, dtype=np.float64) for s in strata if len(s)]
    if not any(g.size > 1 for g in groups):
        return None
    rng = np.random.RandomState(seed)
    total = np.zeros(reps)
    for g in groups:  # stratum by stratum, in order: one generator, reproducible
        total += g[rng.randint(0, g.size, size=(reps, g.size))].sum(axis=1)
    ci = percentile_interval((total / sum(g.size for g in groups))[:, None])
    return [float(ci[0][0]), float(ci[1][0])]
