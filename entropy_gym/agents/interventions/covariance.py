"""The per-sample covariance statistic of Clip-Cov and KL-Cov.

The entropy change of a softmax policy under a policy-gradient step is driven by the
covariance between an action's log-probability and its advantage; per sample, its centred
term is ``(log_prob - mean(log_prob)) * (A - mean(A))`` over the batch. Samples with a large
positive term (a likely action with a high advantage, or an unlikely one with a low
advantage) are the ones whose update lowers entropy.
"""

from __future__ import annotations

from typing import Any


def centred_covariance(log_prob: Any, advantages: Any) -> Any:
    """Per-sample centred covariance term over a batch (no gradient)."""
    log_prob = log_prob.detach()
    advantages = advantages.detach()
    return (log_prob - log_prob.mean()) * (advantages - advantages.mean())


def selection_size(ratio: float, n: int) -> int:
    """How many of ``n`` samples a ratio selects: ``max(1, floor(ratio * n))``, as in the
    reference implementation."""
    return max(1, int(ratio * n))


class BatchMeans:
    """Means of per-minibatch signals since the last telemetry record."""

    def __init__(self) -> None:
        self._sums: dict[str, float] = {}
        self._count = 0

    def add(self, **values: float) -> None:
        for key, value in values.items():
            self._sums[key] = self._sums.get(key, 0.0) + float(value)
        self._count += 1

    def flush(self) -> dict[str, float]:
        """The means, and a fresh start for the next record."""
        out = {key: value / self._count for key, value in self._sums.items()} if self._count else {}
        self._sums, self._count = {}, 0
        return out
