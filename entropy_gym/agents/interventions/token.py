"""The base of interventions that act on generated tokens (the LLM trainer's batches).

Their ``loss`` method reads fields only a :class:`~entropy_gym.agents.llm.rl.batch.TokenLossBatch`
has (``loss_mask``, ``logits``, ``turn_index``), and their ``token_advantages`` method needs the
trainer's :class:`~entropy_gym.agents.llm.rl.batch.TokenRollout`; attaching one to an agent that
trains on actions (PPO, A2C) is refused when the agent is built.
"""

from __future__ import annotations

from typing import Any

from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.core.errors import ConfigError


class TokenIntervention(Intervention):
    """An intervention that needs an agent whose samples are generated tokens."""

    def bind(self, agent: Any) -> None:
        if getattr(agent, "loss_granularity", None) != "token":
            raise ConfigError(
                f"intervention {self.name!r} acts on generated tokens and needs a token-level "
                f"trainer (llm_grpo); agent {getattr(agent, 'name', agent)!r} trains on actions"
            )
        super().bind(agent)


def fraction(flags: Any, within: Any) -> float:
    """The fraction of ``within`` (bool) that ``flags`` (bool) marks; 0 for an empty set."""
    total = int(within.sum())
    return float((flags & within).sum()) / total if total else 0.0


def check_unit(name: str, key: str, value: Any, *, closed_low: bool = False) -> float:
    """``value`` as a float in ``(0, 1]`` (``[0, 1]`` with ``closed_low``), else ConfigError."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and ((0 <= value <= 1) if closed_low else (0 < value <= 1)):
        return float(value)
    bounds = "[0, 1]" if closed_low else "(0, 1]"
    raise ConfigError(f"{name} {key} must be a number in {bounds}, got {value!r}")


def check_nonnegative(name: str, key: str, value: Any) -> float:
    """``value`` as a float >= 0, else ConfigError."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise ConfigError(f"{name} {key} must be a number >= 0, got {value!r}")
