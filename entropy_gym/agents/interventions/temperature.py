"""Sampling temperature: divide the action logits by T before sampling."""

from __future__ import annotations

from typing import Any, ClassVar

from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.core.errors import ConfigError


class Temperature(Intervention):
    """Sample from ``softmax(logits / T)``: T > 1 flattens the action distribution (more
    entropy), T < 1 sharpens it, T = 1 changes nothing.

    Works on any agent that offers the ``logits`` hook (categorical policies, LLM label logits).
    """

    name: ClassVar[str] = "temperature"
    requires: ClassVar[frozenset[str]] = frozenset({"logits"})
    description: ClassVar[str] = "divide action logits by a sampling temperature T"

    def __init__(self, t: float = 1.0) -> None:
        if not t > 0:
            raise ConfigError(f"temperature t must be > 0, got {t!r}")
        super().__init__(t=float(t))
        self.t = float(t)

    def on_logits(self, logits: Any) -> Any:
        """Scaled logits (a torch tensor or numpy array of shape (batch, n_actions))."""
        return logits / self.t

    def telemetry(self) -> dict[str, float]:
        return {"t": self.t}
