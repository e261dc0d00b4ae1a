"""Suites -> cells -> backends (local, ray) -> SQLite store.

* :mod:`~entropy_gym.runner.suite`: ``benchmarks.yaml``, validated before anything runs.
* :mod:`~entropy_gym.runner.cells`: a suite expands to (agent, env, seed) cells.
* :mod:`~entropy_gym.runner.evaluation`: the one evaluation loop (envs, task, episodes).
* :mod:`~entropy_gym.runner.rollout`: the cell lifecycle (setup, train, evaluate).
* :mod:`~entropy_gym.runner.result`: the typed cell result, as stored.
* :mod:`~entropy_gym.runner.worker`: one killable process per cell, with time/memory limits.
* :mod:`~entropy_gym.runner.backends`: ``local`` and ``ray``.
* :mod:`~entropy_gym.runner.store`: results in SQLite (WAL), one transaction per cell.
* :mod:`~entropy_gym.runner.run`: skip stored cells, run the rest, validate, store.
* :mod:`~entropy_gym.runner.submit`: score a user's agent class on a suite.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public names and the module that defines each, imported on first use so that importing
#: one runner module (e.g. :mod:`~entropy_gym.runner.evaluation`) does not import them all.
_EXPORTS = {
    "Cell": "cells",
    "expand": "cells",
    "RunSummary": "run",
    "run_cells": "run",
    "Store": "store",
    "Suite": "suite",
    "SuiteError": "suite",
    "check_runnable": "suite",
    "load_suite": "suite",
    "load_suites": "suite",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"entropy_gym.runner.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'entropy_gym.runner' has no attribute {name!r}")
