"""The per-token policy loss with the suite's ``loss`` and ``ent_coef`` hooks, for other trainers.

Another trainer hands over what its loss sees, as ``(batch, length)`` tensors with a response
mask: current and old log-probs, advantages, and where it has them, token entropies, logits
and reference log-probs. :func:`token_policy_loss` forms the same objective as ``llm_grpo``
(:meth:`~entropy_gym.agents.llm.rl.agent.LLMGRPOAgent._optimise`): the clipped surrogate
``max(-A r, -A clip(r, 1 - clip_low, 1 + clip_high))`` per generated token, the ``loss`` hook
of each intervention in order on a :class:`~entropy_gym.agents.llm.rl.batch.TokenLossBatch`,
aggregation over the tokens the interventions leave in ``loss_mask`` as ``loss_type`` says
(:func:`~entropy_gym.agents.llm.rl.objective.aggregate`), and the entropy term with the
``ent_coef`` hook. A sample is a row: one reply, one turn.

:func:`bind_interventions` builds the interventions and refuses, in one line, one that needs a
hook the host trainer does not offer or a tensor it does not pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.agents.llm.rl.batch import TokenLossBatch
from entropy_gym.agents.llm.rl.objective import LOSS_TYPES, aggregate
from entropy_gym.core.errors import ConfigError

#: What each built-in ``loss`` intervention reads beyond log-probs, ratios and advantages.
READS: dict[str, frozenset[str]] = {
    "forking_tokens": frozenset({"entropy"}),
    "steer": frozenset({"entropy"}),
    "epo": frozenset({"entropy"}),
    "lp_reg": frozenset({"logits"}),
}

InterventionSpec = str | Mapping[str, Any] | Intervention


class TrainerHost:
    """What an intervention sees as its agent inside another trainer: a token-level trainer
    (so :class:`~entropy_gym.agents.interventions.token.TokenIntervention` binds) with a
    training ``progress`` in [0, 1] that the adapter keeps current."""

    loss_granularity = "token"
    max_entropy = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.progress = 0.0


def bind_interventions(
    specs: Iterable[InterventionSpec],
    host: TrainerHost,
    *,
    hooks: frozenset[str],
    tensors: frozenset[str],
) -> list[Intervention]:
    """Build ``specs`` (names, ``{"name": ..., **params}`` mappings or instances) and bind
    them to ``host``; refused when one requires a hook outside ``hooks`` or reads a tensor
    outside ``tensors`` (``entropy``, ``logits``)."""
    from entropy_gym.agents.registry import make_intervention

    bound = []
    for spec in specs:
        iv = make_intervention(spec)
        missing = sorted(set(iv.requires) - hooks)
        if missing:
            raise ConfigError(
                f"intervention {iv.name!r} needs hook(s) {', '.join(missing)}, which {host.name} "
                f"does not offer here (offered: {', '.join(sorted(hooks))})"
            )
        unread = sorted(READS.get(iv.name, frozenset()) - tensors)
        if unread:
            raise ConfigError(
                f"intervention {iv.name!r} reads the token {', '.join(unread)}, which "
                f"{host.name} does not pass to this loss"
            )
        iv.bind(host)
        bound.append(iv)
    return bound


@dataclass
class TokenPolicyLoss:
    """The loss of one batch: ``loss`` (the aggregated policy term minus ``ent_coef`` times the
    aggregated entropy, where entropies were given), its ``pg_term``, the per-token
    ``per_token`` loss after the interventions and the ``keep`` mask they left (both
    ``(batch, length)``, zero and False off the response), the coefficient used and the
    interventions' telemetry."""

    loss: torch.Tensor
    pg_term: torch.Tensor
    per_token: torch.Tensor
    keep: torch.Tensor
    ent_coef: float
    mean_entropy: torch.Tensor | None
    clip_fraction: float


def token_policy_loss(
    interventions: Iterable[Intervention],
    *,
    log_prob: torch.Tensor,
    old_log_prob: torch.Tensor,
    advantages: torch.Tensor,
    response_mask: torch.Tensor,
    loss_type: str,
    clip_low: float,
    clip_high: float,
    max_new_tokens: int,
    generator: torch.Generator,
    entropy: torch.Tensor | None = None,
    logits: torch.Tensor | None = None,
    ref_log_prob: torch.Tensor | None = None,
    ent_coef: float = 0.0,
    progress: float = 0.0,
) -> TokenPolicyLoss:
    """The policy loss of a ``(batch, length)`` batch through ``interventions`` (module
    docstring). ``advantages`` is ``(batch,)`` or ``(batch, length)``; ``logits`` is
    ``(batch, length, vocab)``; ``max_new_tokens`` is ``dr_grpo``'s constant per sample."""
    if loss_type not in LOSS_TYPES:
        raise ConfigError(f"loss_type must be one of {LOSS_TYPES}, got {loss_type!r}")
    mask = response_mask.bool()
    rows, length = mask.shape
    if advantages.dim() == 1:
        advantages = advantages[:, None].expand(rows, length)
    lp, old, adv = log_prob[mask], old_log_prob[mask].detach(), advantages[mask].detach().float()
    ratio = torch.exp(lp - old)
    surrogate = -adv * ratio
    surrogate_clipped = -adv * torch.clamp(ratio, 1 - clip_low, 1 + clip_high)
    row_of = torch.arange(rows, device=mask.device)[:, None].expand(rows, length)[mask]
    ent = entropy[mask] if entropy is not None else None
    batch = TokenLossBatch(
        log_prob=lp,
        old_log_prob=old,
        ratio=ratio,
        advantages=adv,
        clip_range=clip_low,
        clipped=surrogate_clipped > surrogate,
        entropy=ent,
        pg_loss=torch.maximum(surrogate, surrogate_clipped),
        generator=generator,
        logits=logits[mask] if logits is not None else None,
        ref_log_prob=ref_log_prob[mask].detach() if ref_log_prob is not None else None,
        sample_index=row_of,
        turn_index=torch.zeros_like(row_of),
        token_index=(mask.long().cumsum(1) - 1)[mask],
        loss_mask=torch.ones_like(lp, dtype=torch.bool),
        clip_range_high=clip_high,
        progress=progress,
        num_samples=rows,
    )
    ivs = list(interventions)
    for iv in ivs:
        if "loss" in iv.requires:
            out = iv.on_loss(batch)
            if out is not None:
                batch.pg_loss = out
    keep = batch.loss_mask.bool() if batch.loss_mask is not None else torch.ones_like(mask[mask])
    reduce: dict[str, Any] = {
        "loss_type": loss_type,
        "num_samples": rows,
        "normaliser": float(max_new_tokens),
    }
    pg_term = aggregate(batch.pg_loss, keep, row_of, **reduce)
    loss, coef, mean_entropy = pg_term, float(ent_coef), None
    if ent is not None:
        mean_entropy = aggregate(ent, torch.ones_like(keep), row_of, **reduce)
        for iv in ivs:
            if "ent_coef" in iv.requires:
                out_coef = iv.on_ent_coef(coef, float(mean_entropy.detach()))
                if out_coef is not None:
                    coef = float(out_coef)
        if coef != 0:
            loss = pg_term - coef * mean_entropy
    per_token = torch.zeros(mask.shape, dtype=batch.pg_loss.dtype, device=mask.device)
    per_token = per_token.masked_scatter(mask, batch.pg_loss * keep)
    kept = torch.zeros_like(mask).masked_scatter(mask, keep)
    clip_fraction = (
        float((torch.abs(ratio.detach() - 1) > clip_low).float().mean()) if lp.numel() else 0.0
    )
    return TokenPolicyLoss(loss, pg_term, per_token, kept, coef, mean_entropy, clip_fraction)


def telemetry(interventions: Iterable[Intervention]) -> dict[str, float]:
    """Each intervention's signals since its last record, as ``"<name>/<signal>"``."""
    return {
        f"{iv.name}/{key}": value for iv in interventions for key, value in iv.telemetry().items()
    }
