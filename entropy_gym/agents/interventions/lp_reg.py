"""Lp-Reg: shield low-probability tokens from elimination with a KL to a filtered proxy.

From "Low-probability Tokens Sustain Exploration in RLVR": the policy is regularised toward a
proxy built by dropping presumed-noise tokens and renormalising what remains, which raises the
probability of rare but plausible tokens ("reasoning sparks"). Choices the paper leaves open,
made here: a vocabulary entry is noise when its probability is below ``kappa`` times the most
likely one (a min-p filter); the proxy ``q`` is detached; the penalty is ``beta * KL(q || p)``
over the vocabulary; it applies to the tokens the negative-advantage update would push down
while they are rare: sampled probability in the lowest ``rho`` of the minibatch and advantage
below zero. Other tokens keep their loss unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar

from entropy_gym.agents.interventions.covariance import BatchMeans
from entropy_gym.agents.interventions.token import (
    TokenIntervention,
    check_nonnegative,
    check_unit,
)


def proxy_kl(logits: Any, kappa: float) -> Any:
    """Per token, ``KL(q || p)`` for ``p = softmax(logits)`` and its min-p filtered,
    renormalised, detached proxy ``q``."""
    import torch

    log_p = torch.log_softmax(logits.float(), dim=-1)
    p = log_p.exp().detach()
    keep = p >= kappa * p.max(dim=-1, keepdim=True).values
    q = torch.where(keep, p, torch.zeros_like(p))
    q = q / q.sum(dim=-1, keepdim=True)
    log_q = torch.log(torch.where(keep, q, torch.ones_like(q)))
    return (q * (log_q - log_p)).sum(dim=-1)


class LpReg(TokenIntervention):
    """``pg + beta * KL(q || p)`` on rare, negatively advantaged tokens."""

    name: ClassVar[str] = "lp_reg"
    requires: ClassVar[frozenset[str]] = frozenset({"loss"})
    description: ClassVar[str] = "Lp-Reg: KL to a min-p filtered proxy on rare negative tokens"

    def __init__(self, beta: float = 1.0, kappa: float = 0.02, rho: float = 0.05) -> None:
        beta = check_nonnegative(self.name, "beta", beta)
        kappa = check_unit(self.name, "kappa", kappa)
        rho = check_unit(self.name, "rho", rho)
        super().__init__(beta=beta, kappa=kappa, rho=rho)
        self.beta, self.kappa, self.rho = beta, kappa, rho
        self._means = BatchMeans()

    def selected(self, batch: Any) -> Any:
        """The tokens regularised: rare (lowest ``rho`` by sampled probability) and A < 0."""
        import torch

        log_prob = batch.log_prob.detach()
        threshold = torch.quantile(log_prob.float(), self.rho)
        return (log_prob <= threshold) & (batch.advantages < 0)

    def on_loss(self, batch: Any) -> Any:
        import torch

        if batch.logits is None:
            return None
        chosen = self.selected(batch)
        if not bool(chosen.any()):
            self._means.add(regularised_fraction=0.0, proxy_kl=0.0)
            return None
        kl = torch.zeros_like(batch.pg_loss)
        kl[chosen] = proxy_kl(batch.logits[chosen], self.kappa).to(kl.dtype)
        self._means.add(
            regularised_fraction=float(chosen.float().mean()),
            proxy_kl=float(kl[chosen].mean().detach()),
        )
        return batch.pg_loss + self.beta * kl

    def telemetry(self) -> dict[str, float]:
        """Means over the minibatches since the previous record."""
        return self._means.flush()
