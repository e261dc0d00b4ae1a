"""Entropy telemetry of a cell: mean action entropy, its trajectory, and a collapse flag.

**Collapse flag.** A policy has *collapsed* when its action entropy ends near zero relative to
where it could be. The trajectory is the training one (``entropy`` in the agent's telemetry
records, one per update) when the agent logged at least two records, else the evaluation
entropy-vs-decision-index trajectory. Let ``tail`` be the mean of its last 10% (at least one
point) and ``head`` the mean of its first 10%.

* Discrete action spaces (``Discrete``, ``MultiDiscrete``, ``MultiBinary``), where the maximum
  entropy ``H_max`` (the uniform policy's) is known: collapsed when ``tail < 0.1 * H_max``.
* Other spaces (continuous ``Box``, text replies), where differential or sampled entropies have
  no maximum: collapsed when the entropy fell by at least ``ln 10`` nats per action dimension
  from ``head`` to ``tail`` (for a Gaussian policy: the spread shrank tenfold per dimension).

The flag is ``None`` when the agent reported no entropy or the trajectory has fewer than two
points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np

if TYPE_CHECKING:
    from entropy_gym.runner.result import CellResult

COLLAPSE_FRACTION = 0.1
COLLAPSE_DROP_PER_DIM = math.log(10.0)
EDGE = 0.1


def max_entropy(space: gym.Space[Any]) -> float | None:
    """Entropy (nats) of the uniform policy over a discrete action space; ``None`` otherwise."""
    if isinstance(space, gym.spaces.Discrete):
        return float(np.log(space.n))
    if isinstance(space, gym.spaces.MultiDiscrete):
        return float(np.log(space.nvec).sum())
    if isinstance(space, gym.spaces.MultiBinary):
        return float(np.prod(space.shape) * np.log(2.0))
    return None


def action_dims(space: gym.Space[Any]) -> int:
    """Number of action dimensions (1 for anything that is not a ``Box``)."""
    if isinstance(space, gym.spaces.Box):
        return max(1, int(np.prod(space.shape)))
    return 1


def training_trajectory(telemetry: Sequence[dict[str, Any]]) -> list[float]:
    """The ``entropy`` values of the telemetry records, in order (records without one skipped)."""
    return [float(r["entropy"]) for r in telemetry if r.get("entropy") is not None]


def collapse_flag(trajectory: Sequence[float], h_max: float | None, dims: int = 1) -> bool | None:
    """Whether ``trajectory`` ends collapsed (see the module docstring)."""
    values = [float(v) for v in trajectory if v is not None and math.isfinite(v)]
    if len(values) < 2:
        return None
    k = max(1, round(EDGE * len(values)))
    head, tail = math.fsum(values[:k]) / k, math.fsum(values[-k:]) / k
    if h_max is not None and h_max > 0:
        return bool(tail < COLLAPSE_FRACTION * h_max)
    return bool(head - tail >= COLLAPSE_DROP_PER_DIM * max(1, dims))


def cell_entropy(result: CellResult) -> dict[str, Any]:
    """A stored cell result's entropy telemetry: evaluation mean, both trajectories, and the
    collapse flag with the trajectory it was computed from."""
    summary = result.entropy
    train = training_trajectory(result.telemetry)
    evaluation = summary.by_step if summary is not None else []
    source, trajectory = ("training", train) if len(train) >= 2 else ("evaluation", evaluation)
    flag = collapse_flag(trajectory, result.env.max_entropy, result.env.action_dims or 1)
    return {
        "mean": summary.mean if summary is not None else None,
        "training_trajectory": train,
        "evaluation_trajectory": evaluation,
        "collapsed": flag,
        "collapse_source": source if flag is not None else None,
    }
