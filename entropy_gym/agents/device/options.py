"""The options of the device agents: defaults, checks, and which ones shape the program."""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from entropy_gym.core.errors import ConfigError

T = TypeVar("T", bound="_Options")

#: Hidden-layer activations (see :data:`entropy_gym.agents.device.networks.ACTIVATIONS`).
ACTIVATION_NAMES = ("tanh", "relu", "elu", "silu", "gelu")


@dataclass(frozen=True)
class _Options:
    num_envs: int
    hidden: tuple[int, ...]
    activation: str
    learning_rate: float
    gamma: float

    @classmethod
    def build(cls: type[T], agent: str, values: Mapping[str, Any]) -> T:
        """Options from ``values`` (unknown names and bad values refused in one line)."""
        names = [f.name for f in dataclasses.fields(cls)]
        for key in values:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ConfigError(
                    f"agent '{agent}': unknown option '{key}'{hint} (accepted: {', '.join(names)})"
                )
        given = dict(values)
        if "hidden" in given and isinstance(given["hidden"], (list, tuple)):
            given["hidden"] = tuple(given["hidden"])
        options = cls(**given)
        options.check(agent)
        return options

    def as_kwargs(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def check(self, agent: str) -> None:
        _positive_int(agent, "num_envs", self.num_envs)
        if not (
            isinstance(self.hidden, tuple)
            and all(isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in self.hidden)
        ):
            raise ConfigError(
                f"agent '{agent}': hidden must be a list of layer widths >= 1, got {self.hidden!r}"
            )
        if self.activation not in ACTIVATION_NAMES:
            raise ConfigError(
                f"agent '{agent}': unknown activation '{self.activation}'; expected one of: "
                f"{', '.join(ACTIVATION_NAMES)}"
            )
        _number(agent, "learning_rate", self.learning_rate, low=0.0)
        _number(agent, "gamma", self.gamma, low=0.0, high=1.0)


@dataclass(frozen=True)
class PPOOptions(_Options):
    """``jax_ppo`` options (SB3's PPO defaults where it has the same knob)."""

    num_envs: int = 16
    n_steps: int = 64
    n_epochs: int = 10
    n_minibatches: int = 4
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "tanh"
    learning_rate: float = 3e-4
    ent_coef: float = 0.0
    clip_range: float = 0.2
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    gamma: float = 0.99
    gae_lambda: float = 0.95
    normalize_advantage: bool = True
    log_std_init: float = 0.0

    def check(self, agent: str) -> None:
        super().check(agent)
        for name in ("n_steps", "n_epochs", "n_minibatches"):
            _positive_int(agent, name, getattr(self, name))
        if self.n_minibatches > self.n_steps * self.num_envs:
            raise ConfigError(
                f"agent '{agent}': n_minibatches={self.n_minibatches} exceeds the rollout of "
                f"n_steps * num_envs = {self.n_steps * self.num_envs} samples"
            )
        _number(agent, "ent_coef", self.ent_coef)
        _number(agent, "clip_range", self.clip_range, low=0.0)
        _number(agent, "vf_coef", self.vf_coef, low=0.0)
        _number(agent, "max_grad_norm", self.max_grad_norm, low=0.0)
        _number(agent, "gae_lambda", self.gae_lambda, low=0.0, high=1.0)
        _number(agent, "log_std_init", self.log_std_init)


@dataclass(frozen=True)
class SACOptions(_Options):
    """``jax_sac`` options (SB3's SAC defaults where it has the same knob).

    ``ent_coef`` is alpha: a number (fixed), ``"auto"`` (learned from 1.0) or ``"auto_<x>"``
    (learned from x); ``target_entropy`` is ``"auto"`` (``-dim(A)``) or nats in the
    [-1, 1] action units, as SB3 takes them.
    """

    num_envs: int = 16
    buffer_size: int = 1_000_000
    batch_size: int = 256
    gradient_steps: int = 1
    steps_per_update: int = 64
    learning_starts: int = 100
    hidden: tuple[int, ...] = (256, 256)
    activation: str = "relu"
    learning_rate: float = 3e-4
    gamma: float = 0.99
    tau: float = 0.005
    ent_coef: float | str = "auto"
    target_entropy: float | str = "auto"

    def check(self, agent: str) -> None:
        super().check(agent)
        for name in ("buffer_size", "batch_size", "gradient_steps", "steps_per_update"):
            _positive_int(agent, name, getattr(self, name))
        if not (isinstance(self.learning_starts, int) and self.learning_starts >= 0):
            raise ConfigError(
                f"agent '{agent}': learning_starts must be an integer >= 0, "
                f"got {self.learning_starts!r}"
            )
        _number(agent, "tau", self.tau, low=0.0, high=1.0)
        self.alpha_mode(agent)
        if self.target_entropy != "auto":
            _number(agent, "target_entropy", self.target_entropy)

    def alpha_mode(self, agent: str) -> tuple[bool, float]:
        """``(learned, initial alpha)`` from ``ent_coef``."""
        value = self.ent_coef
        if isinstance(value, str):
            head, _, tail = value.partition("_")
            if head == "auto":
                try:
                    initial = float(tail) if tail else 1.0
                except ValueError:
                    initial = math.nan
                if initial > 0 and math.isfinite(initial):
                    return True, initial
            raise ConfigError(
                f"agent '{agent}': ent_coef must be a number >= 0, 'auto' or 'auto_<alpha>', "
                f"got {value!r}"
            )
        _number(agent, "ent_coef", value, low=0.0)
        return False, float(value)

    def target(self, action_size: int) -> float:
        """The target entropy in [-1, 1] action units."""
        if self.target_entropy == "auto":
            return -float(action_size)
        return float(self.target_entropy)


def _positive_int(agent: str, name: str, value: Any) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        raise ConfigError(f"agent '{agent}': {name} must be an integer >= 1, got {value!r}")


def _number(
    agent: str, name: str, value: Any, low: float | None = None, high: float | None = None
) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        bounds = (
            f" in [{low}, {high}]"
            if low is not None and high is not None
            else f" >= {low}"
            if low is not None
            else ""
        )
        raise ConfigError(f"agent '{agent}': {name} must be a finite number{bounds}, got {value!r}")
