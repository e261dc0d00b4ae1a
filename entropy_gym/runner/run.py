"""Run cells: skip what the store already holds, run the rest on a backend, validate each
result, and store it the moment it arrives."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from entropy_gym.core.device import Device
from entropy_gym.core.errors import ConfigError
from entropy_gym.runner.backends import make_backend
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.defaults import DEVICES
from entropy_gym.runner.progress import RunProgress
from entropy_gym.runner.result import CellResult, InvalidResult
from entropy_gym.runner.store import Store, dumps_stored
from entropy_gym.runner.worker import Outcome


@dataclass
class RunSummary:
    """What a run did."""

    suite: str
    total: int
    skipped: int = 0
    ran: int = 0
    failed: list[Outcome] = field(default_factory=list)
    #: Stored cells skipped although they had failed (``--retry-failed`` runs them).
    failed_before: int = 0
    #: Stored failures that were not the agent's doing, run again.
    retried: int = 0

    @property
    def ok(self) -> bool:
        """Whether the suite's board has no failed cell (this run's or stored ones)."""
        return not self.failed and not self.failed_before

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        parts = [f"{self.total} cells", f"{self.ran} run"]
        if self.retried:
            parts[-1] += f" ({self.retried} retried: killed from outside before)"
        stored = f"{self.skipped} already stored"
        if self.failed_before:
            stored += f" ({self.failed_before} of them failed; --retry-failed runs them again)"
        parts += [stored, f"{len(self.failed)} failed in this run"]
        return f"{self.suite}: " + ", ".join(parts)


def resolve_device(device: str) -> str:
    """``auto`` is ``cuda`` when torch sees a GPU, else ``cpu``. Torch is only imported where a
    GPU driver is present, so CPU-only runs do not pay for the import."""
    parsed = Device.parse(device, choices=DEVICES)
    if parsed.is_cpu:
        return "cpu"
    driver = os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/nvidia0")
    available = False
    if driver:
        try:
            import torch

            available = bool(torch.cuda.is_available())
        except ImportError:
            available = False
    if parsed.kind == "cuda" and not available:
        raise ConfigError("--device cuda: torch sees no CUDA device; use --device cpu or auto")
    return "cuda" if available else "cpu"


def run_cells(
    cells: Sequence[Cell],
    store: Store,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    device: str = "auto",
    quiet: bool = False,
    retry_failed: bool = False,
    protect: Sequence[str] = (),
) -> RunSummary:
    """Run every cell of ``cells`` that ``store`` does not hold yet, and every stored failure
    that was not the agent's doing (all failed ones with ``retry_failed``), writing each outcome
    in its own transaction as it arrives. Cells see ``protect`` (and the store) read-only."""
    suite = cells[0].suite if cells else ""
    device = resolve_device(device)
    stored = store.finished(suite) if cells else {}
    again = store.retryable(suite) if cells else set()
    todo = [
        c
        for c in cells
        if c.key not in stored or c.key in again or (retry_failed and stored[c.key] == "failed")
    ]
    running = {c.key for c in todo}
    skipped = [c for c in cells if c.key not in running]
    summary = RunSummary(
        suite=suite,
        total=len(cells),
        skipped=len(skipped),
        failed_before=sum(1 for c in skipped if stored.get(c.key) == "failed"),
        retried=sum(1 for c in todo if c.key in again),
    )
    warn_unsandboxed(todo, backend)
    with store.run_lock(), RunProgress(suite, len(todo), quiet=quiet) as progress:
        guarded = (str(store.path), *store.companions(), *protect)
        runner = make_backend(backend, workers=workers, address=address, protect=guarded)
        for outcome in runner.run(
            todo, device, on_start=progress.started, on_progress=progress.training
        ):
            outcome = validate_outcome(outcome)
            store.write(outcome)
            summary.ran += 1
            if not outcome.ok:
                summary.failed.append(outcome)
            progress.finished(outcome.ok, outcome.cell)
    return summary


_WARNED: set[str] = set()


def warn_unsandboxed(cells: Sequence[Cell], backend: str) -> None:
    """Say once, on stderr, when agents the package does not ship are about to run without
    the sandbox (:mod:`entropy_gym.runner.sandbox`): they then run with this user's rights."""
    import sys

    from entropy_gym.runner.agent_process import is_builtin
    from entropy_gym.runner.sandbox import MODE_VARIABLE, mode, unavailable

    if backend != "local" or mode() == "off" or all(is_builtin(c) for c in cells):
        return
    reason = unavailable()
    if reason is not None and mode() != "require" and reason not in _WARNED:
        _WARNED.add(reason)
        print(
            f"entropy-gym: warning: agents that are not built in run without a sandbox, with "
            f"this user's rights: {reason}; set {MODE_VARIABLE}=require to refuse to run them",
            file=sys.stderr,
        )


# -- result validation ------------------------------------------------------------------------
def validate_outcome(outcome: Outcome) -> Outcome:
    """Check a successful outcome's result before it is stored, in the form it will be read
    back (its JSON through :meth:`CellResult.from_dict`: every number finite and in its range,
    every entropy within its kind's bounds) and for the cell's episode count; a bad one becomes
    a failed row (``invalid result: ...``), never a crash or a row that breaks a later read.
    Reasons and tracebacks are made storable (no lone surrogates) and bounded in length."""
    if not outcome.ok:
        return dataclasses.replace(
            outcome,
            reason=storable_text(outcome.reason or "failed", MAX_REASON),
            detail=storable_text(outcome.detail, MAX_DETAIL) if outcome.detail else None,
        )
    try:
        if not isinstance(outcome.result, CellResult):
            raise InvalidResult(f"expected a CellResult, got {type(outcome.result).__name__}")
        stored = json.loads(dumps_stored(outcome.result.to_dict()))
        result = CellResult.from_dict(stored)
        result.check(outcome.cell.eval_episodes)
    except InvalidResult as err:
        return Outcome(
            outcome.cell,
            "failed",
            None,
            storable_text(f"invalid result: {err}", MAX_REASON),
            None,
            outcome.wall_time_s,
            outcome.provenance,
        )
    except (TypeError, ValueError, RecursionError) as err:
        reason = f"invalid result: it cannot be stored ({type(err).__name__})"
        return Outcome(outcome.cell, "failed", None, reason, None, outcome.wall_time_s, {})
    return outcome


#: Characters of a failure's reason and traceback kept in the store.
MAX_REASON, MAX_DETAIL = 2000, 20000


def storable_text(text: str | None, limit: int) -> str:
    """``text`` as valid UTF-8 (a lone surrogate becomes its escape), at most ``limit``
    characters."""
    text = str(text or "")
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 3] + "..."
