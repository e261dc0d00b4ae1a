"""EPO: an entropy bonus with phase weighting, and smoothing against the historical entropy.

From "EPO: Entropy-regularized Policy Optimization for LLM Agents RL": in multi-turn sparse-
reward tasks a plain entropy bonus first fails to stop premature convergence and later drives
chaotic exploration. EPO adds the bonus, a regulariser that keeps entropy within a band around
its historical average, and a weight that shifts from exploration to exploitation over
training. The choices made here (the paper's forms are not given): entropy is the mean exact
token entropy of the minibatch (with gradient); the history is an exponential average over
minibatches (``decay``), started at the first one; the per-token loss becomes
``pg_t - beta(progress) * H_t + lam * relu(|H - H_bar| - kappa * H_bar)^2``, where the last term
(batch-level) is added to every token so the aggregated loss carries it once; ``beta`` falls
linearly from ``beta_start`` to ``beta_end`` over training.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from entropy_gym.agents.interventions.covariance import BatchMeans
from entropy_gym.agents.interventions.token import (
    TokenIntervention,
    check_nonnegative,
    check_unit,
)


class EPO(TokenIntervention):
    """Phase-weighted token entropy bonus plus a band penalty around the entropy history."""

    name: ClassVar[str] = "epo"
    requires: ClassVar[frozenset[str]] = frozenset({"loss"})
    description: ClassVar[str] = "EPO: phase-weighted entropy bonus + smoothing to history"

    def __init__(
        self,
        beta_start: float = 0.01,
        beta_end: float = 0.0,
        lam: float = 1.0,
        kappa: float = 0.1,
        decay: float = 0.9,
    ) -> None:
        beta_start = check_nonnegative(self.name, "beta_start", beta_start)
        beta_end = check_nonnegative(self.name, "beta_end", beta_end)
        lam = check_nonnegative(self.name, "lam", lam)
        kappa = check_nonnegative(self.name, "kappa", kappa)
        decay = check_unit(self.name, "decay", decay, closed_low=True)
        super().__init__(
            beta_start=beta_start, beta_end=beta_end, lam=lam, kappa=kappa, decay=decay
        )
        self.beta_start, self.beta_end = beta_start, beta_end
        self.lam, self.kappa, self.decay = lam, kappa, decay
        self.history = math.nan
        self._means = BatchMeans()

    def beta(self, progress: float) -> float:
        """The bonus weight at training ``progress`` in [0, 1]."""
        p = min(max(float(progress), 0.0), 1.0)
        return self.beta_start + (self.beta_end - self.beta_start) * p

    def on_loss(self, batch: Any) -> Any:
        import torch

        mask = batch.loss_mask.bool()
        entropy = batch.entropy
        mean = entropy[mask].mean() if bool(mask.any()) else entropy.mean()
        current = float(mean.detach())
        if math.isnan(self.history):
            self.history = current
        band = self.kappa * self.history
        excess = torch.relu((mean - self.history).abs() - band)
        smoothing = self.lam * excess**2
        beta = self.beta(batch.progress)
        self._means.add(
            beta=beta,
            entropy_history=self.history,
            smoothing=float(smoothing.detach()),
            outside_band=float(excess.detach() > 0),
        )
        self.history = self.decay * self.history + (1 - self.decay) * current
        return batch.pg_loss - beta * entropy + smoothing

    def telemetry(self) -> dict[str, float]:
        """Means over the minibatches since the previous record."""
        return self._means.flush()
