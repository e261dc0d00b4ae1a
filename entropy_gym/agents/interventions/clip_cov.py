"""Clip-Cov: stop the gradient of a random few high-covariance samples.

From "The Entropy Mechanism of Reinforcement Learning for Reasoning Language Models": per
sample, the centred covariance between log-probability and advantage (see
:mod:`.covariance`); among the samples whose covariance lies in ``(lb, ub)`` and that PPO has
not already clipped, a random ``ratio`` of the batch keeps its loss value but loses its
gradient. This restrains exactly the updates that drive entropy down.

Action-level defaults. The paper's token-level values (``ratio=0.0002``, band ``(1, 5)``)
select one token in five thousand from a long-tailed token distribution; a PPO minibatch has
64 actions, where that ratio selects nothing (or, with the reference implementation's floor
of one, a single sample). With normalised advantages, the action-level covariance of
CartPole and Pendulum PPO has its 75th-90th percentile between 0.1 and 0.6 and its 99th
between 0.9 and 1.8 (measured over 8k-step runs), so the default band ``(0.2, 5.0)`` keeps
the upper tail (10-25% of a minibatch), the part ``(1, 5)`` keeps of tokens, and
``ratio=0.05`` detaches about three of 64 samples, a random part of that tail.
"""

from __future__ import annotations

from typing import Any, ClassVar

from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.agents.interventions.covariance import (
    BatchMeans,
    centred_covariance,
    selection_size,
)
from entropy_gym.core.errors import ConfigError


class ClipCov(Intervention):
    """Detach the loss gradient of ``ratio`` of each minibatch, drawn at random among the
    unclipped samples with ``lb < covariance < ub``."""

    name: ClassVar[str] = "clip_cov"
    requires: ClassVar[frozenset[str]] = frozenset({"loss"})
    description: ClassVar[str] = "Clip-Cov: detach random high-covariance samples from the PPO loss"

    def __init__(self, ratio: float = 0.05, lb: float = 0.2, ub: float = 5.0) -> None:
        if not 0 < ratio <= 1:
            raise ConfigError(f"clip_cov ratio must be in (0, 1], got {ratio!r}")
        if not lb < ub:
            raise ConfigError(f"clip_cov needs lb < ub, got lb={lb!r}, ub={ub!r}")
        super().__init__(ratio=ratio, lb=lb, ub=ub)
        self.ratio, self.lb, self.ub = float(ratio), float(lb), float(ub)
        self._means = BatchMeans()

    def on_loss(self, batch: Any) -> Any:
        import torch

        cov = centred_covariance(batch.log_prob, batch.advantages)
        n = cov.numel()
        in_band = (cov > self.lb) & (cov < self.ub) & ~batch.clipped
        candidates = torch.nonzero(in_band).flatten()
        k = min(selection_size(self.ratio, n), candidates.numel())
        order = torch.randperm(
            candidates.numel(), generator=batch.generator, device=batch.generator.device
        )
        detach = torch.zeros_like(in_band)
        detach[candidates[order[:k].to(candidates.device)]] = True
        self._means.add(
            detached_fraction=k / n,
            band_fraction=in_band.float().mean().item(),
            covariance=cov.mean().item(),
        )
        return torch.where(detach, batch.pg_loss.detach(), batch.pg_loss)

    def telemetry(self) -> dict[str, float]:
        """Means over the minibatches since the previous record: the fraction of samples
        detached, the fraction in the band, and the mean covariance term."""
        return self._means.flush()
