"""KL-Cov: a KL penalty on the highest-covariance samples instead of PPO's clipping.

From "The Entropy Mechanism of Reinforcement Learning for Reasoning Language Models": the
surrogate is the unclipped ``-A * r`` for every sample; the ``ratio`` of the minibatch with
the largest centred covariance between log-probability and advantage (see
:mod:`.covariance`) also pays ``kl_coef * |log r|``, which holds those samples near the old
policy. As in the reference implementation it replaces PPO's clipped surrogate, so attach it
before other ``loss`` interventions.

Action-level defaults: the token-level ``ratio=0.0002`` selects nothing in a 64-action
minibatch (a single sample with the reference floor of one); ``ratio=0.05`` penalises the
three highest-covariance actions of 64, about the top of the distribution that Clip-Cov's
default band covers. ``kl_coef=1.0`` is the reference code's default.
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


class KLCov(Intervention):
    """Unclipped surrogate plus ``kl_coef * |log_prob - old_log_prob|`` on the top ``ratio``
    of each minibatch by covariance."""

    name: ClassVar[str] = "kl_cov"
    requires: ClassVar[frozenset[str]] = frozenset({"loss"})
    description: ClassVar[str] = (
        "KL-Cov: KL penalty on the highest-covariance samples of the PPO loss"
    )

    def __init__(self, ratio: float = 0.05, kl_coef: float = 1.0) -> None:
        if not 0 < ratio <= 1:
            raise ConfigError(f"kl_cov ratio must be in (0, 1], got {ratio!r}")
        if not kl_coef >= 0:
            raise ConfigError(f"kl_cov kl_coef must be >= 0, got {kl_coef!r}")
        super().__init__(ratio=ratio, kl_coef=kl_coef)
        self.ratio, self.kl_coef = float(ratio), float(kl_coef)
        self._means = BatchMeans()

    def on_loss(self, batch: Any) -> Any:
        import torch

        cov = centred_covariance(batch.log_prob, batch.advantages)
        n = cov.numel()
        k = selection_size(self.ratio, n)
        top = torch.topk(cov, k).indices
        penalise = torch.zeros(n, dtype=torch.bool, device=cov.device)
        penalise[top] = True
        abs_log_ratio = (batch.log_prob - batch.old_log_prob).abs()
        loss = -batch.advantages * batch.ratio + torch.where(
            penalise, self.kl_coef * abs_log_ratio, 0.0
        )
        self._means.add(
            penalised_fraction=k / n,
            covariance=cov.mean().item(),
            top_covariance=cov[top].mean().item(),
            abs_log_ratio=abs_log_ratio[top].mean().item(),
        )
        return loss

    def telemetry(self) -> dict[str, float]:
        """Means over the minibatches since the previous record."""
        return self._means.flush()
