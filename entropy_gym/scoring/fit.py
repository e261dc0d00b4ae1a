"""The entropy-performance fit ``R = -a * exp(H) + b``.

Given pairs of policy entropy ``H`` (nats) and return ``R``, the model is linear in ``(a, b)``
once ``x = exp(H)`` is formed, so ordinary least squares gives the unique best fit in closed
form: ``R = b - a * x``. ``a > 0`` means return falls as entropy grows (performance is bought
with entropy, the trade-off reported for LLM reinforcement learning); ``b`` is the return
predicted at zero entropy minus ``a``.

Which pairs a leaderboard fits (``entropy_gym.leaderboard``):

* per env, across cells: every finished cell on that env (all agents, interventions, seeds)
  gives one pair (mean evaluation action entropy, mean evaluation return);
* per cell, across training checkpoints: the agent's telemetry records that carry both an
  ``entropy`` and a ``return`` value (mean episodic training return at that update).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

MIN_PAIRS = 3
#: exp(H) overflows float64 beyond ~709 nats; such entropies are not fitted.
MAX_ENTROPY_FOR_FIT = 700.0


@dataclass(frozen=True)
class EntropyFit:
    """``R = -a * exp(H) + b`` fitted on ``n`` pairs, with its coefficient of determination."""

    a: float
    b: float
    r2: float | None
    n: int

    def predict(self, entropy: np.ndarray | float) -> np.ndarray:
        return -self.a * np.exp(entropy) + self.b

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fit_entropy_return(entropy: Sequence[float], returns: Sequence[float]) -> EntropyFit | None:
    """Least-squares fit of ``R = -a * exp(H) + b``; ``None`` with fewer than three usable pairs
    or when every ``exp(H)`` is the same (``a`` is then undetermined)."""
    pairs = [
        (float(h), float(r))
        for h, r in zip(entropy, returns)
        if h is not None
        and r is not None
        and math.isfinite(h)
        and math.isfinite(r)
        and h <= MAX_ENTROPY_FOR_FIT
    ]
    if len(pairs) < MIN_PAIRS:
        return None
    h = np.array([p[0] for p in pairs])
    r = np.array([p[1] for p in pairs])
    x = np.exp(h)
    if np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max())):
        return None
    design = np.column_stack([-x, np.ones_like(x)])
    (a, b), *_ = np.linalg.lstsq(design, r, rcond=None)
    residual = r - (-a * x + b)
    total = float(((r - r.mean()) ** 2).sum())
    r2 = None if total == 0 else 1.0 - float((residual**2).sum()) / total
    return EntropyFit(a=float(a), b=float(b), r2=r2, n=len(pairs))


def checkpoint_pairs(telemetry: Sequence[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """``(entropies, returns)`` from telemetry records that carry both keys."""
    hs, rs = [], []
    for record in telemetry:
        h, r = record.get("entropy"), record.get("return")
        if h is not None and r is not None:
            hs.append(float(h))
            rs.append(float(r))
    return hs, rs
