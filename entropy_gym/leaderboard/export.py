"""Raw data out: a board's per-seed results and per-update telemetry as CSV (and TensorBoard).

Every published board folder holds, beside ``results.json``:

* ``cells.csv``: one line per cell (agent, env, seed) with its key, status and failure
  reason, mean return and score, entropy with its kind, distribution and basis, collapse
  flag, whether it learned and whether it ended at or below the random anchor, each episode
  metric (``metric:<name>``), and its provenance: package version, git commit, device,
  Python, platform, env backend and each library's version (``lib:<name>``).
* ``telemetry.csv``: one line per telemetry record of each cell (``update``: the record's
  index among all the cell logged, from 0), one column per telemetry key the board's agents
  logged (a key named like a leading column, such as ``llm_grpo``'s own ``update``, as
  ``telemetry:<key>``). A board keeps at most
  :data:`~entropy_gym.leaderboard.telemetry_budget.TELEMETRY_BUDGET` records of a cell
  (:mod:`~entropy_gym.leaderboard.telemetry_budget`); ``entropy-gym export --store`` writes
  every record from the result store.

Numbers are written as Python's ``repr``, which reads back to the same float; an empty field
is a value the cell does not have, ``nan`` one the agent logged as non-finite (``None`` in
``results.json``). :func:`read_cells` and :func:`read_telemetry` read the files back typed,
and a test checks that both round-trip exactly. :func:`write_tensorboard` writes the
telemetry as TensorBoard scalars, where a user asks for it (``entropy-gym export --tensorboard``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from entropy_gym.leaderboard.atomic import write_text
from entropy_gym.leaderboard.telemetry_budget import record_updates

CELLS_FILE = "cells.csv"
TELEMETRY_FILE = "telemetry.csv"

#: ``cells.csv``'s leading columns: (column, where in a cell entry, type).
CELL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("suite", "str"),
    ("key", "str"),
    ("label", "str"),
    ("agent", "str"),
    ("intervention", "str"),
    ("env", "str"),
    ("env_id", "str"),
    ("seed", "int"),
    ("status", "str"),
    ("reason", "str"),
    ("episodes", "int"),
    ("return", "float"),
    ("return_std", "float"),
    ("score", "float"),
    ("mean_length", "float"),
    ("entropy", "float"),
    ("entropy_kind", "str"),
    ("entropy_distribution", "str"),
    ("entropy_basis", "str"),
    ("collapsed", "bool"),
    ("collapse_source", "str"),
    ("learns", "bool"),
    ("broken", "bool"),
    ("config_hash", "str"),
)
PROVENANCE_COLUMNS: tuple[str, ...] = (
    "package_version",
    "git_commit",
    "git_dirty",
    "device",
    "python",
    "platform",
    "env_backend",
)
TELEMETRY_LEAD = ("suite", "key", "label", "env", "seed", "update")
#: The column of a telemetry key named like one of :data:`TELEMETRY_LEAD`.
KEY_PREFIX = "telemetry:"
NAN = "nan"


def _text(value: Any) -> str:
    """A value as a CSV field (module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _parse(text: str, kind: str) -> Any:
    if text == "":
        return None
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        return text == "true"
    return text


def _rows(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {r["label"]: r for r in results["rows"]}


def cell_records(
    results: Mapping[str, Any], provenance: Sequence[Mapping[str, Any]] | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """``cells.csv``'s header and one record per cell of a board (``provenance``: the
    board's ``provenance.json``, for the per-cell versions)."""
    rows = _rows(results)
    by_key = {p["key"]: p for p in provenance or []}
    metrics = sorted({m for c in results["cells"] for m in (c.get("metrics") or {})})
    libraries = sorted({lib for p in by_key.values() for lib in (p.get("libraries") or {})})
    header = [name for name, _ in CELL_COLUMNS]
    header += [f"metric:{m}" for m in metrics] + list(PROVENANCE_COLUMNS)
    header += [f"lib:{lib}" for lib in libraries]
    out = []
    for c in results["cells"]:
        row = rows.get(c["label"], {})
        kind = c.get("entropy_kind") or {}
        prov = by_key.get(c["key"], {})
        git = prov.get("git") or {}
        record: dict[str, Any] = {
            **{name: c.get(name) for name, _ in CELL_COLUMNS},
            "suite": results["suite"]["name"],
            "agent": row.get("agent"),
            "intervention": row.get("intervention"),
            "entropy_kind": kind.get("kind"),
            "entropy_distribution": kind.get("distribution"),
            "entropy_basis": kind.get("basis"),
        }
        record.update({f"metric:{m}": (c.get("metrics") or {}).get(m) for m in metrics})
        record.update(
            {
                "package_version": prov.get("package_version"),
                "git_commit": git.get("commit"),
                "git_dirty": git.get("dirty"),
                "device": prov.get("device"),
                "python": prov.get("python"),
                "platform": prov.get("platform"),
                "env_backend": prov.get("env_backend"),
            }
        )
        record.update({f"lib:{lib}": (prov.get("libraries") or {}).get(lib) for lib in libraries})
        out.append(record)
    return header, out


def _column(key: str) -> str:
    """A telemetry key's column in ``telemetry.csv``."""
    return KEY_PREFIX + key if key in TELEMETRY_LEAD else key


def _key(column: str) -> str:
    """The telemetry key of a ``telemetry.csv`` column (:func:`_column` undone)."""
    key = column.removeprefix(KEY_PREFIX)
    return key if key in TELEMETRY_LEAD else column


def telemetry_records(results: Mapping[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """``telemetry.csv``'s header and one record per (cell, kept update), oldest update
    first."""
    cells = [c for c in results["cells"] if c.get("telemetry")]
    keys: list[str] = []
    for c in cells:
        for record in c["telemetry"]:
            keys.extend(k for k in record if k not in keys)
    keys = sorted(keys, key=lambda k: (k != "step", "/" in k, k))
    out = []
    for c in cells:
        for update, record in zip(record_updates(c), c["telemetry"], strict=True):
            line: dict[str, Any] = {
                "suite": results["suite"]["name"],
                "key": c["key"],
                "label": c["label"],
                "env": c["env"],
                "seed": c["seed"],
                "update": update,
            }
            for k in keys:
                if k in record:
                    line[_column(k)] = NAN if record[k] is None else record[k]
            out.append(line)
    return [*TELEMETRY_LEAD, *(_column(k) for k in keys)], out


def to_csv(header: Sequence[str], records: Iterable[Mapping[str, Any]]) -> str:
    """CSV text (``\\n`` line ends, every field quoted only where it must be)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        writer.writerow([_text(record.get(h)) for h in header])
    return buffer.getvalue()


def write_exports(
    results: Mapping[str, Any], out: Path, provenance: Sequence[Mapping[str, Any]] | None
) -> list[str]:
    """Write ``cells.csv`` and (where any cell logged telemetry) ``telemetry.csv`` into
    ``out``; returns the file names written."""
    written = [CELLS_FILE]
    write_text(out / CELLS_FILE, to_csv(*cell_records(results, provenance)))
    header, records = telemetry_records(results)
    path = out / TELEMETRY_FILE
    if records:
        write_text(path, to_csv(header, records))
        written.append(TELEMETRY_FILE)
    else:
        path.unlink(missing_ok=True)
    return written


def read_cells(path: str | Path) -> list[dict[str, Any]]:
    """``cells.csv`` read back typed (numbers as floats or ints, flags as bools, empty as
    ``None``; metrics and library versions under their prefixed names)."""
    kinds = dict(CELL_COLUMNS) | {"git_dirty": "bool"}
    with open(path, newline="") as f:
        return [
            {
                k: _parse(v, kinds.get(k, "float" if k.startswith("metric:") else "str"))
                for k, v in line.items()
            }
            for line in csv.DictReader(f)
        ]


def read_telemetry(path: str | Path) -> dict[str, list[dict[str, float | None]]]:
    """``telemetry.csv`` read back: each cell key's records in update order, as in
    ``results.json`` (``nan`` is ``None``, an empty field a key the record does not have);
    the updates a cell kept are its lines' ``update`` column (:func:`read_updates`)."""
    out: dict[str, list[dict[str, float | None]]] = {}
    last: dict[str, int] = {}
    with open(path, newline="") as f:
        for line in csv.DictReader(f):
            record = {
                _key(k): (None if v == NAN else float(v))
                for k, v in line.items()
                if k not in TELEMETRY_LEAD and v != ""
            }
            update = int(line["update"])
            if update <= last.get(line["key"], -1):
                raise ValueError(f"{path}: cell {line['key']} updates are not in order")
            last[line["key"]] = update
            out.setdefault(line["key"], []).append(record)
    return out


def read_updates(path: str | Path) -> dict[str, list[int]]:
    """``telemetry.csv``'s ``update`` column per cell key, in file order."""
    out: dict[str, list[int]] = {}
    with open(path, newline="") as f:
        for line in csv.DictReader(f):
            out.setdefault(line["key"], []).append(int(line["update"]))
    return out


def _run_name(cell: Mapping[str, Any]) -> str:
    safe = re.compile(r"[^A-Za-z0-9_.+=-]+")
    return "/".join(
        safe.sub("_", str(p)) for p in (cell["label"], cell["env"], f"seed{cell['seed']}")
    )


def write_tensorboard(results: Mapping[str, Any], folder: str | Path) -> int:
    """Write each cell's telemetry as TensorBoard scalars (one run per cell,
    ``<label>/<env>/seed<seed>``, one tag per telemetry key, the update index as the step:
    the index among all the cell logged, where the board kept some)
    through ``torch.utils.tensorboard``; returns the number of runs written."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as err:
        from entropy_gym.core.errors import ConfigError

        raise ConfigError(
            f"TensorBoard export needs torch and tensorboard ({err}); install them with: "
            "pip install 'entropy-gym[sb3,tensorboard]'"
        ) from None
    runs = 0
    for cell in results["cells"]:
        if not cell.get("telemetry"):
            continue
        writer = SummaryWriter(log_dir=str(Path(folder) / _run_name(cell)))
        try:
            for update, record in zip(record_updates(cell), cell["telemetry"], strict=True):
                for key, value in record.items():
                    if value is not None:
                        writer.add_scalar(key, float(value), global_step=update)
            writer.add_text(
                "cell", json.dumps({k: cell[k] for k in ("key", "label", "env", "seed")})
            )
        finally:
            writer.close()
        runs += 1
    return runs
