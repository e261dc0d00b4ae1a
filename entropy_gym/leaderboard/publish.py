"""Write a leaderboard's files: ``leaderboards/<suite>/`` and the site."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from entropy_gym.leaderboard import atomic
from entropy_gym.leaderboard.build import build_results, select_rows
from entropy_gym.leaderboard.export import write_exports
from entropy_gym.leaderboard.markdown import to_markdown
from entropy_gym.leaderboard.plots import write_plots
from entropy_gym.leaderboard.rebuild import rebuild_results
from entropy_gym.leaderboard.site import write_site
from entropy_gym.runner.defaults import DEFAULT_LEADERBOARDS
from entropy_gym.runner.store import Row, Store
from entropy_gym.runner.suite import Suite

DEFAULT_ROOT = DEFAULT_LEADERBOARDS


def dumps(data: Any) -> str:
    """Stable JSON (NaN and infinities become null)."""
    return json.dumps(_finite(data), indent=1, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def cell_provenance(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Per-cell provenance with timings (``provenance.json``)."""
    out = []
    for row in sorted(rows, key=lambda r: r.key):
        result = row.result
        out.append(
            {
                "key": row.key,
                "label": row.cell.agent_label,
                "env": row.cell.env_name,
                "env_id": row.cell.env_id,
                "env_kwargs": dict(row.cell.env_kwargs),
                "env_spec": result.env.spec if result else None,
                "seed": row.cell.seed,
                "budget": row.cell.budget,
                "num_envs": row.cell.num_envs,
                "eval_episodes": row.cell.eval_episodes,
                "source": row.cell.source,
                "agent_config": dict(result.agent.config)
                if result and result.agent.config
                else dict(row.cell.agent_config),
                "agent_config_hash": result.agent.config_hash if result else None,
                "status": row.status,
                "reason": row.reason,
                "wall_time_s": row.wall_time_s,
                "timing": result.timing.to_dict() if result else None,
                "finished_at": row.finished_at,
                **row.provenance,
            }
        )
    return out


def publish(suite: Suite, rows: Sequence[Row], root: str | Path = DEFAULT_ROOT) -> dict[str, Any]:
    """Build the leaderboard from ``rows`` and write ``results.json``, ``leaderboard.md``,
    ``provenance.json``, the CSV exports and the plots to ``<root>/<suite>/``, then rebuild
    the site."""
    provenance = scrub_paths(cell_provenance(rows))
    return write_board(build_results(suite, rows), Path(root), provenance)


def write_board(
    results: dict[str, Any], root: Path, provenance: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """Write a built board into ``<root>/<suite>/`` (``provenance``: its ``provenance.json``;
    ``None`` keeps the folder's own) and rebuild the site."""
    out = root / results["suite"]["name"]
    out.mkdir(parents=True, exist_ok=True)
    results = scrub_paths(results)
    results["plots"] = _write_plots(results, out)
    if provenance is not None:
        atomic.write_text(out / "provenance.json", dumps(provenance))
    elif (out / "provenance.json").is_file():
        provenance = json.loads((out / "provenance.json").read_text())
    write_exports(results, out, provenance)
    atomic.write_text(out / "leaderboard.md", to_markdown(results))
    atomic.write_text(out / "results.json", dumps(results))  # last: the board's own record
    write_site(root)
    return results


def _write_plots(results: dict[str, Any], out: Path) -> list[str]:
    """The plots, drawn into a scratch folder inside ``out`` and each moved over its old
    file at once; a plot the results no longer support is removed."""
    import shutil
    import tempfile

    before = {p.name for p in out.glob("*.svg")}
    scratch = Path(tempfile.mkdtemp(prefix=".plots-", dir=out))
    try:
        written = write_plots(results, scratch)
        for name in written:
            atomic.replace_file(scratch / name, out / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for name in before - set(written):
        if name in _PLOT_NAMES:
            (out / name).unlink(missing_ok=True)
    return written


#: File names :func:`~entropy_gym.leaderboard.plots.write_plots` may write.
_PLOT_NAMES = frozenset(
    {
        "aggregates.svg",
        "profile.svg",
        "entropy_return.svg",
        "entropy_trajectory.svg",
        "entropy_training.svg",
        "success_training.svg",
    }
)


def publish_from_results(
    suite: Suite, source: str | Path = DEFAULT_ROOT, root: str | Path = DEFAULT_ROOT
) -> dict[str, Any]:
    """Rebuild ``suite``'s board from ``<source>/<suite>/results.json`` (no store needed:
    :mod:`entropy_gym.leaderboard.rebuild`) and write it to ``<root>/<suite>/``, with the
    source's ``provenance.json``."""
    published = load_results(suite.name, source)
    folder = Path(source) / suite.name / "provenance.json"
    provenance = json.loads(folder.read_text()) if folder.is_file() else None
    return write_board(rebuild_results(suite, published), Path(root), provenance)


_ABSOLUTE = re.compile(r"(?<![\w.~])/(?:[^\s:'\"/]+/)+([^\s:'\"/]+)")


def scrub_paths(value: Any) -> Any:
    """``value`` with no local absolute path left in its strings: each becomes its file name
    (a submitted ``/home/me/x/agent.py:Agent`` reads ``agent.py:Agent``), whatever the working
    directory, so that a board does not depend on where it was built."""
    if isinstance(value, dict):
        return {k: scrub_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_paths(v) for v in value]
    if not isinstance(value, str) or "/" not in value:
        return value
    return _ABSOLUTE.sub(lambda m: m.group(1), value)


def publish_from_store(
    suite: Suite, store: Store, root: str | Path = DEFAULT_ROOT
) -> dict[str, Any]:
    return publish(suite, select_rows(store, suite), root)


def load_results(suite_name: str, root: str | Path = DEFAULT_ROOT) -> dict[str, Any]:
    """A published ``results.json``; ``FileNotFoundError`` names what to run."""
    path = Path(root) / suite_name / "results.json"
    if not path.is_file():
        import difflib

        published = sorted(
            p.parent.name for p in Path(root).glob("*/results.json") if p.parent.is_dir()
        )
        close = difflib.get_close_matches(suite_name, published, n=1)
        if close:
            hint = f"did you mean {close[0]!r}? (`entropy-gym show {close[0]}`)"
        elif published:
            hint = f"published boards: {', '.join(published)}"
        else:
            hint = "`entropy-gym suites` lists the suites to run"
        raise FileNotFoundError(f"no leaderboard at {path}; {hint}")
    return read_results(path)


#: The largest ``results.json`` read (bytes).
MAX_RESULTS_BYTES = 512 * 2**20


def read_results(path: str | Path) -> dict[str, Any]:
    """A ``results.json`` checked to be one (a JSON object with its suite, rows and cells);
    anything else is a one-line :class:`~entropy_gym.core.errors.ConfigError`."""
    from entropy_gym.core.errors import ConfigError

    path = Path(path)
    with open(path, "rb") as f:
        data = f.read(MAX_RESULTS_BYTES + 1)
    if len(data) > MAX_RESULTS_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_RESULTS_BYTES // 2**20} MiB")
    try:
        results = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is damaged: it is not UTF-8 text") from None
    except RecursionError:
        raise ConfigError(f"{path} is damaged: it is nested too deeply") from None
    except ValueError as err:
        raise ConfigError(f"{path} is damaged: not valid JSON ({err})") from None
    problem = results_problem(results)
    if problem:
        raise ConfigError(f"{path} is damaged: {problem}")
    return dict(results)


def results_problem(results: Any) -> str | None:
    """What makes ``results`` not a board's results (``None`` when it looks like one)."""
    if not isinstance(results, dict):
        return f"expected a JSON object, got {type(results).__name__}"
    suite = results.get("suite")
    if not isinstance(suite, dict) or not isinstance(suite.get("name"), str):
        return "it has no suite name ('suite.name')"
    for key in ("rows", "cells"):
        value = results.get(key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return f"'{key}' is missing or not a list of objects"
    for row in results["rows"]:
        if not isinstance(row.get("label"), str):
            return "a row has no label"
        missing = [k for k in ROW_KEYS if k not in row]
        if missing:
            return f"row {row['label']!r} has no {', '.join(repr(k) for k in missing)}"
    return None


#: What every row of a published board holds (what ``show`` and ``--check`` read first).
ROW_KEYS = ("rank", "iqm", "iqm_ci", "cells", "cells_failed")
