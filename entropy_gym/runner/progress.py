"""The progress display: cells done, running, failed, and an ETA (rich), on a terminal only."""

from __future__ import annotations

import sys
from typing import Any

from entropy_gym.runner.cells import Cell


class RunProgress:
    """A rich progress bar over a run's cells; silent with ``quiet`` or when stderr is not a
    terminal (CI logs stay clean)."""

    def __init__(self, suite: str, total: int, *, quiet: bool = False, console: Any = None) -> None:
        self.total = total
        self.done = self.failed = self.running = 0
        self._bar: Any = None
        if quiet or total == 0 or (console is None and not sys.stderr.isatty()):
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

    def finished(self, ok: bool) -> None:
        self.running = max(0, self.running - 1)
        self.done += 1
        self.failed += 0 if ok else 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, running=self.running, failed=self.failed)

    def _refresh(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, running=self.running, failed=self.failed)
