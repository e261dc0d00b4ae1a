"""Rebuild a board from its published ``results.json``, without the result store.

``results.json`` keeps every cell's entry (status, return, score, entropy, its kind, the
collapse flag, metrics, per-cell fit, telemetry within the budget of
:mod:`~entropy_gym.leaderboard.telemetry_budget`) and each row's mean trajectories per env
(computed from every telemetry record when the board was built), which is all that
:func:`~entropy_gym.leaderboard.build.assemble` reads: nothing is derived again from the
kept records. Rebuilding therefore gives the same board, bit for bit, as building from the
store the cells came from (tested), and a board published by an older version gains the
columns this one adds wherever they can be derived from what it kept (entropy kinds from the
env family and the agent, broken seeds from the scores); what it never kept (per-update
telemetry of boards published before it was) stays absent until the suite is run again, and
telemetry it kept whole is thinned to the budget.

The cells kept are those of the suite as it is now: a cell whose key the suite no longer
produces is dropped (its row shows it missing), as a store would ignore it; a submission's
cells are kept on the suite's envs and seeds.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from entropy_gym.leaderboard.build import TaskTrajectories, assemble
from entropy_gym.leaderboard.telemetry_budget import budget_cell
from entropy_gym.runner.cells import expand
from entropy_gym.runner.suite import Suite

TRAJECTORY_KEYS = ("entropy_by_step", "entropy_training", "success_training")


def rebuild_results(suite: Suite, published: Mapping[str, Any]) -> dict[str, Any]:
    """The board of ``suite`` from a published ``results.json`` (module docstring)."""
    if not isinstance(published, Mapping) or "cells" not in published or "rows" not in published:
        raise ValueError("expected a leaderboard's results.json (with 'rows' and 'cells')")
    keys = {c.key for c in expand(suite)}
    labels: dict[str, dict[str, Any]] = {
        a.label: {"config": dict(a.config), "source": "suite"} for a in suite.agents
    }
    submitted = sorted(
        (r for r in published["rows"] if r.get("source", "suite") != "suite"),
        key=lambda r: r["label"],
    )
    for row in submitted:
        if row["label"] not in labels:
            labels[row["label"]] = {"config": dict(row["config"]), "source": row["source"]}
    envs = {e.name for e in suite.envs}
    cells = [
        copy.deepcopy(dict(c))
        for c in sorted(published["cells"], key=lambda c: c["key"])
        if c["key"] in keys
        or (
            labels.get(c["label"], {}).get("source", "suite") != "suite"
            and c["env"] in envs
            and c["seed"] in suite.seeds
        )
    ]
    for c in cells:
        budget_cell(c)  # a board published before the telemetry budget
    trajectories: TaskTrajectories = {}
    for row in published["rows"]:
        for env, task in (row.get("per_task") or {}).items():
            kept = {k: list(task.get(k) or []) for k in TRAJECTORY_KEYS}
            if any(kept.values()):
                trajectories[(row["label"], env)] = kept
    return assemble(
        suite, cells, labels, trajectories, copy.deepcopy(dict(published["provenance"]))
    )
