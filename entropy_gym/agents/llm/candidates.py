"""Score candidate continuations of a shared prompt in one forward pass, with a prefix trie.

An agent that chooses among listed actions (a tool task's admissible calls) needs the
log-likelihood of every candidate after the same prompt. Feeding ``prompt + candidate`` once
per candidate repeats the prompt and every prefix candidates share (``{"tool": "get", "args":
{"id": "P-``...). Here, per batch row:

1. the prompt goes through the model once, re-using the row's KV cache
   (:class:`~entropy_gym.agents.llm.lm.PrefixCache`), which keeps it for the next decision;
2. the candidates are packed as a **prefix trie** (a shared prefix is one set of nodes) and
   fed in a single further pass on top of the cached prompt: node ``n`` at depth ``d`` gets
   position ``len(prompt) + d`` and a 4-D attention mask that lets it see the prompt and its
   own ancestors only, so it computes exactly what it would in ``prompt + candidate``;
3. the trie's columns are cropped from the cache again, leaving the prompt's.

A candidate's score is the sum of its tokens' log-probabilities: the first token's from the
prompt's last logits, each further token's from its parent node's logits. Rows of a batch
(envs) are left-padded together in both passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from entropy_gym.agents.llm.lm import LanguageModel, PrefixCache


@dataclass
class CandidateTrie:
    """Candidates as a prefix trie, nodes in insertion order (a parent before its children).

    ``tokens[n]`` is node ``n``'s token, ``parents[n]`` its parent node (-1: the prompt),
    ``depths[n]`` its distance from the prompt (0 for a first token), and ``paths[c]`` the nodes
    of candidate ``c``'s tokens in order.
    """

    tokens: list[int] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    depths: list[int] = field(default_factory=list)
    paths: list[list[int]] = field(default_factory=list)

    @classmethod
    def build(cls, candidates: Sequence[Sequence[int]]) -> CandidateTrie:
        """The trie of ``candidates`` (non-empty token lists; duplicates share their nodes)."""
        if not candidates:
            raise ValueError("candidate scoring needs at least one candidate")
        trie = cls()
        children: dict[tuple[int, int], int] = {}
        for cand in candidates:
            if len(cand) == 0:
                raise ValueError("every candidate needs at least one token")
            node, path = -1, []
            for depth, token in enumerate(cand):
                key = (node, int(token))
                child = children.get(key)
                if child is None:
                    child = len(trie.tokens)
                    children[key] = child
                    trie.tokens.append(int(token))
                    trie.parents.append(node)
                    trie.depths.append(depth)
                node = child
                path.append(node)
            trie.paths.append(path)
        return trie

    def __len__(self) -> int:
        return len(self.tokens)

    def ancestors_mask(self) -> np.ndarray:
        """``(n, n)`` boolean: ``[q, k]`` is True where node ``k`` is ``q`` or an ancestor."""
        n = len(self.tokens)
        mask = np.zeros((n, n), dtype=bool)
        for q in range(n):
            p = self.parents[q]
            if p >= 0:
                mask[q] = mask[p]  # parents come first, so their row is complete
            mask[q, q] = True
        return mask

    @property
    def inner_nodes(self) -> list[int]:
        """Nodes with at least one child (their logits score a further token)."""
        return sorted({p for p in self.parents if p >= 0})


def score_candidates(
    lm: LanguageModel,
    prompts: Sequence[Sequence[int]],
    candidates: Sequence[Sequence[Sequence[int]]],
    cache: PrefixCache | None = None,
) -> list[np.ndarray]:
    """Log-likelihood (nats, float64) of every candidate of every row.

    ``prompts[b]`` are row ``b``'s prompt tokens and ``candidates[b]`` its candidates' tokens;
    the result's ``[b][c]`` is ``sum_t log p(candidates[b][c][t] | prompt, earlier tokens)``.
    With a ``cache`` (of this batch size), each prompt re-uses its longest common prefix with
    the previous call and the cache holds the prompts afterwards; the candidates never stay in it.
    """
    import torch

    if len(prompts) != len(candidates):
        raise ValueError(f"got {len(prompts)} prompts but {len(candidates)} candidate lists")
    tries = [CandidateTrie.build(c) for c in candidates]
    cache = PrefixCache() if cache is None else cache
    first = torch.log_softmax(lm.next_token_logits(prompts, cache).double(), dim=-1).cpu()
    conditional = _trie_logprobs(lm, [len(p) for p in prompts], tries, cache)
    scores = []
    for b, trie in enumerate(tries):
        firsts = first[b, [trie.tokens[path[0]] for path in trie.paths]].numpy()
        rest = np.array([conditional[b][path[1:]].sum() for path in trie.paths])
        scores.append(firsts + rest)
    return scores


#: Inner nodes whose vocabulary logits are materialised at once (memory: rows x vocab floats).
HEAD_CHUNK = 256


def _trie_logprobs(
    lm: LanguageModel, prompt_lengths: list[int], tries: list[CandidateTrie], cache: PrefixCache
) -> list[np.ndarray]:
    """Per row, the log-probability of each trie node's token given the prompt and its
    ancestors (0 for first tokens, scored from the prompt instead), from one forward pass of
    every row's trie on top of the cached prompts; the cache is cropped back afterwards."""
    import torch

    batch, width = len(tries), cache.width
    out = [np.zeros(len(t)) for t in tries]
    if not any(t.inner_nodes for t in tries):
        return out  # single-token candidates only: the prompt's logits score them all
    length = max(len(t) for t in tries)
    ids = torch.full((batch, length), lm.pad_id, dtype=torch.long)
    positions = torch.zeros((batch, length), dtype=torch.long)
    allowed = torch.zeros((batch, 1, length, width + length), dtype=torch.bool)
    allowed[:, 0, :, :width] = cache.mask.bool().cpu()[:, None, :]
    for b, trie in enumerate(tries):
        n = len(trie)
        ids[b, :n] = torch.tensor(trie.tokens, dtype=torch.long)
        positions[b, :n] = prompt_lengths[b] + torch.tensor(trie.depths, dtype=torch.long)
        positions[b, n:] = prompt_lengths[b]
        allowed[b, 0, :n, width : width + n] = torch.from_numpy(trie.ancestors_mask())
        allowed[b, 0, n:, :] = False
        pad = torch.arange(n, length)
        allowed[b, 0, pad, width + pad] = True  # padding rows see themselves (no empty row)
    dtype = next(lm.model.parameters()).dtype
    mask = torch.zeros(allowed.shape, dtype=dtype)
    mask.masked_fill_(~allowed, torch.finfo(dtype).min)
    device = lm.device
    try:
        with torch.inference_mode():
            hidden = lm.model.base_model(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                position_ids=positions.to(device),
                past_key_values=cache.past,
                use_cache=True,
            ).last_hidden_state
    except BaseException:
        cache.reset()  # some layers may hold trie columns: start afresh next time
        raise
    cache.past.crop(-length)  # a negative argument removes that many columns
    head = lm.model.get_output_embeddings()
    for b, trie in enumerate(tries):
        inner = trie.inner_nodes
        children: dict[int, list[int]] = {}
        for node, parent in enumerate(trie.parents):
            if parent >= 0:
                children.setdefault(parent, []).append(node)
        for start in range(0, len(inner), HEAD_CHUNK):
            chunk = inner[start : start + HEAD_CHUNK]
            with torch.inference_mode():
                logits = head(hidden[b, chunk]).float()
                lse = torch.logsumexp(logits, dim=-1)
            rows, nodes = [], []
            for i, parent in enumerate(chunk):
                rows.extend([i] * len(children[parent]))
                nodes.extend(children[parent])
            toks = torch.tensor([trie.tokens[n] for n in nodes], device=logits.device)
            rows_t = torch.tensor(rows, device=logits.device)
            picked = logits[rows_t, toks].double() - lse[rows_t].double()
            out[b][nodes] = picked.cpu().numpy()
    return out


def score_separately(
    lm: LanguageModel, prompt: Sequence[int], candidates: Sequence[Sequence[int]]
) -> np.ndarray:
    """The reference: one plain forward of ``prompt + candidate`` per candidate, no cache."""
    return np.array([float(lm.continuation_logprobs(prompt, [cand])[0]) for cand in candidates])
