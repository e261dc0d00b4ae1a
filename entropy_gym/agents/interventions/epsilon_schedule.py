"""Epsilon schedules for epsilon-greedy agents: the value-based baseline of exploration."""

from __future__ import annotations

from typing import Any, ClassVar

from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.agents.interventions.schedules import SHAPES, Schedule
from entropy_gym.core.errors import ConfigError


class EpsilonSchedule(Intervention):
    """Epsilon moves from ``start`` to ``end`` over the first ``fraction`` of training along
    ``shape`` (``linear``, ``exponential``, ``cosine``, or ``constant`` at ``start``), then
    stays at ``end``; decisions after training use ``end``.

    Progress is the used fraction of the training budget (env steps, episodes or seconds),
    so the same schedule means the same thing under any budget. SB3's default is linear from
    1.0 to 0.05 over the first 10% of training (DQN; 0.01 and 0.5% for QR-DQN).
    """

    name: ClassVar[str] = "epsilon_schedule"
    requires: ClassVar[frozenset[str]] = frozenset({"schedule"})
    description: ClassVar[str] = (
        "epsilon-greedy exploration rate over training (linear/exponential/cosine/constant)"
    )

    def __init__(
        self, start: float = 1.0, end: float = 0.05, fraction: float = 0.1, shape: str = "linear"
    ) -> None:
        for key, value in (("start", start), ("end", end)):
            if not 0 <= value <= 1:
                raise ConfigError(f"epsilon_schedule {key} must be in [0, 1], got {value!r}")
        if shape not in SHAPES:
            raise ConfigError(
                f"epsilon_schedule shape {shape!r} is unknown; expected one of: {', '.join(SHAPES)}"
            )
        super().__init__(start=start, end=end, fraction=fraction, shape=shape)
        self.schedule = Schedule(float(start), float(end), float(fraction), shape)
        self.epsilon = self.schedule(0.0)

    def on_schedule(self, progress: float, values: dict[str, float]) -> dict[str, float]:
        self.epsilon = self.schedule(progress)
        return {"epsilon": self.epsilon}

    def telemetry(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon}
