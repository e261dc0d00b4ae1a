"""Backends turn cells into outcomes: ``local`` (cell processes on this machine, the default)
and ``ray`` (the same cells as Ray tasks, on a local Ray instance or a cluster).

Both run each cell through :mod:`entropy_gym.runner.worker`, so isolation, time limits and
failure reasons are the same everywhere. A backend yields outcomes as cells finish and calls
``on_start(cell)`` when it believes a cell has started and (local only) ``on_progress(cell,
line)`` for each training progress line a cell writes (for the progress display).
"""

from __future__ import annotations

import logging
import multiprocessing.connection
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from entropy_gym.core.errors import ConfigError
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.defaults import BACKENDS
from entropy_gym.runner.groups import seed_groups
from entropy_gym.runner.worker import (
    CellProcess,
    Outcome,
    agent_modules,
    failed,
    run_isolated,
    worker_context,
)

OnStart = Callable[[Cell], None]
OnProgress = Callable[[Cell, str], None]


def default_workers() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def make_backend(
    name: str,
    *,
    workers: int | None = None,
    address: str | None = None,
    protect: Sequence[str] = (),
) -> Any:
    """A backend by name; ``workers`` defaults to the CPUs available. Local cells see
    ``protect`` read-only (on Ray the store lives on the driver, out of the cells' reach)."""
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; expected one of: {', '.join(BACKENDS)}")
    if workers is not None and workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    if address is not None and name != "ray":
        raise ConfigError("--address only applies to --backend ray")
    if name == "local":
        return LocalBackend(workers or default_workers(), protect)
    return RayBackend(workers, address)


class LocalBackend:
    """Up to ``workers`` cell processes at a time on this machine, each with an equal share
    of its CPUs for its math thread pools (at least one thread)."""

    name = "local"

    def __init__(self, workers: int, protect: Sequence[str] = ()) -> None:
        self.workers = workers
        #: Paths every cell sees read-only (the store, the output folder).
        self.protect = tuple(protect)
        #: Threads of each cell's math libraries.
        self.threads = max(1, default_workers() // workers)

    def run(
        self,
        cells: Sequence[Cell],
        device: str,
        on_start: OnStart | None = None,
        on_progress: OnProgress | None = None,
    ) -> Iterator[Outcome]:
        ctx = worker_context(agent_modules(cells))
        pending = deque(seed_groups(cells))
        running: list[CellProcess] = []
        try:
            while pending or running:
                while pending and len(running) < self.workers:
                    group = pending.popleft()
                    proc = CellProcess(
                        group[0],
                        device,
                        ctx,
                        self.protect,
                        self.threads,
                        group=group if len(group) > 1 else None,
                    )
                    running.append(proc)
                    if on_start:
                        for cell in group:
                            on_start(cell)
                timeout = max(0.0, min(p.wake_at() for p in running) - time.monotonic())
                multiprocessing.connection.wait(
                    [w for p in running for w in p.waitables()], timeout
                )
                now = time.monotonic()
                for proc in list(running):
                    outcomes = proc.poll_all(now)
                    for line in proc.take_progress():
                        if on_progress:
                            on_progress(proc.cell, line)
                    if outcomes is not None:
                        running.remove(proc)
                        yield from outcomes
        finally:
            for proc in running:  # interrupted: cells still running are not recorded
                proc.kill()


class RayBackend:
    """Each cell is one Ray task (1 CPU) that runs the cell in its own process.

    Without ``address`` a local Ray instance with ``workers`` CPUs is started and stopped
    around the run; with ``address`` the run joins that cluster, and the package source is
    shipped to its workers (``runtime_env.py_modules``) so that env ids resolve there.
    """

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        self.workers = workers
        self.address = address

    def _init(self) -> bool:
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "--backend ray needs the 'ray' package (pip install 'entropy-gym[ray]')"
            ) from None
        if ray.is_initialized():
            return False
        import entropy_gym

        package_dir = str(Path(entropy_gym.__file__).resolve().parent)
        kwargs: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
            "configure_logging": True,
        }
        if self.address:
            kwargs["address"] = self.address
            kwargs["runtime_env"] = {"py_modules": [package_dir]}
            ray.init(**kwargs)
            return True
        kwargs["num_cpus"] = self.workers or default_workers()
        # Local workers inherit the environment of the Ray instance started here: put this
        # source tree on their PYTHONPATH while it starts (a runtime_env would cost a worker
        # pool of its own and seconds per start).
        saved = os.environ.get("PYTHONPATH")
        parts = [str(Path(package_dir).parent)] + ([saved] if saved else [])
        os.environ["PYTHONPATH"] = os.pathsep.join(parts)
        try:
            ray.init(**kwargs)
        finally:
            if saved is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = saved
        return True

    def run(
        self,
        cells: Sequence[Cell],
        device: str,
        on_start: OnStart | None = None,
        on_progress: OnProgress | None = None,
    ) -> Iterator[Outcome]:
        """Cells' output stays on their Ray workers: ``on_progress`` is never called."""
        if not cells:
            return
        import ray

        started_here = self._init()
        try:
            capacity = self.workers or int(ray.cluster_resources().get("CPU", 1))
            task = ray.remote(num_cpus=1, max_retries=0)(run_isolated)
            cwd = os.getcwd()
            refs = {task.remote(cell.to_dict(), device, cwd): cell for cell in cells}
            queue = deque(cells)
            for _ in range(min(capacity, len(queue))):
                if on_start:
                    on_start(queue.popleft())
            try:
                while refs:
                    done, _ = ray.wait(list(refs), num_returns=1)
                    for ref in done:
                        cell = refs.pop(ref)
                        try:
                            outcome = Outcome.from_dict(ray.get(ref))
                        except Exception as err:  # the Ray worker itself died
                            outcome = failed(
                                cell,
                                f"the Ray task failed: {type(err).__name__}: "
                                f"{str(err).strip().splitlines()[0] if str(err).strip() else ''}",
                                device=device,
                            )
                        if queue and on_start:
                            on_start(queue.popleft())
                        yield outcome
            finally:
                for ref in refs:
                    ray.cancel(ref, force=True)
        finally:
            if started_here:
                ray.shutdown()
