"""Leaderboard plots as SVG files (small, crisp, and byte-identical for the same results:
no dates in the metadata, a fixed hash salt, text drawn as paths).

Rules every plot follows, whatever the board:

* each agent has one style (:func:`agent_styles`) on every plot: a colour of its own for up
  to :data:`PALETTE`'s 16 agents, with a marker and a line style as a second channel; the
  random agent is grey and dotted;
* legends sit outside the axes (below a grid of panels, right of a single plot), so they
  never cover data, ticks or axis labels;
* a panel is drawn only where it has something to show: a trajectory panel where some agent
  has at least :data:`MIN_TRAJECTORY_POINTS` points (a single-step task has one decision per
  episode, a one-update cell one training update); the envs left out are named on the figure;
* each entropy-return panel carries its own fit in its title, and a fit is drawn only where
  the panel's entropies span at least :data:`MIN_FIT_SPAN` nats (over a narrower range the
  points differ by little more than noise, and a curve through them says nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: File name -> what it shows (the site's captions).
PLOTS = {
    "aggregates.svg": "IQM and mean score with 95% stratified bootstrap confidence intervals",
    "profile.svg": "Performance profile: fraction of runs (seed x env) scoring above tau, with 95% CIs",
    "entropy_return.svg": "Mean action entropy vs mean return per cell, with the fit R = -a exp(H) + b per env in each panel's title (each panel one kind of entropy: its axis label); a fit is drawn where the env's entropies span at least 0.1 nats",
    "entropy_trajectory.svg": "Evaluation action entropy by decision index within an episode (mean over cells)",
    "entropy_training.svg": "Policy entropy over training updates (mean over cells)",
    "success_training.svg": "Success of each training update's own samples (mean over cells)",
}
MAX_PANELS = 12
#: The narrowest a figure of panels is (inches).
MIN_WIDTH = 6.0
#: A fit is drawn only where the panel's cell entropies span at least this many nats.
MIN_FIT_SPAN = 0.1
#: A trajectory panel is drawn only where some agent's trajectory has this many points.
MIN_TRAJECTORY_POINTS = 2

#: The agents' colours: matplotlib's tab10 without its grey (kept for the random agent), then
#: seven more, each picked as the colour farthest (CIEDE2000) from those before it and from
#: white, grey and black. Any two of the 16 are at least 16 apart (tab10's own closest pair,
#: red and brown), each at least 21 from the random agent's grey and 29 from the fits' black.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#3c4d03",
    "#0203e2",
    "#9e0168",
    "#137e6d",
    "#8f7303",
    "#8ab8fe",
    "#fe7b7c",
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")
RANDOM_LABEL = "random"
FIT_COLOR = "black"
_MUTED = "#5b6475"


@dataclass(frozen=True)
class Style:
    """How one agent is drawn: its colour, marker and line style."""

    color: str
    marker: str
    linestyle: str


def agent_styles(labels: Sequence[str]) -> dict[str, Style]:
    """A style per label, set by the labels' sorted order (not by rank): an agent keeps its
    style on every plot of a board and on every board with the same agents. The first 16
    labels get distinct colours; beyond, colours repeat with another marker and line style.
    ``random`` is grey with a dotted line."""
    out = {RANDOM_LABEL: Style("#7f7f7f", "x", ":")} if RANDOM_LABEL in labels else {}
    others = sorted({label for label in labels if label != RANDOM_LABEL})
    for i, label in enumerate(others):
        shift = i + i // len(PALETTE)  # a repeated colour comes with another marker
        out[label] = Style(
            PALETTE[i % len(PALETTE)],
            MARKERS[shift % len(MARKERS)],
            LINESTYLES[shift % len(LINESTYLES)],
        )
    return out


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as err:
        from entropy_gym.core.errors import ConfigError

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
        "legend.fontsize": 8,
        "legend.frameon": False,
    }


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


def _styles(results: dict[str, Any]) -> dict[str, Style]:
    return agent_styles([r["label"] for r in results["rows"]])


def _handle(style: Style, label: str, line: bool = True) -> Any:
    """A legend entry for an agent: its line (with markers) or, for scatter plots, its marker."""
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        color=style.color,
        marker=style.marker,
        linestyle=style.linestyle if line else "none",
        markersize=5,
        label=label,
    )


def _figure_legend(fig: Any, handles: list[Any], where: str = "lower center") -> None:
    """The figure's one legend, outside every panel (``constrained`` layout makes room)."""
    if not handles:
        return
    if where == "lower center":
        width_pt = fig.get_figwidth() * 72
        longest = max(len(h.get_label()) for h in handles)
        per_column = 5.0 * longest + 30  # 8 pt text, the handle and the gap
        ncol = max(1, min(len(handles), int(width_pt // per_column)))
        legend = fig.legend(handles=handles, loc="outside lower center", ncol=ncol)
    else:
        legend = fig.legend(handles=handles, loc="outside right upper")
    legend.set_gid("legend")


def _scored(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in results["rows"] if r["iqm"] is not None]


def _aggregates(results: dict[str, Any]) -> Any:
    rows = _scored(results)
    if not rows:
        return None
    plt = _pyplot()
    styles = _styles(results)
    fig, axes = plt.subplots(
        1, 2, figsize=(8.0, 0.8 + 0.4 * len(rows)), sharey=True, layout="constrained"
    )
    ys = np.arange(len(rows))[::-1]
    for ax, (stat, title) in zip(axes, (("iqm", "IQM"), ("mean", "Mean"))):
        for y, row in zip(ys, rows):
            lo, hi = row[f"{stat}_ci"]
            ax.plot(
                [lo, hi],
                [y, y],
                color=styles[row["label"]].color,
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
    styles = _styles(results)
    fig, ax = plt.subplots(figsize=(6.0, 3.6), layout="constrained")
    order = [r["label"] for r in results["rows"] if r["label"] in profiles]
    band = 0.2 if len(order) <= 4 else 0.1  # many overlapping bands: lighter
    for label in order:
        prof, style = profiles[label], styles[label]
        tau = np.asarray(prof["tau"])
        ax.plot(
            tau,
            prof["fraction"],
            color=style.color,
            linestyle=style.linestyle,
            marker=style.marker,
            markersize=4,
            markevery=_markevery(len(tau)),
            linewidth=1.2,
        )
        ax.fill_between(
            tau, prof["lower"], prof["upper"], color=style.color, alpha=band, linewidth=0
        )
    ax.set_xlabel(f"{results['scores']['kind']} score tau")
    ax.set_ylabel("fraction of runs with score > tau")
    ax.set_ylim(-0.02, 1.02)
    _figure_legend(fig, [_handle(styles[label], label) for label in order], "right")
    return fig


def _markevery(points: int) -> int:
    """About six markers on a line (markers tell agents apart where colours are close)."""
    return max(1, points // 6)


def _grid(n: int) -> tuple[int, int]:
    cols = min(3, n)
    return math.ceil(n / cols), cols


def _panels(results: dict[str, Any], keep: Any) -> tuple[list[str], list[str]]:
    """The envs to draw (those ``keep`` accepts, at most :data:`MAX_PANELS`), and the others."""
    tasks = [e["name"] for e in results["suite"]["envs"]]
    kept = [t for t in tasks if keep(t)]
    return kept[:MAX_PANELS], [t for t in tasks if t not in kept[:MAX_PANELS]]


def _note(fig: Any, lines: list[str]) -> None:
    """Lines above the panels saying what the figure leaves out (wrapped to its width)."""
    import textwrap

    width = max(40, int(fig.get_figwidth() * 72 / 4.6))  # 8 pt characters per line
    text = "\n".join(textwrap.fill(line, width) for line in lines)
    fig.suptitle(text, fontsize=8, color=_MUTED).set_gid("note")


def _subplots(n: int, height: float) -> tuple[Any, Any]:
    """A grid of ``n`` panels (three a row), at least :data:`MIN_WIDTH` inches wide so that a
    lone panel has room for its labels and the legend."""
    nrows, ncols = _grid(n)
    return _pyplot().subplots(
        nrows,
        ncols,
        figsize=(max(MIN_WIDTH, 3.6 * ncols), height * nrows),
        squeeze=False,
        layout="constrained",
    )


def _entropy_return(results: dict[str, Any]) -> Any:
    cells = [c for c in results["cells"] if c["status"] == "ok" and c["entropy"] is not None]
    tasks, _ = _panels(results, lambda t: any(c["env"] == t for c in cells))
    if not tasks:
        return None
    styles = _styles(results)
    fig, axes = _subplots(len(tasks), 3.0)
    headers = {c["key"]: c["header"] for c in results.get("entropy_columns") or []}
    drawn: set[str] = set()
    fitted = False
    for ax, task in zip(axes.ravel(), tasks):
        mine = [c for c in cells if c["env"] == task]
        column = (results["fits"].get(task) or {}).get("column")
        if column is not None:  # one kind of entropy per panel: the env's fitted column
            mine = [c for c in mine if _column(c) == column]
        for label in dict.fromkeys(c["label"] for c in mine):
            pts = [(c["entropy"], c["return"]) for c in mine if c["label"] == label]
            style = styles[label]
            ax.scatter(
                [p[0] for p in pts],
                [p[1] for p in pts],
                s=16,
                color=style.color,
                marker=style.marker,
                linewidths=1.0 if style.marker in ("x", "+") else 0.0,
            )
            drawn.add(label)
        hs = np.array([c["entropy"] for c in mine])
        fit = (results["fits"].get(task) or {}).get("fit")
        ax.set_title(f"{task}\n{_fit_text(fit, hs)}", fontsize=8)
        if fit and np.ptp(hs) >= MIN_FIT_SPAN:
            grid = np.linspace(hs.min(), hs.max(), 50)
            ax.plot(grid, -fit["a"] * np.exp(grid) + fit["b"], color=FIT_COLOR, linewidth=1)
            fitted = True
        ax.set_xlabel(headers.get(column, "mean action entropy H (nats)"))
        ax.set_ylabel("mean return R")
        ax.locator_params(axis="x", nbins=5)  # narrow entropy ranges have long tick labels
    for ax in axes.ravel()[len(tasks) :]:
        ax.set_visible(False)
    handles = [_handle(styles[r["label"]], r["label"], False) for r in results["rows"]]
    handles = [h for h in handles if h.get_label() in drawn]
    if fitted:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color=FIT_COLOR, linewidth=1, label="fit R = -a exp(H) + b"))
    _figure_legend(fig, handles)
    return fig


def _fit_text(fit: dict[str, Any] | None, entropies: np.ndarray) -> str:
    """A panel's own fit, or why it has none drawn."""
    span = float(np.ptp(entropies)) if entropies.size else 0.0
    if not fit:
        return "no fit (fewer than 3 cells or one entropy)"
    if span < MIN_FIT_SPAN:
        return f"no fit drawn: entropies span {span:.2g} nats (< {MIN_FIT_SPAN})"
    r2 = "" if fit.get("r2") is None else f", R²={fit['r2']:.2f}"
    return f"fit a={fit['a']:.3g}, b={fit['b']:.3g}{r2}"


def _column(cell: dict[str, Any]) -> str | None:
    kind = cell.get("entropy_kind")
    return f"{kind['kind']}/{kind['distribution']}" if kind else None


def _trajectory_figure(
    results: dict[str, Any],
    key: str,
    xlabel: str,
    unit: str,
    ylabel: str = "entropy (nats)",
    first: int = 0,
) -> Any:
    """One panel per env where some agent's ``key`` trajectory has at least two points (a
    line); envs whose trajectories are single points (``unit``: what one point is) are named
    above the panels instead of drawn empty. Points are numbered from ``first``."""
    from matplotlib.ticker import MaxNLocator

    rows = results["rows"]

    def points(task: str) -> int:
        return max((len(r["per_task"][task].get(key) or []) for r in rows), default=0)

    tasks, skipped = _panels(results, lambda t: points(t) >= MIN_TRAJECTORY_POINTS)
    if not tasks:
        return None
    styles = _styles(results)
    fig, axes = _subplots(len(tasks), 2.9)
    drawn: set[str] = set()
    for ax, task in zip(axes.ravel(), tasks):
        for row in rows:
            traj = row["per_task"][task].get(key)
            if traj:
                style = styles[row["label"]]
                ax.plot(
                    np.arange(first, first + len(traj)),
                    traj,
                    color=style.color,
                    linestyle=style.linestyle,
                    marker=style.marker,
                    markersize=3.5,
                    markevery=_markevery(len(traj)),
                    linewidth=1,
                )
                drawn.add(row["label"])
        ax.set_title(task, fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    for ax in axes.ravel()[len(tasks) :]:
        ax.set_visible(False)
    single = [t for t in skipped if points(t) == 1]
    beyond = [t for t in skipped if t not in single and points(t) >= MIN_TRAJECTORY_POINTS]
    notes = []
    if single:
        notes.append(f"Not drawn ({unit}): " + ", ".join(single))
    if beyond:
        notes.append(f"Not drawn (beyond {MAX_PANELS} panels): " + ", ".join(beyond))
    if notes:
        _note(fig, notes)
    _figure_legend(
        fig, [_handle(styles[r["label"]], r["label"]) for r in rows if r["label"] in drawn]
    )
    return fig


def _entropy_trajectory(results: dict[str, Any]) -> Any:
    return _trajectory_figure(
        results, "entropy_by_step", "decision index in episode", "one decision per episode"
    )


def _entropy_training(results: dict[str, Any]) -> Any:
    return _trajectory_figure(
        results, "entropy_training", "training update", "one training update per cell", first=1
    )


def _success_training(results: dict[str, Any]) -> Any:
    return _trajectory_figure(
        results,
        "success_training",
        "training update",
        "one training update per cell",
        "update success",
        first=1,
    )
