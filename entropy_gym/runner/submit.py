"""``entropy-gym submit FILE.py:Class --suite SUITE``: score a user's agent on a suite.

The user's code is never imported in the runner's process: the class is built and run only
inside cell processes, under the suite's time limit and a memory limit. Before any cell of the
submission runs, :func:`probe` plays it once on one env of each kind of action space in the
suite, in cell processes with a scratch store: a class that does not resolve, a config that
does not build, or an agent that fails on a space is refused with one line, and nothing is
stored or published. Later failures (an agent that raises, hangs or exhausts memory in some
cell) yield failed rows with the reason. Results are validated before they are stored, and the
leaderboard then shows the submission beside the suite's own agents.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from entropy_gym.core.errors import ConfigError
from entropy_gym.runner.cells import Cell, expand
from entropy_gym.runner.labels import label_problem, skeleton
from entropy_gym.runner.store import Store
from entropy_gym.runner.suite import AgentEntry, Suite

DEFAULT_MEMORY_LIMIT_MB = 8192


#: The largest agent file accepted (bytes).
MAX_AGENT_FILE_BYTES = 64 * 2**20


def read_agent_source(path: Path) -> bytes:
    """The agent file's bytes (a regular file of at most :data:`MAX_AGENT_FILE_BYTES`)."""
    with open(path, "rb") as f:
        data = f.read(MAX_AGENT_FILE_BYTES + 1)
    if len(data) > MAX_AGENT_FILE_BYTES:
        raise ConfigError(f"agent file {str(path)!r} is larger than 64 MiB")
    return data


def parse_reference(ref: str) -> tuple[Path, str]:
    """``(file, class name)`` of ``path/to/file.py:Class``, checked to exist."""
    if ":" not in ref:
        raise ConfigError(f"agent reference {ref!r} must look like 'path/to/file.py:Class'")
    where, cls = ref.rsplit(":", 1)
    if not where.endswith(".py") or not cls.isidentifier():
        raise ConfigError(f"agent reference {ref!r} must look like 'path/to/file.py:Class'")
    path = Path(where).expanduser()
    if not path.exists():
        raise ConfigError(f"agent file {where!r} does not exist")
    if not path.is_file():
        raise ConfigError(f"agent file {where!r} is not a regular file")
    return path, cls


def submission_cells(
    suite: Suite,
    ref: str,
    *,
    label: str | None = None,
    params: dict[str, Any] | None = None,
    time_limit_s: float | None = None,
    memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB,
) -> list[Cell]:
    """The cells that score ``ref`` on ``suite``'s envs and seeds.

    The agent config names the file by its absolute path; the cells also carry the file's
    sha256, so that changed code is a new submission rather than a resumed one.
    """
    from entropy_gym.runner.suite import control_character, limit

    path, cls = parse_reference(ref)
    source_hash = hashlib.sha256(read_agent_source(path)).hexdigest()
    if params and "name" in params:
        raise ConfigError("the agent's parameters may not set 'name': the agent is FILE.py:Class")
    config = {"name": f"{path.resolve()}:{cls}", **(params or {})}
    label = label or cls
    if len(label) > limit("label"):
        raise ConfigError(
            f"--label is {len(label)} characters; expected at most {limit('label')} "
            "(raise the limit with ENTROPY_GYM_LIMIT_LABEL)"
        )
    bad = control_character(label)
    if bad is not None or not label.strip():
        raise ConfigError(f"--label {label!a}: expected printable text without control characters")
    problem = label_problem(label)
    if problem:
        raise ConfigError(f"--label {label!a} cannot name a row: {problem}")
    taken = {skeleton(a.label): a.label for a in suite.agents}
    if skeleton(label) in taken:
        same = taken[skeleton(label)]
        what = "is already" if same == label else f"looks like {same!r},"
        raise ConfigError(f"label {label!r} {what} an agent of suite {suite.name!r}; pass --label")
    if time_limit_s is not None and not time_limit_s > 0:
        raise ConfigError(f"--time-limit must be > 0, got {time_limit_s}")
    if memory_limit_mb is not None and memory_limit_mb < 64:
        raise ConfigError(f"--memory-limit-mb must be >= 64, got {memory_limit_mb}")
    cells = expand(
        suite,
        [AgentEntry(label=label, config=config)],
        source="submit",
        memory_limit_mb=memory_limit_mb,
        time_limit_s=time_limit_s,
    )
    return [_with_extra(c, {"source_sha256": source_hash, "file": str(path)}) for c in cells]


def _with_extra(cell: Cell, extra: dict[str, Any]) -> Cell:
    data = cell.to_dict()
    data["extra"] = extra
    return Cell.from_dict(data)


def check_label(store: Store, suite: Suite, cells: list[Cell], *, replace: bool) -> int:
    """Refuse to mix two different submissions under one label, unless ``replace`` (then the
    earlier rows are deleted; returns how many)."""
    if not cells:
        return 0
    label = cells[0].agent_label
    mine = {c.key for c in cells}
    stale = [
        r
        for r in store.rows(suite.name, source="submit")
        if r.cell.agent_label == label and r.key not in mine
    ]
    if not stale:
        return 0
    if not replace:
        old = stale[0].cell
        raise ConfigError(
            f"label {label!r} already holds a different submission on suite {suite.name!r} "
            f"(config {json.dumps(dict(old.agent_config))}, source sha256 "
            f"{str(old.extra.get('source_sha256'))[:12]}); pass --replace to overwrite it or --label to keep both"
        )
    return store.delete(suite.name, [r.key for r in stale])


#: Seconds a probe may take; one that is still running then has shown no error and passes.
PROBE_TIME_S = 60.0


def probe_cells(suite: Suite, cells: list[Cell]) -> list[Cell]:
    """One cell of the submission per kind of action space in ``suite`` (its first seed, one
    episode, one env), to be played before the submission runs."""
    from entropy_gym.runner.evaluation import make_task

    chosen: dict[str, Cell] = {}
    for env in suite.envs:
        space = type(make_task(env.id, env.kwargs).action_space).__name__
        if space in chosen:
            continue
        cell = next(c for c in cells if c.env_name == env.name)
        data = cell.to_dict()
        data.update(eval_episodes=1, num_envs=1, time_limit_s=min(PROBE_TIME_S, cell.time_limit_s))
        if data.get("budget"):
            data["budget"] = {k: min(v, 256) for k, v in data["budget"].items()}
        chosen[space] = Cell.from_dict(data)
    return list(chosen.values())


def probe(
    suite: Suite, cells: list[Cell], *, protect: tuple[str, ...] = (), device: str = "auto"
) -> None:
    """Play :func:`probe_cells` in cell processes; raise :class:`ConfigError` with the first
    failure's reason (a probe still running at its time limit passes)."""
    import tempfile

    from entropy_gym.runner.run import run_cells

    probes = probe_cells(suite, cells)
    with tempfile.TemporaryDirectory(prefix="entropy-gym-probe-") as tmp:
        with Store(Path(tmp) / "probe.sqlite") as scratch:
            summary = run_cells(
                probes, scratch, workers=1, device=device, quiet=True, protect=protect
            )
    for outcome in summary.failed:
        if outcome.reason and outcome.reason.startswith("time limit of"):
            continue
        space = outcome.cell.env_name
        raise ConfigError(
            f"the submission fails before any of its cells ran, on {space}: {outcome.reason}"
        )
