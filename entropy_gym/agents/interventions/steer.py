"""STEER: damp the tokens whose update is predicted to lower entropy the most.

From "Rethinking Entropy Interventions in RLVR: An Entropy Change Perspective": reweight each
token's loss by how much its update would change the policy's entropy. The paper does not fix
the estimator or the weighting; the choices here: the first-order entropy change of a
policy-gradient step on a sampled token is ``dH_t = -(log p_t - E[log p]) * A_t`` with
``E[log p] = -H_t`` (the exact token entropy), i.e. the token's centred covariance term with the
policy's own mean; the weight is ``w_t = clip(1 - lam * relu(-dH_t - tau), w_min, 1)``,
detached, so only tokens predicted to lower entropy by more than ``tau`` are damped and none is
amplified; the loss becomes ``w_t * pg_t``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from entropy_gym.agents.interventions.covariance import BatchMeans
from entropy_gym.agents.interventions.token import (
    TokenIntervention,
    check_nonnegative,
    check_unit,
)
from entropy_gym.core.errors import ConfigError


def entropy_change(log_prob: Any, entropy: Any, advantages: Any) -> Any:
    """The first-order entropy change per token, ``-(log p + H) * A`` (no gradient)."""
    return -(log_prob.detach() + entropy.detach()) * advantages.detach()


class Steer(TokenIntervention):
    """Per-token weights ``clip(1 - lam * relu(-dH - tau), w_min, 1)`` on the loss."""

    name: ClassVar[str] = "steer"
    requires: ClassVar[frozenset[str]] = frozenset({"loss"})
    description: ClassVar[str] = "STEER: damp tokens predicted to lower entropy (reweighting)"

    def __init__(self, lam: float = 1.0, tau: float = 0.0, w_min: float = 0.1) -> None:
        lam = check_nonnegative(self.name, "lam", lam)
        tau = check_nonnegative(self.name, "tau", tau)
        w_min = check_unit(self.name, "w_min", w_min, closed_low=True)
        if lam == 0:
            raise ConfigError("steer lam must be > 0 (lam = 0 changes nothing)")
        super().__init__(lam=lam, tau=tau, w_min=w_min)
        self.lam, self.tau, self.w_min = lam, tau, w_min
        self._means = BatchMeans()

    def weights(self, batch: Any) -> Any:
        """The detached per-token weights for ``batch``."""
        import torch

        change = entropy_change(batch.log_prob, batch.entropy, batch.advantages)
        return torch.clamp(1 - self.lam * torch.relu(-change - self.tau), self.w_min, 1.0)

    def on_loss(self, batch: Any) -> Any:
        w = self.weights(batch)
        self._means.add(mean_weight=float(w.mean()), damped_fraction=float((w < 1).float().mean()))
        return w * batch.pg_loss

    def telemetry(self) -> dict[str, float]:
        """Means over the minibatches since the previous record."""
        return self._means.flush()
