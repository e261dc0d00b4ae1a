"""Prefix-shared packing of training rows: one forward pass per distinct prompt.

The members of a group see the same prompt (a single-turn problem, every episode's first
turn), so the rows ``prompt + reply_i`` repeat the prompt ``group_size`` times. Here the rows
with the same prompt become one packed sequence ``prompt, reply_1, ..., reply_G``: a 4-D
attention mask lets each reply see the prompt and its own earlier tokens only, and each reply
token keeps the position it had in its own row, so every logit is what the row's own forward
would give (tested to 1e-4), and gradients through the shared prompt add up as they would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from entropy_gym.agents.llm.rl.batch import TokenRollout


@dataclass
class Packed:
    """Packed sequences ``(packs, length)``, their boolean attention ``(packs, 1, length,
    length)``, and for every generated token of the packed rows (in the rows' row-major
    order) the flat index ``pack * length + position`` of the position whose output predicts
    it, and the token itself."""

    ids: torch.Tensor
    positions: torch.Tensor
    allowed: torch.Tensor
    source: torch.Tensor
    target: torch.Tensor


def pack_rows(rollout: TokenRollout, rows: torch.Tensor, pad_id: int) -> Packed:
    """Pack ``rows`` of ``rollout`` by identical prompts (see the module docstring)."""
    ids_cpu = rollout.input_ids[rows].cpu()
    response = rollout.response_mask[rows].cpu()
    attention = rollout.attention_mask[rows].cpu()
    packs: dict[tuple[int, ...], list[int]] = {}
    row_parts = []
    for k in range(len(rows)):
        where = response[k].nonzero().flatten()
        start = int(where[0]) if len(where) else int(attention[k].sum())
        end = int(where[-1]) + 1 if len(where) else start
        prompt = tuple(ids_cpu[k, :start].tolist())
        packs.setdefault(prompt, []).append(k)
        row_parts.append((prompt, ids_cpu[k, start:end].tolist()))
    length = max(
        len(p) + sum(len(row_parts[k][1]) for k in members) for p, members in packs.items()
    )
    n_packs = len(packs)
    ids = torch.full((n_packs, length), pad_id, dtype=torch.long)
    positions = torch.zeros((n_packs, length), dtype=torch.long)
    allowed = torch.zeros((n_packs, 1, length, length), dtype=torch.bool)
    token_source: dict[int, list[int]] = {}
    for p_index, (prompt, members) in enumerate(packs.items()):
        p = len(prompt)
        ids[p_index, :p] = torch.tensor(prompt, dtype=torch.long)
        positions[p_index, :p] = torch.arange(p)
        allowed[p_index, 0, :p, :p] = torch.tril(torch.ones(p, p, dtype=torch.bool))
        cursor = p
        for k in members:
            reply = row_parts[k][1]
            n = len(reply)
            span = torch.arange(cursor, cursor + n)
            ids[p_index, span] = torch.tensor(reply, dtype=torch.long)
            positions[p_index, span] = torch.arange(p, p + n)
            allowed[p_index, 0, cursor : cursor + n, :p] = True
            allowed[p_index, 0, cursor : cursor + n, cursor : cursor + n] = torch.tril(
                torch.ones(n, n, dtype=torch.bool)
            )
            # Token i of the reply is predicted by the prompt's last position (i = 0) or by
            # reply token i - 1.
            base = p_index * length
            token_source[k] = [base + p - 1] + [base + cursor + i for i in range(n - 1)]
            cursor += n
        pad = torch.arange(cursor, length)
        allowed[p_index, 0, pad, pad] = True  # padding attends to itself (no empty row)
    source = [s for k in range(len(rows)) for s in token_source[k]]
    target = [t for k in range(len(rows)) for t in row_parts[k][1]]
    device = rollout.input_ids.device
    return Packed(
        ids.to(device),
        positions.to(device),
        allowed.to(device),
        torch.tensor(source, dtype=torch.long, device=device),
        torch.tensor(target, dtype=torch.long, device=device),
    )


def packed_logits(model: Any, packed: Packed) -> torch.Tensor:
    """``(tokens, vocab)`` next-token logits of every packed generated token."""
    decoder = model.get_decoder()
    dtype = next(decoder.parameters()).dtype
    mask = torch.zeros(packed.allowed.shape, dtype=dtype, device=packed.allowed.device)
    mask.masked_fill_(~packed.allowed, torch.finfo(dtype).min)
    hidden = decoder(
        input_ids=packed.ids, attention_mask=mask, position_ids=packed.positions
    ).last_hidden_state
    flat = hidden.reshape(-1, hidden.shape[-1])[packed.source]
    logits: torch.Tensor = model.get_output_embeddings()(flat).float()
    return logits


__all__ = ["Packed", "pack_rows", "packed_logits"]
