"""Per-cell isolation: every cell runs in its own process, which the runner can kill.

A process pool cannot kill one task, so each cell gets a fresh process instead. To keep that
cheap, processes are forked from a *fork server* that imported the package, Gymnasium and
NumPy once (``multiprocessing``'s ``forkserver`` start method with a preload list): a cell
pays a fork, not an interpreter start. The child

* dies with its parent (``PR_SET_PDEATHSIG``), so a killed run leaves no orphans;
* ignores Ctrl-C (the runner decides what an interrupt means);
* runs the agent in the cell's sandbox (:mod:`entropy_gym.runner.sandbox`: a ``bwrap`` the
  runner starts per cell, which the child joins before it forks the agent's process): the
  agent sees no other process, cannot write the store, the boards or anything else of the
  machine's, holds no capability, and dies with every process it started when the sandbox is
  killed at the end of the cell. Where the sandbox cannot be had, the store and the output
  folder are read-only in a mount namespace of the cell's own (a guard against accidents);
* for an agent the package does not ship, keeps the evaluation to itself
  (:mod:`entropy_gym.runner.agent_process`): it steps the evaluation envs and counts returns,
  and the agent's sandboxed process only answers observations with decisions;
* applies a memory limit where one is set, to itself (``RLIMIT_AS``) and, watched by the
  runner, to all of its processes together (its process group and its sandbox);
* writes its stdout and stderr to a log file of its own in a folder only the runner can open,
  whose tail joins a failed cell's traceback (so a progress display is not drowned in env
  banners, and a crash still says why); a cell that writes more than :data:`OUTPUT_LIMIT_MB`
  of output is killed; the runner reads the agent's progress lines
  (:mod:`entropy_gym.core.progress`) out of it as they come;
* sends back one message: the result, or a one-line reason with the traceback.

A failure that is not the agent's doing (the process killed from outside: a user, the
machine's out-of-memory killer) is marked ``retry``: the next run of the same command runs it
again, where an agent's own failure stays stored until ``--retry-failed``.
"""

from __future__ import annotations

import atexit
import ctypes
import dataclasses
import functools
import multiprocessing
import multiprocessing.connection
import os
import pickle
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

from entropy_gym.core.progress import PREFIX as PROGRESS_PREFIX
from entropy_gym.runner import provenance, sandbox
from entropy_gym.runner.agent_process import agent_file, is_builtin
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.result import CellResult

#: Modules the fork server imports once, so that every cell process starts warm
#: (``forkserver_warm`` also computes the provenance every cell records).
PRELOAD = [
    "entropy_gym.runner.worker",
    "entropy_gym.runner.rollout",
    "entropy_gym.runner.forkserver_warm",
]
PR_SET_PDEATHSIG = 1
#: Seconds a killed child gets to be reaped before the runner moves on.
REAP_TIMEOUT_S = 5.0
#: Characters of a failed cell's output kept with its traceback.
LOG_TAIL_CHARS = 4000
#: Output (stdout and stderr together) a cell may write before it is killed.
OUTPUT_LIMIT_MB = 16
#: Seconds between the runner's checks of a running cell's memory and output.
CHECK_INTERVAL_S = 0.25
#: Signals that come from outside the cell (a user, a supervisor, the out-of-memory killer).
EXTERNAL_SIGNALS = frozenset({signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP})


@dataclass
class Outcome:
    """How one cell ended: ``ok`` with a result, or ``failed`` with a one-line reason."""

    cell: Cell
    status: str
    result: CellResult | None = None
    reason: str | None = None
    detail: str | None = None
    wall_time_s: float = 0.0
    provenance: dict[str, Any] = field(default_factory=dict)
    #: The failure was not the agent's doing: a resume runs the cell again.
    retry: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "cell": self.cell.to_dict(),
            "status": self.status,
            "result": self.result.to_dict() if self.result is not None else None,
            "reason": self.reason,
            "detail": self.detail,
            "wall_time_s": self.wall_time_s,
            "provenance": self.provenance,
            "retry": self.retry,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcome:
        result = data.get("result")
        return cls(
            **{
                **data,
                "cell": Cell.from_dict(data["cell"]),
                "result": CellResult.from_dict(result) if result is not None else None,
            }
        )


def failed(
    cell: Cell,
    reason: str,
    detail: str | None = None,
    wall_time_s: float = 0.0,
    device: str | None = None,
    *,
    retry: bool = False,
) -> Outcome:
    """A failed outcome with the provenance the parent can vouch for."""
    prov = {**provenance.process_provenance(), "device": device}
    return Outcome(cell, "failed", None, reason, detail, wall_time_s, prov, retry)


def agent_modules(cells: Iterable[Cell]) -> list[str]:
    """The modules of the built-in agents that ``cells`` run (e.g. the SB3 adapters, which
    import torch and SB3: seconds per cell process when not preloaded)."""
    from entropy_gym.agents.registry import BUILTIN_AGENTS

    names = {str(c.agent_config.get("name")) for c in cells}
    modules = sorted({BUILTIN_AGENTS[n].split(":")[0] for n in names if n in BUILTIN_AGENTS})
    if any(m.startswith("entropy_gym.agents.sb3") for m in modules):
        # torch imports its compiler lazily when the first optimizer is built: ~7 s per cell.
        modules.append("torch._dynamo")
    return modules


def worker_context(extra_preload: list[str] | None = None) -> multiprocessing.context.BaseContext:
    """A fork-server context that preloads :data:`PRELOAD` and ``extra_preload`` (spawn where
    fork servers do not exist). The preload list is process-wide and only applies before the
    server starts; a module that fails to import there is simply imported by the cell."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD + [m for m in extra_preload or [] if m not in PRELOAD])
        return ctx
    return multiprocessing.get_context("spawn")


# -- the child ------------------------------------------------------------------------------
def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _redirect_output(log_path: str) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


#: Environment variables that size the math libraries' thread pools.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def limit_threads(threads: int, start_pools: bool = True) -> None:
    """Cap this process's math thread pools (torch's, OpenMP's, BLAS's) at ``threads``.

    Cells that run side by side would otherwise each start one thread per core: on 2 cores two
    LM-training cells with 2 threads each ran 2.5-4.5x slower than with 1 thread each. With
    ``start_pools=False`` only the environment variables are set: resizing a preloaded torch's
    pool above one thread starts its threads, and a process with threads cannot join a user
    namespace (``setns`` fails with EINVAL), so a sandboxed cell calls this again once inside.
    """
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    torch = sys.modules.get("torch")  # preloaded by the fork server; else it reads the above
    if torch is not None and start_pools:
        torch.set_num_threads(threads)


def _child_main(
    cell_data: dict[str, Any] | list[dict[str, Any]],
    device: str,
    conn: Any,
    log_path: str | None,
    protect: tuple[str, ...] = (),
    threads: int | None = None,
    join: dict[str, Any] | None = None,
) -> None:
    """Entry point of a cell process: run the cell (its agent in the sandbox ``join``
    describes, where there is one), send one message, exit at once."""
    _die_with_parent()
    if threads is not None:
        # Sized after joining a sandbox: a thread pool started before makes setns fail.
        limit_threads(threads, start_pools=join is None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    if log_path:
        _redirect_output(log_path)
    if protect and join is None:
        unprotected = sandbox.protect_read_only(protect)
        if unprotected:
            print(f"entropy-gym: {unprotected}", file=sys.stderr)
    cells = [Cell.from_dict(c) for c in cell_data] if isinstance(cell_data, list) else []
    cell = cells[0] if cells else Cell.from_dict(cell_data)  # type: ignore[arg-type]
    if cell.memory_limit_mb:
        limit = int(cell.memory_limit_mb) * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    if not all(is_builtin(c) for c in cells or [cell]):
        # The agent gets a sandboxed process of its own; this one evaluates it.
        from entropy_gym.runner.agent_process import run_outside

        _finish(conn, _run(lambda: run_outside(cell, device, join), cell))
    if join is None:
        _finish(conn, _run(lambda: _run_in_process(cells, cell, device), cell))
    try:
        sandbox.enter(join)
    except OSError as err:
        _finish(conn, ("failed", f"the cell could not enter its sandbox ({err})", None))
    if threads is not None:
        limit_threads(threads)
    child = os.fork()
    if child == 0:
        os.setsid()
        sandbox.die_with_parent()
        _finish(conn, _run(lambda: _run_in_process(cells, cell, device), cell))
    conn.close()
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):  # the runner reads the cell's end from this process's
        if os.WTERMSIG(status) not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status))


def _run_in_process(cells: list[Cell], cell: Cell, device: str) -> Any:
    from entropy_gym.runner.rollout import run_cell, run_seed_group

    return run_seed_group(cells, device) if cells else run_cell(cell, device)


def _run(work: Any, cell: Cell) -> tuple[str, Any, Any]:
    """``work()``'s result as the message a cell sends: ``("ok", result, None)`` or
    ``("failed", reason, detail)``."""
    from entropy_gym.runner.failure import CellFailure

    try:
        return ("ok", work(), None)
    except CellFailure as fail:
        reason = fail.reason
        if fail.out_of_memory and cell.memory_limit_mb:
            reason += f"; the cell's memory limit is {cell.memory_limit_mb} MiB"
        return ("failed", reason, fail.detail)
    except MemoryError:
        return ("failed", _memory_reason(cell), traceback.format_exc())
    except BaseException as err:
        return ("failed", f"{type(err).__name__}: {err}".strip(), traceback.format_exc())


def _finish(conn: Any, message: tuple[str, Any, Any]) -> NoReturn:
    """Send ``message`` and exit this process at once."""
    try:
        conn.send(message)
    except Exception as err:  # an unpicklable result
        conn.send(("failed", f"the cell's result could not be sent back ({err})", None))
    conn.close()
    _release_semaphores()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: agent threads or finalisers must not hold the process up.
    os._exit(0)


def _release_semaphores() -> None:
    """Run multiprocessing's exit finalisers, which ``os._exit`` skips: they unlink the
    semaphores the cell created (tqdm's lock, which transformers creates, is one). Unlinked
    here, the run's resource tracker has nothing left to warn about ("leaked semaphore
    objects") when the run ends. The result is already sent: a finaliser that hangs only
    delays the kill of this process."""
    import multiprocessing.util

    try:
        multiprocessing.util._run_finalizers(0)  # type: ignore[attr-defined]
    except Exception:  # cleanup only: the cell's outcome is already with the runner
        pass


def _memory_reason(cell: Cell) -> str:
    if cell.memory_limit_mb:
        return f"memory limit of {cell.memory_limit_mb} MiB exceeded (MemoryError)"
    return "ran out of memory (MemoryError)"


# -- the parent ------------------------------------------------------------------------------
@contextmanager
def _without_main_script() -> Iterator[None]:
    """Start children without re-running the parent's main script.

    ``spawn`` and ``forkserver`` children re-execute the parent's ``__main__`` file (as
    ``__mp_main__``) so that objects defined there unpickle. Cells never need it (agents are
    named by import path or file), and re-running it can be costly: in a Ray worker it is
    Ray's worker script, which imports Ray again in every cell process.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None) if main is not None else None
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


class CellProcess:
    """A running cell: its sandbox (:mod:`entropy_gym.runner.sandbox`), process, result
    pipe and deadline.

    ``protect`` are the paths the cell sees read-only where it gets no sandbox (the store,
    the output folder; with a sandbox it sees neither);
    ``threads`` caps its math thread pools (:func:`limit_threads`). ``group`` (a seed group,
    :mod:`entropy_gym.runner.groups`, whose first cell is ``cell``) runs those cells in this one
    process, trained together; its deadline is the sum of theirs, and :meth:`poll_all`
    returns one outcome per cell (a failure fails every cell of the group).
    """

    def __init__(
        self,
        cell: Cell,
        device: str,
        ctx: Any,
        protect: tuple[str, ...] = (),
        threads: int | None = None,
        group: Sequence[Cell] | None = None,
    ) -> None:
        self.cell, self.device = cell, device
        self.cells: list[Cell] = list(group) if group else [cell]
        payload: Any = [c.to_dict() for c in self.cells] if group else cell.to_dict()
        self.started = time.monotonic()
        self.deadline = self.started + sum(float(c.time_limit_s) for c in self.cells)
        self._next_check = self.started + CHECK_INTERVAL_S
        self._log_read = 0
        self._progress: list[str] = []
        self.log_path = _new_log(cell)
        #: Why the cell could not start (its sandbox could not be had), if so.
        self.refused: str | None = None
        self.sandbox = self._start_sandbox()
        self.process: Any = None
        self.conn: Any = None
        if self.refused is not None:
            return
        reader, writer = ctx.Pipe(duplex=False)
        join = self.sandbox.join_spec() if self.sandbox is not None else None
        self.process = ctx.Process(
            target=_child_main,
            args=(payload, device, writer, self.log_path, tuple(protect), threads, join),
            name=f"entropy-gym-cell-{cell.key}",
        )
        try:
            with _without_main_script():
                self.process.start()
        except BaseException:
            if self.sandbox is not None:
                self.sandbox.stop()
            raise
        writer.close()
        self.conn = reader

    def _start_sandbox(self) -> sandbox.Sandbox | None:
        """The cell's sandbox, or ``None`` where there is none to be had (then the reason goes
        to the cell's log, or, with ``ENTROPY_GYM_SANDBOX=require``, refuses the cell)."""
        reason = sandbox.unavailable()
        if reason is not None:
            if sandbox.mode() == "require":
                self.refused = (
                    f"the cell needs a sandbox ({sandbox.MODE_VARIABLE}=require), but {reason}"
                )
            elif sandbox.mode() != "off":
                with open(self.log_path, "a") as log:
                    print(f"entropy-gym: the cell runs without a sandbox: {reason}", file=log)
            return None
        trusted = all(is_builtin(c) for c in self.cells)
        files = [agent_file(c) for c in self.cells]
        read = [os.path.dirname(f) for f in files if f]
        writable: list[str] = []
        if trusted:  # built-in agents: the working folder to read, and their own outputs
            read.append(os.getcwd())
            writable = _output_folders(self.cells)
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND)
        try:
            return sandbox.start(
                sandbox.TRUSTED if trusted else sandbox.AGENT,
                log_fd=fd,
                extra_read=read,
                writable=writable,
                tmp_mb=int(self.cell.memory_limit_mb or 0),
                cwd=os.getcwd() if trusted else "/",
            )
        except OSError as err:
            self.refused = f"the cell's sandbox could not be started ({err})"
            return None
        finally:
            os.close(fd)

    def waitables(self) -> list[Any]:
        return [] if self.process is None else [self.conn, self.process.sentinel]

    def wake_at(self) -> float:
        """When the runner must look at this cell next even if nothing happens."""
        return self.started if self.process is None else min(self.deadline, self._next_check)

    def poll_all(self, now: float | None = None) -> list[Outcome] | None:
        """The outcomes of every cell of the process (see :meth:`poll`)."""
        outcome = self.poll(now)
        if outcome is None:
            return None
        if len(self.cells) == 1:
            return [outcome]
        results = outcome.result
        if (
            outcome.ok
            and isinstance(results, list)
            and len(results) == len(self.cells)
            and all(isinstance(r, CellResult) for r in results)
        ):
            share = outcome.wall_time_s / len(self.cells)
            return [
                Outcome(c, "ok", r, None, None, share, dict(r.provenance))
                for c, r in zip(self.cells, results)
            ]
        reason = outcome.reason or (
            f"the seed group sent back no result per cell (expected {len(self.cells)} CellResults)"
        )
        return [
            dataclasses.replace(outcome, cell=c, status="failed", result=None, reason=reason)
            for c in self.cells
        ]

    def poll(self, now: float | None = None) -> Outcome | None:
        """The outcome if the cell has finished, died, or passed its deadline (then it is
        killed); ``None`` while it is still running in time."""
        outcome = self._poll(time.monotonic() if now is None else now)
        if outcome is not None:
            self._read_progress()
            self.cleanup()
        return outcome

    def take_progress(self) -> list[str]:
        """The progress lines the cell wrote since the last call (without their prefix)."""
        lines, self._progress = self._progress, []
        return lines

    def _read_progress(self) -> None:
        """Collect the complete progress lines added to the cell's log since the last read."""
        try:
            size = os.stat(self.log_path).st_size
        except OSError:
            return
        if size <= self._log_read:
            return
        with open(self.log_path, "rb") as f:
            f.seek(self._log_read)
            chunk = f.read(size - self._log_read)
        end = chunk.rfind(b"\n") + 1
        self._log_read += end
        for raw in chunk[:end].splitlines():
            line = raw.decode("utf-8", "replace")
            if line.startswith(PROGRESS_PREFIX):
                self._progress.append(line[len(PROGRESS_PREFIX) :])

    def _poll(self, now: float) -> Outcome | None:
        if self.refused is not None:
            return failed(self.cell, self.refused, None, 0.0, self.device, retry=True)
        if self.conn.poll():
            try:
                status, payload, detail = self.conn.recv()
            except (EOFError, OSError, pickle.UnpicklingError):
                return self._died()
            self._reap()
            elapsed = time.monotonic() - self.started
            if status == "ok" and isinstance(payload, list) and len(self.cells) > 1:
                return Outcome(self.cell, "ok", payload, None, None, elapsed, {})  # type: ignore[arg-type]
            if status == "ok":
                if not isinstance(payload, CellResult):
                    return failed(
                        self.cell,
                        f"the cell sent back a {type(payload).__name__}, expected a CellResult",
                        None,
                        elapsed,
                        self.device,
                    )
                return Outcome(
                    self.cell, "ok", payload, None, None, elapsed, dict(payload.provenance)
                )
            return failed(self.cell, payload, self._with_log(detail), elapsed, self.device)
        if not self.process.is_alive():
            return self._died()
        if now >= self._next_check:
            self._next_check = now + CHECK_INTERVAL_S
            self._read_progress()
            exceeded = self._limits_exceeded()
            if exceeded:
                self._kill_group()
                return failed(
                    self.cell, exceeded, self._with_log(None), now - self.started, self.device
                )
        if now >= self.deadline:
            self._kill_group()
            return failed(
                self.cell,
                f"time limit of {self.cell.time_limit_s:g} s exceeded; the cell was killed",
                self._with_log(None),
                now - self.started,
                self.device,
            )
        return None

    def _limits_exceeded(self) -> str | None:
        """Why the cell must be killed now (output or group memory over its limit), if so."""
        try:
            written = os.stat(self.log_path).st_size / 2**20
        except OSError:
            written = 0.0
        if written > OUTPUT_LIMIT_MB:
            return f"wrote more than {OUTPUT_LIMIT_MB} MiB of output; the cell was killed"
        limit = self.cell.memory_limit_mb
        if limit:
            from entropy_gym.runner.sandbox import group_rss_mb

            pids = self.processes()
            used = group_rss_mb(pids)
            if used > limit:
                return (
                    f"memory limit of {limit} MiB exceeded by the cell's {len(pids)} processes "
                    f"together ({used:.0f} MiB in memory); the cell was killed"
                )
        return None

    def processes(self) -> list[int]:
        """The cell's live processes: its process group and its sandbox's."""
        pid = self.process.pid if self.process is not None else None
        pids = set(sandbox.group_processes(pid)) if pid is not None else set()
        if self.sandbox is not None:
            pids.update(self.sandbox.processes())
        return sorted(pids)

    def _with_log(self, detail: str | None) -> str | None:
        """``detail`` followed by the tail of the cell's output, if it wrote any."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - LOG_TAIL_CHARS))
                tail = f.read().decode("utf-8", "replace").strip()
        except OSError:
            tail = ""
        if not tail:
            return detail
        return f"{detail or ''}\n--- cell output (tail) ---\n{tail}".lstrip()

    def _died(self) -> Outcome:
        self._reap()
        code = self.process.exitcode
        retry = False
        if code is not None and code < 0:
            name = (
                signal.Signals(-code).name
                if -code in signal.Signals._value2member_map_
                else str(-code)
            )
            if -code in EXTERNAL_SIGNALS:
                retry = True
                reason = (
                    f"the cell process was killed from outside the runner by {name} (a user, "
                    "or the machine's out-of-memory killer); the next run retries it"
                )
            else:
                reason = f"the cell process crashed ({name})"
        else:
            reason = f"the cell process exited with status {code} before sending a result"
        return failed(
            self.cell,
            reason,
            self._with_log(None),
            time.monotonic() - self.started,
            self.device,
            retry=retry,
        )

    def kill(self) -> None:
        """Kill the cell's process group (the agent's own children too) and clean up."""
        self._kill_group()
        self.cleanup()

    def _kill_group(self) -> None:
        if self.process is None:
            return
        pid = self.process.pid
        if pid is not None and self.process.is_alive():
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        if self.sandbox is not None:
            self.sandbox.stop()
        self._reap()

    def _reap(self) -> None:
        if self.process is None:
            return
        self.process.join(REAP_TIMEOUT_S)
        self.conn.close()

    def _kill_leftovers(self) -> None:
        """Kill what the cell started and left running (it has ended): its process group,
        and everything in its sandbox."""
        if self.sandbox is not None:
            self.sandbox.stop()
        pid = self.process.pid if self.process is not None else None
        if pid is None:
            return
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def cleanup(self) -> None:
        """Kill the cell's leftover processes and remove its log file (after its outcome has
        been taken)."""
        self._kill_leftovers()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


#: Parameters of built-in agents that name a folder the agent writes to.
OUTPUT_PARAMETERS = ("tensorboard_log",)


def _output_folders(cells: Sequence[Cell]) -> list[str]:
    """The folders built-in agents write to (made now), bound writable in their sandbox."""
    folders = []
    for cell in cells:
        for name in OUTPUT_PARAMETERS:
            value = cell.agent_config.get(name)
            if isinstance(value, str) and value:
                folder = os.path.abspath(os.path.expanduser(value))
                try:
                    os.makedirs(folder, exist_ok=True)
                except OSError:
                    continue
                folders.append(folder)
    return sorted(set(folders))


@functools.lru_cache(maxsize=1)
def _log_folder() -> str:
    """A folder only this process's user can open, for its cells' logs (removed at exit):
    the cells write to their log through the file they were given, and cannot open another's."""
    folder = tempfile.mkdtemp(prefix="entropy-gym-logs-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _new_log(cell: Cell) -> str:
    fd, path = tempfile.mkstemp(prefix=f"cell-{cell.key}-", suffix=".log", dir=_log_folder())
    os.close(fd)
    return path


def run_isolated(cell_data: dict[str, Any], device: str, cwd: str | None = None) -> dict[str, Any]:
    """Run one cell in its own process and block until it ends (what a Ray task does).

    ``cwd`` is the driver's working directory; where it exists on this node the cell runs
    there, so relative paths in a suite (``agents/mine.py:Agent``) mean the same thing.
    """
    import entropy_gym  # noqa: F401  (a Ray worker must register the ids before anything)

    if cwd and os.path.isdir(cwd):
        os.chdir(cwd)
    cell = Cell.from_dict(cell_data)
    running = CellProcess(cell, device, worker_context())
    try:
        while True:
            timeout = max(0.0, running.wake_at() - time.monotonic())
            multiprocessing.connection.wait(running.waitables(), timeout=timeout)
            outcome = running.poll()
            if outcome is not None:
                return outcome.to_dict()
    finally:
        running.kill()
