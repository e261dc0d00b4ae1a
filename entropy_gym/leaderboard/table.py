"""The leaderboard table, as rows of strings: shared by the Markdown file, the site and the
terminal (``entropy-gym show``)."""

from __future__ import annotations

import math
from typing import Any


def fmt(value: float | None) -> str:
    """A number with as many digits as its size warrants; ``-`` for none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def with_ci(value: float | None, ci: list[float] | None) -> str:
    if value is None:
        return "-"
    return f"{fmt(value)} [{fmt(ci[0])}, {fmt(ci[1])}]" if ci else fmt(value)


def has_baseline(results: dict[str, Any]) -> bool:
    return bool(results["suite"].get("baseline"))


def entropy_columns(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The board's entropy columns (one per kind and distribution); a board published before
    they existed has one, the mean of whatever its cells reported."""
    if "entropy_columns" in results:
        return list(results["entropy_columns"])
    return [{"key": None, "header": "entropy (nats)", "meaning": "", "bases": []}]


def _shows_broken(results: dict[str, Any]) -> bool:
    return any(r.get("broken_known") for r in results["rows"])


def single_baseline(results: dict[str, Any]) -> str | None:
    """The baseline's label where the board has one group (it then names the columns)."""
    groups = results["suite"].get("baseline") or []
    return str(groups[0]["baseline"]) if len(groups) == 1 else None


def header(results: dict[str, Any]) -> list[str]:
    verdicts = []
    if has_baseline(results):
        verdicts = [f"P(X > {single_baseline(results) or 'baseline'}) [95% CI]", "verdict"]
    return [
        "rank",
        "agent",
        "intervention",
        "IQM [95% CI]",
        "mean [95% CI]",
        *verdicts,
        *[c["header"] for c in entropy_columns(results)],
        "collapsed",
        *(["broken seeds"] if _shows_broken(results) else []),
        "cells failed",
        *results["suite"]["metrics"],
    ]


def p_text(p: float) -> str:
    """A p-value for people: ``<0.001``, else three decimals."""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def verdict_text(row: dict[str, Any], named: bool = True) -> str:
    """``better than ppo (p 0.004)``, ``not resolved vs ppo (p 0.62)`` (``better (p 0.004)``
    where the column header names the one baseline: ``named=False``), ``baseline``, or ``-``
    for a row outside every baseline group (or without scores)."""
    vs = row.get("vs_baseline")
    if vs is None:
        return "baseline" if row.get("baseline") == row["label"] else "-"
    p = f"(p {p_text(vs['p_adjusted'])})"
    if not named:
        return f"{vs['verdict']} {p}"
    word = {"better": "better than", "worse": "worse than"}.get(vs["verdict"], "not resolved vs")
    return f"{word} {vs['baseline']} {p}"


def rows(results: dict[str, Any]) -> list[list[str]]:
    out = []
    columns = entropy_columns(results)
    for r in results["rows"]:
        failed = f"{r['cells_failed']}/{r['cells']}"
        if r["cells_missing"]:
            failed += f" ({r['cells_missing']} missing)"
        collapsed = f"{r['collapsed']}/{r['collapse_known']}" if r["collapse_known"] else "-"
        verdicts = []
        if has_baseline(results):
            vs = r.get("vs_baseline")
            named = single_baseline(results) is None
            verdicts = [with_ci(vs["p"], vs["ci"]) if vs else "-", verdict_text(r, named)]
        entropies = [
            fmt((r.get("entropies") or {}).get(c["key"]) if c["key"] else r.get("entropy"))
            for c in columns
        ]
        broken = []
        if _shows_broken(results):
            broken = [f"{r['broken']}/{r['broken_known']}" if r.get("broken_known") else "-"]
        out.append(
            [
                str(r["rank"]) if r["rank"] is not None else "-",
                r["label"],
                r["intervention"],
                with_ci(r["iqm"], r["iqm_ci"]),
                with_ci(r["mean"], r["mean_ci"]),
                *verdicts,
                *entropies,
                collapsed,
                *broken,
                failed,
                *[
                    with_ci(r["metrics"].get(m), (r.get("metrics_ci") or {}).get(m))
                    for m in results["suite"]["metrics"]
                ],
            ]
        )
    return out


def column_groups(results: dict[str, Any]) -> list[int]:
    """How many of :func:`header`'s columns each group holds, in order: the row's identity
    (rank, agent), its scores and verdict, its entropy and health, the suite's metrics (a
    table too wide for a page splits between groups first)."""
    scores = 3 + (2 if has_baseline(results) else 0)
    health = len(entropy_columns(results)) + 2 + int(_shows_broken(results))
    groups = [2, scores, health, len(results["suite"]["metrics"])]
    return [n for n in groups if n]


def notes(results: dict[str, Any]) -> list[str]:
    """What the columns beyond the scores mean: verdicts and ranks, each entropy column
    (unit, kind, distribution and how it was computed), broken seeds."""
    out = []
    if has_baseline(results):
        out.append(
            f"Verdict: P(X > {single_baseline(results) or 'baseline'}) is the probability that "
            "a run of the agent beats a run of its baseline on the same env (rliable's "
            "probability of improvement), with a "
            "95% stratified bootstrap CI; better or worse where a two-sided stratified "
            "permutation test of it rejects at 0.05 after Holm's correction over the agents "
            "compared with that baseline (p: the adjusted p-value), else not resolved. Ranks "
            "separate only resolved verdicts: agents better than their baseline share the "
            "first rank, the baseline and the unresolved the next, the worse the last; rows "
            "of different baselines are ranked within their group."
        )
    for c in entropy_columns(results):
        if c["key"] is None:
            continue
        bases = "; ".join(c["bases"])
        out.append(f"{c['header']}: {c['meaning']} (computed as: {bases}).")
    if _shows_broken(results):
        out.append(
            "Broken seeds: of a learning agent's finished cells on normalised envs, how many "
            "ended at or below the random anchor (normalised score <= 0)."
        )
    metrics = results["suite"]["metrics"]
    if metrics:
        out.append(
            f"{', '.join(metrics)}: the suite's episode metrics, each the mean over the row's "
            "finished cells, with its 95% interval over seeds (bootstrapped as below, the "
            "seeds resampled within each env); per env below."
        )
    return out


def interval_note(results: dict[str, Any]) -> str:
    """How the per-env and metric intervals are computed (their tables' note)."""
    return (
        "Intervals: 95% percentile bootstrap intervals over seeds (each seed's cell value "
        f"resampled with replacement, {results['suite']['bootstrap_reps']} replications seeded "
        "from the row, env and quantity; none with a single seed)."
    )


def per_env_header(results: dict[str, Any]) -> list[str]:
    return ["agent", *[e["name"] for e in results["suite"]["envs"]]]


PER_ENV_TITLE = "Score per env (mean over seeds, 95% CI)"


def per_env_rows(results: dict[str, Any]) -> list[list[str]]:
    """Mean score over seeds with its 95% interval over seeds (boards published before it
    was computed have none), and the mean raw return where scores are normalised."""
    out = []
    for r in results["rows"]:
        cells = [r["label"]]
        for env in results["suite"]["envs"]:
            t = r["per_task"][env["name"]]
            norm = results["normalisation"][env["name"]]["normalised"]
            text = with_ci(t["score"], t.get("score_ci"))
            if norm and t["return"] is not None:
                text += f" (return {fmt(t['return'])})"
            cells.append(text)
        out.append(cells)
    return out


def per_env_metrics(results: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """Per env, the suite's metrics of each row: ``(env, header, rows)`` with each metric's
    mean over seeds and its 95% interval over seeds; an env where no cell reports a metric
    leaves it out (and is left out itself when it has none)."""
    out = []
    for env in results["suite"]["envs"]:
        name = env["name"]
        tasks = [r["per_task"][name] for r in results["rows"]]
        metrics = [
            m
            for m in results["suite"]["metrics"]
            if any((t.get("metrics") or {}).get(m) is not None for t in tasks)
        ]
        if not metrics:
            continue
        rows = [
            [
                r["label"],
                *[
                    with_ci((t.get("metrics") or {}).get(m), (t.get("metrics_ci") or {}).get(m))
                    for m in metrics
                ],
            ]
            for r, t in zip(results["rows"], tasks)
        ]
        out.append((name, ["agent", *metrics], rows))
    return out


def by_type(results: dict[str, Any]) -> tuple[list[str], list[list[str]]] | None:
    """The per-stochasticity-type summary of a suite with typed envs (STORI, Control), or None.

    A cell is the agent's mean score over that type's envs (mean over seeds per env), followed by
    its robustness ``(xR)`` where the game's plain type-3.1 score is above random: the share of
    plain performance the agent keeps under that type (see :mod:`entropy_gym.scoring.robustness`).
    """
    from entropy_gym.scoring.robustness import PLAIN_TYPE, stori_tasks, type_order

    typed = stori_tasks({e["name"]: e["id"] for e in results["suite"]["envs"]})
    if not typed:
        return None
    kinds = sorted({kind for _, kind in typed.values()}, key=type_order)
    out = []
    for r in results["rows"]:
        cells = [r["label"]]
        ratios = (r.get("robustness") or {}).get("by_type", {})
        plain = [
            r["per_task"][t]["score"]
            for t, (_, k) in typed.items()
            if k == PLAIN_TYPE and r["per_task"].get(t, {}).get("score") is not None
        ]
        if not plain or sum(plain) / len(plain) < MIN_PLAIN_SCORE:
            ratios = {}  # a ratio over a plain score near random says nothing
        for kind in kinds:
            scores = [
                r["per_task"][t]["score"]
                for t, (_, k) in typed.items()
                if k == kind and r["per_task"].get(t, {}).get("score") is not None
            ]
            text = fmt(sum(scores) / len(scores)) if scores else "-"
            if kind != PLAIN_TYPE and ratios.get(kind) is not None:
                text += f" (x{ratios[kind]:.2f})"
            cells.append(text)
        out.append(cells)
    return ["agent", *[f"type {k}" for k in kinds]], out


#: Robustness ratios are shown only for agents whose plain (type 3.1) score is at least this.
MIN_PLAIN_SCORE = 0.05

BY_TYPE_NOTE = (
    "Mean score per stochasticity type; (xR): robustness, the type's score over the "
    "plain type-3.1 score of the same game, shown where the plain score is at least "
    f"{MIN_PLAIN_SCORE} (a ratio over a score near random says nothing)."
)


TYPE_TRANSFER_TITLE = "Does robustness carry over between types?"


def type_transfer(results: dict[str, Any]) -> tuple[list[str], list[list[str]]] | None:
    """One row per pair of non-plain stochasticity types: the rank correlation of the
    learning agents' robustness under one type with that under the other, its interval, the
    items and seeds behind it and the verdict (:mod:`entropy_gym.scoring.type_transfer`);
    None where the board has none."""
    pairs = results.get("type_transfer")
    if not pairs:
        return None
    header = ["types", "Spearman rho [95% CI]", "items", "seeds", "verdict"]
    rows = [
        [
            f"{p['type_a']} vs {p['type_b']}",
            with_ci(p["rho"], [p["low"], p["high"]] if p["low"] is not None else None),
            str(p["n_items"]),
            f"{len(p['seeds_a'])} + {len(p['seeds_b'])}",
            p["verdict"],
        ]
        for p in pairs
    ]
    return header, rows


def type_transfer_note(results: dict[str, Any]) -> str | None:
    """What the type-transfer table correlates and how to read it; on a typed board without
    one, why it is not measured; None on a board without the taxonomy's types."""
    if "type_transfer" not in results:
        return None
    if not results["type_transfer"]:
        seeds = len(results["suite"]["seeds"])
        return (
            f"Not measured on this board ({seeds} seed{'s' if seeds != 1 else ''}): it needs "
            "the plain type 3.1, two other types, at least 3 (learning agent, game) items "
            "with all three in games with two or more learning agents, and 5 seeds or more "
            "(the two types' drops come from disjoint seeds, at least 2 each)."
        )
    return (
        "Spearman rank correlation, over (learning agent, game) items, of the agent's drop "
        "from the plain type 3.1 under one type and under the other (per seed: its score "
        "under the type minus its plain score at that seed), centred within each game (the "
        "game's mean over its agents subtracted at each seed), so it asks whether the "
        "agents' order of robustness within a game carries over between the types, not "
        "which games are hard. The two types' drops come from disjoint seeds (seeds: the "
        "first type's + the second's), as drops from the same seeds would share their plain "
        "score's noise and look alike by chance; 95% percentile bootstrap interval over "
        f"seeds ({results['suite']['bootstrap_reps']} replications). Carries over: the "
        "interval lies above 0; opposed: below 0; unresolved: it contains 0. Agents that do "
        "not learn (random) are left out."
    )


RAW_DATA_NOTE = (
    "`cells.csv`: every cell (agent, env, seed) with its key, score, entropy and its kind, "
    "and the versions it ran with; `telemetry.csv`: every training update of every cell "
    "(where the agents logged any); `results.json`: all of it and the statistics; "
    "`provenance.json`: per-cell provenance with timings."
)


def failure_groups(results: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """Failed cells grouped by agent and reason, most cells first: ``(agent, reason, ["env
    seed s", ...])``."""
    groups: dict[tuple[str, str], list[str]] = {}
    for c in results["cells"]:
        if c["status"] == "failed":
            groups.setdefault((c["label"], c["reason"] or "unknown"), []).append(
                f"{c['env']} seed {c['seed']}"
            )
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [(label, reason, cells) for (label, reason), cells in ordered]


def _budget_text(budget: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (budget or {}).items()) or "none (no training)"


def protocol_line(results: dict[str, Any]) -> str:
    s = results["suite"]
    # Envs with their own budget or evaluation episodes, grouped by what they set.
    own: dict[str, list[str]] = {}
    for e in s["envs"]:
        if "budget" in e or "eval_episodes" in e:
            text = (
                f"{_budget_text(e.get('budget', s['budget']))}, "
                f"{e.get('eval_episodes', s['eval_episodes'])} evaluation episodes"
            )
            own.setdefault(text, []).append(e["name"])
    every_env_own = len(s["envs"]) > 0 and sum(map(len, own.values())) == len(s["envs"])
    budget = "per env" if every_env_own else _budget_text(s["budget"])
    if own:
        clauses = "; ".join(", ".join(names) + f": {text}" for text, names in own.items())
        budget += f" ({clauses})"
    return (
        f"{len(s['envs'])} envs x {len(s['seeds'])} seeds, {s['eval_episodes']} evaluation episodes "
        f"per cell on {s['num_envs']} vector envs, training budget {budget}; IQM and mean over "
        f"seeds x envs with {int(s['confidence'] * 100)}% stratified bootstrap CIs "
        f"({s['bootstrap_reps']} replications, seeds resampled within each env)."
        + power_sentence(results)
    )


def power_sentence(results: dict[str, Any]) -> str:
    """The smallest effect the board's seeds resolve (empty for boards without it)."""
    p = results.get("power")
    if not p:
        return ""
    level = f"{p['level']:.3g}"
    if p["comparisons"] > 1:
        level += f" (0.05 / {p['comparisons']} agents compared with one baseline)"
    seeds = f"{p['seeds']} seed{'s' if p['seeds'] != 1 else ''} x {p['envs']} env{'s' if p['envs'] != 1 else ''}"
    if p["smallest_shift"] is None:
        return (
            f" Power: {seeds} resolve no effect at level {level}: the test's smallest "
            f"p-value is {p['smallest_p_value']:.3g}."
        )
    return (
        f" Power: {seeds} resolve, with {int(p['power'] * 100)}% power at level {level}, a "
        f"shift of {p['smallest_shift']:.2f} between-seed SDs on every env (P(X > Y) = "
        f"{p['smallest_poi']:.2f}); `entropy-gym power {results['suite']['name']}` gives the seeds for "
        "a smaller one."
    )


def random_note(results: dict[str, Any]) -> str | None:
    """Why the random agent's score is not 0, when it is not (to the board's precision)."""
    for r in results["rows"]:
        if r["label"] != "random" or r["iqm"] is None or abs(r["iqm"]) < 0.0005:
            continue
        return (
            f"The random agent scores {fmt(r['iqm'])}, not 0: the random anchors are published "
            "scores measured under their own protocol (e.g. uncapped episodes with no-op "
            "starts), not this suite's random runs, so 0 marks that reference, not this board's "
            "random row."
        )
    return None
