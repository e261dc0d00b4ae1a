"""What every agent that runs a local :class:`~entropy_gym.agents.llm.lm.LanguageModel` shares:
the ``activations`` hook (forward hooks on a decoder layer, in place around each decision)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from entropy_gym.agents.base import BaseAgent
from entropy_gym.agents.llm.lm import LanguageModel


class LocalLMAgent(BaseAgent):
    """A :class:`BaseAgent` whose ``lm`` is loaded in ``setup``."""

    lm: LanguageModel | None = None

    @property
    def language_model(self) -> LanguageModel:
        """The loaded model (a ``RuntimeError`` before ``setup``)."""
        if self.lm is None:
            raise RuntimeError(f"agent '{self.name}' needs setup() first")
        return self.lm

    def activation_module(self, layer: int) -> Any:
        """Decoder layer ``layer`` of the model (forward hooks go here)."""
        if self.lm is None:
            raise RuntimeError("activation_module needs setup() first")
        return self.lm.layer(layer)

    @contextlib.contextmanager
    def _activation_hooks(self) -> Iterator[None]:
        """The attached ``activations`` interventions' hooks, removed on exit."""
        handles: list[Any] = []
        try:
            for iv in self.interventions_at("activations"):
                handles.extend(iv.activation_hooks(self))
            yield
        finally:
            for handle in handles:
                handle.remove()
