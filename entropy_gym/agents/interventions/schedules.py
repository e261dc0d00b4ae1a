"""Parameter schedules over training progress, shared by scheduled interventions."""

from __future__ import annotations

import math
from dataclasses import dataclass

from entropy_gym.core.errors import ConfigError

#: Schedule shapes, from ``start`` at progress 0 to ``end`` at progress ``fraction``.
SHAPES = ("constant", "linear", "exponential", "cosine")


@dataclass(frozen=True)
class Schedule:
    """``value(progress)`` moves from ``start`` to ``end`` over the first ``fraction`` of
    training, then stays at ``end``.

    ``linear`` interpolates; ``exponential`` interpolates in log space (both ends > 0);
    ``cosine`` follows half a cosine wave; ``constant`` ignores ``end`` and stays at ``start``.
    """

    start: float
    end: float
    fraction: float = 1.0
    shape: str = "linear"

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ConfigError(
                f"schedule shape {self.shape!r} is unknown; expected one of: {', '.join(SHAPES)}"
            )
        if not 0 < self.fraction <= 1:
            raise ConfigError(f"schedule fraction must be in (0, 1], got {self.fraction!r}")
        if self.shape == "exponential" and not (self.start > 0 and self.end > 0):
            raise ConfigError(
                f"an exponential schedule needs start and end > 0, "
                f"got {self.start!r} and {self.end!r}"
            )

    def __call__(self, progress: float) -> float:
        if self.shape == "constant":
            return self.start
        p = min(max(progress / self.fraction, 0.0), 1.0)
        if self.shape == "linear":
            return self.start + (self.end - self.start) * p
        if self.shape == "exponential":
            return float(self.start * (self.end / self.start) ** p)
        return self.end + (self.start - self.end) * 0.5 * (1.0 + math.cos(math.pi * p))
