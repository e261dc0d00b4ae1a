"""What defines a text bandit: arms, rewards, horizon, non-stationarity, and how it is told.

One frozen :class:`BanditSpec` is shared by the single env, the vector env and the numeric
core, so the three can never disagree about the task. Every parameter is validated here, with a
one-line ``ValueError`` that names the parameter and the allowed values.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from typing import Any

REWARDS = ("bernoulli", "gaussian")
HISTORY_MODES = ("raw", "summary")


@dataclass(frozen=True)
class BanditSpec:
    """A K-armed bandit episode of ``horizon`` decisions.

    Arm means are drawn at every reset from the env's seeded generator, unless ``means`` fixes
    them (as an env kwarg, ``means`` overrides the id's registered ``gap``):

    - Bernoulli with ``gap``: one arm, chosen uniformly, has mean ``0.5 + gap/2`` and every
      other arm ``0.5 - gap/2`` (the easy/hard instances of the in-context exploration
      literature); Bernoulli without ``gap``: each mean is ``Uniform(0, 1)``.
    - Gaussian: each mean is ``Normal(0, mean_std)``; a pull pays ``Normal(mean, noise_std)``.

    ``switch_prob`` makes the bandit non-stationary: after every step, with that probability,
    the best arm swaps its mean with a uniformly chosen other arm, so the set of means (and
    every gap) is preserved while the identity of the best arm moves.
    """

    num_arms: int = 5
    horizon: int = 100
    reward: str = "bernoulli"
    gap: float | None = None
    means: tuple[float, ...] | None = None
    mean_std: float = 1.0
    noise_std: float = 1.0
    switch_prob: float = 0.0
    framing: str = "buttons"
    history: str = "raw"
    hint: bool = False

    def __post_init__(self) -> None:
        from entropy_gym.envs.text.bandits.framing import FRAMINGS

        if not isinstance(self.num_arms, int) or self.num_arms < 2:
            raise ValueError(f"num_arms must be an integer >= 2, got {self.num_arms!r}")
        if not isinstance(self.horizon, int) or self.horizon < 1:
            raise ValueError(f"horizon must be an integer >= 1, got {self.horizon!r}")
        if self.reward not in REWARDS:
            raise ValueError(f"reward {self.reward!r} is unknown; expected one of {REWARDS}")
        if self.framing not in FRAMINGS:
            raise ValueError(
                f"framing {self.framing!r} is unknown; expected one of {tuple(FRAMINGS)}"
            )
        max_arms = len(FRAMINGS[self.framing].labels)
        if self.num_arms > max_arms:
            raise ValueError(
                f"framing {self.framing!r} has labels for at most {max_arms} arms, "
                f"got num_arms={self.num_arms}"
            )
        if self.history not in HISTORY_MODES:
            raise ValueError(
                f"history {self.history!r} is unknown; expected one of {HISTORY_MODES}"
            )
        if self.gap is not None:
            if self.reward != "bernoulli":
                raise ValueError("gap applies to reward='bernoulli' only; leave it None")
            if not 0.0 < self.gap <= 1.0:
                raise ValueError(f"gap must be in (0, 1], got {self.gap!r}")
        if self.means is not None:
            if len(self.means) != self.num_arms:
                raise ValueError(
                    f"means has {len(self.means)} entries, expected num_arms={self.num_arms}"
                )
            if not all(math.isfinite(m) for m in self.means):
                raise ValueError(f"means must be finite numbers, got {self.means!r}")
            if self.reward == "bernoulli" and not all(0.0 <= m <= 1.0 for m in self.means):
                raise ValueError(f"Bernoulli means must lie in [0, 1], got {self.means!r}")
            if self.gap is not None:
                raise ValueError("give either gap or means, not both")
        for name in ("mean_std", "noise_std"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not 0.0 <= self.switch_prob <= 1.0:
            raise ValueError(f"switch_prob must be in [0, 1], got {self.switch_prob!r}")

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> BanditSpec:
        """A spec from env kwargs; an unknown keyword is a ``ValueError`` listing the known ones."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ValueError(
                f"unknown text-bandit parameter(s) {unknown}; expected some of {sorted(known)}"
            )
        _check_types(kwargs)
        if kwargs.get("means") is not None:
            # Fixed means override an id's registered gap.
            kwargs["means"] = tuple(float(m) for m in kwargs["means"])
            kwargs["gap"] = None
        if kwargs.get("gap") is not None:
            kwargs["gap"] = float(kwargs["gap"])
        for name in ("mean_std", "noise_std", "switch_prob"):
            if name in kwargs:
                kwargs[name] = float(kwargs[name])
        return cls(**kwargs)

    @functools.cached_property
    def labels(self) -> tuple[str, ...]:
        """The arm labels the framing gives, in arm order."""
        from entropy_gym.envs.text.bandits.framing import FRAMINGS

        return FRAMINGS[self.framing].labels[: self.num_arms]

    @property
    def suffix_start(self) -> int:
        """First step (0-based) of the "last half" used by the suffix-failure metric."""
        return self.horizon // 2

    def task_info(self) -> dict[str, Any]:
        """What an agent may know about the task (never the arm means)."""
        return {
            "labels": list(self.labels),
            "num_arms": self.num_arms,
            "horizon": self.horizon,
            "reward": self.reward,
            "noise_std": self.noise_std if self.reward == "gaussian" else None,
            "nonstationary": self.switch_prob > 0,
            "framing": self.framing,
            "history": self.history,
            "hint": self.hint,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain kwargs that rebuild this spec."""
        data = asdict(self)
        if data["means"] is not None:
            data["means"] = list(data["means"])
        return data


#: The type each parameter must have as given (no coercion: ``true`` is not a horizon, the
#: string ``"no"`` is not ``False``, the string ``"0.3"`` is not a gap).
_KWARG_TYPES: dict[str, str] = {
    "num_arms": "int", "horizon": "int", "gap": "number", "mean_std": "number",
    "noise_std": "number", "switch_prob": "number", "means": "numbers", "hint": "bool",
    "reward": "str", "framing": "str", "history": "str",
}  # fmt: skip


def _check_types(kwargs: dict[str, Any]) -> None:
    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    tests = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": number,
        "numbers": lambda v: isinstance(v, (list, tuple)) and all(number(x) for x in v),
        "bool": lambda v: isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
    }
    words = {"int": "an integer", "number": "a number", "numbers": "a list of numbers"}
    for name, value in kwargs.items():
        want = _KWARG_TYPES.get(name)
        if want is None or value is None:
            continue
        if not tests[want](value):
            expected = words.get(want, "true or false" if want == "bool" else "a string")
            raise ValueError(f"{name} must be {expected}, got {value!r}")
