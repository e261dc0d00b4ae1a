"""``entropy-gym show``: the leaderboard table in the terminal."""

from __future__ import annotations

from typing import Any

from entropy_gym.leaderboard import table


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
    console.print(table.protocol_line(results))
    if table.random_note(results):
        console.print(table.random_note(results), markup=False)
    typed = table.by_type(results)
    if typed:
        grid = Table(title="By stochasticity type", title_justify="left")
        for i, name in enumerate(typed[0]):
            grid.add_column(name, justify="left" if i == 0 else "right")
        for row in typed[1]:
            grid.add_row(*row)
        console.print(grid)
        console.print(table.BY_TYPE_NOTE)
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
    if table.random_note(results):
        print(table.random_note(results))
    typed = table.by_type(results)
    if typed:
        widths = [max(len(x) for x in col) for col in zip(typed[0], *typed[1])]
        print("By stochasticity type")
        for line in [typed[0], ["-" * w for w in widths], *typed[1]]:
            print("  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip())
        print(table.BY_TYPE_NOTE)
    for label, reason, cells in table.failure_groups(results)[:20]:
        print(f"  failed: {label}, {len(cells)} cells: {reason}")
