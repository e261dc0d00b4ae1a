"""The per-cell budget on the telemetry a published board keeps.

A board's ``results.json`` and ``telemetry.csv`` keep at most :data:`TELEMETRY_BUDGET`
records of each cell's per-update telemetry; the result store keeps every record, and
``entropy-gym export SUITE --store STORE --to DIR`` writes them all. A cell that logged more
keeps (:func:`kept_updates`):

* its first and its last record;
* every record that carries a key most of its records lack (``llm_grpo``'s ``heldout_*``
  evaluation, logged at the start, every ``eval_every`` updates and at the end), while they
  fit; more of them than the budget holds are thinned evenly among themselves;
* records evenly spaced between those, to fill the budget (each gap between kept records
  gets a share in proportion to its length).

A cell within the budget is kept whole, so thinning twice gives what thinning once gave, and
a rebuild from ``results.json`` (:mod:`entropy_gym.leaderboard.rebuild`) gives the same board.
A thinned cell entry says which updates it kept (``telemetry_updates``, the index of each
kept record among all the cell logged) and how many it logged (``telemetry_logged``); a
cell kept whole has neither. What the board shows from telemetry (each row's mean
``entropy_training`` and ``success_training``, the collapse flags, the per-cell fits, the
plots) is computed from every record when the board is built from the store, and a rebuild
reads those from ``results.json``, never from the thinned records.

Why 32: an ``llm_grpo`` cell of 1,000 updates evaluated every 50 carries 21 evaluation
records, which 32 keeps with 11 training records between them; a 200-update cell keeps its 5
evaluations and 27 records about every 7 updates. Such a record (about 40 keys) costs about
0.9 KB of ``results.json`` and 0.4 KB of ``telemetry.csv``, so a cell costs about 30 KB and
14 KB at most (measured on a 9-cell pilot board of 200-update cells: 1.56 MB and 735 KB
became 306 KB and 123 KB): a 330-cell board about 10 MB and 4.5 MB instead of 57 MB and
27 MB for 200 updates a cell, and no more for 1,000.

The values are written at full precision. Six significant digits would save about 15% of
``results.json`` and 30% of ``telemetry.csv`` for such cells (key names and layout dominate
the JSON), not half, and would give up the CSV's promise that a value reads back to the float
the agent logged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

#: The most telemetry records a published board keeps of one cell (module docstring).
TELEMETRY_BUDGET = 32
#: A thinned cell entry's update index of each kept record.
UPDATES_KEY = "telemetry_updates"
#: A thinned cell entry's number of records logged.
LOGGED_KEY = "telemetry_logged"


def _spread(candidates: Sequence[int], count: int) -> list[int]:
    """``count`` of ``candidates`` (``count <= len(candidates)``), one from the middle of
    each of ``count`` equal stretches."""
    m = len(candidates)
    return [candidates[(2 * j + 1) * m // (2 * count)] for j in range(count)]


def kept_updates(records: Sequence[Mapping[str, Any]], budget: int | None = None) -> list[int]:
    """The indices of the records a published board keeps, ascending (module docstring;
    ``budget``: :data:`TELEMETRY_BUDGET` unless given)."""
    budget = TELEMETRY_BUDGET if budget is None else budget
    if budget < 2:
        raise ValueError(f"a telemetry budget keeps at least 2 records, got {budget}")
    n = len(records)
    if n <= budget:
        return list(range(n))
    counts = Counter(k for r in records for k in r)
    rare = {k for k, c in counts.items() if 2 * c < n}
    inner = range(1, n - 1)
    marked = [i for i in inner if not rare.isdisjoint(records[i])]
    if len(marked) > budget - 2:
        return sorted([0, n - 1, *_spread(marked, budget - 2)])
    return _fill(sorted({0, n - 1, *marked}), budget)


def _fill(anchors: list[int], budget: int) -> list[int]:
    """``anchors`` (ascending indices) and ``budget - len(anchors)`` indices between them,
    shared among the gaps in proportion to their lengths (D'Hondt) and evenly spaced within
    each."""
    gaps = list(pairwise(anchors))
    shares = [0] * len(gaps)
    for _ in range(budget - len(anchors)):
        open_ = [g for g, (a, b) in enumerate(gaps) if shares[g] < b - a - 1]
        best = max(open_, key=lambda g: ((gaps[g][1] - gaps[g][0]) / (shares[g] + 1), -g))
        shares[best] += 1
    out = list(anchors)
    for (a, b), k in zip(gaps, shares):
        out += [a + (2 * (j + 1) * (b - a) + k + 1) // (2 * (k + 1)) for j in range(k)]
    return sorted(out)


def published_telemetry(
    records: Sequence[Mapping[str, Any]], budget: int | None = None
) -> dict[str, Any]:
    """A cell entry's telemetry fields for ``records``: ``telemetry`` alone where they fit
    the budget, else the kept records with their updates and the number logged."""
    kept = kept_updates(records, budget)
    out: dict[str, Any] = {"telemetry": [dict(records[i]) for i in kept]}
    if len(kept) < len(records):
        out[UPDATES_KEY] = kept
        out[LOGGED_KEY] = len(records)
    return out


def budget_cell(cell: dict[str, Any], budget: int | None = None) -> None:
    """Thin a cell entry's telemetry to the budget in place (a cell of a board published
    before the budget, or under a larger one); an entry within it is left as it is."""
    records = cell.get("telemetry") or []
    if len(records) <= (TELEMETRY_BUDGET if budget is None else budget):
        return
    updates = record_updates(cell)
    logged = cell.get(LOGGED_KEY, len(records))
    fields = published_telemetry(records, budget)
    cell["telemetry"] = fields["telemetry"]
    cell[UPDATES_KEY] = [updates[i] for i in fields[UPDATES_KEY]]
    cell[LOGGED_KEY] = logged


def record_updates(cell: Mapping[str, Any]) -> list[int]:
    """The update index (among all the cell logged) of each telemetry record a cell entry
    holds."""
    records = cell.get("telemetry") or []
    updates = cell.get(UPDATES_KEY)
    return list(range(len(records))) if updates is None else [int(u) for u in updates]


def with_full_telemetry(results: dict[str, Any], rows: Sequence[Any]) -> dict[str, Any]:
    """``results`` (built from ``rows``, stored rows) with every telemetry record of each
    cell in place of the kept ones, for ``entropy-gym export --store``."""
    by_key = {row.key: row for row in rows}
    for cell in results["cells"]:
        row = by_key.get(cell["key"])
        if row is not None and row.result is not None:
            cell["telemetry"] = [dict(r) for r in row.result.telemetry]
            cell.pop(UPDATES_KEY, None)
            cell.pop(LOGGED_KEY, None)
    return results


def budget_note(results: Mapping[str, Any]) -> str | None:
    """A line for the board saying that its telemetry was thinned and how to get all of it
    (``None`` where every cell was kept whole)."""
    logged = [c[LOGGED_KEY] for c in results["cells"] if c.get(LOGGED_KEY)]
    if not logged:
        return None
    name = results["suite"]["name"]
    kept = max(len(c["telemetry"]) for c in results["cells"] if c.get(LOGGED_KEY))
    return (
        f"{len(logged)} cells logged more than {kept} telemetry records (up to "
        f"{max(logged)}): `telemetry.csv` and `results.json` keep at most {kept} "
        "records of each (the first and last, every evaluation record, others evenly "
        "spaced; the board's trajectories, collapse flags and fits use every update); the "
        f"result store keeps them all: `entropy-gym export {name} --store STORE --to DIR` "
        "writes them."
    )
