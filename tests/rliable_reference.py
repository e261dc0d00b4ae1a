"""rliable's own bootstraps, seeded as entropy-gym seeds its vectorised ones: the reference the
scoring tests and the bootstrap benchmark compare against.

rliable draws its resampling indices from NumPy's *global* generator, so each call here seeds
it and restores its previous state afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
from rliable import library as rly
from rliable import metrics

from entropy_gym.scoring.aggregate import (
    BOOTSTRAP_SEED,
    CONFIDENCE,
    probability_of_improvement,
    score_distribution,
    stable_seed,
)


@contextmanager
def seeded_global_numpy(seed: int) -> Iterator[None]:
    """Seed NumPy's global generator for the block and restore its state afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def rliable_iqm_and_mean(scores: np.ndarray) -> np.ndarray:
    return np.array([metrics.aggregate_iqm(scores), metrics.aggregate_mean(scores)])


def aggregate_estimates(score_dict: Mapping[str, np.ndarray], reps: int) -> dict[str, Any]:
    out = {}
    for label, scores in score_dict.items():
        with seeded_global_numpy(stable_seed("aggregate", label)):
            points, cis = rly.get_interval_estimates(
                {label: np.asarray(scores, float)},
                rliable_iqm_and_mean,
                reps=reps,
                confidence_interval_size=CONFIDENCE,
            )
        (iqm, mean), ci = points[label], cis[label]
        out[label] = {
            "iqm": float(iqm),
            "iqm_ci": [float(ci[0][0]), float(ci[1][0])],
            "mean": float(mean),
            "mean_ci": [float(ci[0][1]), float(ci[1][1])],
        }
    return out


def improvement_estimate(
    x: np.ndarray, y: np.ndarray, reps: int, seed: int = BOOTSTRAP_SEED
) -> dict[str, Any]:
    def func(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.array([probability_of_improvement(a, b)])

    with seeded_global_numpy(seed):
        points, cis = rly.get_interval_estimates(
            {"x,y": (np.asarray(x, float), np.asarray(y, float))},
            func,
            reps=reps,
            confidence_interval_size=CONFIDENCE,
        )
    ci = cis["x,y"]
    return {"p": float(points["x,y"][0]), "ci": [float(ci[0][0]), float(ci[1][0])]}


def performance_profiles(
    score_dict: Mapping[str, np.ndarray], taus: np.ndarray, reps: int
) -> dict[str, Any]:
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
