"""How many seeds a board needs: between-seed spread and the power of its verdict test.

**The pilot.** A board's finished cells give, per env, the **between-seed spread**: the
pooled within-agent standard deviation of the cell scores over seeds,
``sqrt(sum_a sum_s (x_as - mean_a)^2 / sum_a (n_a - 1))`` over the agents with at least two
finished seeds there (in the board's score units: normalised where anchors exist).

**The model** (a stated approximation): an agent's per-seed scores on an env are normal with
that spread, and an effect of size ``d`` shifts them by ``d`` spreads (Cohen's d; a
probability of improvement of ``Phi(d / sqrt 2)``). The verdict test is the stratified
permutation test of :mod:`entropy_gym.scoring.comparison`, so its critical value is taken
from the exact null distribution (no ties under the model), and the **power** -- the chance
that the test rejects, two-sided, at level ``alpha`` -- is estimated by simulating
:data:`SIMULATIONS` experiments from a generator with a fixed seed (its Monte Carlo standard
error is at most 0.008). Beyond :data:`SIMULATED_SEEDS` seeds a side (or
:data:`SIMULATED_RUNS` seeds times envs) the statistic's normal
approximation replaces the simulation (mean ``2 n^2 p`` and Lehmann's variance of ``U`` per
env, with ``p = P(X > Y)`` and ``P(X > Y1, X > Y2)`` by quadrature).
``tests/runner/test_power.py`` checks both against simulated boards judged by the board's own
verdict code. With ``m`` agents compared with one baseline, Holm's
first step tests at ``alpha / m``: the figures use that level, so that every comparison of
the board reaches the power stated.

Rank tests are invariant to the scale, so the power depends on ``n`` (seeds a side), the
number of envs ``k``, ``d`` and the level only; the spread turns ``d`` into score units. An
env whose seeds all scored the same (spread 0) resolves any shift once the exact test can
reach the level at all.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from entropy_gym.scoring.comparison import ALPHA, convolve, env_null

POWER = 0.8
SIMULATIONS = 4000
#: Seeds a side, and seeds x envs, up to which power is simulated (beyond: the normal
#: approximation of a sum of many terms).
SIMULATED_SEEDS = 20
SIMULATED_RUNS = 500
POWER_SEED = 20240826
#: Largest effect searched (spreads) and seeds searched.
MAX_SHIFT = 20.0
MAX_SEEDS = 1000


def between_seed_spread(scores_by_agent: Iterable[Sequence[float]]) -> float | None:
    """Pooled within-agent standard deviation over seeds (module docstring); ``None``
    without an agent that has two finished seeds."""
    squares, dof = 0.0, 0
    for scores in scores_by_agent:
        values = np.asarray([float(s) for s in scores if s is not None], dtype=np.float64)
        if values.size >= 2:
            squares += float(((values - values.mean()) ** 2).sum())
            dof += values.size - 1
    return math.sqrt(squares / dof) if dof else None


def normal_poi(shift: float) -> float:
    """P(X > Y) when X is Y shifted by ``shift`` standard deviations (both normal)."""
    return 0.5 * math.erfc(-shift / 2.0)


@functools.lru_cache(maxsize=256)
def critical_distance(n: int, envs: int, alpha: float) -> int | None:
    """The smallest distance ``c`` of ``sum_t 2 U_t`` from its centre with a null probability
    ``P(|S - centre| >= c) <= alpha`` (``n`` seeds a side, no ties), or ``None`` when no
    outcome of the test reaches ``alpha``."""
    centre = envs * n * n
    try:
        one = env_null(np.arange(2 * n, dtype=np.float64), n)
        total = np.ones(1)
        for _ in range(envs):
            total = convolve(total, one)
    except OverflowError:  # many seeds: the normal approximation of the same null
        sd = math.sqrt(envs * 4.0 * n * n * (2 * n + 1) / 12.0)
        z = _normal_quantile(1.0 - alpha / 2.0)
        return math.ceil(z * sd)
    distance = np.abs(np.arange(total.size) - centre)
    # tail[c] = P(|S - centre| >= c), for c = 0 .. max distance
    mass = np.bincount(distance, weights=total, minlength=centre + 1)
    tail = np.cumsum(mass[::-1])[::-1]
    ok = np.nonzero(np.round(tail, 12) <= alpha)[0]
    return int(ok[0]) if ok.size else None


def smallest_p_value(n: int, envs: int) -> float:
    """The smallest two-sided p-value the test can give with ``n`` seeds a side on ``envs``
    envs (every run of one agent above every run of the other on every env)."""
    log_splits = math.lgamma(2 * n + 1) - 2 * math.lgamma(n + 1)  # log C(2n, n)
    return min(1.0, 2.0 * math.exp(-envs * log_splits))


def _normal_quantile(p: float) -> float:
    """Inverse of the standard normal CDF (bisection on ``erfc``; enough for critical values)."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2.0)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@functools.lru_cache(maxsize=64)
def _draws(n: int, envs: int, sims: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed standard normal draws ``(sims, envs, n)`` for X and Y (common random numbers:
    power is then a monotone function of the shift)."""
    rng = np.random.default_rng(np.random.SeedSequence([POWER_SEED, n, envs, sims]))
    return rng.standard_normal((sims, envs, n)), rng.standard_normal((sims, envs, n))


def _u2_sums(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``sum_t 2 U_t`` of each simulated experiment (continuous draws: no ties), from ranks."""
    n = x.shape[2]
    pooled = np.concatenate([x, y], axis=2)
    ranks = np.argsort(np.argsort(pooled, axis=2), axis=2) + 1
    rank_sum = ranks[:, :, :n].sum(axis=2)
    return np.asarray((2 * (rank_sum - n * (n + 1) // 2)).sum(axis=1))


def power(n: int, envs: int, shift: float, alpha: float = ALPHA, sims: int = SIMULATIONS) -> float:
    """Chance that the board's test resolves a shift of ``shift`` spreads on every one of
    ``envs`` envs with ``n`` seeds a side (module docstring)."""
    c = critical_distance(n, envs, alpha)
    if c is None:
        return 0.0
    if n > SIMULATED_SEEDS or n * envs > SIMULATED_RUNS:
        return normal_power(n, envs, shift, c)
    zx, zy = _draws(n, envs, sims)
    sums = _u2_sums(zx + shift, zy)
    return float(np.mean(np.abs(sums - envs * n * n) >= c))


_HERMITE_X, _HERMITE_W = np.polynomial.hermite.hermgauss(64)


def _pair_probabilities(shift: float) -> tuple[float, float]:
    """``P(X > Y)`` and ``P(X > Y1, X > Y2)`` for ``X ~ N(shift, 1)``, ``Y ~ N(0, 1)``."""
    if math.isinf(shift):
        return 1.0, 1.0
    x = shift + math.sqrt(2.0) * _HERMITE_X  # nodes of E[f(X)]
    below = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x])  # Phi(x)
    weights = _HERMITE_W / math.sqrt(math.pi)
    return normal_poi(shift), float((weights * below**2).sum())


def normal_power(n: int, envs: int, shift: float, critical: int) -> float:
    """Power from the normal approximation of ``sum_t 2 U_t`` (module docstring): ``U`` has
    mean ``n^2 p`` and Lehmann's variance ``n^2 [p (1 - p) + 2 (n - 1) (q - p^2)]``."""
    p, q = _pair_probabilities(shift)
    mean = envs * 2.0 * n * n * p
    variance = envs * 4.0 * n * n * (p * (1 - p) + 2 * (n - 1) * (q - p * p))
    centre = envs * n * n
    if variance <= 1e-12:
        return 1.0 if abs(mean - centre) >= critical else 0.0
    sd = math.sqrt(variance)
    upper = 0.5 * math.erfc((centre + critical - 1 - mean) / sd / math.sqrt(2.0))
    lower = 0.5 * math.erfc((mean - (centre - critical + 1)) / sd / math.sqrt(2.0))
    return float(min(1.0, upper + lower))


def smallest_shift(
    n: int, envs: int, alpha: float = ALPHA, target: float = POWER, sims: int = SIMULATIONS
) -> float | None:
    """The smallest shift (spreads, to 0.01) resolved with power ``target``, or ``None``
    when none up to :data:`MAX_SHIFT` is (too few seeds for the level)."""
    if critical_distance(n, envs, alpha) is None or power(n, envs, MAX_SHIFT, alpha, sims) < target:
        return None
    lo, hi = 0.0, MAX_SHIFT
    while hi - lo > 0.005:
        mid = (lo + hi) / 2
        if power(n, envs, mid, alpha, sims) >= target:
            hi = mid
        else:
            lo = mid
    return math.ceil(hi * 100 - 1e-9) / 100  # rounded up: the power stays >= target


def seeds_needed(
    shift: float,
    envs: int,
    alpha: float = ALPHA,
    target: float = POWER,
    sims: int = SIMULATIONS,
    most: int = MAX_SEEDS,
) -> int | None:
    """The fewest seeds a side that resolve ``shift`` spreads on every one of ``envs`` envs
    with power ``target``; ``None`` above ``most``. A shift of ``inf`` (spread 0) needs the
    fewest seeds at which the level can be reached at all."""

    def enough(n: int) -> bool:
        if math.isinf(shift):
            return critical_distance(n, envs, alpha) is not None
        return power(n, envs, shift, alpha, sims) >= target

    hi = 2
    while not enough(hi):
        if hi >= most:
            return None
        hi = min(most, hi * 2)
    lo = max(1, hi // 2)  # enough(lo) is false, or lo is 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid
    return hi


def pilot_spreads(cells: Sequence[Mapping[str, Any]], envs: Sequence[str]) -> dict[str, Any]:
    """Per env of a board: the between-seed spread of its finished cells' scores and the
    number of seeds behind it."""
    out: dict[str, Any] = {}
    for env in envs:
        by_agent: dict[str, list[float]] = {}
        for c in cells:
            if c["env"] == env and c["status"] == "ok" and c.get("score") is not None:
                by_agent.setdefault(c["label"], []).append(float(c["score"]))
        out[env] = {
            "spread": between_seed_spread(by_agent.values()),
            "agents": sum(1 for v in by_agent.values() if len(v) >= 2),
            "seeds": max((len(v) for v in by_agent.values()), default=0),
        }
    return out


def board_power(
    seeds: int, envs: int, comparisons: int, alpha: float = ALPHA, target: float = POWER
) -> dict[str, Any]:
    """What a board of ``seeds`` seeds and ``envs`` envs resolves, at the level Holm's first
    step gives the largest group of ``comparisons`` agents compared with one baseline."""
    level = alpha / max(1, comparisons)
    shift = smallest_shift(seeds, envs, level, target) if seeds >= 1 and envs >= 1 else None
    return {
        "seeds": seeds,
        "envs": envs,
        "comparisons": comparisons,
        "alpha": alpha,
        "level": level,
        "power": target,
        "smallest_shift": shift,
        "smallest_poi": normal_poi(shift) if shift is not None else None,
        "smallest_p_value": smallest_p_value(seeds, envs) if seeds >= 1 and envs >= 1 else None,
    }
