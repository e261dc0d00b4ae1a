"""Progress lines from inside training, for agents: defined in :mod:`entropy_gym.core.progress`
(the ground floor, which the envs use too) and importable from here as before."""

from entropy_gym.core.progress import (
    EVERY_S,
    LOGGER_NAME,
    PREFIX,
    TrainingProgress,
    clock,
    compiling,
    progress_logger,
    report,
)

__all__ = [
    "EVERY_S",
    "LOGGER_NAME",
    "PREFIX",
    "TrainingProgress",
    "clock",
    "compiling",
    "progress_logger",
    "report",
]
