"""``entropy-gym show``: the leaderboard table in the terminal."""

from __future__ import annotations

from typing import Any

from entropy_gym.leaderboard import table
from entropy_gym.leaderboard.telemetry_budget import record_updates


def print_leaderboard(results: dict[str, Any]) -> None:
    """Print the table with rich (plain text when stdout is not a terminal)."""
    import sys

    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # the runner extra is not installed: a plain table does the job
        _print_plain(results)
        return

    # Off a terminal (pipes, CI logs) rich would wrap at 80 columns; print full rows instead.
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 220)
    s = results["suite"]
    grid = Table(title=f"{s['name']}: {s['description']}", title_justify="left")
    header = table.header(results)
    for i, name in enumerate(header):
        grid.add_column(name, justify="right" if i == 0 or i >= 3 else "left", overflow="fold")
    for row in table.rows(results):
        grid.add_row(*row)
    console.print(grid)
    console.print(f"{results['scores']['note'].capitalize()}.")
    console.print(table.protocol_line(results), markup=False)
    for note in [*table.notes(results), table.random_note(results)]:
        if note:
            console.print(note, markup=False)
    typed = table.by_type(results)
    if typed:
        grid = Table(title="By stochasticity type", title_justify="left")
        for i, name in enumerate(typed[0]):
            grid.add_column(name, justify="left" if i == 0 else "right")
        for row in typed[1]:
            grid.add_row(*row)
        console.print(grid)
        console.print(table.BY_TYPE_NOTE)
    transfer = table.type_transfer(results)
    if transfer:
        grid = Table(title=table.TYPE_TRANSFER_TITLE, title_justify="left")
        for i, name in enumerate(transfer[0]):
            grid.add_column(name, justify="left" if i in (0, 4) else "right")
        for row in transfer[1]:
            grid.add_row(*row)
        console.print(grid)
        console.print(table.type_transfer_note(results), markup=False)
    groups = table.failure_groups(results)
    if groups:
        console.print(f"[red]{sum(len(c) for _, _, c in groups)} failed cells:[/red]")
        for label, reason, cells in groups[:20]:
            console.print(f"  {label}, {len(cells)} cells: {reason}", markup=False)


def _print_plain(results: dict[str, Any]) -> None:
    rows, header = table.rows(results), table.header(results)
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    print(f"{results['suite']['name']}: {results['suite']['description']}")
    for line in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip())
    print(f"{results['scores']['note'].capitalize()}.")
    print(table.protocol_line(results))
    for note in [*table.notes(results), table.random_note(results)]:
        if note:
            print(note)
    typed = table.by_type(results)
    if typed:
        _plain_table("By stochasticity type", *typed)
        print(table.BY_TYPE_NOTE)
    transfer = table.type_transfer(results)
    if transfer:
        _plain_table(table.TYPE_TRANSFER_TITLE, *transfer)
        print(table.type_transfer_note(results))
    for label, reason, cells in table.failure_groups(results)[:20]:
        print(f"  failed: {label}, {len(cells)} cells: {reason}")


def _plain_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    print(title)
    for line in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip())


def telemetry_tables(
    results: dict[str, Any], label: str, env: str | None = None, seed: int | None = None
) -> list[tuple[str, list[str], list[list[str]]]]:
    """Per-update telemetry of one agent of a board as ``(title, header, rows)`` tables: one
    cell's records where ``seed`` is given, else per env the mean over its seeds at each
    update (over the seeds that kept it, where the board thinned them:
    :mod:`~entropy_gym.leaderboard.telemetry_budget`). A one-line :class:`ConfigError` names
    what does not exist."""
    from entropy_gym.core.errors import ConfigError

    labels = [r["label"] for r in results["rows"]]
    if label not in labels:
        raise ConfigError(
            f"no agent {label!r} on board {results['suite']['name']!r}; agents: {', '.join(labels)}"
        )
    envs = [e["name"] for e in results["suite"]["envs"]]
    if env is not None:
        matches = [e for e in results["suite"]["envs"] if env in (e["name"], e["id"])]
        if not matches:
            raise ConfigError(
                f"no env {env!r} on board {results['suite']['name']!r}; envs: {', '.join(envs)}"
            )
        envs = [matches[0]["name"]]
    cells = sorted(
        (
            c
            for c in results["cells"]
            if c["label"] == label and c["env"] in envs and (seed is None or c["seed"] == seed)
        ),
        key=lambda c: c["seed"],
    )
    if seed is not None and not cells:
        raise ConfigError(
            f"no cell of {label!r} with seed {seed} on board {results['suite']['name']!r}"
        )
    if not any(c.get("telemetry") for c in results["cells"]):
        name = results["suite"]["name"]
        raise ConfigError(
            f"board {name!r} holds no per-update telemetry (published before results.json "
            f"kept it, or no agent logged any); `entropy-gym run {name}` records it"
        )
    out = []
    for name in envs:
        mine = [c for c in cells if c["env"] == name and c.get("telemetry")]
        if not mine:
            continue
        keys: list[str] = []
        for c in mine:
            for record in c["telemetry"]:
                keys.extend(k for k in record if k not in keys)
        keys.sort(key=lambda k: (k != "step", "/" in k, k))
        by_update: dict[int, list[dict[str, Any]]] = {}
        for c in mine:
            for update, record in zip(record_updates(c), c["telemetry"], strict=True):
                by_update.setdefault(update, []).append(record)
        body = []
        for update, records in sorted(by_update.items()):
            values = []
            for k in keys:
                present = [r[k] for r in records if r.get(k) is not None]
                values.append(table.fmt(sum(present) / len(present)) if present else "-")
            body.append([str(update), *values])
        seeds = ", ".join(str(c["seed"]) for c in mine)
        what = f"seed {seeds}" if seed is not None else f"mean over seeds {seeds}"
        out.append((f"{label} on {name} ({what})", ["update", *keys], body))
    if not out:
        raise ConfigError(
            f"{label!r} logged no per-update telemetry on board {results['suite']['name']!r}"
        )
    return out


def print_telemetry(
    results: dict[str, Any], label: str, env: str | None = None, seed: int | None = None
) -> None:
    """Print :func:`telemetry_tables` as plain text."""
    for title, head, body in telemetry_tables(results, label, env, seed):
        widths = [max(len(x) for x in col) for col in zip(head, *body)]
        print(title)
        for line in [head, ["-" * w for w in widths], *body]:
            print("  ".join(x.rjust(w) for x, w in zip(line, widths)).rstrip())
        print()
