"""The model-facing core of LLM agents: token sequences in, next-token logits out, batched.

Agents built on it (the bandit agent here, tool-task agents that score candidate actions) share
four things:

- **Batched forward passes** over sequences of different lengths: left padding, an attention
  mask, and explicit position ids (``0..n-1`` over each sequence's real tokens), so a padded
  row computes what it would compute alone.
- **A KV cache across calls** (:class:`PrefixCache`): each call re-uses the longest common
  token prefix with what the cache already holds, row by row, and feeds only the rest. When
  prompts grow append-only (a raw history), a decision costs the new tokens only. Positions a
  row no longer needs are masked out rather than recomputed; the cache rebuilds itself when
  more than half of it is dead.
- **Activation access**: :meth:`LanguageModel.layer` is decoder layer ``k`` (its output is the
  residual stream after ``k + 1`` blocks, ``hidden_states[k + 1]`` in transformers' terms), on
  which interventions register forward hooks; :meth:`LanguageModel.capture_last_token` records
  the residual stream at the last position of every forward pass.
- **Scoring**: :meth:`LanguageModel.continuation_logprobs` gives the log-likelihood of
  candidate continuations of a prefix.

Sequences are lists of token ids; :meth:`LanguageModel.chat_ids` turns a chat into them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from entropy_gym.agents.llm.model import DEFAULT_MODEL, ModelSource, load_model
from entropy_gym.core.errors import ConfigError

_LOADED: dict[tuple[str, str], LanguageModel] = {}


class PrefixCache:
    """A batch's KV cache between forward passes, with per-row prefix reuse.

    Physical cache column ``j`` of row ``b`` holds a real token when ``mask[b, j] == 1``;
    ``tokens[b]`` are the real tokens of row ``b`` in order and ``columns[b]`` their columns.
    """

    def __init__(self, max_dead_fraction: float = 0.5, min_rebuild_columns: int = 256) -> None:
        self.max_dead_fraction = max_dead_fraction
        self.min_rebuild_columns = min_rebuild_columns
        self.fed_tokens = 0  # tokens run through the model (cost)
        self.reused_tokens = 0  # tokens served from the cache (saving)
        self.reset()

    def reset(self) -> None:
        """Forget everything; the next call re-encodes every row."""
        self.past: Any = None
        self.mask: Any = None
        self.tokens: list[list[int]] = []
        self.columns: list[list[int]] = []

    @property
    def width(self) -> int:
        """Number of physical columns held."""
        return 0 if self.mask is None else int(self.mask.shape[1])

    def plan(self, sequences: Sequence[Sequence[int]]) -> tuple[list[list[int]], list[int]]:
        """Crop the cache to what ``sequences`` share with it; ``(chunks to feed, start
        position of each chunk)``. Every chunk keeps at least one token, whose logits are the
        next-token prediction."""
        batch = len(sequences)
        if self.past is None or batch != len(self.tokens):
            self.reset()
            return [list(s) for s in sequences], [0] * batch
        keep = [
            min(_common_prefix(self.tokens[b], sequences[b]), len(sequences[b]) - 1)
            for b in range(batch)
        ]
        ends = [self.columns[b][k - 1] + 1 if k else 0 for b, k in enumerate(keep)]
        width = max(ends)
        dead = width * batch - sum(keep)
        if width == 0 or (
            width >= self.min_rebuild_columns and dead > self.max_dead_fraction * width * batch
        ):
            self.reset()
            return [list(s) for s in sequences], [0] * batch
        if width < self.width:
            # A negative argument removes that many columns (transformers 4.x and 5.x alike).
            self.past.crop(width - self.width)
        self.mask = self.mask[:, :width].clone()
        for b, (k, end) in enumerate(zip(keep, ends)):
            self.mask[b, end:] = 0
            self.columns[b] = self.columns[b][:k]
            self.tokens[b] = list(sequences[b][:k])
        self.reused_tokens += sum(keep)
        return [list(sequences[b][k:]) for b, k in enumerate(keep)], keep

    def commit(self, past: Any, chunk_mask: Any, chunks: Sequence[Sequence[int]]) -> None:
        """Record the state after feeding ``chunks`` (left-padded into ``chunk_mask``)."""
        import torch

        start, length = self.width, int(chunk_mask.shape[1])
        if self.mask is None:
            self.tokens = [[] for _ in chunks]
            self.columns = [[] for _ in chunks]
            self.mask = chunk_mask
        else:
            self.mask = torch.cat([self.mask, chunk_mask], dim=1)
        for b, chunk in enumerate(chunks):
            first = start + length - len(chunk)
            self.columns[b].extend(range(first, start + length))
            self.tokens[b].extend(chunk)
        self.past = past
        self.fed_tokens += sum(len(c) for c in chunks)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    if n == 0:
        return 0
    diff = np.flatnonzero(np.asarray(a[:n]) != np.asarray(b[:n]))
    return int(diff[0]) if diff.size else n


class LanguageModel:
    """A local causal LM with its tokenizer, ready for batched, cached next-token queries."""

    def __init__(self, model: Any, tokenizer: Any, source: ModelSource, device: str) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.source = source
        self.device = device
        pad = tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else tokenizer.eos_token_id)
        self.eos_id = tokenizer.eos_token_id

    @classmethod
    def load(cls, model: str = DEFAULT_MODEL, device: str = "cpu") -> LanguageModel:
        """The model ``model`` (default name or local directory) on ``device``, loaded once per
        process and shared: it holds no per-agent state."""
        key = (model, device)
        if key not in _LOADED:
            lm, tokenizer, source = load_model(model, device)
            _LOADED[key] = cls(lm, tokenizer, source, device)
        return _LOADED[key]

    # -- structure -----------------------------------------------------------------------------
    @property
    def layers(self) -> Any:
        """The decoder layers (a ``ModuleList``), for llama-, mistral-, qwen- and gpt2-style
        models."""
        for path in ("model.layers", "transformer.h", "gpt_neox.layers"):
            node = self.model
            try:
                for part in path.split("."):
                    node = getattr(node, part)
            except AttributeError:
                continue
            return node
        raise ConfigError(f"cannot find the decoder layers of {type(self.model).__name__}")

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    def layer(self, index: int) -> Any:
        """Decoder layer ``index`` (0-based); its output is the residual stream after it."""
        n = self.num_layers
        if not 0 <= index < n:
            raise ConfigError(f"layer {index} is out of range: the model has layers 0..{n - 1}")
        return self.layers[index]

    # -- text ------------------------------------------------------------------------------
    def chat_text(self, user: str, system: str | None = None) -> str:
        """A one-turn chat in the model's template, ending where the assistant's reply begins."""
        messages = [{"role": "user", "content": user}]
        if system is not None:
            messages.insert(0, {"role": "system", "content": system})
        return str(
            self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        )

    def chat_ids(
        self, user: str, system: str | None = None, assistant_prefix: str = ""
    ) -> list[int]:
        """Token ids of :meth:`chat_text` followed by ``assistant_prefix``."""
        return self.encode(self.chat_text(user, system) + assistant_prefix)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` without added special tokens."""
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def decode(self, ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(ids), skip_special_tokens=True))

    def label_reading(self, context: str, labels: Sequence[str]) -> tuple[str, list[int]]:
        """Where and how to read a choice among ``labels`` after the text ``context``.

        Returns ``(reading_context, ids)``: the text after which the next token is the label,
        and each label's token id there. Labels are read as one token *in context*: after a
        context ending in a word or punctuation (``"Answer:"``) a letter label is the token
        ``" A"``; a digit, which the tokenizer may split from its space, is read after
        ``"Answer: "`` as ``"1"``; at the start of a reply the bare ``"A"``. A label that is
        no single token in any of these ways is a ``ConfigError``.
        """
        if context and not context[-1].isspace():
            options = [(context, " "), (context + " ", "")]
        else:
            options = [(context, "")]
        for reading, sep in options:
            base = self.encode(reading)
            ids = []
            for label in labels:
                full = self.encode(reading + sep + label)
                if len(full) != len(base) + 1 or full[: len(base)] != base:
                    break
                ids.append(full[-1])
            else:
                if len(set(ids)) == len(ids):
                    return reading, ids
        raise ConfigError(
            f"labels {list(labels)} are not single distinct tokens after {context[-20:]!r} for "
            f"model {self.source.model_id}; choose another framing or answer prefix"
        )

    # -- forward passes ----------------------------------------------------------------------
    def next_token_logits(
        self, sequences: Sequence[Sequence[int]], cache: PrefixCache | None = None
    ) -> Any:
        """Float32 logits ``(batch, vocab)`` of the token after each sequence.

        With a ``cache``, each row re-uses its longest common prefix with the cache and only
        the rest is fed; without, every sequence is encoded from scratch.
        """
        if any(len(s) == 0 for s in sequences):
            raise ValueError("every sequence needs at least one token")
        if cache is None:
            logits, _, _ = self._forward(
                [list(s) for s in sequences], [0] * len(sequences), None, None, use_cache=False
            )
            return logits
        chunks, starts = cache.plan(sequences)
        logits, past, chunk_mask = self._forward(
            chunks, starts, cache.past, cache.mask, use_cache=True
        )
        cache.commit(past, chunk_mask, chunks)
        return logits

    def _forward(
        self,
        chunks: list[list[int]],
        starts: list[int],
        past: Any,
        past_mask: Any,
        use_cache: bool,
    ) -> tuple[Any, Any, Any]:
        import torch

        batch, length = len(chunks), max(len(c) for c in chunks)
        ids = torch.full((batch, length), self.pad_id, dtype=torch.long)
        mask = torch.zeros((batch, length), dtype=torch.long)
        positions = torch.zeros((batch, length), dtype=torch.long)
        for b, (chunk, start) in enumerate(zip(chunks, starts)):
            n = len(chunk)
            if n:
                ids[b, length - n :] = torch.tensor(chunk, dtype=torch.long)
                mask[b, length - n :] = 1
                positions[b, length - n :] = torch.arange(start, start + n)
        device = self.device
        ids, mask, positions = ids.to(device), mask.to(device), positions.to(device)
        full_mask = mask if past_mask is None else torch.cat([past_mask, mask], dim=1)
        with torch.inference_mode():
            out = self.model(
                input_ids=ids,
                attention_mask=full_mask,
                position_ids=positions,
                past_key_values=past,
                use_cache=use_cache,
                logits_to_keep=1,
            )
        return out.logits[:, -1, :].float(), (out.past_key_values if use_cache else None), mask

    def sample_tokens(
        self,
        sequences: list[list[int]],
        cache: PrefixCache | None,
        max_new_tokens: int,
        generator: Any,
        temperature: float = 1.0,
        stop_ids: Sequence[int] = (),
    ) -> list[list[int]]:
        """Sample up to ``max_new_tokens`` tokens after each sequence (from ``generator``),
        stopping a row at any of ``stop_ids``; returns the new tokens without the stop token.
        ``sequences`` are extended in place with what was fed."""
        import torch

        stop = set(stop_ids) | ({self.eos_id} if self.eos_id is not None else set())
        out: list[list[int]] = [[] for _ in sequences]
        finished = [False] * len(sequences)
        for _ in range(max_new_tokens):
            logits = self.next_token_logits(sequences, cache)
            probs = torch.softmax(logits / temperature, dim=-1)
            drawn = torch.multinomial(probs, 1, generator=generator).squeeze(1).tolist()
            for b, token in enumerate(drawn):
                if finished[b]:
                    continue
                if token in stop:
                    finished[b] = True
                    continue
                out[b].append(token)
                sequences[b].append(token)
            if all(finished):
                break
        return out

    def continuation_logprobs(
        self, prefix: Sequence[int], continuations: Sequence[Sequence[int]]
    ) -> Any:
        """Log-likelihood (nats, float64 tensor) of each continuation after ``prefix``: the sum
        of its tokens' log-probabilities, all candidates in one right-padded batch."""
        import torch

        if not continuations or any(len(c) == 0 for c in continuations):
            raise ValueError("continuations must be non-empty token lists")
        rows = [list(prefix) + list(c) for c in continuations]
        length = max(len(r) for r in rows)
        ids = torch.full((len(rows), length), self.pad_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row)
            mask[i, : len(row)] = 1
        with torch.inference_mode():
            logits = self.model(
                input_ids=ids.to(self.device), attention_mask=mask.to(self.device), use_cache=False
            ).logits.double()
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        totals = []
        for i, cont in enumerate(continuations):
            start = len(prefix) - 1
            picks = logp[i, start : start + len(cont)].gather(
                1, torch.tensor(list(cont), device=logp.device)[:, None]
            )
            totals.append(picks.sum())
        return torch.stack(totals).cpu()

    # -- activations ------------------------------------------------------------------------
    @contextlib.contextmanager
    def capture_last_token(self, layer: int) -> Iterator[list[Any]]:
        """Within the block, the output of ``layer`` at the last position of every forward
        pass is appended (float32, on CPU, shape ``(batch, hidden)``) to the yielded list."""
        captured: list[Any] = []

        def hook(module: Any, args: Any, output: Any) -> None:
            hidden = output[0] if isinstance(output, tuple) else output
            captured.append(hidden[:, -1, :].detach().float().cpu())

        handle = self.layer(layer).register_forward_hook(hook)
        try:
            yield captured
        finally:
            handle.remove()
