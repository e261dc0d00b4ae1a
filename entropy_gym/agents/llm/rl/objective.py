"""The pieces of the GRPO-family objective: packing, advantages, token log-probs, aggregation.

Loss types (``loss_type`` of the agent), as the papers define them:

* ``grpo``: advantages ``(r - mean_g) / (std_g + eps)``; the per-token loss is averaged within
  each sample, then over samples.
* ``dapo``: the same advantages; the per-token loss is averaged over all tokens of the
  minibatch (long samples weigh more, no length bias per sample).
* ``dr_grpo``: advantages ``r - mean_g`` (no division by the group's spread); the per-token
  loss is summed and divided by ``samples * max_new_tokens * turns`` (a constant), so neither
  length nor spread rescales a sample's gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from entropy_gym.agents.llm.rl.batch import TokenRollout, Trajectory
from entropy_gym.agents.llm.rl.sampling import LogitsHook, entropy_of

LOSS_TYPES = ("grpo", "dapo", "dr_grpo")
#: Added to the group's standard deviation before dividing (a group of equal rewards gets 0).
STD_EPS = 1e-6


def pack(trajectories: Sequence[Trajectory], pad_id: int, device: Any = "cpu") -> TokenRollout:
    """One right-padded row per (sample, turn): the turn's prompt, then its reply."""
    rows = [
        (s, t, traj.group, turn)
        for s, traj in enumerate(trajectories)
        for t, turn in enumerate(traj.turns)
    ]
    if not rows:
        raise ValueError("no turns to pack: every episode ended before its first reply")
    length = max(len(turn.prompt) + len(turn.reply) for *_, turn in rows)
    r = len(rows)
    ids = torch.full((r, length), pad_id, dtype=torch.long)
    attention = torch.zeros((r, length), dtype=torch.long)
    response = torch.zeros((r, length), dtype=torch.bool)
    logprobs = torch.zeros((r, length))
    entropy = torch.zeros((r, length))
    for k, (_, _, _, turn) in enumerate(rows):
        p, n = len(turn.prompt), len(turn.reply)
        ids[k, : p + n] = torch.tensor(turn.prompt + turn.reply, dtype=torch.long)
        attention[k, : p + n] = 1
        response[k, p : p + n] = True
        logprobs[k, p : p + n] = torch.tensor(turn.logprobs)
        entropy[k, p : p + n] = torch.tensor(turn.entropies)
    return TokenRollout(
        input_ids=ids.to(device),
        attention_mask=attention.to(device),
        response_mask=response.to(device),
        row_sample=torch.tensor([s for s, *_ in rows], device=device),
        row_turn=torch.tensor([t for _, t, *_ in rows], device=device),
        row_group=torch.tensor([g for _, _, g, _ in rows], device=device),
        rewards=torch.tensor(
            [traj.reward for traj in trajectories], dtype=torch.float32, device=device
        ),
        sample_group=torch.tensor([traj.group for traj in trajectories], device=device),
        sampling_logprobs=logprobs.to(device),
        sampling_entropy=entropy.to(device),
    )


def sample_advantages(rewards: torch.Tensor, groups: torch.Tensor, *, scale: bool) -> torch.Tensor:
    """Each sample's return minus its group's mean return, divided by the group's standard
    deviation (population, plus :data:`STD_EPS`) when ``scale``."""
    adv = torch.zeros_like(rewards)
    for g in groups.unique():
        members = groups == g
        r = rewards[members]
        centred = r - r.mean()
        adv[members] = centred / (r.std(unbiased=False) + STD_EPS) if scale else centred
    return adv


def token_advantages(rollout: TokenRollout, per_sample: torch.Tensor) -> torch.Tensor:
    """``(rows, length)``: each generated token carries its sample's advantage; 0 elsewhere."""
    return per_sample[rollout.row_sample][:, None] * rollout.response_mask.float()


def response_logits(
    model: Any, rollout: TokenRollout, rows: torch.Tensor, logits_hook: LogitsHook | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(logits, mask)``: the policy's next-token logits ``(tokens, vocab)`` at every
    generated token of ``rows`` (row-major order), after the ``logits`` hook, and the
    ``(len(rows), length)`` response mask they come from. Only those positions go through the
    output layer."""
    ids = rollout.input_ids[rows]
    attention = rollout.attention_mask[rows]
    mask = rollout.response_mask[rows]
    length = int(attention.sum(-1).max())
    ids, attention, mask = ids[:, :length], attention[:, :length], mask[:, :length]
    hidden = model.get_decoder()(input_ids=ids, attention_mask=attention).last_hidden_state
    # The logits predicting token j come from position j - 1.
    before = torch.zeros_like(mask)
    before[:, :-1] = mask[:, 1:]
    logits = model.get_output_embeddings()(hidden[before]).float()
    if logits_hook is not None:
        logits = logits_hook(logits)
    return logits, mask


def token_logprobs(
    model: Any,
    rollout: TokenRollout,
    rows: torch.Tensor,
    logits_hook: LogitsHook | None = None,
    *,
    pad_id: int = 0,
    shared_prefix: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(log_prob, entropy, logits, mask)`` of the generated tokens of ``rows`` (row-major):
    the log-probability of each token and the exact entropy of its distribution (both
    ``(tokens,)``), the logits after the ``logits`` hook, and the ``(len(rows), length)``
    response mask they are read at. ``shared_prefix`` runs rows that share a long prompt prefix
    as one packed sequence (:mod:`.packing`); otherwise each row is its own sequence."""
    if not shared_prefix:
        logits, mask = response_logits(model, rollout, rows, logits_hook)
        targets = rollout.input_ids[rows][:, : mask.shape[1]][mask]
    else:
        from entropy_gym.agents.llm.rl.packing import attention_scale, pack_rows, packed_logits

        packed = pack_rows(rollout, rows, pad_id, attention_scale(model))
        logits = packed_logits(model, packed)
        if logits_hook is not None:
            logits = logits_hook(logits)
        length = int(rollout.attention_mask[rows].sum(-1).max())
        mask = rollout.response_mask[rows][:, :length]
        targets = packed.target
    logp, entropy = entropy_of(logits)
    return logp.gather(1, targets[:, None]).squeeze(1), entropy, logits, mask


def aggregate(
    per_token: torch.Tensor,
    keep: torch.Tensor,
    sample_index: torch.Tensor,
    *,
    loss_type: str,
    num_samples: int,
    normaliser: float,
) -> torch.Tensor:
    """Reduce a ``(tokens,)`` loss over the ``keep`` tokens as ``loss_type`` says (module
    docstring); ``normaliser`` is dr_grpo's constant per sample."""
    kept = per_token * keep.float()
    if loss_type == "dapo":
        return kept.sum() / keep.sum().clamp(min=1)
    if loss_type == "dr_grpo":
        return kept.sum() / (num_samples * normaliser)
    sums = torch.zeros(num_samples, device=per_token.device).index_add(0, sample_index, kept)
    counts = torch.zeros(num_samples, device=per_token.device).index_add(
        0, sample_index, keep.float()
    )
    present = counts > 0
    return (sums[present] / counts[present]).sum() / max(1, int(present.sum()))


def centred_covariance(log_prob: torch.Tensor, advantages: torch.Tensor) -> torch.Tensor:
    """Per token ``(logp - mean logp) * (A - mean A)``: the term the entropy-mechanism paper
    ties to the change of entropy under a policy-gradient step."""
    lp = log_prob.detach()
    return (lp - lp.mean()) * (advantages - advantages.mean())


def k3_kl(log_prob: torch.Tensor, ref_log_prob: torch.Tensor) -> torch.Tensor:
    """Per token ``exp(ref - logp) - (ref - logp) - 1`` >= 0, the unbiased KL estimator GRPO
    uses for KL(policy || reference)."""
    delta = ref_log_prob - log_prob
    return torch.exp(delta) - delta - 1


__all__ = [
    "LOSS_TYPES",
    "aggregate",
    "centred_covariance",
    "k3_kl",
    "pack",
    "response_logits",
    "sample_advantages",
    "token_advantages",
    "token_logprobs",
]
