"""Leaderboard plots as SVG files (small, crisp, and byte-identical for the same results:
no dates in the metadata, a fixed hash salt, text drawn as paths)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

#: File name -> what it shows (the site's captions).
PLOTS = {
    "aggregates.svg": "IQM and mean score with 95% stratified bootstrap confidence intervals",
    "profile.svg": "Performance profile: fraction of runs (seed x env) scoring above tau, with 95% CIs",
    "entropy_return.svg": "Mean action entropy vs mean return per cell, with the fit R = -a exp(H) + b per env (each panel one kind of entropy: its axis label)",
    "entropy_trajectory.svg": "Evaluation action entropy by decision index within an episode (mean over cells)",
    "entropy_training.svg": "Policy entropy over training updates (mean over cells)",
}
MAX_PANELS = 12


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as err:
        from entropy_gym.agents.base import ConfigError

        raise ConfigError(
            f"leaderboard plots need matplotlib ({err}); "
            "install it with: pip install 'entropy-gym[stats]'"
        ) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _style() -> dict[str, Any]:
    return {
        "svg.hashsalt": "entropy-gym",
        "svg.fonttype": "path",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
    }


def _colors(labels: list[str]) -> dict[str, Any]:
    plt = _pyplot()
    cmap = plt.get_cmap("tab10")
    return {label: cmap(i % 10) for i, label in enumerate(labels)}


def _save(fig: Any, path: Path) -> None:
    fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    _pyplot().close(fig)


def write_plots(results: dict[str, Any], out: Path) -> list[str]:
    """Write every plot the results support into ``out``; returns the file names written."""
    written = []
    with _pyplot().rc_context(_style()):
        for name, draw in (
            ("aggregates.svg", _aggregates),
            ("profile.svg", _profile),
            ("entropy_return.svg", _entropy_return),
            ("entropy_trajectory.svg", _entropy_trajectory),
            ("entropy_training.svg", _entropy_training),
            ("success_training.svg", _success_training),
        ):
            fig = draw(results)
            path = out / name
            if fig is None:
                path.unlink(missing_ok=True)
                continue
            _save(fig, path)
            written.append(name)
    return written


def _scored(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in results["rows"] if r["iqm"] is not None]


def _aggregates(results: dict[str, Any]) -> Any:
    rows = _scored(results)
    if not rows:
        return None
    plt = _pyplot()
    colors = _colors([r["label"] for r in results["rows"]])
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 0.8 + 0.4 * len(rows)), sharey=True)
    ys = np.arange(len(rows))[::-1]
    for ax, (stat, title) in zip(axes, (("iqm", "IQM"), ("mean", "Mean"))):
        for y, row in zip(ys, rows):
            lo, hi = row[f"{stat}_ci"]
            ax.plot(
                [lo, hi],
                [y, y],
                color=colors[row["label"]],
                linewidth=6,
                alpha=0.6,
                solid_capstyle="butt",
            )
            ax.plot([row[stat]], [y], marker="|", color="black", markersize=12)
        ax.set_title(title)
        ax.set_xlabel(results["scores"]["kind"] + " score")
        ax.grid(axis="y", visible=False)
        ax.locator_params(axis="x", nbins=4)  # few, legible ticks on each half
    axes[0].set_yticks(ys, [r["label"] for r in rows])
    axes[0].set_ylim(-0.7, len(rows) - 0.3)
    return fig


def _profile(results: dict[str, Any]) -> Any:
    profiles = results.get("profiles")
    if not profiles:
        return None
    plt = _pyplot()
    colors = _colors([r["label"] for r in results["rows"]])
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for label, prof in profiles.items():
        tau = np.asarray(prof["tau"])
        ax.plot(tau, prof["fraction"], color=colors[label], label=label)
        ax.fill_between(
            tau, prof["lower"], prof["upper"], color=colors[label], alpha=0.2, linewidth=0
        )
    ax.set_xlabel(f"{results['scores']['kind']} score tau")
    ax.set_ylabel("fraction of runs with score > tau")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="best", frameon=False)
    return fig


def _grid(n: int) -> tuple[int, int]:
    cols = min(3, n)
    return math.ceil(n / cols), cols


def _panels(results: dict[str, Any], keep: Any) -> list[str]:
    tasks = [e["name"] for e in results["suite"]["envs"]]
    return [t for t in tasks if keep(t)][:MAX_PANELS]


def _entropy_return(results: dict[str, Any]) -> Any:
    cells = [c for c in results["cells"] if c["status"] == "ok" and c["entropy"] is not None]
    tasks = _panels(results, lambda t: any(c["env"] == t for c in cells))
    if not tasks:
        return None
    plt = _pyplot()
    colors = _colors([r["label"] for r in results["rows"]])
    nrows, ncols = _grid(len(tasks))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.8 * nrows), squeeze=False)
    headers = {c["key"]: c["header"] for c in results.get("entropy_columns") or []}
    for ax, task in zip(axes.ravel(), tasks):
        mine = [c for c in cells if c["env"] == task]
        column = (results["fits"].get(task) or {}).get("column")
        if column is not None:  # one kind of entropy per panel: the env's fitted column
            mine = [c for c in mine if _column(c) == column]
        for label in dict.fromkeys(c["label"] for c in mine):
            pts = [(c["entropy"], c["return"]) for c in mine if c["label"] == label]
            ax.scatter(
                [p[0] for p in pts], [p[1] for p in pts], s=14, color=colors[label], label=label
            )
        fit = (results["fits"].get(task) or {}).get("fit")
        if fit:
            hs = np.array([c["entropy"] for c in mine])
            grid = np.linspace(hs.min(), hs.max(), 50)
            ax.plot(
                grid,
                -fit["a"] * np.exp(grid) + fit["b"],
                color="black",
                linewidth=1,
                label=f"fit a={fit['a']:.3g}, b={fit['b']:.3g}",
            )
        ax.set_title(task, fontsize=8)
        ax.set_xlabel(headers.get(column, "mean action entropy H (nats)"))
        ax.set_ylabel("mean return R")
    for ax in axes.ravel()[len(tasks) :]:
        ax.set_visible(False)
    handles, names = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(
        handles,
        names,
        loc="lower center",
        ncol=min(4, len(names)),
        frameon=False,
        bbox_to_anchor=(0.5, -0.02 - 0.03 * math.ceil(len(names) / 4)),
    )
    fig.tight_layout()
    return fig


def _column(cell: dict[str, Any]) -> str | None:
    kind = cell.get("entropy_kind")
    return f"{kind['kind']}/{kind['distribution']}" if kind else None


def _trajectory_figure(
    results: dict[str, Any], key: str, xlabel: str, ylabel: str = "entropy (nats)"
) -> Any:
    rows = results["rows"]
    tasks = _panels(results, lambda t: any(r["per_task"][t].get(key) for r in rows))
    if not tasks:
        return None
    plt = _pyplot()
    colors = _colors([r["label"] for r in rows])
    nrows, ncols = _grid(len(tasks))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.6 * nrows), squeeze=False)
    for ax, task in zip(axes.ravel(), tasks):
        for row in rows:
            traj = row["per_task"][task].get(key)
            if traj:
                ax.plot(
                    np.arange(len(traj)),
                    traj,
                    color=colors[row["label"]],
                    label=row["label"],
                    linewidth=1,
                )
        ax.set_title(task, fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    for ax in axes.ravel()[len(tasks) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(loc="best", frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def _entropy_trajectory(results: dict[str, Any]) -> Any:
    return _trajectory_figure(results, "entropy_by_step", "decision index in episode")


def _entropy_training(results: dict[str, Any]) -> Any:
    return _trajectory_figure(results, "entropy_training", "training update")


def _success_training(results: dict[str, Any]) -> Any:
    return _trajectory_figure(
        results, "success_training", "training update", "success of the update's samples"
    )
