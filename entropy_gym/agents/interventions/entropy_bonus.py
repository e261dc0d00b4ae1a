"""Entropy bonus: the policy-gradient loss gains ``-coef * H(pi)``, with a constant or
scheduled coefficient. The baseline every entropy method builds on or argues against."""

from __future__ import annotations

from typing import Any, ClassVar

from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.agents.interventions.schedules import Schedule
from entropy_gym.core.errors import ConfigError


class EntropyBonus(Intervention):
    """Sets the entropy coefficient: ``coef`` throughout, or moving to ``end`` over the first
    ``fraction`` of training along ``shape`` (``linear``, ``exponential``, ``cosine``).

    On PPO/A2C it is the ``ent_coef`` of the loss; on SAC, TQC and CrossQ it is the
    temperature alpha, held fixed (scheduled) instead of learned.
    """

    name: ClassVar[str] = "entropy_bonus"
    requires: ClassVar[frozenset[str]] = frozenset({"ent_coef"})
    description: ClassVar[str] = (
        "entropy coefficient, constant or scheduled (PPO/A2C ent_coef, SAC-family alpha)"
    )

    def __init__(
        self,
        coef: float = 0.01,
        end: float | None = None,
        fraction: float = 1.0,
        shape: str = "linear",
    ) -> None:
        if not coef >= 0 or (end is not None and not end >= 0):
            raise ConfigError(f"entropy_bonus coef and end must be >= 0, got {coef!r} and {end!r}")
        params: dict[str, Any] = {"coef": coef}
        if end is not None:
            params.update(end=end, fraction=fraction, shape=shape)
        super().__init__(**params)
        self.schedule = Schedule(
            float(coef),
            float(coef if end is None else end),
            fraction,
            shape if end is not None else "constant",
        )
        self.coef = float(coef)

    def on_sb3_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Start at ``coef`` (for SAC-family agents: a fixed, not a learned, alpha)."""
        kwargs["ent_coef"] = self.coef
        return kwargs

    def on_ent_coef(self, coef: float, entropy: float) -> float:
        self.coef = self.schedule(self.agent.progress)
        return self.coef

    def telemetry(self) -> dict[str, float]:
        return {"coef": self.coef}
