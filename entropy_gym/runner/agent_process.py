"""Evaluation outside the agent's process, for agents the package does not ship.

A submitted agent (``file.py:Class``, or any agent not built in) could otherwise change what it
is scored on: patch the env's ``step``, rewrite its rewards, or edit the runner's counters in
memory. So its cell is two processes:

* the **evaluator** (the cell process, the runner's code only) builds the evaluation envs,
  steps them, checks every decision and counts returns, lengths, metrics and entropies through
  the one loop every caller shares (:func:`~entropy_gym.runner.evaluation.play`);
* the **agent's process** (forked from it, then sandboxed: :mod:`entropy_gym.runner.sandbox`)
  builds the agent from the file's bytes read before the sandbox closed, sets it up, trains it
  on envs of its own, and then only answers: a decision for each batch of observations, its
  telemetry, its entropy kind.

The evaluator sends trusted data (pickles, which only the agent's side unpickles); the agent's
side answers in a format that cannot run code where it is read (JSON and NumPy arrays loaded
with ``allow_pickle=False``), in frames of at most :data:`MAX_FRAME` bytes, and every answer is
checked again by the evaluator. Observation batches of at least :data:`SHARED_MIN_BYTES` go
through a shared-memory buffer (a sealed ``memfd``) rather than the socket. The agent sees the
same inputs, in the same order and with the same seeds, as in the in-process path, so an
honest agent scores the same (tested).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import math
import mmap
import os
import pickle
import signal
import socket
import struct
import sys
import time
import traceback
from collections.abc import Mapping
from typing import Any, cast

import numpy as np

from entropy_gym.agents.base import Agent, Decision, StepBatch
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.failure import CellFailure, phase

#: The largest frame either side accepts (a bigger one fails the cell).
MAX_FRAME = 256 * 2**20
#: Observation arrays of at least this many bytes travel through shared memory.
SHARED_MIN_BYTES = 64 * 2**10
#: Capacity of the shared observation buffer (sparse: only what is written takes memory).
SHARED_CAPACITY = 2**30
#: Characters of a reason or a traceback the agent's side may send.
MAX_TEXT = 4000
#: Environment variables the agent's process keeps (the rest may hold the runner's secrets).
KEPT_VARIABLES = (
    "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONHASHSEED", "PYTHONPATH",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
    "JAX_PLATFORMS", "XLA_FLAGS", "ENTROPY_GYM_CACHE", "ENTROPY_GYM_JAX_CACHE",
    "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
)  # fmt: skip


def is_builtin(cell: Cell) -> bool:
    """Whether the cell's agent is one the package ships (its code is trusted)."""
    from entropy_gym.agents.registry import BUILTIN_AGENTS

    return str(cell.agent_config.get("name")) in BUILTIN_AGENTS


def agent_file(cell: Cell) -> str | None:
    """The ``.py`` file a submitted agent is defined in, if it names one."""
    name = str(cell.agent_config.get("name") or "")
    where = name.rsplit(":", 1)[0] if ":" in name else ""
    return os.path.abspath(os.path.expanduser(where)) if where.endswith(".py") else None


# -- framing -----------------------------------------------------------------------------------
class Channel:
    """Length-prefixed frames over a connected stream socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(struct.pack("<Q", len(data)) + data)

    def recv_bytes(self) -> bytes:
        (size,) = struct.unpack("<Q", self._exactly(8))
        if size > MAX_FRAME:
            raise ProtocolError(f"a message of {size} bytes (at most {MAX_FRAME} accepted)")
        return self._exactly(size)

    def _exactly(self, size: int) -> bytes:
        view = bytearray(size)
        got = 0
        while got < size:
            n = self.sock.recv_into(memoryview(view)[got:], size - got)
            if n == 0:
                raise EOFError
            got += n
        return bytes(view)

    # The evaluator's messages: pickles (read only on the agent's side).
    def send_trusted(self, message: Any) -> None:
        self.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def recv_trusted(self) -> Any:
        return pickle.loads(self.recv_bytes())

    # The agent's messages: a JSON header and NumPy arrays, nothing that runs code.
    def send_plain(self, kind: str, meta: Mapping[str, Any], *arrays: np.ndarray) -> None:
        header = json.dumps({"kind": kind, "meta": dict(meta), "arrays": len(arrays)}).encode()
        parts = [struct.pack("<Q", len(header)), header]
        for array in arrays:
            buffer = io.BytesIO()
            np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
            blob = buffer.getvalue()
            parts += [struct.pack("<Q", len(blob)), blob]
        self.send_bytes(b"".join(parts))

    def recv_plain(self) -> tuple[str, dict[str, Any], list[np.ndarray]]:
        data = self.recv_bytes()
        try:
            (size,) = struct.unpack_from("<Q", data, 0)
            header = json.loads(data[8 : 8 + size])
            kind, meta, count = header["kind"], header["meta"], int(header["arrays"])
            if not isinstance(kind, str) or not isinstance(meta, dict) or not 0 <= count <= 8:
                raise ValueError("malformed header")
            offset, arrays = 8 + size, []
            for _ in range(count):
                (length,) = struct.unpack_from("<Q", data, offset)
                blob = data[offset + 8 : offset + 8 + length]
                arrays.append(np.load(io.BytesIO(blob), allow_pickle=False))
                offset += 8 + length
        except (ValueError, KeyError, TypeError, struct.error, RecursionError) as err:
            raise ProtocolError(f"an unreadable message ({type(err).__name__})") from None
        return kind, meta, arrays


class ProtocolError(Exception):
    """The agent's process sent something that is not a valid answer."""


# -- shared memory for observation batches -------------------------------------------------------
class SharedObservations:
    """A sealed ``memfd`` both processes map: the evaluator writes a batch of observations,
    the agent's side copies it out. Its size is fixed before the fork and sealed, so the
    agent's side cannot shrink it under the evaluator."""

    def __init__(self) -> None:
        self.fd = os.memfd_create("entropy-gym-observations", os.MFD_ALLOW_SEALING)
        os.ftruncate(self.fd, SHARED_CAPACITY)
        seals = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL
        fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, seals)
        self._map: mmap.mmap | None = None

    def _mapped(self, size: int) -> mmap.mmap:
        if self._map is None or len(self._map) < size:
            if self._map is not None:
                self._map.close()
            self._map = mmap.mmap(self.fd, max(size, 2**20))
        return self._map

    def pack(self, value: Any) -> Any:
        """``value``, with a large NumPy array replaced by a note of where it lies."""
        if (
            isinstance(value, np.ndarray)
            and value.dtype != object
            and SHARED_MIN_BYTES <= value.nbytes <= SHARED_CAPACITY
        ):
            view = np.ndarray(value.shape, value.dtype, buffer=self._mapped(value.nbytes))
            view[...] = value
            return _Shared(value.shape, value.dtype.str)
        return value

    def unpack(self, value: Any) -> Any:
        if isinstance(value, _Shared):
            dtype = np.dtype(value.dtype)
            size = int(np.prod(value.shape)) * dtype.itemsize
            return np.ndarray(value.shape, dtype, buffer=self._mapped(size)).copy()
        return value

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        os.close(self.fd)


class _Shared:
    def __init__(self, shape: tuple[int, ...], dtype: str) -> None:
        self.shape, self.dtype = tuple(shape), dtype


_SAME = "same"  # an ``act`` whose observations are the last ``observe``'s next observations


# -- the evaluator's side ------------------------------------------------------------------------
class RemoteAgent:
    """What :func:`~entropy_gym.runner.evaluation.play` steps: an agent whose every call is
    an exchange with the agent's process."""

    def __init__(self, channel: Channel, shared: SharedObservations, side: AgentSide) -> None:
        self.channel, self.shared, self.side = channel, shared, side
        self._last_next_obs: Any = None

    def _answer(self, what: str) -> tuple[dict[str, Any], list[np.ndarray]]:
        return self.side.expect(what)

    def act(self, obs: Any) -> Decision:
        if obs is self._last_next_obs:
            self.channel.send_trusted(("act", _SAME))
        else:
            self.channel.send_trusted(("act", self.shared.pack(obs)))
        meta, arrays = self._answer("decision")
        entropy = arrays.pop() if meta.get("entropy") else None
        if meta.get("text"):
            replies = meta.get("replies")
            if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies):
                raise CellFailure("the agent's process sent text actions that are not strings")
            return Decision(actions=replies, entropy=entropy)
        if len(arrays) != 1:
            raise CellFailure("the agent's process sent a decision without actions")
        return Decision(actions=arrays[0], entropy=entropy)

    def observe(self, step: StepBatch) -> None:
        self._last_next_obs = step.next_obs
        rest = (step.actions, step.rewards, step.terminated, step.truncated, dict(step.infos))
        self.channel.send_trusted(("observe", self.shared.pack(step.next_obs), *rest))

    def telemetry(self) -> Any:
        self.channel.send_trusted(("telemetry",))
        meta, _ = self._answer("telemetry")
        return meta.get("records")

    def entropy_kind_report(self) -> tuple[bool, Any]:
        """``(whether the agent declares its kind, the kind as a dict or None)``."""
        self.channel.send_trusted(("kind",))
        meta, _ = self._answer("kind")
        return bool(meta.get("declared")), meta.get("kind")


class AgentSide:
    """The evaluator's view of the agent's process: its answers, and how it ended."""

    def __init__(self, channel: Channel, pid: int) -> None:
        self.channel, self.pid = channel, pid
        self.status: int | None = None

    def expect(self, what: str) -> tuple[dict[str, Any], list[np.ndarray]]:
        """The next answer, which must be of kind ``what``; the agent's own failure, a broken
        message or its death as a :class:`CellFailure`."""
        try:
            kind, meta, arrays = self.channel.recv_plain()
        except EOFError:
            raise CellFailure(f"the agent's process {self.ended()} before answering") from None
        except (OSError, ProtocolError) as err:
            raise CellFailure(f"the agent's process sent {err}") from None
        if kind == "failed":
            reason = _text(meta.get("reason"), "").strip()
            raise CellFailure(
                reason.splitlines()[0] if reason else "the agent failed",
                _text(meta.get("detail"), "") or None,
                out_of_memory=bool(meta.get("out_of_memory")),
            )
        if kind != what:
            raise CellFailure(f"the agent's process answered {kind!r} where {what!r} was due")
        return meta, arrays

    def ended(self) -> str:
        """How the agent's process ended, in words (``exited with status 3``). Killed by a
        signal that comes from outside a cell (the out-of-memory killer's ``SIGKILL``, a
        user's ``SIGTERM``), the evaluator dies of it too, so that the runner records the
        cell as it would have before the agent had a process of its own (to be retried)."""
        from entropy_gym.runner.worker import EXTERNAL_SIGNALS

        code = self.reap(2.0)
        if code is None:
            return "stopped answering"
        if code > 128 and code - 128 in signal.Signals._value2member_map_:
            sig = signal.Signals(code - 128)
            if sig in EXTERNAL_SIGNALS:
                sys.stdout.flush()
                sys.stderr.flush()
                if sig != signal.SIGKILL:
                    signal.signal(sig, signal.SIG_DFL)
                os.kill(os.getpid(), sig)
            return f"was killed by {sig.name}"
        return f"exited with status {code}"

    def reap(self, timeout: float) -> int | None:
        """The exit status of the agent's side, waiting up to ``timeout`` s; it is killed if
        it has not ended by then (``None``)."""
        if self.status is not None:
            return self.status
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            if time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        self.status = -1
        return None


def _text(value: Any, default: str) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else default


def run_outside(cell: Cell, device: str, join: Mapping[str, Any] | None) -> Any:
    """Run a submitted agent's cell with the agent in its own (sandboxed where ``join`` says)
    process; returns the :class:`~entropy_gym.runner.result.CellResult`."""
    from entropy_gym.runner import provenance
    from entropy_gym.runner.evaluation import play
    from entropy_gym.runner.result import AgentInfo, CellResult, Timing, clean_telemetry
    from entropy_gym.runner.rollout import (
        budget_of,
        cell_envs,
        env_info,
        env_provenance,
        seed_globals,
    )
    from entropy_gym.runner.vectorization import check_vectorization
    from entropy_gym.scoring.entropy_kind import EntropyKind, derive_kind

    started = time.perf_counter()
    source = _read_source(cell)
    shared = SharedObservations()
    mine, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the agent's side; its outcome is what the tests check)
        mine.close()
        _agent_main(theirs, shared, cell, device, join, source)
    theirs.close()
    channel = Channel(mine)
    side = AgentSide(channel, pid)
    try:
        seed_globals(cell.seed)
        hello, _ = side.expect("built")
        wish = hello.get("vectorization")
        vectorization = cell.vectorization
        if vectorization is None:
            with phase("the agent's vectorization"):
                vectorization = "sync" if wish is None else check_vectorization(wish, "agent")
        with phase("making the env"):
            envs = cell_envs(cell, vectorization, device)
        with envs:
            env = env_info(envs)
            channel.send_trusted(("task", envs.task))
            setup_started = time.perf_counter()
            ready, _ = side.expect("ready")
            train_done = time.perf_counter()
            setup_s = min(max(_number(ready.get("setup_s")), 0.0), train_done - setup_started)
            agent = RemoteAgent(channel, shared, side)
            evaluation = play(cast(Agent, agent), envs, cell.eval_episodes)
            eval_done = time.perf_counter()
            with phase("agent.telemetry"):
                telemetry = clean_telemetry(agent.telemetry())
            config = _config(ready.get("config"), cell)
            declared, kind_data = agent.entropy_kind_report()
            if declared:
                try:
                    kind = EntropyKind.from_dict(kind_data) if kind_data is not None else None
                except ValueError as err:
                    raise CellFailure(
                        f"agent.entropy_kind() is not an EntropyKind ({err})"
                    ) from None
            else:
                kind = derive_kind(config, action_space=env.action_space, family=env.family)
            prov = env_provenance(envs)
        channel.send_trusted(("stop",))
    finally:
        mine.close()
        shared.close()
        side.reap(2.0)
    hooks = ready.get("hooks") or []
    if not isinstance(hooks, list) or not all(isinstance(h, str) and len(h) < 64 for h in hooks):
        raise CellFailure("the agent's hooks must be a list of short names")
    from entropy_gym.core.hashing import config_hash

    timing = Timing(
        setup_s=(setup_started - started) + setup_s,
        train_s=train_done - setup_started - setup_s,
        eval_s=eval_done - train_done,
        total_s=time.perf_counter() - started,
    )
    return CellResult.from_evaluation(
        evaluation,
        telemetry=telemetry,
        timing=timing,
        env=env,
        agent=AgentInfo(
            config=config,
            config_hash=config_hash(config),
            hooks=tuple(sorted(hooks)),
            learns=bool(ready.get("trains")) and not budget_of(cell).is_zero,
        ),
        provenance={
            **provenance.process_provenance(),
            "device": device,
            **prov,
            "agent_process": "sandboxed" if join else "separate",
            **_threads(ready.get("threads")),
        },
        entropy_kind=kind.to_dict() if kind is not None else None,
    )


def _threads(value: Any) -> dict[str, int]:
    """The agent process's math threads (torch's, where it loaded torch), for provenance."""
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 100_000
    return {"threads": value} if ok else {}


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else 0.0


def _config(value: Any, cell: Cell) -> dict[str, Any]:
    """The agent's own account of its config (as the in-process path records it) if it is a
    JSON mapping of at most 64 KiB; else the config the cell was given."""
    if not isinstance(value, dict) or len(json.dumps(value)) > 64 * 2**10:
        return {str(k): v for k, v in cell.agent_config.items()}
    return value


def _read_source(cell: Cell) -> bytes | None:
    """The agent file's bytes, read by the evaluator (the sandbox may not see the file), and
    checked against the sha256 recorded when it was submitted."""
    path = agent_file(cell)
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            source = f.read(64 * 2**20 + 1)
    except OSError as err:
        raise CellFailure(f"the agent file {path} cannot be read ({err.strerror})") from None
    if len(source) > 64 * 2**20:
        raise CellFailure(f"the agent file {path} is larger than 64 MiB")
    expected = cell.extra.get("source_sha256") if isinstance(cell.extra, Mapping) else None
    if expected and hashlib.sha256(source).hexdigest() != expected:
        raise CellFailure(f"the agent file {path} changed after it was submitted")
    return source


# -- the agent's side ------------------------------------------------------------------------------
def _agent_main(
    sock: socket.socket,
    shared: SharedObservations,
    cell: Cell,
    device: str,
    join: Mapping[str, Any] | None,
    source: bytes | None,
) -> None:  # pragma: no cover (runs in the forked agent process)
    """Enter the sandbox, fork the agent's process into it, wait for it, exit."""
    from entropy_gym.runner.sandbox import die_with_parent, enter

    code = 1
    evaluator = os.getppid()
    try:
        if join is not None:
            enter(dict(join))
        die_with_parent()  # after the last change of credentials, which clears it
        if os.getppid() != evaluator:
            os._exit(1)
        child = os.fork()
        if child == 0:
            _serve(sock, shared, cell, device, join is not None, source)
        sock.close()
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status)
        code = code if code >= 0 else 128 - code
    except BaseException as err:
        try:
            Channel(sock).send_plain(
                "failed", {"reason": f"the agent's sandbox could not be entered ({err})"}
            )
        except OSError:
            pass
    os._exit(code)


def _serve(
    sock: socket.socket,
    shared: SharedObservations,
    cell: Cell,
    device: str,
    sandboxed: bool,
    source: bytes | None,
) -> None:  # pragma: no cover (runs in the forked agent process)
    """The agent's process: build, set up and train the agent, then answer until told to
    stop. Every failure is sent as one ``failed`` message."""
    from entropy_gym.runner.sandbox import die_with_parent

    channel = Channel(sock)
    code = 0
    try:
        die_with_parent()
        if sandboxed:
            os.setsid()
            _scrub_environment()
        _close_other_files(keep={0, 1, 2, sock.fileno(), shared.fd})
        _own_resource_tracker()
        _serve_loop(channel, shared, cell, device, source)
    except CellFailure as fail:
        code = _send_failure(channel, fail.reason, fail.detail, fail.out_of_memory)
    except MemoryError:
        code = _send_failure(channel, "ran out of memory (MemoryError)", None, True)
    except (EOFError, BrokenPipeError, ConnectionResetError):
        code = 0  # the evaluator is gone: nothing to answer
    except BaseException as err:
        reason = f"{type(err).__name__}: {err}".strip()
        code = _send_failure(channel, reason, traceback.format_exc(), False)
    try:  # what os._exit skips: unlink the semaphores the agent made (tqdm's lock)
        import multiprocessing.util

        multiprocessing.util._run_finalizers(0)  # type: ignore[attr-defined]
    except Exception:
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _own_resource_tracker() -> None:
    """Forget the runner's ``multiprocessing`` resource tracker (its pipe is closed here): a
    semaphore the agent makes starts a tracker of the agent's own, which cannot unlink
    anything outside the sandbox."""
    from multiprocessing import resource_tracker

    tracker: Any = resource_tracker._resource_tracker
    tracker._fd = None
    tracker._pid = None


def _send_failure(channel: Channel, reason: str, detail: str | None, oom: bool) -> int:
    try:
        meta = {"reason": reason[:MAX_TEXT], "detail": (detail or "")[-MAX_TEXT:]}
        channel.send_plain("failed", {**meta, "out_of_memory": oom})
    except OSError:
        pass
    return 1


def _scrub_environment() -> None:
    kept = {k: v for k, v in os.environ.items() if k in KEPT_VARIABLES}
    os.environ.clear()
    os.environ.update(kept)
    os.environ["HOME"] = os.environ["TMPDIR"] = "/tmp"


def _close_other_files(keep: set[int]) -> None:
    try:
        fds = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _load_source(cell: Cell, source: bytes | None) -> None:
    """Put the submitted module, built from ``source``, where ``make_agent`` looks first."""
    path = agent_file(cell)
    if path is None or source is None:
        return
    import importlib.util
    from pathlib import Path

    resolved = Path(path).resolve()
    name = f"entropy_gym_user_{hashlib.sha1(str(resolved).encode()).hexdigest()[:12]}"
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))  # type: ignore[arg-type]
    module.__file__ = str(resolved)
    sys.modules[name] = module
    exec(compile(source, str(resolved), "exec"), module.__dict__)


def _serve_loop(
    channel: Channel, shared: SharedObservations, cell: Cell, device: str, source: bytes | None
) -> None:  # pragma: no cover (runs in the forked agent process)
    from entropy_gym.agents.registry import agent_config, make_agent
    from entropy_gym.runner.actions import check_decision
    from entropy_gym.runner.rollout import (
        _jsonable,
        _train_env_factory,
        budget_of,
        seed_globals,
        trains,
    )

    seed_globals(cell.seed)
    with phase("building the agent"):
        _load_source(cell, source)
        agent = make_agent(dict(cell.agent_config))
    channel.send_plain("built", {"vectorization": _plain(getattr(agent, "vectorization", None))})
    message = channel.recv_trusted()
    task = message[1]
    seed_globals(cell.seed)
    started = time.perf_counter()
    with phase("agent.setup"):
        agent.setup(task, cell.seed, device)
    setup_s = time.perf_counter() - started
    with phase("agent.train"):
        agent.train(_train_env_factory(cell), budget_of(cell))
    channel.send_plain(
        "ready",
        {
            "setup_s": setup_s,
            "config": _jsonable(agent_config(agent)),
            "hooks": [str(h) for h in getattr(agent, "hooks", ())],
            "trains": trains(agent),
            "threads": _torch_threads(),
        },
    )
    from entropy_gym.runner.envs import accepts_text

    text_ok = accepts_text(cell.env_id, task.observation_space, task.action_space)
    space, n = task.action_space, task.num_envs
    obs: Any = None
    next_obs: Any = None
    while True:
        message = channel.recv_trusted()
        what = message[0]
        if what == "act":
            same = isinstance(message[1], str) and message[1] == _SAME
            obs = next_obs if same else shared.unpack(message[1])
            with phase("agent.act"):
                decision = agent.act(obs)
            actions, entropy = check_decision(decision, n, space, text_ok=text_ok)
            arrays = [entropy] if entropy is not None else []
            if isinstance(actions, list):
                meta = {"text": True, "replies": actions, "entropy": entropy is not None}
                channel.send_plain("decision", meta, *arrays)
            else:
                meta = {"text": False, "entropy": entropy is not None}
                channel.send_plain("decision", meta, np.asarray(actions), *arrays)
        elif what == "observe":
            next_obs = shared.unpack(message[1])
            actions, rewards, terminated, truncated, infos = message[2:7]
            step = StepBatch(obs, actions, rewards, terminated, truncated, next_obs, infos)
            with phase("agent.observe"):
                agent.observe(step)
        elif what == "telemetry":
            with phase("agent.telemetry"):
                records = _jsonable(list(agent.telemetry() or []))
            channel.send_plain("telemetry", {"records": records})
        elif what == "kind":
            declare: Any = getattr(agent, "entropy_kind", None)
            declared = callable(declare)
            kind = None
            if declared:
                with phase("agent.entropy_kind"):
                    value = declare()
                to_dict = getattr(value, "to_dict", None)
                kind = _jsonable(to_dict()) if callable(to_dict) else _plain(value)
            channel.send_plain("kind", {"declared": declared, "kind": kind})
        elif what == "stop":
            return


def _torch_threads() -> int | None:
    torch = sys.modules.get("torch")
    return int(torch.get_num_threads()) if torch is not None else None


def _plain(value: Any) -> Any:
    """``value`` if JSON can carry it as it is, else its ``repr``."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)
