"""The result store: one SQLite file (WAL mode), one row and one transaction per finished cell.

Rows are keyed by ``(suite, cell key)``. A run that is killed loses at most the cells that
were still running; the same command started again skips every stored cell, and because the
leaderboard is a pure function of the stored rows, it ends where an uninterrupted run would.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entropy_gym.core.errors import ConfigError
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.defaults import default_store_path
from entropy_gym.runner.result import CellResult

#: Version 2 dropped the summary columns (mean return, mean entropy, episodes) that nothing
#: read; version 3 added ``retry`` (a failure that was not the agent's doing, run again on
#: resume). Older files are migrated in place when they are opened.
SCHEMA_VERSION = 3
_V1_ONLY_COLUMNS = ("mean_return", "mean_entropy", "episodes")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cells (
    suite         TEXT NOT NULL,
    cell_key      TEXT NOT NULL,
    source        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    reason        TEXT,
    agent_label   TEXT NOT NULL,
    agent_hash    TEXT NOT NULL,
    env_name      TEXT NOT NULL,
    env_id        TEXT NOT NULL,
    seed          INTEGER NOT NULL,
    protocol_key  TEXT NOT NULL,
    wall_time_s   REAL NOT NULL,
    finished_at   TEXT NOT NULL,
    cell          TEXT NOT NULL,
    result        TEXT,
    detail        TEXT,
    provenance    TEXT NOT NULL,
    retry         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (suite, cell_key)
);
CREATE INDEX IF NOT EXISTS cells_by_label ON cells (suite, agent_label);
"""


@dataclass(frozen=True)
class Row:
    """One stored cell."""

    cell: Cell
    status: str
    reason: str | None
    result: CellResult | None
    detail: str | None
    provenance: dict[str, Any]
    wall_time_s: float
    finished_at: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def key(self) -> str:
        return self.cell.key


class Store:
    """An open result store. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | Path | None = None) -> None:
        """Open (or create) the store at ``path`` (default: :func:`default_store_path`)."""
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        version = self._version()  # before anything is written: a foreign file stays as it is
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        if version is None:
            self.db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif version in ("1", "2"):
            self._migrate(int(version))

    def _version(self) -> str | None:
        """The file's schema version (``None`` for a new file); a version this code cannot
        read is a one-line :class:`ConfigError`."""
        has_meta = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        found = None
        if has_meta:
            found = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if found is None:
            return None
        version = str(found[0]).strip()
        if version not in ("1", "2", str(SCHEMA_VERSION)):
            self.db.close()
            raise ConfigError(
                f"{self.path} has store schema version {version[:20]!r}, which this version of "
                f"entropy-gym cannot read (it reads 1 to {SCHEMA_VERSION}); use another --store"
            )
        return version

    def _migrate(self, version: int) -> None:
        """Bring a version-1 or -2 file to this version; rows keep everything else."""
        with self.transaction():
            columns = {r[1] for r in self.db.execute("PRAGMA table_info(cells)")}
            for column in _V1_ONLY_COLUMNS:
                if column in columns:
                    self.db.execute(f"ALTER TABLE cells DROP COLUMN {column}")
            if "retry" not in columns:
                self.db.execute("ALTER TABLE cells ADD COLUMN retry INTEGER NOT NULL DEFAULT 0")
            self.db.execute(
                "UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),)
            )

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> None:
            self.db.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type: Any, *rest: Any) -> None:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")

    def transaction(self) -> Store._Tx:
        return Store._Tx(self.db)

    # -- writing -----------------------------------------------------------------------------
    def write(self, outcome: Any) -> None:
        """Store one finished cell (an :class:`~entropy_gym.runner.worker.Outcome`) in one
        transaction, replacing any earlier row of the same cell."""
        cell: Cell = outcome.cell
        result: CellResult | None = outcome.result if outcome.ok else None
        agent_hash = (result.agent.config_hash if result is not None else None) or _config_hash(
            cell
        )
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO cells (suite, cell_key, source, status, reason, agent_label, "
                "agent_hash, env_name, env_id, seed, protocol_key, wall_time_s, finished_at, cell, "
                "result, detail, provenance, retry) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    cell.suite,
                    cell.key,
                    cell.source,
                    outcome.status,
                    outcome.reason,
                    cell.agent_label,
                    agent_hash,
                    cell.env_name,
                    cell.env_id,
                    cell.seed,
                    cell.protocol_key,
                    float(outcome.wall_time_s),
                    time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    _dumps(cell.to_dict()),
                    _dumps(result.to_dict()) if result is not None else None,
                    outcome.detail,
                    _dumps(outcome.provenance),
                    int(bool(getattr(outcome, "retry", False))),
                ),
            )

    def delete(self, suite: str, keys: Iterable[str]) -> int:
        """Delete the rows of ``keys`` in ``suite`` (``submit --replace``); returns the count."""
        count = 0
        with self.transaction():
            for key in keys:
                count += self.db.execute(
                    "DELETE FROM cells WHERE suite=? AND cell_key=?", (suite, key)
                ).rowcount
        return count

    # -- reading -----------------------------------------------------------------------------
    def finished(self, suite: str) -> dict[str, str]:
        """``{cell key: status}`` of every stored cell of ``suite``."""
        cur = self.db.execute("SELECT cell_key, status FROM cells WHERE suite=?", (suite,))
        return dict(cur.fetchall())

    def retryable(self, suite: str) -> set[str]:
        """Keys of the stored failures of ``suite`` that were not the agent's doing."""
        cur = self.db.execute(
            "SELECT cell_key FROM cells WHERE suite=? AND status='failed' AND retry=1", (suite,)
        )
        return {key for (key,) in cur}

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        """Hold the store for one run: a second run on the same store at the same time is
        refused with a one-line :class:`ConfigError` (readers such as ``leaderboard`` are not
        affected). The lock is a ``flock`` on ``<store>.lock``, released when the run ends or
        its process dies. It is taken on the store's resolved path, so that a symlink or
        another spelling of the same file finds the same lock."""
        path = Path(f"{os.path.realpath(self.path)}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                raise ConfigError(
                    f"the store {self.path} is in use by another run (pid {holder}); wait for "
                    "it to finish, or pass another --store"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)

    def companions(self) -> list[str]:
        """The SQLite files beside the store (write-ahead log, shared memory) that exist."""
        real = os.path.realpath(self.path)
        names = (f"{real}-wal", f"{real}-shm", f"{real}.lock")
        return [name for name in names if os.path.exists(name)]

    def label_hashes(self, suite: str, source: str | None = None) -> dict[str, set[str]]:
        """``{agent label: {agent config hashes}}`` stored for ``suite``."""
        sql = "SELECT DISTINCT agent_label, agent_hash FROM cells WHERE suite=?"
        args: tuple[Any, ...] = (suite,)
        if source:
            sql += " AND source=?"
            args += (source,)
        out: dict[str, set[str]] = {}
        for label, h in self.db.execute(sql, args):
            out.setdefault(label, set()).add(h)
        return out

    def rows(
        self, suite: str, *, keys: Iterable[str] | None = None, source: str | None = None
    ) -> list[Row]:
        """Stored rows of ``suite`` in cell-key order, optionally only ``keys`` or ``source``."""
        sql = (
            "SELECT cell, status, reason, result, detail, provenance, wall_time_s, finished_at "
            "FROM cells WHERE suite=? ORDER BY cell_key"
        )
        wanted = None if keys is None else set(keys)
        return [
            row
            for row in self._iter(sql, (suite,))
            if (wanted is None or row.key in wanted)
            and (source is None or row.cell.source == source)
        ]

    def _iter(self, sql: str, args: tuple[Any, ...]) -> Iterator[Row]:
        """Every row of the query that can be read. A row whose result cannot be read back
        (damaged, or out of range for this version's checks) is a failed row that says why;
        a row whose cell cannot be read is left out: no stored row makes a reader fail."""
        for cell, status, reason, result, detail, prov, wall, finished_at in self.db.execute(
            sql, args
        ):
            try:
                read_cell = Cell.from_dict(json.loads(cell))
            except (TypeError, ValueError, KeyError, RecursionError):
                continue
            try:
                read_result = CellResult.from_dict(json.loads(result)) if result else None
            except (TypeError, ValueError, RecursionError) as err:
                status, read_result = "failed", None
                reason = f"the stored result cannot be read ({err})"
            if status == "ok" and read_result is None:
                status, reason = "failed", "the stored result is missing"
            try:
                provenance = json.loads(prov) if prov else {}
            except (TypeError, ValueError, RecursionError):
                provenance = {}
            yield Row(
                cell=read_cell,
                status=status if status in ("ok", "failed") else "failed",
                reason=reason,
                result=read_result,
                detail=detail,
                provenance=provenance if isinstance(provenance, dict) else {},
                wall_time_s=float(wall) if isinstance(wall, (int, float)) else 0.0,
                finished_at=str(finished_at),
            )

    def suites(self) -> list[str]:
        return [s for (s,) in self.db.execute("SELECT DISTINCT suite FROM cells ORDER BY suite")]


def _config_hash(cell: Cell) -> str:
    from entropy_gym.core.hashing import config_hash

    return config_hash(dict(cell.agent_config))


def dumps_stored(value: Any) -> str:
    """``value`` as the store keeps it: compact JSON, NaN and infinities as ``null``, anything
    JSON has no form for as its ``repr``, ASCII only."""
    return json.dumps(_finite(value), sort_keys=True, separators=(",", ":"), default=repr)


_dumps = dumps_stored


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: store them as ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
