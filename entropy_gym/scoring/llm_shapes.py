"""The entropy papers' shape checks on ``llm_grpo`` telemetry: statistics, intervals, verdicts.

Every function here reads per-update telemetry records (``llm_grpo``'s, one dict per update;
:mod:`entropy_gym.agents.llm.rl.agent`) grouped as **cells by seed** (``{seed: records}``, one
agent configuration on one task) and returns a :class:`Part`: the numbers with 95% intervals
and a verdict, ``reproduced``, ``not reproduced`` or ``inconclusive``. Nothing here reads a
store or imports torch (:mod:`entropy_gym.leaderboard.shape_checks` picks the cells).

**Intervals.** Every interval is a 95% percentile bootstrap over seeds: each replication
resamples the seeds of every arm with replacement (two arms independently, as the board's
rliable-style bootstraps do), and a seed's values travel together (its start and end entropy,
its whole trajectory). The generator is seeded from the check's name and where it applies
(:func:`~entropy_gym.scoring.aggregate.stable_seed`), so a report is a pure function of the
store. An arm with fewer than two seeds gets no interval, and its verdict is inconclusive.

**Quantities** (``EDGE`` = 10 updates):

* *start* and *end* entropy of a seed: the mean of the training ``entropy`` (token entropy of
  the update's sampled replies) over its first and its last 10 updates; an arm's start and end
  are the means over seeds, and its *end/start ratio* is the ratio of those means.
* *end held-out* values (``heldout_success``, ``heldout_pass@k``): the last record that carries
  the key (the evaluation after the last update); *start*: the record of update 0.
* *reward*: a training record's ``success`` where the task has one, else its ``return`` (the
  bandit); each part says which it used.

**The checks** (thresholds are the module's constants):

(a) *Plain GRPO's token entropy collapses* (per task): the end/start ratio. Reproduced when
    its interval lies below 1; not reproduced when it lies above 0.9 (no fall of 10% or
    more, ``COLLAPSE_MARGIN``); else inconclusive. *R = -a exp(H) + b fits the (entropy,
    reward) trajectory*: the across-seed mean entropy and reward per update, averaged in
    windows of 10 updates aligned to the end (the last window is the last 10 updates), are
    fitted by least squares (:func:`~entropy_gym.scoring.fit.fit_entropy_return`); reported
    with ``a``, ``b``, ``R^2``, the predicted ceiling ``-a + b`` (the reward at ``H = 0``),
    the reward reached (last window) and ceiling minus reached. Reproduced when ``a``'s
    interval lies above 0 and ``R^2``'s above 0.5 (``FIT_R2``); not reproduced when ``a``'s
    lies at or below 0 or ``R^2``'s below 0.5; else inconclusive.
(b) *The covariance is mostly positive*: per seed, the share of updates with ``covariance >
    0`` among the updates whose covariance is not exactly 0 (an update whose groups all tied
    has no advantage, so no covariance to sign; the share of all updates is reported too).
    Reproduced when the interval of the mean share lies above 0.5; not reproduced when it
    lies at or below 0.5. *Entropy change tracks it*: per seed, Pearson's correlation over
    updates between ``covariance`` at update ``t`` and ``H(t+1) - H(t)`` (the change update
    ``t`` caused; the papers' first-order law predicts a fall when the covariance is positive,
    so a negative correlation); the mean over seeds. Reproduced when its interval lies below
    0; not reproduced when it lies above -0.1 (``CORRELATION_MARGIN``). A caveat the numbers
    cannot remove: the entropy of one update's samples is noisy, and a covariance that grows
    with entropy makes the next difference regress towards the mean, which also correlates
    negatively.
(c) *Clip-Cov and KL-Cov hold entropy above plain without losing pass@k*: end entropy
    (intervention minus plain) and end held-out pass@k at the largest k both arms measured.
    Reproduced when the entropy difference's interval lies above 0 and the pass@k
    difference's is not wholly below 0; not reproduced when the entropy difference's lies at
    or below 0 or the pass@k difference's wholly below 0; else inconclusive.
(d) *Training on the top-20% entropy tokens matches the full gradient, the bottom 80% does
    worse*: end held-out success, intervention minus plain. Top 20%: reproduced when the
    difference's interval lies above -0.05 (``SUCCESS_MARGIN``: no loss of 5 points or more,
    a non-inferiority margin); not reproduced when it lies below -0.05. Bottom 80%: reproduced
    when it lies below 0; not reproduced when it lies above -0.05.
(e) *A large entropy bonus makes entropy explode*: an explosion is more than a doubling, an
    end/start ratio above 2 (``EXPLOSION_RATIO``). Reproduced when the ratio's interval lies
    above 2; not reproduced when it lies below 2. The end entropy is also given as a share of
    ``ln V`` (the uniform distribution over a vocabulary of ``V`` tokens) where ``V`` is known.
(f) *entropy_target holds its target*: ``|end - target|``; held (reproduced) when its
    interval lies within 25% of the target (``TARGET_TOLERANCE``), not held when it lies
    beyond; end held-out success per target. *Performance against target is non-monotonic*
    (AEPO: it "first improves then declines"), over three or more targets: reproduced when
    some interior target's end held-out success beats both extreme targets' (the intervals
    of both differences lie above 0); not reproduced (monotonic or dipping) when every
    interior target is below one of the extremes (an interval wholly below 0); else
    inconclusive.
(g) *EMPG and EPO improve on plain on multi-turn tasks*: the difference in the board's
    normalised score (evaluation return against the suite's random and reference anchors)
    and in end held-out success. Reproduced when the score difference's interval lies above
    0; not reproduced when it lies below 0.05 (``SCORE_MARGIN``); else inconclusive.
(h) *Over >= 1,000 updates Lp-Reg stays stable where plain collapses*: an arm's entropy
    *collapses* when its end/start ratio's interval lies below 0.5 (``LONG_COLLAPSE_RATIO``:
    it ends below half its start) and *holds* when it lies at or above 0.5; its held-out
    success *falls* by ``best - end`` (the best checkpoint of the across-seed mean curve, one
    checkpoint every ``heldout_every`` updates, minus its end), and it is *stable* when that
    fall's interval lies at or below 0.05 (``FALL_MARGIN``) and *falls* when it lies above.
    Reproduced when plain collapses or falls while Lp-Reg holds and is stable; not reproduced
    when Lp-Reg collapses or falls, or when plain is resolved to hold and be stable (nothing
    to rescue); else inconclusive.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from entropy_gym.scoring.aggregate import CHUNK_ELEMENTS, CONFIDENCE, stable_seed

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_RUN = (
    "reproduced",
    "not reproduced",
    "inconclusive",
    "not run",
)
VERDICTS = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_RUN)

#: Updates averaged for a seed's start and end (and the width of the fit's windows).
EDGE = 10
WINDOW = 10
#: (a) an end/start ratio whose interval lies above ``1 - COLLAPSE_MARGIN``: no collapse.
COLLAPSE_MARGIN = 0.1
#: (a) R^2 the fit's interval must clear.
FIT_R2 = 0.5
#: (b) a correlation whose interval lies above ``-CORRELATION_MARGIN``: no tracking.
CORRELATION_MARGIN = 0.1
#: (d) non-inferiority margin of held-out success (and the bottom-80% "no loss" margin).
SUCCESS_MARGIN = 0.05
#: (e) an explosion: the end entropy more than this multiple of the start.
EXPLOSION_RATIO = 2.0
#: (f) a target is held when ``|end - target|`` stays within this share of the target.
TARGET_TOLERANCE = 0.25
#: (g) a normalised score gain smaller than this is no gain.
SCORE_MARGIN = 0.05
#: (h) collapse over a long run: the end entropy below this share of the start.
LONG_COLLAPSE_RATIO = 0.5
#: (h) a fall of held-out success from its best checkpoint larger than this is a fall.
FALL_MARGIN = 0.05
#: Fewest seeds an arm needs for an interval.
MIN_SEEDS = 2

Records = Sequence[Mapping[str, Any]]
#: One arm: an agent configuration's cells on one task, ``{seed: telemetry records}``.
Cells = Mapping[int, Records]


# -- the numbers -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """A statistic with its 95% bootstrap interval over seeds (``None`` where none exists)."""

    value: float | None
    ci: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci": list(self.ci) if self.ci else None}

    def text(self) -> str:
        """``0.512 [0.431, 0.598]``; ``-`` for no value."""
        if self.value is None:
            return "-"
        if self.ci is None:
            return _fmt(self.value)
        return f"{_fmt(self.value)} [{_fmt(self.ci[0])}, {_fmt(self.ci[1])}]"


def _fmt(value: float) -> str:
    size = abs(value)
    if size >= 100:
        return f"{value:.1f}"
    if size >= 1 or size == 0:
        return f"{value:.2f}"
    return f"{value:.3f}"


@dataclass
class Part:
    """One verdict of a check: where it applies (a task, a comparison), its numbers and facts
    (which reward, how many seeds, the k of pass@k), the verdict and, where useful, why."""

    check: str
    claim: str
    where: str
    verdict: str
    numbers: dict[str, Estimate] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "claim": self.claim,
            "where": self.where,
            "verdict": self.verdict,
            "numbers": {k: v.to_dict() for k, v in self.numbers.items()},
            "facts": dict(self.facts),
            "note": self.note,
        }

    def text(self) -> str:
        """The numbers as one line: ``name value [low, high]; ...``."""
        return "; ".join(f"{k} {v.text()}" for k, v in self.numbers.items())


def not_run(check: str, claim: str, where: str, missing: str) -> Part:
    """A part whose cells the store does not hold."""
    return Part(check, claim, where, NOT_RUN, note=f"not in the store: {missing}")


# -- telemetry -------------------------------------------------------------------------------
def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def series(records: Records, key: str, *, training: bool = True) -> dict[int, float]:
    """``{update: value}`` of the records with a finite ``key`` and an ``update`` number
    (training records: update >= 1; held-out ones include update 0)."""
    out: dict[int, float] = {}
    for record in records:
        value, update = _finite(record.get(key)), _finite(record.get("update"))
        if value is None or update is None or (training and update < 1):
            continue
        out[int(update)] = value
    return out


def reward_key(cells: Cells) -> str:
    """``success`` where every cell's training records carry it, else ``return``."""
    ok = all(series(records, "success") for records in cells.values())
    return "success" if cells and ok else "return"


def edge_means(records: Records, key: str, edge: int = EDGE) -> tuple[float, float] | None:
    """A seed's mean ``key`` over its first and its last ``edge`` training updates (``None``
    with fewer than ``2 * edge`` of them)."""
    values = [v for _, v in sorted(series(records, key).items())]
    if len(values) < 2 * edge:
        return None
    return float(np.mean(values[:edge])), float(np.mean(values[-edge:]))


def heldout_end(records: Records, key: str) -> float | None:
    """The last (highest update) held-out value of ``key``."""
    values = series(records, key, training=False)
    return values[max(values)] if values else None


def largest_pass_k(arms: Sequence[Cells]) -> int | None:
    """The largest ``k`` whose ``heldout_pass@k`` every seed of every arm reports at its end."""
    common: set[int] | None = None
    for cells in arms:
        for records in cells.values():
            last = max(
                (r for r in records if _finite(r.get("heldout_success")) is not None),
                key=lambda r: _finite(r.get("update")) or 0.0,
                default=None,
            )
            ks = set()
            for key in last or {}:
                if key.startswith("heldout_pass@") and key[13:].isdigit():
                    ks.add(int(key[13:]))
            common = ks if common is None else common & ks
    return max(common) if common else None


#: A seed's values from its records (``None``: the seed has none).
Row = Callable[[int, Records], Sequence[float | None] | None]


def _per_seed(cells: Cells, row: Row, *, partial: bool = False) -> np.ndarray:
    """``(seeds, k)`` array of ``row(seed, records)`` in seed order. Seeds without a row are
    left out, and so are seeds with a missing value unless ``partial`` (then the value is NaN
    and the statistics average over the seeds where it is defined)."""
    rows = []
    for seed in sorted(cells):
        values = row(seed, cells[seed])
        if values is None:
            continue
        floats = [math.nan if v is None else float(v) for v in values]
        defined = [math.isfinite(v) for v in floats]
        if (partial and any(defined)) or all(defined):
            rows.append(floats)
    if not rows:
        return np.empty((0, 0))
    return np.asarray(rows, dtype=np.float64)


# -- bootstrap and verdicts ------------------------------------------------------------------
#: A statistic of resampled arms: each argument is ``(reps, seeds, ...)``, the result
#: ``(reps, k)``.
Statistic = Callable[..., np.ndarray]


def bootstrap(
    samples: Sequence[np.ndarray], statistic: Statistic, reps: int, seed: int
) -> list[Estimate]:
    """The statistic's values on ``samples`` (arrays with seeds on axis 0) with 95% percentile
    intervals from ``reps`` replications, each resampling every array's seeds with replacement,
    independently per array. Replications where a statistic is undefined (NaN) are left out of
    its interval; no interval where an array has fewer than :data:`MIN_SEEDS` seeds."""
    arrays = [np.asarray(s, dtype=np.float64) for s in samples]
    point = np.asarray(statistic(*[a[None] for a in arrays]), dtype=np.float64).reshape(-1)
    values = [float(v) if math.isfinite(v) else None for v in point]
    if any(a.shape[0] < MIN_SEEDS for a in arrays) or reps < 1:
        return [Estimate(v) for v in values]
    rng = np.random.default_rng(seed)
    per_rep = max(1, sum(a.size for a in arrays))
    chunk = max(1, CHUNK_ELEMENTS // per_rep)
    parts, done = [], 0
    while done < reps:
        m = min(chunk, reps - done)
        drawn = [a[rng.integers(0, a.shape[0], size=(m, a.shape[0]))] for a in arrays]
        with np.errstate(invalid="ignore", divide="ignore"):
            parts.append(np.asarray(statistic(*drawn), dtype=np.float64).reshape(m, -1))
        done += m
    replications = np.concatenate(parts)
    tail = 100 * (1 - CONFIDENCE) / 2
    out = []
    for i, value in enumerate(values):
        column = replications[:, i]
        column = column[np.isfinite(column)]
        if value is None or column.size == 0:
            out.append(Estimate(value))
            continue
        low, high = np.percentile(column, [tail, 100 - tail])
        out.append(Estimate(value, (float(low), float(high))))
    return out


def below(estimate: Estimate, threshold: float, margin: float = 0.0) -> str:
    """Expected below ``threshold``: reproduced when the interval lies below it, not
    reproduced when it lies at or above ``threshold - margin``, else inconclusive."""
    if estimate.ci is None:
        return INCONCLUSIVE
    low, high = estimate.ci
    if high < threshold:
        return REPRODUCED
    if low >= threshold - margin:
        return NOT_REPRODUCED
    return INCONCLUSIVE


def above(estimate: Estimate, threshold: float, margin: float = 0.0) -> str:
    """Expected above ``threshold``: reproduced when the interval lies above it, not
    reproduced when it lies at or below ``threshold + margin``, else inconclusive."""
    if estimate.ci is None:
        return INCONCLUSIVE
    low, high = estimate.ci
    if low > threshold:
        return REPRODUCED
    if high <= threshold + margin:
        return NOT_REPRODUCED
    return INCONCLUSIVE


def both(*verdicts: str) -> str:
    """Every condition reproduced: reproduced; any not reproduced: not reproduced."""
    if NOT_REPRODUCED in verdicts:
        return NOT_REPRODUCED
    return REPRODUCED if all(v == REPRODUCED for v in verdicts) else INCONCLUSIVE


def _seeds_note(*arrays: np.ndarray) -> str:
    if any(a.shape[0] < MIN_SEEDS for a in arrays):
        return f"fewer than {MIN_SEEDS} seeds with the records it needs: no interval"
    return ""


def _mean(x: np.ndarray) -> np.ndarray:
    """Mean over the seed axis (1) of ``(reps, seeds, ...)``, over the defined values (a
    resample of undefined values only is NaN, without numpy's warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmean(x, axis=1))


def _seed(*parts: str) -> int:
    return stable_seed("shape-checks", *parts)


# -- (a) -------------------------------------------------------------------------------------
def entropy_collapse(cells: Cells, where: str, reps: int) -> Part:
    """(a) The end/start ratio of token entropy (module docstring)."""
    x = _per_seed(cells, lambda _, r: edge_means(r, "entropy"))
    claim = "token entropy collapses"
    if x.shape[0] == 0:
        return Part("a", claim, where, INCONCLUSIVE, note=f"no seed has {2 * EDGE} updates")

    def stat(v: np.ndarray) -> np.ndarray:
        start, end = _mean(v[..., 0]), _mean(v[..., 1])
        return np.stack([end / start, start, end], axis=-1)

    ratio, start, end = bootstrap([x], stat, reps, _seed("a-collapse", where))
    return Part(
        "a",
        claim,
        where,
        below(ratio, 1.0, COLLAPSE_MARGIN),
        {"end/start": ratio, "start (nats)": start, "end (nats)": end},
        {"seeds": int(x.shape[0])},
        _seeds_note(x),
    )


def windows(values: np.ndarray, width: int = WINDOW) -> np.ndarray:
    """Means of consecutive windows of ``width`` along the last axis, aligned to the end (a
    remainder at the start is dropped, so the last window is the last ``width`` values)."""
    n = values.shape[-1] // width
    kept = values[..., values.shape[-1] - n * width :]
    return np.asarray(kept.reshape(*values.shape[:-1], n, width).mean(axis=-1))


def _aligned(cells: Cells, keys: Sequence[str]) -> np.ndarray:
    """``(seeds, updates, len(keys))`` over the updates at which every seed logged every key."""
    per_seed = {s: [series(r, k) for k in keys] for s, r in cells.items()}
    common: set[int] | None = None
    for maps in per_seed.values():
        for m in maps:
            common = set(m) if common is None else common & set(m)
    updates = sorted(common or ())
    rows = [[[m[u] for m in maps] for u in updates] for _, maps in sorted(per_seed.items())]
    return np.asarray(rows, dtype=np.float64).reshape(len(per_seed), len(updates), len(keys))


def _linear_fit(h: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``(reps, 6)``: ``a, b, R^2, ceiling, reached, ceiling - reached`` of ``R = -a exp(H) + b``
    on each row of ``(reps, points)`` (ordinary least squares in closed form)."""
    x = np.exp(h)
    dx = x - x.mean(axis=-1, keepdims=True)
    dy = r - r.mean(axis=-1, keepdims=True)
    sxx, syy, sxy = (dx**2).sum(-1), (dy**2).sum(-1), (dx * dy).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(sxx > 0, sxy / sxx, np.nan)
        r2 = np.where((sxx > 0) & (syy > 0), sxy**2 / (sxx * syy), np.nan)
    a = -slope
    b = r.mean(-1) - slope * x.mean(-1)
    ceiling, reached = b - a, r[..., -1]
    return np.stack([a, b, r2, ceiling, reached, ceiling - reached], axis=-1)


def entropy_reward_fit(cells: Cells, where: str, reps: int) -> Part:
    """(a) ``R = -a exp(H) + b`` on the across-seed mean trajectory (module docstring)."""
    key = reward_key(cells)
    data = _aligned(cells, ["entropy", key])
    claim = "R = -a exp(H) + b fits (entropy, reward)"
    if data.shape[1] < 3 * WINDOW:
        note = f"fewer than {3 * WINDOW} updates common to every seed"
        return Part("a", claim, where, INCONCLUSIVE, facts={"reward": key}, note=note)
    blocks = np.stack([windows(data[..., 0]), windows(data[..., 1])], axis=-1)

    def stat(v: np.ndarray) -> np.ndarray:
        return _linear_fit(v[..., 0].mean(axis=1), v[..., 1].mean(axis=1))

    a, b, r2, ceiling, reached, gap = bootstrap([blocks], stat, reps, _seed("a-fit", where))
    verdict = both(above(a, 0.0), above(r2, FIT_R2))
    return Part(
        "a",
        claim,
        where,
        verdict,
        {
            "a": a,
            "b": b,
            "R^2": r2,
            "ceiling -a+b": ceiling,
            "reached": reached,
            "ceiling - reached": gap,
        },
        {"reward": key, "seeds": int(blocks.shape[0]), "windows": int(blocks.shape[1])},
        _seeds_note(blocks),
    )


# -- (b) -------------------------------------------------------------------------------------
def _covariance_row(records: Records) -> list[float | None] | None:
    cov = np.array(list(series(records, "covariance").values()))
    if cov.size == 0:
        return None
    nonzero = cov[cov != 0]
    share = float((nonzero > 0).mean()) if nonzero.size else float("nan")
    return [share, float((cov > 0).mean()), float(cov.mean())]


def covariance_positive(cells: Cells, where: str, reps: int) -> Part:
    """(b) The share of updates with a positive covariance (module docstring)."""
    x = _per_seed(cells, lambda _, r: _covariance_row(r), partial=True)
    claim = "covariance mostly positive"
    if x.shape[0] == 0:
        return Part("b", claim, where, INCONCLUSIVE, note="no covariance recorded")

    def stat(v: np.ndarray) -> np.ndarray:
        return np.stack([_mean(v[..., 0]), _mean(v[..., 1]), _mean(v[..., 2])], axis=-1)

    share, share_all, mean = bootstrap([x], stat, reps, _seed("b-share", where))
    return Part(
        "b",
        claim,
        where,
        above(share, 0.5),
        {"share > 0 (nonzero)": share, "share > 0 (all)": share_all, "mean covariance": mean},
        {"seeds": int(x.shape[0])},
        _seeds_note(x),
    )


def covariance_entropy_correlation(records: Records) -> float | None:
    """Pearson's correlation between ``covariance`` at update ``t`` and ``H(t+1) - H(t)``
    over the consecutive updates that logged both (``None`` below 3 pairs or without spread)."""
    cov, ent = series(records, "covariance"), series(records, "entropy")
    pairs = [(cov[t], ent[t + 1] - ent[t]) for t in sorted(cov) if t in ent and t + 1 in ent]
    if len(pairs) < 3:
        return None
    c, d = np.array(pairs).T
    if np.ptp(c) == 0 or np.ptp(d) == 0:
        return None
    return float(np.corrcoef(c, d)[0, 1])


def covariance_tracks_entropy(cells: Cells, where: str, reps: int) -> Part:
    """(b) The mean over seeds of the covariance/entropy-change correlation."""
    x = _per_seed(cells, lambda _, r: [covariance_entropy_correlation(r)])
    claim = "entropy change tracks covariance (negative correlation)"
    if x.shape[0] == 0:
        return Part("b", claim, where, INCONCLUSIVE, note="no seed has a defined correlation")

    def stat(v: np.ndarray) -> np.ndarray:
        return _mean(v[..., 0])[..., None]

    (corr,) = bootstrap([x], stat, reps, _seed("b-correlation", where))
    return Part(
        "b",
        claim,
        where,
        below(corr, 0.0, CORRELATION_MARGIN),
        {"corr(cov_t, H_t+1 - H_t)": corr},
        {"seeds": int(x.shape[0])},
        _seeds_note(x),
    )


# -- comparisons with plain -------------------------------------------------------------------
def _end_entropy(records: Records) -> float | None:
    edges = edge_means(records, "entropy")
    return edges[1] if edges else None


def _difference(values_x: np.ndarray, values_y: np.ndarray) -> np.ndarray:
    """``(reps, 3 k)``: X's mean minus Y's, X's mean, Y's mean, for each of k columns."""
    mx, my = _mean(values_x), _mean(values_y)
    return np.concatenate([mx - my, mx, my], axis=-1)


def holds_entropy(plain: Cells, arm: Cells, where: str, reps: int) -> Part:
    """(c) End entropy and end held-out pass@k (largest k both measured), arm minus plain."""
    claim = "holds entropy above plain without losing pass@k"
    k = largest_pass_k([plain, arm])
    if k is None:
        return Part("c", claim, where, INCONCLUSIVE, note="no held-out pass@k at the end")
    key = f"heldout_pass@{k}"

    def row(_: int, r: Records) -> list[float | None]:
        return [_end_entropy(r), heldout_end(r, key)]

    x, y = _per_seed(arm, row), _per_seed(plain, row)
    if x.shape[0] == 0 or y.shape[0] == 0:
        return Part("c", claim, where, INCONCLUSIVE, note="no seed with end entropy and pass@k")
    d_ent, d_pass, ent_x, pass_x, ent_y, pass_y = bootstrap(
        [x, y], _difference, reps, _seed("c", where)
    )
    entropy_verdict = above(d_ent, 0.0)
    lost = d_pass.ci is not None and d_pass.ci[1] < 0
    if entropy_verdict == REPRODUCED and d_pass.ci is not None and not lost:
        verdict = REPRODUCED
    elif entropy_verdict == NOT_REPRODUCED or lost:
        verdict = NOT_REPRODUCED
    else:
        verdict = INCONCLUSIVE
    return Part(
        "c",
        claim,
        where,
        verdict,
        {
            "end entropy diff": d_ent,
            f"pass@{k} diff": d_pass,
            "end entropy": ent_x,
            "plain end entropy": ent_y,
            f"pass@{k}": pass_x,
            f"plain pass@{k}": pass_y,
        },
        {"k": k, "seeds": int(x.shape[0]), "plain seeds": int(y.shape[0])},
        _seeds_note(x, y),
    )


def success_difference(plain: Cells, arm: Cells, where: str, reps: int, *, expect: str) -> Part:
    """(d) End held-out success, arm minus plain; ``expect`` is ``match`` (non-inferior
    within :data:`SUCCESS_MARGIN`) or ``worse`` (below 0)."""
    claim = (
        "matches the full gradient" if expect == "match" else "does worse than the full gradient"
    )

    def row(_: int, r: Records) -> list[float | None]:
        return [heldout_end(r, "heldout_success")]

    x, y = _per_seed(arm, row), _per_seed(plain, row)
    if x.shape[0] == 0 or y.shape[0] == 0:
        return Part("d", claim, where, INCONCLUSIVE, note="no held-out success at the end")
    diff, mx, my = bootstrap([x, y], _difference, reps, _seed("d", expect, where))
    if expect == "match":
        verdict = above(diff, -SUCCESS_MARGIN)
    elif expect == "worse":
        verdict = below(diff, 0.0, SUCCESS_MARGIN)
    else:
        raise ValueError(f"expect must be 'match' or 'worse', got {expect!r}")
    return Part(
        "d",
        claim,
        where,
        verdict,
        {"held-out success diff": diff, "held-out success": mx, "plain": my},
        {"seeds": int(x.shape[0]), "plain seeds": int(y.shape[0])},
        _seeds_note(x, y),
    )


# -- (e) -------------------------------------------------------------------------------------
def entropy_explosion(cells: Cells, where: str, reps: int, vocabulary: int | None) -> Part:
    """(e) The end/start entropy ratio against :data:`EXPLOSION_RATIO`, and the end entropy
    as a share of ``ln V``."""
    claim = "a large entropy bonus makes entropy explode"
    x = _per_seed(cells, lambda _, r: edge_means(r, "entropy"))
    if x.shape[0] == 0:
        return Part("e", claim, where, INCONCLUSIVE, note=f"no seed has {2 * EDGE} updates")
    log_v = math.log(vocabulary) if vocabulary and vocabulary > 1 else float("nan")

    def stat(v: np.ndarray) -> np.ndarray:
        start, end = _mean(v[..., 0]), _mean(v[..., 1])
        return np.stack([end / start, start, end, end / log_v], axis=-1)

    ratio, start, end, share = bootstrap([x], stat, reps, _seed("e", where))
    numbers = {"end/start": ratio, "start (nats)": start, "end (nats)": end}
    if vocabulary:
        numbers["end / ln V"] = share
    return Part(
        "e",
        claim,
        where,
        above(ratio, EXPLOSION_RATIO),
        numbers,
        {
            "seeds": int(x.shape[0]),
            "vocabulary": vocabulary,
            "ln V": None if not vocabulary else log_v,
        },
        _seeds_note(x),
    )


# -- (f) -------------------------------------------------------------------------------------
def holds_target(cells: Cells, target: float, where: str, reps: int) -> Part:
    """(f) ``|end - target|`` against :data:`TARGET_TOLERANCE` of the target; end held-out
    success."""
    claim = f"entropy_target holds {target:g} nats"

    def row(_: int, r: Records) -> list[float | None]:
        return [_end_entropy(r), heldout_end(r, "heldout_success")]

    x = _per_seed(cells, row)
    if x.shape[0] == 0:
        return Part("f", claim, where, INCONCLUSIVE, note="no seed with end entropy and success")

    def stat(v: np.ndarray) -> np.ndarray:
        end = _mean(v[..., 0])
        return np.stack([np.abs(end - target), end, _mean(v[..., 1])], axis=-1)

    gap, end, success = bootstrap([x], stat, reps, _seed("f", f"{target!r}", where))
    tolerance = TARGET_TOLERANCE * target
    verdict = INCONCLUSIVE
    if gap.ci is not None:
        verdict = (
            REPRODUCED
            if gap.ci[1] <= tolerance
            else NOT_REPRODUCED
            if gap.ci[0] > tolerance
            else INCONCLUSIVE
        )
    return Part(
        "f",
        claim,
        where,
        verdict,
        {"|end - target|": gap, "end entropy": end, "held-out success": success},
        {"target": target, "tolerance": tolerance, "seeds": int(x.shape[0])},
        _seeds_note(x),
    )


def target_shape(by_target: Mapping[float, Cells], where: str, reps: int) -> Part:
    """(f) Whether end held-out success peaks at an interior target (module docstring)."""
    claim = "performance against target entropy is non-monotonic"
    targets = sorted(by_target)
    if len(targets) < 3:
        return Part("f", claim, where, INCONCLUSIVE, note="fewer than three targets")
    arrays = [
        _per_seed(by_target[t], lambda _, r: [heldout_end(r, "heldout_success")]) for t in targets
    ]
    if any(a.shape[0] == 0 for a in arrays):
        return Part("f", claim, where, INCONCLUSIVE, note="a target has no held-out success")
    interior = range(1, len(targets) - 1)

    def stat(*vs: np.ndarray) -> np.ndarray:
        means = [_mean(v[..., 0]) for v in vs]
        diffs = [d for i in interior for d in (means[i] - means[0], means[i] - means[-1])]
        return np.stack(means + diffs, axis=-1)

    estimates = bootstrap(arrays, stat, reps, _seed("f-shape", where))
    means, diffs = estimates[: len(targets)], estimates[len(targets) :]
    peaks, dips = [], []
    for j, i in enumerate(interior):
        low_side, high_side = diffs[2 * j], diffs[2 * j + 1]
        if all(d.ci is not None and d.ci[0] > 0 for d in (low_side, high_side)):
            peaks.append(targets[i])
        if any(d.ci is not None and d.ci[1] < 0 for d in (low_side, high_side)):
            dips.append(targets[i])
    if peaks:
        verdict, shape = REPRODUCED, "non-monotonic"
    elif len(dips) == len(interior):
        verdict, shape = NOT_REPRODUCED, "monotonic or dipping"
    else:
        verdict, shape = INCONCLUSIVE, "inconclusive"
    numbers = {f"success @{t:g}": m for t, m in zip(targets, means)}
    for j, i in enumerate(interior):
        numbers[f"@{targets[i]:g} - @{targets[0]:g}"] = diffs[2 * j]
        numbers[f"@{targets[i]:g} - @{targets[-1]:g}"] = diffs[2 * j + 1]
    return Part(
        "f",
        claim,
        where,
        verdict,
        numbers,
        {"targets": targets, "shape": shape, "peaks": peaks},
        _seeds_note(*arrays),
    )


# -- (g) -------------------------------------------------------------------------------------
def multi_turn_gain(
    plain: Cells,
    arm: Cells,
    plain_scores: Mapping[int, float],
    arm_scores: Mapping[int, float],
    where: str,
    reps: int,
) -> Part:
    """(g) Normalised score and end held-out success, arm minus plain."""
    claim = "improves on plain on a multi-turn task"

    def row(scores: Mapping[int, float]) -> Row:
        return lambda seed, r: [scores.get(seed), heldout_end(r, "heldout_success")]

    x, y = (
        _per_seed(arm, row(arm_scores), partial=True),
        _per_seed(plain, row(plain_scores), partial=True),
    )
    if x.shape[0] == 0 or y.shape[0] == 0:
        return Part("g", claim, where, INCONCLUSIVE, note="no scored seeds")
    d_score, d_success, score_x, success_x, score_y, success_y = bootstrap(
        [x, y], _difference, reps, _seed("g", where)
    )
    return Part(
        "g",
        claim,
        where,
        above(d_score, 0.0, SCORE_MARGIN),
        {
            "score diff": d_score,
            "held-out success diff": d_success,
            "score": score_x,
            "plain score": score_y,
            "held-out success": success_x,
            "plain held-out success": success_y,
        },
        {"seeds": int(x.shape[0]), "plain seeds": int(y.shape[0])},
        _seeds_note(x, y),
    )


# -- (h) -------------------------------------------------------------------------------------
def heldout_checkpoints(arms: Sequence[Cells]) -> list[int]:
    """The held-out checkpoints (updates) every seed of every arm evaluated at."""
    common: set[int] | None = None
    for cells in arms:
        for records in cells.values():
            points = set(series(records, "heldout_success", training=False))
            common = points if common is None else common & points
    return sorted(common or ())


def long_run_stability(plain: Cells, arm: Cells, where: str, reps: int) -> Part:
    """(h) Entropy end/start ratio and the fall of held-out success from its best checkpoint,
    plain and the arm (module docstring)."""
    claim = "Lp-Reg stays stable where plain collapses"
    points = heldout_checkpoints([plain, arm])
    if len(points) < 2:
        return Part("h", claim, where, INCONCLUSIVE, note="fewer than two held-out checkpoints")

    def row(_: int, r: Records) -> list[float | None] | None:
        edges = edge_means(r, "entropy")
        curve = series(r, "heldout_success", training=False)
        return None if edges is None else [*edges, *(curve.get(p) for p in points)]

    x, y = _per_seed(arm, row), _per_seed(plain, row)
    if x.shape[0] == 0 or y.shape[0] == 0:
        return Part("h", claim, where, INCONCLUSIVE, note="no seed with entropy and checkpoints")

    def one(v: np.ndarray) -> list[np.ndarray]:
        ratio = _mean(v[..., 1]) / _mean(v[..., 0])
        curve = _mean(v[..., 2:])
        return [ratio, curve.max(axis=-1) - curve[..., -1], curve[..., -1]]

    def stat(vx: np.ndarray, vy: np.ndarray) -> np.ndarray:
        rx, fx, ex = one(vx)
        ry, fy, ey = one(vy)
        return np.stack([ry, fy, ey, rx, fx, ex, ex - ey], axis=-1)

    estimates = bootstrap([x, y], stat, reps, _seed("h", where))
    p_ratio, p_fall, p_end, a_ratio, a_fall, a_end, d_end = estimates
    p_collapses = below(p_ratio, LONG_COLLAPSE_RATIO) == REPRODUCED
    p_holds = p_ratio.ci is not None and p_ratio.ci[0] >= LONG_COLLAPSE_RATIO
    p_falls = p_fall.ci is not None and p_fall.ci[0] > FALL_MARGIN
    p_stable = p_fall.ci is not None and p_fall.ci[1] <= FALL_MARGIN
    a_collapses = below(a_ratio, LONG_COLLAPSE_RATIO) == REPRODUCED
    a_holds = a_ratio.ci is not None and a_ratio.ci[0] >= LONG_COLLAPSE_RATIO
    a_falls = a_fall.ci is not None and a_fall.ci[0] > FALL_MARGIN
    a_stable = a_fall.ci is not None and a_fall.ci[1] <= FALL_MARGIN
    if (p_collapses or p_falls) and a_holds and a_stable:
        verdict = REPRODUCED
    elif a_collapses or a_falls or (p_holds and p_stable):
        verdict = NOT_REPRODUCED
    else:
        verdict = INCONCLUSIVE

    def state(collapses: bool, holds: bool, falls: bool, stable: bool) -> str:
        entropy = "collapses" if collapses else "holds" if holds else "unresolved"
        success = "falls" if falls else "stable" if stable else "unresolved"
        return f"entropy {entropy}, success {success}"

    curves = {
        "plain": _mean(y[None, :, 2:])[0].tolist(),
        "arm": _mean(x[None, :, 2:])[0].tolist(),
    }
    return Part(
        "h",
        claim,
        where,
        verdict,
        {
            "plain end/start entropy": p_ratio,
            "plain fall from best": p_fall,
            "Lp-Reg end/start entropy": a_ratio,
            "Lp-Reg fall from best": a_fall,
            "plain end success": p_end,
            "Lp-Reg end success": a_end,
            "end success diff": d_end,
        },
        {
            "checkpoints": points,
            "success_curves": curves,
            "plain": state(p_collapses, p_holds, p_falls, p_stable),
            "arm": state(a_collapses, a_holds, a_falls, a_stable),
            "seeds": int(x.shape[0]),
            "plain seeds": int(y.shape[0]),
        },
        _seeds_note(x, y),
    )


# -- summaries -------------------------------------------------------------------------------
def check_verdict(parts: Sequence[Part]) -> tuple[str, str]:
    """A check's verdict from its parts, and the count behind it: every run part agreeing
    gives that verdict; parts that disagree give ``inconclusive`` (the count says how they
    split); no part run gives ``not run``."""
    run = [p.verdict for p in parts if p.verdict != NOT_RUN]
    counts = {v: run.count(v) for v in VERDICTS if v != NOT_RUN and run.count(v)}
    skipped = len(parts) - len(run)
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    if skipped:
        summary = f"{summary}, {skipped} not run" if summary else f"{skipped} not run"
    if not run:
        return NOT_RUN, summary
    return (run[0] if len(set(run)) == 1 else INCONCLUSIVE), summary
