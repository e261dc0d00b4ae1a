"""Hostile submissions: each plays like :class:`Honest` (always action 0) and, on the side,
attacks what the sandbox and the out-of-process evaluation must protect. Whatever an attack
achieves is written nowhere but in its own failure: the tests look at the store, the boards,
the runner and the processes afterwards.

Every attack is bounded (a few syscalls or a few MiB), so that a sandbox that fails to hold
fails the test rather than the machine.
"""

from __future__ import annotations

import ctypes
import glob
import os
import signal
import sqlite3
import sys
from typing import Any

import numpy as np

from entropy_gym.agents.base import BaseAgent, Decision, batch_size_of

MARK = "PWNED-by-a-hostile-agent"
_MNT_DETACH = 2
_CLONE_NEWNS = 0x00020000


class Honest(BaseAgent):
    """Always action 0, with the entropy of a point mass (0): the twin every attacker
    plays like, so that its stored returns must equal this one's."""

    name = "honest"

    def act(self, obs_batch: Any) -> Decision:
        n = batch_size_of(obs_batch)
        return Decision(actions=np.zeros(n, dtype=np.int64), entropy=np.zeros(n))


def _vandalize(store: str, out: str) -> list[str]:
    """Try to erase the store's rows and deface the board; returns what succeeded."""
    done = []
    for path in (store, f"/proc/1/root{store}"):
        try:
            with sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=1) as db:
                db.execute("DELETE FROM cells WHERE agent_label != 'never'")
            done.append(f"erased {path}")
        except sqlite3.Error:
            pass
    for folder in (out, f"/proc/1/root{out}"):
        for name in ("leaderboard.md", "results.json"):
            try:
                with open(os.path.join(folder, name), "a") as f:
                    f.write(MARK)
                done.append(f"defaced {folder}/{name}")
            except OSError:
                pass
    return done


class _Attacker(Honest):
    def __init__(self, store: str = "", out: str = "", pids: list[int] | None = None) -> None:
        super().__init__(store=store, out=out, pids=list(pids or []))
        self.store, self.out, self.pids = store, out, [int(p) for p in pids or []]
        self.attacked = False

    def act(self, obs_batch: Any) -> Decision:
        if not self.attacked:
            self.attacked = True
            self.attack()
        return super().act(obs_batch)

    def attack(self) -> None:  # pragma: no cover (overridden)
        raise NotImplementedError


class Unmounter(_Attacker):
    """Detaches every mount it can see (its read-only binds among them), then vandalizes."""

    def attack(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        try:
            with open("/proc/self/mountinfo") as f:
                points = [line.split()[4] for line in f]
        except OSError:
            points = []
        for point in sorted(points, key=len, reverse=True):
            libc.umount2(point.encode(), _MNT_DETACH)
        libc.unshare(_CLONE_NEWNS)  # a fresh mount namespace, to try again from inside
        for point in sorted(points, key=len, reverse=True):
            libc.umount2(point.encode(), _MNT_DETACH)
        _vandalize(self.store, self.out)


class NamespaceJumper(_Attacker):
    """Joins the mount namespace of every process it can see (the runner's, if visible), and
    writes through ``/proc/<pid>/root``, then vandalizes."""

    def attack(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        pids = {int(p) for p in os.listdir("/proc") if p.isdigit()} | set(self.pids)
        for pid in sorted(pids - {os.getpid()}):
            try:
                fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY)
            except OSError:
                continue
            libc.setns(fd, _CLONE_NEWNS)
            os.close(fd)
            _vandalize(self.store, self.out)
            for prefix in (f"/proc/{pid}/root",):
                _vandalize(prefix + self.store, prefix + self.out)
        _vandalize(self.store, self.out)


class Forger(Honest):
    """Patches the vector env's ``step`` in its own process to add 10 to every reward."""

    def setup(self, task: Any, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        import gymnasium.vector

        original = gymnasium.vector.SyncVectorEnv.step

        def forged(env: Any, actions: Any) -> Any:
            obs, rewards, terminated, truncated, infos = original(env, actions)
            return obs, rewards + 10.0, terminated, truncated, infos

        gymnasium.vector.SyncVectorEnv.step = forged  # type: ignore[method-assign]
        for module in list(sys.modules.values()):  # and any copy imported by name
            if getattr(module, "SyncVectorEnv", None) is not None:
                try:
                    module.SyncVectorEnv.step = forged
                except (AttributeError, TypeError):
                    pass


class HugeEntropy(Honest):
    """Reports an entropy of 1e308 nats for every decision."""

    def act(self, obs_batch: Any) -> Decision:
        n = batch_size_of(obs_batch)
        return Decision(actions=np.zeros(n, dtype=np.int64), entropy=np.full(n, 1e308))


class LogFlooder(_Attacker):
    """Appends 20 MiB to every other cell's log it can find, keeping its own output small."""

    def attack(self) -> None:
        chunk = b"x" * 2**20
        patterns = ("/tmp/entropy-gym-cell-*.log", "/tmp/entropy-gym-logs-*/*.log")
        for path in {p for pattern in patterns for p in glob.glob(pattern)}:
            try:
                with open(path, "ab") as f:
                    for _ in range(20):
                        f.write(chunk)
            except OSError:
                pass


class RunnerAttacker(_Attacker):
    """Limits the file size of, stops and terminates every process it can see that is not
    its own (the runner among them, if visible), and the pids it was given."""

    def attack(self) -> None:
        import resource

        mine = {os.getpid(), os.getppid()}
        pids = {int(p) for p in os.listdir("/proc") if p.isdigit()} | set(self.pids)
        for pid in sorted(pids - mine):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    command = f.read()
            except OSError:
                command = b""
            if pid not in self.pids and b"entropy_gym" not in command:
                continue  # only the runner's processes: never anything else of the machine
            try:
                resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, 0))
            except (OSError, ValueError):
                pass
            for sig in (signal.SIGSTOP, signal.SIGTERM):
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass


class Daemon(Honest):
    """Leaves a double-forked daemon behind (tagged ``tag`` in its command line), which
    would keep the runner's output pipes open if it had them."""

    def __init__(self, tag: str = "entropy-gym-daemon") -> None:
        super().__init__(tag=tag)
        self.tag = tag

    def setup(self, task: Any, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(
                    sys.executable,
                    [sys.executable, "-c", "import time; time.sleep(300)", self.tag],
                )
            os._exit(0)
        os.wait()
