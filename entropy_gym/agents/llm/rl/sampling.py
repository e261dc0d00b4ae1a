"""Batched sampling from a causal LM with the KV cache, and the exact entropy of every token.

One prefill of the left-padded prompts, then one cached forward of one token per row per step
(``position_ids`` from the attention mask, so padding changes nothing). At every step the
``logits`` hook may change the next-token logits (temperature, a target-entropy controller);
the token is drawn from ``softmax`` of what it returns, and the log-probability and the
full-vocabulary entropy of that distribution are recorded. A row stops at a stop token (which
it keeps: the model learns to stop) or after ``max_new_tokens``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

#: ``(batch, vocab)`` float32 logits -> logits: the ``logits`` hook of the agent's interventions.
LogitsHook = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class Samples:
    """Per row: the generated tokens (the stop token last when it stopped), their
    log-probabilities and entropies (nats) under the distribution sampled from, and whether
    the row stopped before ``max_new_tokens``."""

    tokens: list[list[int]]
    logprobs: list[list[float]]
    entropies: list[list[float]]
    stopped: list[bool]

    @property
    def generated(self) -> int:
        return sum(len(t) for t in self.tokens)


def left_pad(
    sequences: Sequence[Sequence[int]], pad_id: int, device: Any
) -> tuple[torch.Tensor, ...]:
    """``(ids, attention_mask, position_ids)`` of left-padded ``sequences``."""
    length = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), length), dtype=torch.long)
    for b, seq in enumerate(sequences):
        if seq:
            ids[b, length - len(seq) :] = torch.tensor(list(seq), dtype=torch.long)
            mask[b, length - len(seq) :] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return ids.to(device), mask.to(device), positions.to(device)


def entropy_of(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(log_softmax, entropy)`` of logits over the last axis (entropy in nats)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return logp, -(logp.exp() * logp).sum(-1)


@torch.inference_mode()
def sample(
    model: Any,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    stop_ids: Sequence[int],
    pad_id: int,
    generator: torch.Generator,
    logits_hook: LogitsHook | None = None,
) -> Samples:
    """Sample a reply after each of ``prompts`` (token ids) from ``model``."""
    from transformers import DynamicCache

    device = next(model.parameters()).device
    n = len(prompts)
    ids, mask, positions = left_pad(prompts, pad_id, device)
    cache = DynamicCache()
    out = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=positions,
        cache=cache,
        use_cache=True,
        logits_to_keep=1,
    )
    stop = torch.tensor(sorted(set(stop_ids)), dtype=torch.long, device=device)
    tokens: list[list[int]] = [[] for _ in range(n)]
    logprobs: list[list[float]] = [[] for _ in range(n)]
    entropies: list[list[float]] = [[] for _ in range(n)]
    done = torch.zeros(n, dtype=torch.bool, device=device)
    last = positions[:, -1]
    for _ in range(max_new_tokens):
        logits = out.logits[:, -1, :].float()
        if logits_hook is not None:
            logits = logits_hook(logits)
        logp, entropy = entropy_of(logits)
        drawn = torch.multinomial(logp.exp(), 1, generator=generator).squeeze(1)
        chosen = logp.gather(1, drawn[:, None]).squeeze(1)
        live = (~done).nonzero().flatten().tolist()
        drawn_list, chosen_list, entropy_list = drawn.tolist(), chosen.tolist(), entropy.tolist()
        for b in live:
            tokens[b].append(drawn_list[b])
            logprobs[b].append(chosen_list[b])
            entropies[b].append(entropy_list[b])
        done |= torch.isin(drawn, stop)
        if bool(done.all()):
            break
        mask = torch.cat([mask, torch.ones((n, 1), dtype=mask.dtype, device=device)], dim=1)
        last = last + 1
        out = model(
            input_ids=drawn[:, None],
            attention_mask=mask,
            position_ids=last[:, None],
            cache=out.cache,
            use_cache=True,
        )
    stopped = [bool(t) and t[-1] in set(stop_ids) for t in tokens]
    return Samples(tokens, logprobs, entropies, stopped)


__all__ = ["LogitsHook", "Samples", "entropy_of", "left_pad", "sample"]
