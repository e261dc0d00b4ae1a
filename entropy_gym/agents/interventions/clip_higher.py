"""Clip-higher: an asymmetric PPO clip, ``clip(r, 1 - eps_low, 1 + eps_high)``.

From DAPO ("Decoupled Clip and Dynamic sAmpling Policy Optimization"): with a symmetric clip a
low-probability token with a positive advantage can gain at most ``eps`` of ratio per update,
while a likely one barely moves; a larger upper bound lets unlikely tokens rise and so holds
entropy up. ``eps_low`` defaults to the agent's ``clip_range``; ``eps_high`` to DAPO's 0.28.
The surrogate is recomputed from the batch's ratio and advantages, and ``clipped`` and
``clip_range_high`` are updated so later ``loss`` interventions (Clip-Cov) see the new clip;
attach it first.
"""

from __future__ import annotations

from typing import Any, ClassVar

from entropy_gym.agents.interventions.covariance import BatchMeans
from entropy_gym.agents.interventions.token import TokenIntervention, check_unit
from entropy_gym.core.errors import ConfigError


class ClipHigher(TokenIntervention):
    """Per-token surrogate ``max(-A r, -A clip(r, 1 - eps_low, 1 + eps_high))``."""

    name: ClassVar[str] = "clip_higher"
    requires: ClassVar[frozenset[str]] = frozenset({"loss"})
    description: ClassVar[str] = "DAPO clip-higher: a larger upper clip of the token ratio"

    def __init__(self, eps_high: float = 0.28, eps_low: float | None = None) -> None:
        eps_high = check_unit(self.name, "eps_high", eps_high)
        if eps_low is not None:
            eps_low = check_unit(self.name, "eps_low", eps_low)
            if eps_low > eps_high:
                raise ConfigError(
                    f"clip_higher needs eps_low <= eps_high, got {eps_low!r} > {eps_high!r}"
                )
        super().__init__(eps_high=eps_high, eps_low=eps_low)
        self.eps_high, self.eps_low = eps_high, eps_low
        self._means = BatchMeans()

    def on_loss(self, batch: Any) -> Any:
        import torch

        low = batch.clip_range if self.eps_low is None else self.eps_low
        surrogate = -batch.advantages * batch.ratio
        clipped = -batch.advantages * torch.clamp(batch.ratio, 1 - low, 1 + self.eps_high)
        batch.clipped = clipped > surrogate
        batch.clip_range_high = self.eps_high
        upper = (batch.ratio.detach() > 1 + self.eps_high) & (batch.advantages > 0)
        self._means.add(
            clipped_fraction=batch.clipped.float().mean().item(),
            upper_clipped_fraction=upper.float().mean().item(),
        )
        return torch.maximum(surrogate, clipped)

    def telemetry(self) -> dict[str, float]:
        """Means over the minibatches since the previous record."""
        return self._means.flush()
