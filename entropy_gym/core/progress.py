"""Progress lines from inside training: how far an agent's budget is spent, with an ETA, and a
line before a long compilation, so that minutes of training are not minutes of silence.

Lines go to the ``entropy_gym.progress`` logger, which writes them to stderr as
``entropy-gym progress: <message>`` (silence it with
``logging.getLogger("entropy_gym.progress").setLevel(logging.WARNING)``). Inside a runner
cell, stderr is the cell's log file; the runner picks these lines out of it and shows them
beside its own progress (:mod:`entropy_gym.runner.progress`).

>>> clock(75.4), clock(8.0)
('1m15s', '8s')
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

#: The logger every progress line goes to.
LOGGER_NAME = "entropy_gym.progress"
#: How every progress line starts (the runner finds them by it).
PREFIX = "entropy-gym progress: "
#: At most one line per this many seconds from one training run (its first and last update
#: are always reported).
EVERY_S = 5.0


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged (a cell redirects it; pytest
    captures it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def progress_logger() -> logging.Logger:
    """The progress logger, with its stderr handler added on first use (INFO, not passed on to
    the root logger, so a user's logging configuration neither doubles nor hides it)."""
    log = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(h, _StderrHandler) for h in log.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(PREFIX + "%(message)s"))
        log.addHandler(handler)
        log.propagate = False
        if log.level == logging.NOTSET:
            log.setLevel(logging.INFO)
    return log


def report(message: str) -> None:
    """Log one progress line."""
    progress_logger().info(message)


def clock(seconds: float) -> str:
    """``75.4`` -> ``1m15s``."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class TrainingProgress:
    """Reports an agent's training updates: ``llm_grpo: update 3, 30% of the budget, 1m20s,
    ETA 3m07s; return 0.25, entropy 1.93``. The ETA extrapolates the time per budget fraction
    so far; lines come at most every ``every_s`` seconds, the first and last always."""

    def __init__(
        self,
        agent: str,
        every_s: float = EVERY_S,
        clock_s: Callable[[], float] = time.monotonic,
    ) -> None:
        self.agent, self.every_s, self._now = agent, every_s, clock_s
        self.started = self._now()
        self.updates = 0
        self._last: float | None = None

    def update(self, fraction: float, values: Mapping[str, float] | None = None) -> None:
        """One update is done and ``fraction`` (0 to 1) of the budget spent; ``values`` are a
        few of its telemetry values to show."""
        self.updates += 1
        now = self._now()
        due = self._last is None or now - self._last >= self.every_s or fraction >= 1.0
        if not due:
            return
        self._last = now
        elapsed = now - self.started
        if fraction >= 1.0:
            eta = ", done"
        else:
            eta = f", ETA {clock(elapsed / fraction * (1.0 - fraction))}" if fraction > 0 else ""
        shown = "; " + ", ".join(f"{k} {v:.3g}" for k, v in values.items()) if values else ""
        report(
            f"{self.agent}: update {self.updates}, {100 * min(fraction, 1.0):.0f}% of the budget, "
            f"{clock(elapsed)}{eta}{shown}"
        )


Result = TypeVar("Result")


def compiling(what: str, call: Callable[[], Result], expect: str = "10-60 s on a CPU") -> Result:
    """``call()`` with a line before it (``what: compiling ... (expect ...)``) and one after,
    with the time it took: for a first call that compiles a program."""
    report(f"{what}: compiling (the first call; {expect}) ...")
    started = time.monotonic()
    result = call()
    report(f"{what}: compiled and ran in {time.monotonic() - started:.1f} s")
    return result
