"""Build a suite's leaderboard from stored rows: a pure function of the rows.

Nothing here reads a clock or a global generator (bootstraps are seeded from row labels), so
the same rows give the same ``results.json``, bit for bit, whichever order they were run in
and however often the run was interrupted.

Scoring rules (documented in ``docs/runner.md``):

* a cell's score is its mean evaluation return (episodes averaged first), normalised by the
  env's anchors where it has them, else raw;
* a row's score matrix is ``(seeds, envs)``; only seeds whose cells finished on *every* env
  enter it, so a failed cell never silently counts as a score;
* rows are ranked by IQM; rows with failed or missing cells rank after complete rows; rows
  whose IQMs are equal to the board's three decimals share a rank (1, 1, 3).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from entropy_gym.runner.cells import Cell, expand
from entropy_gym.runner.store import Row, Store
from entropy_gym.runner.suite import EnvEntry, Suite, intervention_label
from entropy_gym.scoring.aggregate import (
    CONFIDENCE,
    aggregate_estimates,
    improvement_estimate,
    performance_profiles,
    probability_of_improvement,
    stable_seed,
)
from entropy_gym.scoring.entropy import cell_entropy
from entropy_gym.scoring.fit import checkpoint_pairs, fit_entropy_return
from entropy_gym.scoring.normalise import Anchors, anchors_for
from entropy_gym.scoring.robustness import robustness, stori_tasks

RESULTS_VERSION = 1
PROFILE_POINTS = 41
#: Performance profiles use fewer bootstrap replications than the aggregates (rliable's
#: default for profiles is 2,000): each replication evaluates every threshold.
PROFILE_REPS = 500


def select_rows(store: Store, suite: Suite) -> list[Row]:
    """The rows a leaderboard of ``suite`` is built from: the suite's own cells (current
    config) and submitted agents' cells on the suite's current protocol."""
    keys = {c.key for c in expand(suite)}
    protocols = {c.protocol_key for c in expand(suite)}
    suite_labels = {a.label for a in suite.agents}
    rows = []
    for row in store.rows(suite.name):
        if row.key in keys or (
            row.cell.source == "submit"
            and row.cell.protocol_key in protocols
            and row.cell.agent_label not in suite_labels
        ):
            rows.append(row)
    return rows


def suite_anchors(suite: Suite) -> dict[str, Anchors]:
    return {
        e.name: anchors_for(e.id, e.random_score, e.reference_score, e.reference_source)
        for e in suite.envs
    }


def build_results(suite: Suite, rows: Iterable[Row]) -> dict[str, Any]:
    """The leaderboard of ``suite`` as JSON-ready data (what ``results.json`` holds)."""
    rows = sorted(rows, key=lambda r: r.key)
    tasks = [e.name for e in suite.envs]
    anchors = suite_anchors(suite)
    labels = _row_labels(suite, rows)
    cells: list[dict[str, Any]] = []
    trajectories: dict[str, Trajectories] = {}
    for row in rows:
        if row.cell.env_name in anchors:
            entry, trajectory = _cell_entry(row, anchors[row.cell.env_name])
            cells.append(entry)
            if trajectory is not None:
                trajectories[row.key] = trajectory
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in cells:
        by_label[c["label"]].append(c)

    matrices: dict[str, np.ndarray] = {}
    complete: dict[str, list[int]] = {}
    for label in labels:
        ok = {(c["seed"], c["env"]): c["score"] for c in by_label[label] if c["status"] == "ok"}
        seeds = [s for s in suite.seeds if all((s, t) in ok for t in tasks)]
        complete[label] = seeds
        if seeds:
            matrices[label] = np.array(
                [[ok[(s, t)] for t in tasks] for s in seeds], dtype=np.float64
            )

    aggregates = aggregate_estimates(matrices, suite.bootstrap_reps)
    entries = [
        _row_entry(
            suite,
            label,
            labels[label],
            by_label[label],
            complete[label],
            aggregates.get(label),
            trajectories,
        )
        for label in labels
    ]
    entries.sort(key=_rank_key)
    _assign_ranks(entries)
    _add_improvement(entries, matrices, suite.bootstrap_reps)

    return {
        "version": RESULTS_VERSION,
        "suite": {
            "name": suite.name,
            "description": suite.description,
            "seeds": list(suite.seeds),
            "envs": [_env_entry(e) for e in suite.envs],
            "eval_episodes": suite.eval_episodes,
            "num_envs": suite.num_envs,
            "budget": dict(suite.budget) if suite.budget else None,
            "metrics": list(suite.metrics),
            "bootstrap_reps": suite.bootstrap_reps,
            "confidence": CONFIDENCE,
        },
        "scores": _score_kind(anchors),
        "normalisation": {task: a.to_dict() for task, a in anchors.items()},
        "rows": entries,
        "probability_of_improvement": _poi_matrix(entries, matrices),
        "profiles": _profiles(matrices, suite.bootstrap_reps),
        "fits": _fits(tasks, cells),
        "cells": cells,
        "provenance": _provenance_summary(rows),
    }


def _row_labels(suite: Suite, rows: Sequence[Row]) -> dict[str, dict[str, Any]]:
    """Row labels in display order (suite agents first, then submissions), with configs."""
    labels: dict[str, dict[str, Any]] = {
        a.label: {"config": dict(a.config), "source": "suite"} for a in suite.agents
    }
    for row in sorted(rows, key=lambda r: r.cell.agent_label):
        labels.setdefault(
            row.cell.agent_label, {"config": dict(row.cell.agent_config), "source": row.cell.source}
        )
    return labels


@dataclass(frozen=True)
class Trajectories:
    """A cell's trajectories: entropy per decision index in evaluation and per update in
    training, and success per update (agents whose telemetry reports it, e.g. llm_grpo). They
    stay out of ``results.json`` (the store keeps them); rows carry their means."""

    evaluation: list[float]
    training: list[float]
    success: list[float]


def _cell_entry(row: Row, anchors: Anchors) -> tuple[dict[str, Any], Trajectories | None]:
    """A cell's entry in ``results.json``, and its trajectories where it finished."""
    cell: Cell = row.cell
    entry: dict[str, Any] = {
        "key": row.key,
        "label": cell.agent_label,
        "env": cell.env_name,
        "env_id": cell.env_id,
        "seed": cell.seed,
        "status": row.status,
        "reason": row.reason,
        "return": None,
        "score": None,
        "episodes": None,
        "entropy": None,
        "collapsed": None,
        "metrics": {},
        "fit": None,
    }
    if not row.ok or row.result is None:
        return entry, None
    result = row.result
    returns = result.returns
    mean_return = result.mean_return
    ent = cell_entropy(result)
    hs, rs = checkpoint_pairs(result.telemetry)
    fit = fit_entropy_return(hs, rs) if hs else None
    entry.update(
        {
            "return": mean_return,
            "return_std": math.sqrt(
                math.fsum((r - mean_return) ** 2 for r in returns) / len(returns)
            ),
            "score": anchors.apply(mean_return),
            "episodes": len(returns),
            "mean_length": sum(result.lengths) / len(result.lengths),
            "entropy": ent["mean"],
            "collapsed": ent["collapsed"],
            "collapse_source": ent["collapse_source"],
            "metrics": dict(result.metrics),
            "fit": fit.to_dict() if fit else None,
            "config_hash": result.agent.config_hash,
        }
    )
    success = [float(r["success"]) for r in result.telemetry if r.get("success") is not None]
    return entry, Trajectories(ent["evaluation_trajectory"], ent["training_trajectory"], success)


def _row_entry(
    suite: Suite,
    label: str,
    info: dict[str, Any],
    cells: list[dict[str, Any]],
    seeds: list[int],
    agg: dict[str, Any] | None,
    trajectories: dict[str, Trajectories],
) -> dict[str, Any]:
    config = info["config"]
    ok = [c for c in cells if c["status"] == "ok"]
    expected = len(suite.seeds) * len(suite.envs)
    entropies = [c["entropy"] for c in ok if c["entropy"] is not None]
    flags = [c["collapsed"] for c in ok if c["collapsed"] is not None]
    per_task = {}
    for env in suite.envs:
        task_cells = [c for c in ok if c["env"] == env.name]
        traj = [trajectories[c["key"]] for c in task_cells if c["key"] in trajectories]
        per_task[env.name] = {
            "score": _mean(c["score"] for c in task_cells),
            "return": _mean(c["return"] for c in task_cells),
            "entropy": _mean(c["entropy"] for c in task_cells if c["entropy"] is not None),
            "cells": len(task_cells),
            "entropy_by_step": _mean_trajectory(t.evaluation for t in traj),
            "entropy_training": _mean_trajectory(t.training for t in traj),
            "success_training": _mean_trajectory(t.success for t in traj),
        }
    metrics = {}
    for name in suite.metrics:
        metrics[name] = _mean(c["metrics"][name] for c in ok if name in c["metrics"])
    task_scores = {t: v["score"] for t, v in per_task.items() if v["score"] is not None}
    game_types = stori_tasks({e.name: e.id for e in suite.envs})
    interventions = list(config.get("interventions") or [])
    return {
        "rank": None,
        "label": label,
        "agent": str(config.get("name")),
        "intervention": " + ".join(intervention_label(iv) for iv in interventions) or "none",
        "config": config,
        "source": info["source"],
        "iqm": agg["iqm"] if agg else None,
        "iqm_ci": agg["iqm_ci"] if agg else None,
        "mean": agg["mean"] if agg else None,
        "mean_ci": agg["mean_ci"] if agg else None,
        "runs": len(seeds),
        "cells": expected,
        "cells_failed": sum(1 for c in cells if c["status"] == "failed"),
        "cells_missing": expected - len(cells),
        "entropy": _mean(entropies),
        "collapsed": sum(1 for f in flags if f),
        "collapse_known": len(flags),
        "metrics": metrics,
        "per_task": per_task,
        "robustness": robustness(task_scores, game_types) if game_types else None,
        "improvement_over_top": None,
    }


#: IQMs equal to this many decimals (what the boards print) share a rank.
TIE_DECIMALS = 3


def _assign_ranks(entries: list[dict[str, Any]]) -> None:
    """Competition ranks in sorted order (1, 1, 3, ...): rows whose IQMs read the same on the
    board, and that are alike complete or incomplete, tie; unscored rows get none."""
    previous: tuple[Any, ...] | None = None
    for position, entry in enumerate(entries, start=1):
        if entry["iqm"] is None:
            entry["rank"] = None
            continue
        incomplete = entry["cells_failed"] + entry["cells_missing"] > 0
        key = (incomplete, round(entry["iqm"], TIE_DECIMALS) + 0.0)
        entry["rank"] = entries[position - 2]["rank"] if key == previous else position
        previous = key


def _rank_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    incomplete = entry["cells_failed"] + entry["cells_missing"] > 0
    if entry["iqm"] is None:
        return (2, 0.0, 0.0, entry["label"])
    return (1 if incomplete else 0, -entry["iqm"], -entry["mean"], entry["label"])


def _add_improvement(
    entries: list[dict[str, Any]], matrices: dict[str, np.ndarray], reps: int
) -> None:
    """P(row > top row) with a bootstrap CI for every scored row below the top."""
    scored = [e for e in entries if e["label"] in matrices]
    if len(scored) < 2:
        return
    top = scored[0]["label"]
    for entry in scored[1:]:
        label = entry["label"]
        estimate = improvement_estimate(
            matrices[label], matrices[top], reps, seed=stable_seed("improvement", label, top)
        )
        entry["improvement_over_top"] = {"over": top, **estimate}


def _poi_matrix(entries: list[dict[str, Any]], matrices: dict[str, np.ndarray]) -> dict[str, Any]:
    """Point estimates of P(X > Y) for every ordered pair of scored rows."""
    labels = [e["label"] for e in entries if e["label"] in matrices]
    return {
        "labels": labels,
        "p": [
            [
                None if x == y else probability_of_improvement(matrices[x], matrices[y])
                for y in labels
            ]
            for x in labels
        ],
    }


def _profiles(matrices: dict[str, np.ndarray], reps: int) -> dict[str, Any] | None:
    if not matrices:
        return None
    values = np.concatenate([m.ravel() for m in matrices.values()])
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    pad = 0.05 * (hi - lo)
    taus = np.linspace(lo - pad, hi + pad, PROFILE_POINTS)
    return performance_profiles(matrices, taus, min(PROFILE_REPS, reps))


def _fits(tasks: list[str], cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Per env: ``R = -a exp(H) + b`` across all finished cells with an entropy."""
    out = {}
    for task in tasks:
        pairs = [
            (c["entropy"], c["return"])
            for c in cells
            if c["env"] == task and c["status"] == "ok" and c["entropy"] is not None
        ]
        fit = fit_entropy_return([p[0] for p in pairs], [p[1] for p in pairs])
        out[task] = {"pairs": "cells", "fit": fit.to_dict() if fit else None, "n": len(pairs)}
    return out


def _score_kind(anchors: dict[str, Anchors]) -> dict[str, Any]:
    raw = sorted(t for t, a in anchors.items() if not a.normalised)
    kind = "normalised" if not raw else ("raw" if len(raw) == len(anchors) else "mixed")
    notes = {
        "normalised": "scores are normalised: (return - random) / (reference - random)",
        "raw": "scores are raw mean returns (no random/reference anchors for these envs)",
        "mixed": "scores are normalised where anchors exist; raw returns for: " + ", ".join(raw),
    }
    return {"kind": kind, "raw_envs": raw, "note": notes[kind]}


def _provenance_summary(rows: Sequence[Row]) -> dict[str, Any]:
    """Distinct provenance values over the rows (timings are in provenance.json)."""

    def distinct(values: Iterable[Any]) -> list[Any]:
        seen: list[Any] = []
        for v in values:
            if v not in seen:
                seen.append(v)
        return sorted(seen, key=repr)

    provs = [r.provenance for r in rows]
    return {
        "package_version": distinct(p.get("package_version") for p in provs),
        "git_commit": distinct((p.get("git") or {}).get("commit") for p in provs),
        "git_dirty": distinct((p.get("git") or {}).get("dirty") for p in provs),
        "libraries": distinct(p.get("libraries") for p in provs),
        "hostname": distinct(p.get("hostname") for p in provs),
        "platform": distinct(p.get("platform") for p in provs),
        "python": distinct(p.get("python") for p in provs),
        "device": distinct(p.get("device") for p in provs),
        "env_backend": distinct(env_backend(r.provenance) for r in rows if r.ok),
    }


def env_backend(provenance: Mapping[str, Any]) -> str:
    """Where a finished cell's envs ran, for people: ``sync``, or ``native:<class>`` with the
    device it was given (``native:TextBanditVectorEnv on cuda``). Cells stored before the
    runner recorded it all ran on ``sync``."""
    backend = str(provenance.get("env_backend") or "sync")
    device = provenance.get("env_device")
    return f"{backend} on {device}" if device else backend


def _mean_trajectory(trajectories: Iterable[Sequence[float] | None]) -> list[float]:
    """Index-wise mean of trajectories, over the length of the shortest one."""
    present = [list(t) for t in trajectories if t]
    if not present:
        return []
    n = min(len(t) for t in present)
    return [float(v) for v in np.mean([t[:n] for t in present], axis=0)]


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return float(np.mean(vals)) if vals else None


def _env_entry(env: EnvEntry) -> dict[str, Any]:
    """An env of the board's suite, with its own budget, evaluation episodes and agent
    parameters where it has them."""
    entry: dict[str, Any] = {"name": env.name, "id": env.id, "kwargs": dict(env.kwargs)}
    if env.budget is not None:
        entry["budget"] = dict(env.budget)
    if env.eval_episodes is not None:
        entry["eval_episodes"] = env.eval_episodes
    if env.agent_params:
        entry["agent_params"] = dict(env.agent_params)
    return entry
