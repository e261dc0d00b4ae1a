"""The progress display: cells done, running, failed, and an ETA: a rich bar on a terminal, a
plain line per finished cell otherwise (CI logs, ``nohup``), nothing with ``quiet``. The
training progress lines of running cells (:mod:`entropy_gym.core.progress`: updates with
their ETA, compilations) are printed as they come, prefixed with the cell."""

from __future__ import annotations

import sys
import time
from typing import Any

from entropy_gym.core.progress import clock as _clock
from entropy_gym.runner.cells import Cell


class RunProgress:
    """A rich progress bar over a run's cells on a terminal; off a terminal, one plain line per
    finished cell on stderr; silent with ``quiet``."""

    def __init__(self, suite: str, total: int, *, quiet: bool = False, console: Any = None) -> None:
        self.total = total
        self.suite = suite
        self.done = self.failed = self.running = 0
        self._bar: Any = None
        self._plain = False
        self._started = time.monotonic()
        if quiet or total == 0:
            return
        if console is None and not sys.stderr.isatty():
            self._plain = True
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("running {task.fields[running]}"),
            TextColumn("[red]failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._task = self._bar.add_task(suite, total=total, running=0, failed=0)

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()

    def started(self, cell: Cell) -> None:
        self.running += 1
        self._refresh()

    def finished(self, ok: bool, cell: Cell | None = None) -> None:
        self.running = max(0, self.running - 1)
        self.done += 1
        self.failed += 0 if ok else 1
        if self._plain:
            print(self.line(ok, cell), file=sys.stderr, flush=True)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, running=self.running, failed=self.failed)

    def training(self, cell: Cell, line: str) -> None:
        """A progress line from inside a running cell."""
        text = f"{self.suite}: {cell.describe()}: {line}"
        if self._plain:
            print(text, file=sys.stderr, flush=True)
        elif self._bar is not None:
            self._bar.console.print(text, highlight=False, markup=False)

    def line(self, ok: bool, cell: Cell | None = None) -> str:
        """``ci: 12/63 cells (0 failed), 1m20s, ETA 7m02s; ok: random on CartPole-v1 seed 0``."""
        elapsed = time.monotonic() - self._started
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        what = f"; {'ok' if ok else 'FAILED'}: {cell.describe()}" if cell is not None else ""
        return (
            f"{self.suite}: {self.done}/{self.total} cells ({self.failed} failed), "
            f"{_clock(elapsed)}, ETA {_clock(left)}{what}"
        )

    def _refresh(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, running=self.running, failed=self.failed)
