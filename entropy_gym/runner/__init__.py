"""Suites -> cells -> backends (local, ray) -> SQLite store.

* :mod:`~entropy_gym.runner.suite`: ``benchmarks.yaml``, validated before anything runs.
* :mod:`~entropy_gym.runner.cells`: a suite expands to (agent, env, seed) cells.
* :mod:`~entropy_gym.runner.rollout`: the cell lifecycle (setup, train, batched evaluation).
* :mod:`~entropy_gym.runner.worker`: one killable process per cell, with time/memory limits.
* :mod:`~entropy_gym.runner.backends`: ``local`` and ``ray``.
* :mod:`~entropy_gym.runner.store`: results in SQLite (WAL), one transaction per cell.
* :mod:`~entropy_gym.runner.run`: skip stored cells, run the rest, validate, store.
* :mod:`~entropy_gym.runner.submit`: score a user's agent class on a suite.
"""

from entropy_gym.runner.cells import Cell, expand
from entropy_gym.runner.run import RunSummary, run_cells
from entropy_gym.runner.store import Store
from entropy_gym.runner.suite import Suite, SuiteError, check_runnable, load_suite, load_suites

__all__ = [
    "Cell",
    "RunSummary",
    "Store",
    "Suite",
    "SuiteError",
    "check_runnable",
    "expand",
    "load_suite",
    "load_suites",
    "run_cells",
]
