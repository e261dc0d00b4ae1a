"""The loss payload every trainer shares: what an intervention at the ``loss`` hook receives.

The SB3 agents pass a :class:`PolicyLossBatch` per PPO minibatch; the LLM trainer passes its
token-level subclass (:class:`~entropy_gym.agents.llm.rl.batch.TokenLossBatch`), so that one
intervention serves both. Kept free of heavy imports so that ``entropy-gym agents`` can list
the agents without loading torch; the tensors are ``torch.Tensor`` at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import torch


@dataclass
class PolicyLossBatch:
    """One PPO minibatch at the moment its policy loss is formed.

    Every tensor has shape ``(batch,)`` and lives on the agent's device. ``log_prob``,
    ``ratio``, ``entropy`` and ``pg_loss`` carry gradients; the rest are constants.

    ``pg_loss`` is PPO's per-sample clipped surrogate ``max(-A * r, -A * clip(r, 1 - eps,
    1 + eps))`` as left by the interventions before this one; the update minimises its mean
    (plus the entropy and value terms, which the loss hook does not touch). ``clipped`` marks
    the samples whose clipped branch is the active one (their ratio gets no gradient).
    ``generator`` is a torch generator seeded from the agent's seed, for random choices.
    """

    log_prob: torch.Tensor
    old_log_prob: torch.Tensor
    ratio: torch.Tensor
    advantages: torch.Tensor
    clip_range: float
    clipped: torch.Tensor
    entropy: torch.Tensor | None
    pg_loss: torch.Tensor
    generator: torch.Generator


__all__ = ["PolicyLossBatch"]
