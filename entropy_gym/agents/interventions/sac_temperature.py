"""SAC temperature: learn alpha towards a target entropy, or hold it fixed.

The maximum-entropy objective of SAC, TQC and CrossQ weighs entropy by alpha. In ``auto``
mode alpha is learned by SB3's dual update ``min_alpha -alpha (log pi + target)``, which
raises alpha while the policy entropy is below ``target_entropy`` and lowers it above; in
``fixed`` mode alpha stays at ``alpha`` for the whole run.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.core.errors import ConfigError

MODES = ("auto", "fixed")


class SACTemperature(Intervention):
    """``mode='auto'``: learn alpha from ``alpha`` (initial value) towards ``target_entropy``;
    ``mode='fixed'``: alpha = ``alpha`` throughout.

    ``target_entropy`` is in nats of the action as the env receives it, like every entropy
    entropy-gym reports; ``'auto'`` keeps SB3's heuristic ``-dim(A)`` in its [-1, 1] action
    units (``-dim(A) + sum log((high - low) / 2)`` in env units).
    """

    name: ClassVar[str] = "sac_temperature"
    requires: ClassVar[frozenset[str]] = frozenset({"ent_coef"})
    description: ClassVar[str] = "SAC/TQC/CrossQ alpha: learned towards a target entropy, or fixed"

    def __init__(
        self, mode: str = "auto", alpha: float = 1.0, target_entropy: float | str = "auto"
    ) -> None:
        if mode not in MODES:
            raise ConfigError(
                f"sac_temperature mode {mode!r} is unknown; expected one of: {', '.join(MODES)}"
            )
        if not (isinstance(alpha, (int, float)) and alpha > 0 and math.isfinite(alpha)):
            raise ConfigError(f"sac_temperature alpha must be a finite number > 0, got {alpha!r}")
        if target_entropy != "auto" and not (
            isinstance(target_entropy, (int, float)) and math.isfinite(target_entropy)
        ):
            raise ConfigError(
                f"sac_temperature target_entropy must be 'auto' or a number, got {target_entropy!r}"
            )
        if mode == "fixed" and target_entropy != "auto":
            raise ConfigError("sac_temperature: target_entropy only applies to mode 'auto'")
        params: dict[str, Any] = {"mode": mode, "alpha": alpha}
        if target_entropy != "auto":
            params["target_entropy"] = target_entropy
        super().__init__(**params)
        self.mode, self.alpha, self.target_entropy = mode, float(alpha), target_entropy
        self._sb3_target: float | None = None

    def bind(self, agent: Any) -> None:
        if not getattr(agent, "max_entropy", False):
            raise ConfigError(
                f"intervention '{self.name}' needs an agent with a learned temperature "
                f"(sac, tqc, crossq); agent '{agent.name}' has none"
            )
        super().bind(agent)

    def on_sb3_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.mode == "fixed":
            kwargs["ent_coef"] = self.alpha
            kwargs.pop("target_entropy", None)
            return kwargs
        kwargs["ent_coef"] = f"auto_{self.alpha!r}"
        if self.target_entropy == "auto":
            kwargs["target_entropy"] = "auto"
        else:
            self._sb3_target = float(self.target_entropy) - self.agent.action_log_scale
            kwargs["target_entropy"] = self._sb3_target
        return kwargs

    def telemetry(self) -> dict[str, float]:
        model = getattr(self.agent, "model", None)
        out = {"alpha": float(model.current_ent_coef()) if model is not None else self.alpha}
        if self.mode == "auto" and model is not None:
            out["target_entropy"] = float(model.target_entropy) + self.agent.action_log_scale
        return out
