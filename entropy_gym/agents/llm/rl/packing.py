"""Prefix-shared packing of training rows: the tokens rows share are run once.

Rows often share a long prefix. The members of a group see the same prompt (a single-turn
problem, every episode's first turn), and on a multi-turn task whose observation only grows (a
tool task's conversation, a bandit's raw history) every turn's prompt begins with the previous
turn's observation. Here rows become packed sequences: a **trunk** (the longest prompt of the
pack) and, for every member row, a **branch** holding what follows its common prefix with the
trunk (the rest of its prompt, then its reply). A 4-D attention mask lets each branch token see
the trunk up to the row's common prefix and the branch's earlier tokens only, and each token
keeps the position it has in its own row, so every logit is what the row's own forward would
give (tested to 1e-4) and gradients through shared tokens add up as they would.

Which rows share a pack is a cost decision. A sequence of ``L`` tokens costs about
``L + L**2 / scale`` (the layers' matrix products grow with ``L``, the masked attention with
``L**2``; ``scale`` is a multiple of the model's width, :func:`attention_scale`). Rows are taken
longest prompt first, and each joins the pack where it adds the least cost, when that is less
than the cost of its own sequence; otherwise it starts a pack. Rows with the same prompt join
at the cost of their replies only; a long pack stops growing where its attention would cost
more than the tokens it saves, which for a micro model is after a few hundred tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from entropy_gym.agents.llm.rl.batch import TokenRollout

#: ``attention_scale = ATTENTION_PER_WIDTH * hidden size`` (see the module docstring).
ATTENTION_PER_WIDTH = 2


def attention_scale(model: Any) -> float:
    """The length at which a sequence's attention costs as much as its other layers, up to a
    constant: ``ATTENTION_PER_WIDTH`` times the model's hidden size."""
    width = getattr(getattr(model, "config", None), "hidden_size", None)
    return float(ATTENTION_PER_WIDTH * (width if isinstance(width, int) else 1024))


def _cost(length: int, scale: float) -> float:
    return length + length * length / scale


@dataclass
class Packed:
    """Packed sequences and where their generated tokens are.

    ``ids``, ``positions``, ``segment`` and ``limit`` are ``(packs, length)``, right-padded:
    a position's token, its position id, its segment (0 the trunk, ``m + 1`` member ``m``'s
    branch, -1 padding) and, on a branch, how many trunk positions it may see (its row's shared
    prefix). ``lengths`` ``(packs,)``. For every generated token of the packed rows, in the rows'
    row-major order: ``source_pack`` and ``source_position``, the position whose output
    predicts it, and ``target``, the token.
    """

    ids: torch.Tensor
    positions: torch.Tensor
    segment: torch.Tensor
    limit: torch.Tensor
    lengths: torch.Tensor
    source_pack: torch.Tensor
    source_position: torch.Tensor
    target: torch.Tensor

    def allowed(self, packs: torch.Tensor, length: int) -> torch.Tensor:
        """Boolean attention ``(len(packs), 1, length, length)`` of ``packs`` cut to
        ``length``: a position sees the earlier positions of its own segment and, on a
        branch, the first ``limit`` trunk positions; padding sees itself."""
        seg = self.segment[packs, :length]
        limit = self.limit[packs, :length]
        index = torch.arange(length, device=seg.device)
        causal = index[None, :, None] >= index[None, None, :]
        same = (seg[:, :, None] == seg[:, None, :]) & causal & (seg[:, :, None] >= 0)
        trunk = (seg[:, None, :] == 0) & (index[None, None, :] < limit[:, :, None])
        pad = (seg[:, :, None] < 0) & (index[None, :, None] == index[None, None, :])
        return (same | trunk | pad)[:, None]


@dataclass
class _Pack:
    trunk: np.ndarray
    members: list[tuple[int, int]] = field(default_factory=list)  # (row, shared prefix)
    length: int = 0


def _common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    n = min(len(a), len(b))
    diff = np.flatnonzero(a[:n] != b[:n])
    return int(diff[0]) if diff.size else n


def pack_rows(
    rollout: TokenRollout, rows: torch.Tensor, pad_id: int, scale: float = 4096.0
) -> Packed:
    """Pack ``rows`` of ``rollout`` onto shared prefixes (see the module docstring)."""
    ids_cpu = rollout.input_ids[rows].cpu()
    response = rollout.response_mask[rows].cpu()
    attention = rollout.attention_mask[rows].cpu()
    parts: list[tuple[np.ndarray, list[int]]] = []
    for k in range(len(rows)):
        where = response[k].nonzero().flatten()
        start = int(where[0]) if len(where) else int(attention[k].sum())
        end = int(where[-1]) + 1 if len(where) else start
        parts.append((ids_cpu[k, :start].numpy(), ids_cpu[k, start:end].tolist()))
    packs: list[_Pack] = []
    for k in sorted(range(len(parts)), key=lambda r: -len(parts[r][0])):
        prompt, reply = parts[k]
        alone = _cost(len(prompt) + len(reply), scale)
        best, shared, best_added = None, 0, alone
        for candidate in packs:
            c = _common_prefix(candidate.trunk, prompt)
            grown = candidate.length + len(prompt) - c + len(reply)
            added = _cost(grown, scale) - _cost(candidate.length, scale)
            if added < best_added:
                best, shared, best_added = candidate, c, added
        if best is not None:
            best.members.append((k, shared))
            best.length += len(prompt) - shared + len(reply)
        else:
            packs.append(_Pack(prompt, [(k, len(prompt))], len(prompt) + len(reply)))
    length = max(p.length for p in packs)
    ids = np.full((len(packs), length), pad_id, dtype=np.int64)
    positions = np.zeros((len(packs), length), dtype=np.int64)
    segment = np.full((len(packs), length), -1, dtype=np.int64)
    limit = np.zeros((len(packs), length), dtype=np.int64)
    token_source: dict[int, tuple[int, list[int]]] = {}
    for p_index, pack in enumerate(packs):
        t = len(pack.trunk)
        ids[p_index, :t] = pack.trunk
        positions[p_index, :t] = np.arange(t)
        segment[p_index, :t] = 0
        cursor = t
        for m, (k, shared) in enumerate(pack.members):
            prompt, reply = parts[k]
            branch = [*prompt[shared:].tolist(), *reply]
            n = len(branch)
            ids[p_index, cursor : cursor + n] = branch
            positions[p_index, cursor : cursor + n] = np.arange(shared, shared + n)
            segment[p_index, cursor : cursor + n] = m + 1
            limit[p_index, cursor : cursor + n] = shared
            # Reply token i sits at branch index j = (prompt beyond the shared prefix) + i and
            # is predicted by branch index j - 1, or by the trunk's position shared - 1 (j = 0).
            offset = len(prompt) - shared
            token_source[k] = (
                p_index,
                [cursor + j - 1 if j else shared - 1 for j in range(offset, offset + len(reply))],
            )
            cursor += n
    source_pack = [token_source[k][0] for k in range(len(rows)) for _ in token_source[k][1]]
    source_position = [s for k in range(len(rows)) for s in token_source[k][1]]
    target = [t for k in range(len(rows)) for t in parts[k][1]]
    device = rollout.input_ids.device

    def tensor(values: Any) -> torch.Tensor:
        return torch.as_tensor(np.asarray(values, dtype=np.int64), device=device)

    return Packed(
        tensor(ids),
        tensor(positions),
        tensor(segment),
        tensor(limit),
        tensor([p.length for p in packs]),
        tensor(source_pack),
        tensor(source_position),
        tensor(target),
    )


#: Packs are run in buckets of similar length, a bucket's longest at most this many times its
#: shortest, so that short packs are not padded to the longest (each bucket is one forward).
BUCKET_RATIO = 1.5


def packed_hidden(
    model: Any, packed: Packed, pack: torch.Tensor, position: torch.Tensor
) -> torch.Tensor:
    """The decoder's last hidden states ``(len(pack), hidden)`` at positions ``(pack[i],
    position[i])`` of the packed sequences, in that order (packs run in length buckets)."""
    decoder = model.get_decoder()
    dtype = next(decoder.parameters()).dtype
    lengths = packed.lengths.tolist()
    order = sorted(range(len(lengths)), key=lambda p: lengths[p])
    buckets: list[list[int]] = []
    for p in order:
        if buckets and lengths[p] <= BUCKET_RATIO * lengths[buckets[-1][0]]:
            buckets[-1].append(p)
        else:
            buckets.append([p])
    device = packed.ids.device
    hidden_parts, index_parts = [], []
    for bucket in buckets:
        packs = torch.tensor(bucket, device=device)
        length = max(lengths[p] for p in bucket)
        mask = torch.zeros((len(bucket), 1, length, length), dtype=dtype, device=device)
        mask.masked_fill_(~packed.allowed(packs, length), torch.finfo(dtype).min)
        hidden = decoder(
            input_ids=packed.ids[packs, :length],
            attention_mask=mask,
            position_ids=packed.positions[packs, :length],
        ).last_hidden_state
        local = torch.full((len(lengths),), -1, dtype=torch.long, device=device)
        local[packs] = torch.arange(len(bucket), device=device)
        wanted = (local[pack] >= 0).nonzero().flatten()
        hidden_parts.append(hidden[local[pack[wanted]], position[wanted]])
        index_parts.append(wanted)
    flat = torch.cat(hidden_parts)
    index = torch.cat(index_parts)
    inverse = torch.empty_like(index)
    inverse[index] = torch.arange(len(index), device=device)
    return flat[inverse]


def packed_logits(model: Any, packed: Packed) -> torch.Tensor:
    """``(tokens, vocab)`` next-token logits of every packed generated token."""
    hidden = packed_hidden(model, packed, packed.source_pack, packed.source_position)
    logits: torch.Tensor = model.get_output_embeddings()(hidden).float()
    return logits


__all__ = [
    "ATTENTION_PER_WIDTH",
    "BUCKET_RATIO",
    "Packed",
    "attention_scale",
    "pack_rows",
    "packed_hidden",
    "packed_logits",
]
