"""Entropy target controllers, in the spirit of Arbitrary-Entropy Policy Optimization: hold
the measured policy entropy near a chosen target (nats), above or below its natural level.

Two actuators, one per hook:

- :class:`EntropyTarget` (``ent_coef``) drives the entropy coefficient with a PI controller,
  ``coef = gain * (target - H) + integral_gain * sum(target - H)``, clipped to
  ``[-max_coef, max_coef]``. On PPO it runs per minibatch with that minibatch's entropy,
  before the gradient step, so its proportional part is exactly the gradient of the penalty
  ``gain/2 * (H - target)^2``: it pushes entropy up below the target and down (a negative
  coefficient) above it, without the lag of a pure integral controller. On SAC, TQC and
  CrossQ it sets the algorithm's own temperature controller to the same target instead
  (``ent_coef='auto'``, ``target_entropy`` converted to SB3's [-1, 1] action units), which
  is the dual-gradient form of the same idea.
- :class:`EntropyTargetTemperature` (``logits``) drives the sampling temperature of
  decisions: ``log T += gain * (target - H)`` after each batch, where ``H`` is the mean
  entropy of ``softmax(logits / T)`` over the batch.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.core.errors import ConfigError


def _check_target(name: str, target: Any) -> float:
    if not (isinstance(target, (int, float)) and math.isfinite(target)):
        raise ConfigError(f"{name} target must be a finite number of nats, got {target!r}")
    return float(target)


class EntropyTarget(Intervention):
    """Holds policy entropy near ``target`` nats by controlling the entropy coefficient."""

    name: ClassVar[str] = "entropy_target"
    requires: ClassVar[frozenset[str]] = frozenset({"ent_coef"})
    description: ClassVar[str] = (
        "PI controller on the entropy coefficient holding entropy near a target (nats)"
    )

    def __init__(
        self,
        target: float,
        gain: float = 5.0,
        integral_gain: float = 0.002,
        max_coef: float = 1.0,
    ) -> None:
        target = _check_target(self.name, target)
        for key, value in (("gain", gain), ("integral_gain", integral_gain)):
            if not value >= 0:
                raise ConfigError(f"entropy_target {key} must be >= 0, got {value!r}")
        if not max_coef > 0:
            raise ConfigError(f"entropy_target max_coef must be > 0, got {max_coef!r}")
        super().__init__(target=target, gain=gain, integral_gain=integral_gain, max_coef=max_coef)
        self.target, self.gain, self.integral_gain, self.max_coef = (
            target,
            gain,
            integral_gain,
            max_coef,
        )
        self.integral = 0.0
        self.coef = 0.0
        self.entropy = math.nan

    def on_sb3_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        agent = self.agent
        if getattr(agent, "max_entropy", False):
            kwargs["ent_coef"] = "auto"
            kwargs["target_entropy"] = self.target - agent.action_log_scale
        else:
            kwargs["ent_coef"] = 0.0
        return kwargs

    def on_ent_coef(self, coef: float, entropy: float) -> float | None:
        if getattr(self.agent, "max_entropy", False):
            self.coef, self.entropy = coef, entropy
            return None  # SAC's own controller owns alpha (configured in on_sb3_kwargs)
        if math.isnan(entropy):
            return None
        error = self.target - entropy
        self.integral = float(
            np.clip(self.integral + self.integral_gain * error, -self.max_coef, self.max_coef)
        )
        self.coef = float(np.clip(self.gain * error + self.integral, -self.max_coef, self.max_coef))
        self.entropy = entropy
        return self.coef

    def telemetry(self) -> dict[str, float]:
        return {"target": self.target, "coef": self.coef}


class EntropyTargetTemperature(Intervention):
    """Holds the entropy of decisions near ``target`` nats by adjusting the sampling
    temperature of the logits (starting from ``t``, kept within ``[min_t, max_t]``)."""

    name: ClassVar[str] = "entropy_target_temperature"
    requires: ClassVar[frozenset[str]] = frozenset({"logits"})
    description: ClassVar[str] = (
        "controller on the sampling temperature holding decision entropy near a target (nats)"
    )

    def __init__(
        self,
        target: float,
        gain: float = 1.0,
        t: float = 1.0,
        min_t: float = 0.01,
        max_t: float = 100.0,
    ) -> None:
        target = _check_target(self.name, target)
        if not (gain > 0 and 0 < min_t <= t <= max_t):
            raise ConfigError(
                f"entropy_target_temperature needs gain > 0 and 0 < min_t <= t <= max_t, "
                f"got gain={gain!r}, t={t!r}, min_t={min_t!r}, max_t={max_t!r}"
            )
        super().__init__(target=target, gain=gain, t=t, min_t=min_t, max_t=max_t)
        self.target, self.gain, self.min_t, self.max_t = target, gain, min_t, max_t
        self.t = float(t)
        self.entropy = math.nan

    def on_logits(self, logits: Any) -> Any:
        scaled = logits / self.t
        self.entropy = _mean_entropy(scaled)
        self.t = float(
            np.clip(
                self.t * math.exp(self.gain * (self.target - self.entropy)), self.min_t, self.max_t
            )
        )
        return scaled

    def telemetry(self) -> dict[str, float]:
        return {"target": self.target, "t": self.t}


def _mean_entropy(logits: Any) -> float:
    """Mean entropy of ``softmax(logits)`` over rows (torch tensor or numpy array)."""
    if hasattr(logits, "log_softmax"):
        log_p = logits.log_softmax(-1)
        return float(-(log_p.exp() * log_p).nan_to_num().sum(-1).mean())
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return float(-np.nan_to_num(np.exp(log_p) * log_p).sum(-1).mean())
