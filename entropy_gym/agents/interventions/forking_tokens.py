"""Forking tokens: the policy gradient flows only through the highest-entropy tokens.

From "Beyond the 80/20 Rule: High-Entropy Minority Tokens Drive Effective RL for LLM
Reasoning": a minority of tokens have high entropy and act as forks between reasoning paths;
training on the top 20% by entropy matches or beats training on all tokens. Choices the paper
leaves open, made here: the ranking is per minibatch (over the tokens the loss aggregates), the
count is exactly ``ceil(top * n)`` tokens (ties broken by position), the entropy is the exact
full-vocabulary entropy under the current policy, and the other tokens leave the aggregation
(``loss_mask``), so a token-mean loss averages over the forks only. ``invert=True`` keeps the
lowest ``1 - top`` instead (the paper's ablation).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from entropy_gym.agents.interventions.covariance import BatchMeans
from entropy_gym.agents.interventions.token import TokenIntervention, check_unit


class ForkingTokens(TokenIntervention):
    """Narrow the loss to the ``top`` fraction of tokens by entropy."""

    name: ClassVar[str] = "forking_tokens"
    requires: ClassVar[frozenset[str]] = frozenset({"loss"})
    description: ClassVar[str] = "policy gradient on the top-20% entropy (forking) tokens only"

    def __init__(self, top: float = 0.2, invert: bool = False) -> None:
        top = check_unit(self.name, "top", top)
        super().__init__(top=top, invert=bool(invert))
        self.top, self.invert = top, bool(invert)
        self._means = BatchMeans()

    def on_loss(self, batch: Any) -> Any:
        import torch

        mask = batch.loss_mask.bool()
        index = torch.nonzero(mask).flatten()
        n = index.numel()
        if n == 0:
            return None
        k = min(n, max(1, math.ceil(self.top * n - 1e-9)))
        entropy = batch.entropy.detach()[index]
        # argsort is stable: ties go to the earlier token.
        order = torch.argsort(-entropy if not self.invert else entropy, stable=True)
        count = k if not self.invert else n - k
        keep = torch.zeros_like(mask)
        keep[index[order[: max(count, 1)]]] = True
        batch.loss_mask = mask & keep
        self._means.add(
            kept_fraction=float(keep.sum()) / n,
            kept_entropy=float(batch.entropy.detach()[keep].mean()),
        )
        return None

    def telemetry(self) -> dict[str, float]:
        """Means over the minibatches since the previous record."""
        return self._means.flush()
