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


def header(results: dict[str, Any]) -> list[str]:
    return [
        "rank",
        "agent",
        "intervention",
        "IQM [95% CI]",
        "mean [95% CI]",
        "entropy (nats)",
        "collapsed",
        "cells failed",
        *results["suite"]["metrics"],
    ]


def rows(results: dict[str, Any]) -> list[list[str]]:
    out = []
    for r in results["rows"]:
        failed = f"{r['cells_failed']}/{r['cells']}"
        if r["cells_missing"]:
            failed += f" ({r['cells_missing']} missing)"
        collapsed = f"{r['collapsed']}/{r['collapse_known']}" if r["collapse_known"] else "-"
        out.append(
            [
                str(r["rank"]) if r["rank"] is not None else "-",
                r["label"],
                r["intervention"],
                with_ci(r["iqm"], r["iqm_ci"]),
                with_ci(r["mean"], r["mean_ci"]),
                fmt(r["entropy"]),
                collapsed,
                failed,
                *[fmt(r["metrics"].get(m)) for m in results["suite"]["metrics"]],
            ]
        )
    return out


def per_env_header(results: dict[str, Any]) -> list[str]:
    return ["agent", *[e["name"] for e in results["suite"]["envs"]]]


def per_env_rows(results: dict[str, Any]) -> list[list[str]]:
    """Mean score over seeds (and the mean raw return where scores are normalised)."""
    out = []
    for r in results["rows"]:
        cells = [r["label"]]
        for env in results["suite"]["envs"]:
            t = r["per_task"][env["name"]]
            norm = results["normalisation"][env["name"]]["normalised"]
            text = fmt(t["score"])
            if norm and t["return"] is not None:
                text += f" (return {fmt(t['return'])})"
            cells.append(text)
        out.append(cells)
    return out


def _type_order(kind: str) -> tuple[float, str]:
    try:
        return float(kind), kind
    except ValueError:
        return math.inf, kind


def by_type(results: dict[str, Any]) -> tuple[list[str], list[list[str]]] | None:
    """The per-stochasticity-type summary of a suite with typed envs (STORI, Control), or None.

    A cell is the agent's mean score over that type's envs (mean over seeds per env), followed by
    its robustness ``(xR)`` where the game's plain type-3.1 score is above random: the share of
    plain performance the agent keeps under that type (see :mod:`entropy_gym.scoring.robustness`).
    """
    from entropy_gym.scoring.robustness import PLAIN_TYPE, stori_tasks

    typed = stori_tasks({e["name"]: e["id"] for e in results["suite"]["envs"]})
    if not typed:
        return None
    kinds = sorted({kind for _, kind in typed.values()}, key=_type_order)
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
