"""The leaderboard as Markdown (``leaderboards/<suite>/leaderboard.md``)."""

from __future__ import annotations

import re
from typing import Any

from entropy_gym.leaderboard import table
from entropy_gym.leaderboard.telemetry_budget import budget_note

#: Where an HTML tag, comment or declaration could start: text from a suite or a submission
#: (labels, descriptions, failure reasons) must not become markup when the board is rendered.
_MARKUP = re.compile(r"<(?=[A-Za-z/!?])")


def no_markup(text: str) -> str:
    """``text`` with every ``<`` that could open a tag written as ``&lt;``."""
    return _MARKUP.sub("&lt;", text)


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(esc(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return lines


def to_markdown(results: dict[str, Any]) -> str:
    s = results["suite"]
    lines = [
        f"# Leaderboard: {s['name']}",
        "",
        s["description"],
        "",
        f"{results['scores']['note'].capitalize()}. {table.protocol_line(results)}",
        "",
    ]
    lines += _md_table(table.header(results), table.rows(results))
    for note in [*table.notes(results), table.random_note(results)]:
        if note:
            lines += ["", note]
    lines += ["", f"## {table.PER_ENV_TITLE}", "", table.interval_note(results), ""]
    lines += _md_table(table.per_env_header(results), table.per_env_rows(results))
    metrics = table.per_env_metrics(results)
    if metrics:
        lines += ["", "## Metrics per env (mean over seeds, 95% CI)"]
        for env, header, rows in metrics:
            lines += ["", f"### {env}", "", *_md_table(header, rows)]
    typed = table.by_type(results)
    if typed:
        lines += ["", "## By stochasticity type", "", table.BY_TYPE_NOTE, ""]
        lines += _md_table(*typed)
    transfer_note = table.type_transfer_note(results)
    if transfer_note:
        lines += ["", f"## {table.TYPE_TRANSFER_TITLE}", "", transfer_note]
        transfer = table.type_transfer(results)
        if transfer:
            lines += ["", *_md_table(*transfer)]
    groups = table.failure_groups(results)
    if groups:
        lines += ["", "## Failed cells", ""] + [
            f"- {label}, {len(cells)} cell{'s' if len(cells) != 1 else ''}: {reason} "
            f"({', '.join(cells)})"
            for label, reason, cells in groups
        ]
    norms = [(env, n) for env, n in results["normalisation"].items() if n["normalised"]]
    if norms:
        lines += ["", "## Normalisation anchors", ""]
        lines += [
            f"- {env}: random {table.fmt(n['random'])}, reference {table.fmt(n['reference'])} "
            f"({n['source']})"
            for env, n in norms
        ]
    plots = results.get("plots") or []
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    lines += ["", "## Raw data", "", table.RAW_DATA_NOTE]
    thinned = budget_note(results)
    lines += ["", thinned] if thinned else []
    p = results["provenance"]
    lines += [
        "",
        "## Provenance",
        "",
        f"entropy-gym {', '.join(map(str, p['package_version']))}; git commit "
        f"{', '.join(str(c) for c in p['git_commit'])} (dirty: {', '.join(map(str, p['git_dirty']))}); "
        f"device {', '.join(map(str, p['device']))}; env backend "
        f"{', '.join(map(str, p.get('env_backend') or ['sync']))}; "
        f"python {', '.join(map(str, p['python']))}; "
        f"{', '.join(map(str, p['platform']))}. Per-cell provenance: `provenance.json`.",
        "",
    ]
    return no_markup("\n".join(lines))
