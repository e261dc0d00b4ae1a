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
    return ["rank", "agent", "intervention", "IQM [95% CI]", "mean [95% CI]", "entropy (nats)",
            "collapsed", "cells failed", *results["suite"]["metrics"]]


def rows(results: dict[str, Any]) -> list[list[str]]:
    out = []
    for r in results["rows"]:
        failed = f"{r['cells_failed']}/{r['cells']}"
        if r["cells_missing"]:
            failed += f" ({r['cells_missing']} missing)"
        collapsed = f"{r['collapsed']}/{r['collapse_known']}" if r["collapse_known"] else "-"
        out.append([
            str(r["rank"]) if r["rank"] is not None else "-",
            r["label"], r["intervention"],
            with_ci(r["iqm"], r["iqm_ci"]), with_ci(r["mean"], r["mean_ci"]),
            fmt(r["entropy"]), collapsed, failed,
            *[fmt(r["metrics"].get(m)) for m in results["suite"]["metrics"]],
        ])
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


def failures(results: dict[str, Any]) -> list[str]:
    return [f"{c['label']} on {c['env']} seed {c['seed']}: {c['reason']}"
            for c in results["cells"] if c["status"] == "failed"]


def protocol_line(results: dict[str, Any]) -> str:
    s = results["suite"]
    budget = ", ".join(f"{k}={v}" for k, v in (s["budget"] or {}).items()) or "none (no training)"
    return (f"{len(s['envs'])} envs x {len(s['seeds'])} seeds, {s['eval_episodes']} evaluation episodes "
            f"per cell on {s['num_envs']} vector envs, training budget {budget}; IQM and mean over "
            f"seeds x envs with {int(s['confidence'] * 100)}% stratified bootstrap CIs "
            f"({s['bootstrap_reps']} replications, seeds resampled within each env).")
