"""Build a suite's leaderboard from stored rows: a pure function of the rows.

Nothing here reads a clock or a global generator (bootstraps are seeded from row labels), so
the same rows give the same ``results.json``, bit for bit, whichever order they were run in
and however often the run was interrupted.

Scoring rules (documented in ``docs/runner.md``):

* a cell's score is its mean evaluation return (episodes averaged first), normalised by the
  env's anchors where it has them, else raw;
* a row's score matrix is ``(seeds, envs)``; only seeds whose cells finished on *every* env
  enter it, so a failed cell never silently counts as a score;
* where the suite declares a ``baseline``, every other agent of its group is compared with
  it (P(X > baseline) with a stratified bootstrap interval, a stratified permutation test,
  Holm's correction over the group; :mod:`entropy_gym.scoring.comparison`) and ranked by
  tier: better, then the baseline with the unresolved, then worse;
* without a baseline, rows are ranked by IQM; rows with failed or missing cells rank after
  complete rows; rows whose IQMs are equal to the board's three decimals share a rank (1, 1,
  3);
* entropies are averaged only within one kind and distribution
  (:mod:`entropy_gym.scoring.entropy_kind`): a row has one entropy per column.

The work is in two steps: :func:`cell_entries` turns stored rows into ``results.json``'s
cell entries (and each cell's trajectories), and :func:`assemble` builds everything else
from those entries alone. A board rebuilt from a published ``results.json``
(:mod:`entropy_gym.leaderboard.rebuild`) runs the second step on the published entries, so it
is identical to the board built from the store wherever nothing changed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from entropy_gym.leaderboard.telemetry_budget import published_telemetry
from entropy_gym.runner.cells import Cell, expand
from entropy_gym.runner.store import Row, Store
from entropy_gym.runner.suite import BaselineGroup, EnvEntry, Suite, intervention_label
from entropy_gym.scoring.aggregate import (
    CONFIDENCE,
    aggregate_estimates,
    improvement_estimate,
    mean_interval,
    performance_profiles,
    probability_of_improvement,
    stable_seed,
)
from entropy_gym.scoring.comparison import ALPHA, compare_group, tier_ranks
from entropy_gym.scoring.entropy import cell_entropy
from entropy_gym.scoring.entropy_kind import (
    KINDS,
    LEARNING_AGENTS,
    POLICY,
    column_header,
    column_key,
    column_meaning,
    derive_kind,
)
from entropy_gym.scoring.fit import checkpoint_pairs, fit_entropy_return
from entropy_gym.scoring.normalise import Anchors, anchors_for
from entropy_gym.scoring.power import board_power, pilot_spreads
from entropy_gym.scoring.robustness import robustness, stori_tasks
from entropy_gym.scoring.type_transfer import learning_scores, type_transfer

#: Version 2 added verdicts against a declared baseline, entropy columns by kind, broken
#: seeds, the power of the board, and per-cell entropy kinds and telemetry.
RESULTS_VERSION = 2
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
    cells, trajectories = cell_entries(suite, rows)
    return assemble(
        suite,
        cells,
        _row_labels(suite, rows),
        task_trajectories(cells, trajectories),
        _provenance_summary(rows),
    )


def cell_entries(
    suite: Suite, rows: Sequence[Row]
) -> tuple[list[dict[str, Any]], dict[str, Trajectories]]:
    """``results.json``'s entry of every row on one of the suite's envs (in ``rows``'
    order), and the trajectories of the finished ones by cell key."""
    anchors = suite_anchors(suite)
    cells: list[dict[str, Any]] = []
    trajectories: dict[str, Trajectories] = {}
    for row in rows:
        if row.cell.env_name in anchors:
            entry, trajectory = _cell_entry(row, anchors[row.cell.env_name])
            cells.append(entry)
            if trajectory is not None:
                trajectories[row.key] = trajectory
    return cells, trajectories


#: A row's mean trajectories on one env: ``{(label, env): {"entropy_by_step": [...], ...}}``.
TaskTrajectories = dict[tuple[str, str], dict[str, list[float]]]


def task_trajectories(
    cells: Sequence[dict[str, Any]], trajectories: Mapping[str, Trajectories]
) -> TaskTrajectories:
    """Index-wise mean trajectories of each (row, env) over its finished cells."""
    grouped: dict[tuple[str, str], list[Trajectories]] = defaultdict(list)
    for c in cells:
        if c["status"] == "ok" and c["key"] in trajectories:
            grouped[(c["label"], c["env"])].append(trajectories[c["key"]])
    return {
        task: {
            "entropy_by_step": _mean_trajectory(t.evaluation for t in traj),
            "entropy_training": _mean_trajectory(t.training for t in traj),
            "success_training": _mean_trajectory(t.success for t in traj),
        }
        for task, traj in grouped.items()
    }


def assemble(
    suite: Suite,
    cells: list[dict[str, Any]],
    labels: dict[str, dict[str, Any]],
    trajectories: TaskTrajectories,
    provenance: dict[str, Any],
) -> dict[str, Any]:
    """The board from its cell entries: rows, statistics, verdicts, ranks, fits, power."""
    tasks = [e.name for e in suite.envs]
    anchors = suite_anchors(suite)
    for c in cells:
        _complete_cell(suite, c, labels, anchors)
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

    columns = entropy_columns(cells)
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
            columns,
        )
        for label in labels
    ]
    groups = baseline_groups(suite, list(labels))
    entries.sort(key=_rank_key)
    if groups:
        _add_verdicts(entries, groups, matrices, suite.bootstrap_reps)
        _sort_by_group(entries, groups)
    else:
        _assign_ranks(entries)
    _add_improvement(entries, matrices, suite.bootstrap_reps)

    board: dict[str, Any] = {
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
            "baseline": [
                {"baseline": g.baseline, "compared": list(g.compared), "everyone": g.everyone}
                for g in suite.baselines
            ],
        },
        "scores": _score_kind(anchors),
        "normalisation": {task: a.to_dict() for task, a in anchors.items()},
        "entropy_columns": [
            {
                "key": key,
                "header": column_header(key),
                "meaning": column_meaning(key),
                "bases": bases,
            }
            for key, bases in columns.items()
        ],
        "rows": entries,
        "probability_of_improvement": _poi_matrix(entries, matrices),
        "profiles": _profiles(matrices, suite.bootstrap_reps),
        "fits": _fits(tasks, cells, list(columns)),
        "power": _power(suite, cells, groups),
    }
    game_types = stori_tasks({e.name: e.id for e in suite.envs})
    if game_types:  # a suite with the stochasticity taxonomy's types (STORI, Control)
        board["type_transfer"] = _type_transfer(suite, cells, game_types)
    board["cells"] = cells
    board["provenance"] = provenance
    return board


def baseline_groups(suite: Suite, labels: Sequence[str]) -> list[BaselineGroup]:
    """The suite's baseline groups over the board's rows: a single baseline for everyone
    also takes the submissions."""
    out = []
    for g in suite.baselines:
        compared = g.compared
        if g.everyone:
            compared = tuple(lab for lab in labels if lab != g.baseline)
        out.append(BaselineGroup(g.baseline, compared, g.everyone))
    return out


def _complete_cell(
    suite: Suite,
    cell: dict[str, Any],
    labels: Mapping[str, dict[str, Any]],
    anchors: Mapping[str, Anchors],
) -> None:
    """Fill what a cell entry stored before version 2 lacks, from the suite and the agent's
    name: its entropy kind (``legacy``, as such cells reported it), whether it learned, and
    whether it ended at or below the random anchor (a broken seed)."""
    config = dict((labels.get(cell["label"]) or {}).get("config") or {})
    if "entropy_kind" not in cell:
        kind = derive_kind(config, family=_family(cell["env_id"]), legacy=True)
        cell["entropy_kind"] = kind.to_dict() if kind is not None else None
    if cell.get("learns") is None:
        try:
            budget = suite.budget_for(suite.env_by_name(cell["env"]))
        except KeyError:
            budget = suite.budget
        trained = bool(budget) and all(v != 0 for v in (budget or {}).values())
        cell["learns"] = str(config.get("name")) in LEARNING_AGENTS and trained
    anchor = anchors.get(cell["env"])
    if cell["status"] == "ok" and cell["learns"] and anchor is not None and anchor.normalised:
        cell["broken"] = bool(cell["score"] <= 0.0)
    else:
        cell["broken"] = None
    cell.setdefault("telemetry", [])


def _family(env_id: str) -> str | None:
    from entropy_gym.registration import env_card

    try:
        return env_card(env_id.split(":", 1)[1] if ":" in env_id else env_id).family
    except ValueError:
        return None


def entropy_columns(cells: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """The board's entropy columns in a fixed order (kind, then executed before policy),
    each with the bases of the cells in it."""
    bases: dict[str, set[str]] = defaultdict(set)
    for c in cells:
        if c["status"] == "ok" and c.get("entropy") is not None and c.get("entropy_kind"):
            bases[str(column_key(c["entropy_kind"]))].add(c["entropy_kind"]["basis"])

    def order(key: str) -> tuple[int, int, str]:
        kind, distribution = key.split("/", 1)
        rank = KINDS.index(kind) if kind in KINDS else len(KINDS)
        return rank, int(distribution == POLICY), key

    return {key: sorted(bases[key]) for key in sorted(bases, key=order)}


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
    kind = result.entropy_kind
    if kind is None:  # stored before agents declared it
        legacy = derive_kind(
            cell.agent_config,
            action_space=result.env.action_space,
            family=result.env.family,
            legacy=True,
        )
        kind = legacy.to_dict() if legacy is not None else None
    entry["entropy_kind"] = kind
    entry["learns"] = result.agent.learns  # None: stored before it was; see _complete_cell
    entry["broken"] = None
    entry.update(published_telemetry(result.telemetry))  # the budget: telemetry_budget.py
    success = [float(r["success"]) for r in result.telemetry if r.get("success") is not None]
    return entry, Trajectories(ent["evaluation_trajectory"], ent["training_trajectory"], success)


def _row_entry(
    suite: Suite,
    label: str,
    info: dict[str, Any],
    cells: list[dict[str, Any]],
    seeds: list[int],
    agg: dict[str, Any] | None,
    trajectories: TaskTrajectories,
    columns: Mapping[str, list[str]],
) -> dict[str, Any]:
    config = info["config"]
    ok = [c for c in cells if c["status"] == "ok"]
    expected = len(suite.seeds) * len(suite.envs)
    by_column: dict[str, list[float]] = defaultdict(list)
    for c in ok:
        if c["entropy"] is not None and c.get("entropy_kind"):
            by_column[str(column_key(c["entropy_kind"]))].append(c["entropy"])
    entropies = {key: _mean(by_column[key]) for key in columns if by_column.get(key)}
    flags = [c["collapsed"] for c in ok if c["collapsed"] is not None]
    learning = [c for c in ok if c.get("broken") is not None]
    per_task = {}
    empty: dict[str, list[float]] = {}
    for env in suite.envs:
        task_cells = [c for c in ok if c["env"] == env.name]
        traj = trajectories.get((label, env.name), empty)
        per_task[env.name] = {
            "score": _mean(c["score"] for c in task_cells),
            "score_ci": _interval(suite, ("env-score", label, env.name), [_values(task_cells)]),
            "return": _mean(c["return"] for c in task_cells),
            "entropy": _mean(c["entropy"] for c in task_cells if c["entropy"] is not None),
            "cells": len(task_cells),
            "entropy_by_step": traj.get("entropy_by_step", []),
            "entropy_training": traj.get("entropy_training", []),
            "success_training": traj.get("success_training", []),
            **_metric_means(suite, label, env.name, [task_cells]),
        }
    metrics = {}
    for name in suite.metrics:
        metrics[name] = _mean(c["metrics"][name] for c in ok if name in c["metrics"])
    by_env = [[c for c in ok if c["env"] == env.name] for env in suite.envs]
    overall = _metric_means(suite, label, "all envs", by_env)
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
        # One mean per entropy column; "entropy" only where the row has a single kind.
        "entropy": next(iter(entropies.values())) if len(entropies) == 1 else None,
        "entropies": entropies,
        "collapsed": sum(1 for f in flags if f),
        "collapse_known": len(flags),
        "broken": sum(1 for c in learning if c["broken"]),
        "broken_known": len(learning),
        "metrics": metrics,
        "metrics_ci": overall["metrics_ci"],
        "per_task": per_task,
        "robustness": robustness(task_scores, game_types) if game_types else None,
        "improvement_over_top": None,
        "baseline": None,
        "vs_baseline": None,
    }


def _values(cells: Iterable[dict[str, Any]], metric: str | None = None) -> list[float]:
    """The finite scores of ``cells`` (or their values of ``metric``, where they have it)."""
    raw = (c["score"] if metric is None else c["metrics"].get(metric) for c in cells)
    return [float(v) for v in raw if v is not None and math.isfinite(float(v))]


def _interval(suite: Suite, name: tuple[str, ...], strata: list[list[float]]) -> list[float] | None:
    """95% interval of a mean over seeds (stratified by env where there are several), from a
    bootstrap seeded by ``name``: the same cells give the same interval."""
    return mean_interval(strata, suite.bootstrap_reps, stable_seed(*name))


def _metric_means(
    suite: Suite, label: str, where: str, strata: list[list[dict[str, Any]]]
) -> dict[str, dict[str, Any]]:
    """The suite's metrics over the cells of ``strata`` (one list per env): each metric's mean
    over the cells that report it (``None`` where none does), and its 95% interval over seeds
    (resampled within each env)."""
    means: dict[str, Any] = {}
    intervals: dict[str, Any] = {}
    for name in suite.metrics:
        values = [_values(cells, name) for cells in strata]
        means[name] = _mean(v for group in values for v in group)
        intervals[name] = _interval(suite, ("metric", label, where, name), values)
    return {"metrics": means, "metrics_ci": intervals}


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


def _add_verdicts(
    entries: list[dict[str, Any]],
    groups: Sequence[BaselineGroup],
    matrices: Mapping[str, np.ndarray],
    reps: int,
) -> None:
    """Per baseline group: each compared row's P(row > baseline) with its 95% stratified
    bootstrap interval, the permutation test's p-value, Holm's adjustment and the verdict;
    ranks by tier within the group (none for rows outside every group or without scores)."""
    by_label = {e["label"]: e for e in entries}
    for e in entries:
        e["rank"] = None
    for group in groups:
        if group.baseline not in by_label:
            continue
        by_label[group.baseline]["baseline"] = group.baseline
        members = [lab for lab in group.compared if lab in by_label]
        for label in members:
            by_label[label]["baseline"] = group.baseline
        comparisons = compare_group(group.baseline, members, matrices, ALPHA)
        for c in comparisons:
            interval = improvement_estimate(
                matrices[c.label],
                matrices[group.baseline],
                reps,
                seed=stable_seed("baseline", c.label, group.baseline),
            )
            by_label[c.label]["vs_baseline"] = {
                "baseline": group.baseline,
                "p": c.poi,
                "ci": interval["ci"],
                "p_value": c.p_value,
                "p_adjusted": c.p_adjusted,
                "alpha": ALPHA,
                "verdict": c.verdict,
            }
        if group.baseline in matrices:
            for label, rank in tier_ranks(group.baseline, comparisons).items():
                by_label[label]["rank"] = rank


def _sort_by_group(entries: list[dict[str, Any]], groups: Sequence[BaselineGroup]) -> None:
    """Rows of each baseline group together, in the order the suite names the baselines,
    each group by rank (then as without a baseline); rows in no group last."""
    order = {g.baseline: i for i, g in enumerate(groups)}

    def key(entry: dict[str, Any]) -> tuple[Any, ...]:
        group = order.get(entry["baseline"], len(order))
        rank = entry["rank"] if entry["rank"] is not None else math.inf
        return (group, rank, *_rank_key(entry))

    entries.sort(key=key)


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


def _fits(tasks: list[str], cells: list[dict[str, Any]], columns: list[str]) -> dict[str, Any]:
    """Per env: ``R = -a exp(H) + b`` across the finished cells with an entropy of one
    column (the env's most common, first in column order on a tie: kinds never mix)."""
    out = {}
    for task in tasks:
        mine = [
            c
            for c in cells
            if c["env"] == task and c["status"] == "ok" and c["entropy"] is not None
        ]
        keys = [column_key(c.get("entropy_kind")) for c in mine]
        counts = {k: keys.count(k) for k in columns if k in keys}
        column = max(counts, key=lambda k: (counts[k], -columns.index(k))) if counts else None
        pairs = [(c["entropy"], c["return"]) for c, k in zip(mine, keys) if k == column]
        fit = fit_entropy_return([p[0] for p in pairs], [p[1] for p in pairs])
        out[task] = {
            "pairs": "cells",
            "column": column,
            "fit": fit.to_dict() if fit else None,
            "n": len(pairs),
        }
    return out


def _power(
    suite: Suite, cells: Sequence[dict[str, Any]], groups: Sequence[BaselineGroup]
) -> dict[str, Any]:
    """What the board's seeds resolve (:func:`entropy_gym.scoring.power.board_power`) at
    the level of its largest baseline group, with each env's between-seed spread."""
    comparisons = max((len(g.compared) for g in suite.baselines), default=1)
    tasks = [e.name for e in suite.envs]
    return {
        **board_power(len(suite.seeds), len(tasks), comparisons),
        "spread": pilot_spreads(cells, tasks),
    }


def _type_transfer(
    suite: Suite, cells: Sequence[dict[str, Any]], game_types: Mapping[str, tuple[str, str]]
) -> list[dict[str, Any]] | None:
    """Whether the learning agents' robustness under one type carries over to another
    (:mod:`entropy_gym.scoring.type_transfer`): one record per pair of non-plain types, or
    ``None`` where the board cannot say."""
    pairs = type_transfer(learning_scores(cells, game_types), reps=suite.bootstrap_reps)
    return [p.to_dict() for p in pairs] if pairs else None


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
