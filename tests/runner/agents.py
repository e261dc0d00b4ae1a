"""Small agents the runner tests run in cell processes (referenced as ``agents.py:Class``)."""

from __future__ import annotations

import os
import time
from typing import Any

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import BaseAgent, Decision, batch_size_of, categorical_entropy
from entropy_gym.agents.classic.random import RandomAgent


class EpsilonConstant(BaseAgent):
    """Action 0 (the low corner of a Box) with probability 1 - eps, else uniform: its action
    entropy is set by ``eps``, which the entropy-return tests use."""

    name = "epsilon_constant"

    def __init__(self, eps: float = 0.0) -> None:
        super().__init__(eps=eps)
        self.eps = float(eps)

    def act(self, obs_batch: Any) -> Decision:
        n = batch_size_of(obs_batch)
        space = self.task.action_space
        if isinstance(space, gym.spaces.Discrete):
            k = int(space.n)
            uniform = self.rng.random(n) < self.eps
            actions = np.where(uniform, self.rng.integers(k, size=n), 0) + space.start
            probs = np.full(k, self.eps / k)
            probs[0] += 1.0 - self.eps
            return Decision(actions=actions, entropy=np.full(n, categorical_entropy(probs)))
        low = np.broadcast_to(space.low, (n, *space.shape))
        sample = self.rng.uniform(space.low, space.high, size=(n, *space.shape))
        uniform = (self.rng.random(n) < self.eps).reshape(n, *([1] * len(space.shape)))
        return Decision(actions=np.where(uniform, sample, low).astype(space.dtype), entropy=None)


class Raising(BaseAgent):
    name = "raising"

    def act(self, obs_batch: Any) -> Decision:
        raise RuntimeError("boom in act")


class SetupRaising(BaseAgent):
    name = "setup_raising"

    def setup(self, task: Any, seed: int, device: str) -> None:
        raise ValueError(f"cannot handle {task.env_id}")


class NaNAction(BaseAgent):
    name = "nan_action"

    def act(self, obs_batch: Any) -> Decision:
        space = self.task.action_space
        return Decision(
            actions=np.full((batch_size_of(obs_batch), *space.shape), np.nan, dtype=np.float32)
        )


class NaNEntropy(BaseAgent):
    name = "nan_entropy"

    def act(self, obs_batch: Any) -> Decision:
        n = batch_size_of(obs_batch)
        return Decision(actions=np.zeros(n, dtype=np.int64), entropy=np.full(n, np.nan))


class OutOfSpace(BaseAgent):
    name = "out_of_space"

    def act(self, obs_batch: Any) -> Decision:
        return Decision(
            actions=np.full(batch_size_of(obs_batch), self.task.action_space.n, dtype=np.int64)
        )


class Hanging(BaseAgent):
    name = "hanging"

    def act(self, obs_batch: Any) -> Decision:
        time.sleep(3600)
        raise AssertionError("unreachable")


class Exiting(BaseAgent):
    name = "exiting"

    def act(self, obs_batch: Any) -> Decision:
        os._exit(3)


class MemoryHog(BaseAgent):
    name = "memory_hog"

    def act(self, obs_batch: Any) -> Decision:
        self.hoard = np.ones((8 * 1024, 1024, 1024), dtype=np.uint8)  # 8 GiB
        raise AssertionError("unreachable under a memory limit")


class Sleepy(BaseAgent):
    """Uniform random actions, slowly: a cell lasts long enough to be killed mid-run."""

    name = "sleepy"

    def __init__(self, delay: float = 0.01) -> None:
        super().__init__(delay=delay)
        self.delay = float(delay)

    def act(self, obs_batch: Any) -> Decision:
        time.sleep(self.delay)
        n = batch_size_of(obs_batch)
        k = int(self.task.action_space.n)
        return Decision(actions=self.rng.integers(k, size=n), entropy=np.full(n, np.log(k)))


class Gated(Sleepy):
    """As :class:`Sleepy`, but a cell whose seed is ``>= gate_from`` waits in ``setup`` until the
    file ``gate`` exists (at most ``wait_s``): a test can hold a run at a known cell. The gate
    changes when a cell runs, never what it computes."""

    name = "gated"

    def __init__(
        self,
        gate: str,
        gate_from: int = 2,
        delay: float = 0.0,
        wait_s: float = 120.0,
        pid_file: str = "",
    ) -> None:
        super().__init__(delay=delay)
        self.config.update(gate=gate, gate_from=gate_from, wait_s=wait_s)
        if pid_file:
            self.config["pid_file"] = pid_file
        self.gate, self.gate_from, self.wait_s = gate, int(gate_from), float(wait_s)
        self.pid_file = pid_file

    def setup(self, task: Any, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        if self.pid_file and seed >= self.gate_from and not os.path.exists(self.gate):
            try:  # the first cell held at the gate says who it is
                fd = os.open(self.pid_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
            except FileExistsError:
                pass
        deadline = time.monotonic() + self.wait_s
        while (
            seed >= self.gate_from and not os.path.exists(self.gate) and time.monotonic() < deadline
        ):
            time.sleep(0.02)


class Learner(BaseAgent):
    """Trains by counting env steps of real rollouts and logs one telemetry record per
    update: entropy falls and return rises, as ``R = -a exp(H) + b`` with a=2, b=10, and the
    update's success rises as ``u / (u + 10)``."""

    name = "learner"

    def train(self, make_env: Any, budget: Any) -> None:
        env = make_env(self.seed)
        env.reset(seed=self.seed)
        steps, updates = 0, 0
        while steps < (budget.env_steps or 0):
            _, _, term, trunc, _ = env.step(env.action_space.sample())
            steps += 1
            if term or trunc:
                env.reset()
            if steps % 50 == 0:
                updates += 1
                h = float(np.log(2.0)) * 0.9**updates
                self.log_telemetry(
                    {
                        "step": steps,
                        "entropy": h,
                        "return": -2.0 * np.exp(h) + 10.0,
                        "success": updates / (updates + 10),
                    }
                )
        env.close()

    def act(self, obs_batch: Any) -> Decision:
        n = batch_size_of(obs_batch)
        space = self.task.action_space
        return Decision(actions=np.zeros((n, *space.shape), dtype=space.dtype), entropy=np.zeros(n))


class TextReplies(BaseAgent):
    """Answers a text env with a label string from ``task.env_info`` (or gibberish every
    third step, which the env must flag, not raise on)."""

    name = "text_replies"

    def setup(self, task: Any, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        self.labels = list(task.env_info["labels"])
        self.calls = 0

    def act(self, obs_batch: Any) -> Decision:
        assert isinstance(obs_batch, tuple) and all(isinstance(o, str) for o in obs_batch)
        self.calls += 1
        n = len(obs_batch)
        if self.calls % 3 == 0:
            return Decision(actions=["no idea"] * n, entropy=np.full(n, 0.0))
        picks = self.rng.integers(len(self.labels), size=n)
        return Decision(
            actions=[f"press {self.labels[i]}" for i in picks],
            entropy=np.full(n, np.log(len(self.labels))),
        )


class WrongBatch(BaseAgent):
    """One action too many for the batch."""

    name = "wrong_batch"

    def act(self, obs_batch: Any) -> Decision:
        return Decision(actions=np.zeros(batch_size_of(obs_batch) + 1, dtype=np.int64))


class Vandal(BaseAgent):
    """Tries to overwrite and delete the result store and to write into the output folder;
    raises what the attempts raise (the test fails if any of them succeeds)."""

    name = "vandal"

    def __init__(self, store: str = "", out: str = "") -> None:
        super().__init__(store=store, out=out)
        self.store, self.out = store, out

    def act(self, obs_batch: Any) -> Decision:
        errors = []

        def overwrite(path: str, data: bytes, mode: str) -> None:
            with open(path, mode) as f:
                f.write(data)

        for attempt in (
            lambda: overwrite(self.store, b"garbage" * 100, "r+b"),
            lambda: os.unlink(self.store),
            lambda: overwrite(os.path.join(self.out, "defaced.md"), b"pwned", "wb"),
            lambda: os.unlink(os.path.join(self.out, "leaderboard.md")),
        ):
            try:
                attempt()
            except OSError as err:
                errors.append(err)
        if len(errors) == 4:
            raise errors[0]
        return Decision(actions=np.zeros(batch_size_of(obs_batch), dtype=np.int64))


class Chatty(BaseAgent):
    """Prints 50 MB, then plays on."""

    name = "chatty"

    def act(self, obs_batch: Any) -> Decision:
        line = "x" * 1023 + "\n"
        for _ in range(50 * 1024):
            print(line, end="")
        time.sleep(3600)
        raise AssertionError("unreachable: the output limit kills the cell")


class Spawner(BaseAgent):
    """Starts ``count`` sleeping child processes (tagged ``tag``), then hangs."""

    name = "spawner"

    def __init__(self, count: int = 50, tag: str = "entropy-gym-test-child") -> None:
        super().__init__(count=count, tag=tag)
        self.count, self.tag = int(count), str(tag)

    def act(self, obs_batch: Any) -> Decision:
        import subprocess

        for _ in range(self.count):  # `sleep` named after the tag: ~1 MiB each, not a Python's ~12
            subprocess.Popen(
                ["bash", "-c", f"exec -a {self.tag} sleep 3600"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        time.sleep(3600)
        raise AssertionError("unreachable: the time limit kills the cell")


class ChildHog(BaseAgent):
    """Four children that each hold 150 MiB: under the limit one by one, over it together."""

    name = "child_hog"

    def act(self, obs_batch: Any) -> Decision:
        import subprocess
        import sys

        code = "import time; b = bytearray(150 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(3600)"
        for _ in range(4):
            subprocess.Popen([sys.executable, "-c", code])
        time.sleep(3600)
        raise AssertionError("unreachable: the group memory limit kills the cell")


class Threads(BaseAgent):
    """Logs, in its one telemetry record, the math thread settings its cell process runs with."""

    name = "threads"

    def train(self, make_env: Any, budget: Any) -> None:
        import torch

        omp = os.environ.get("OMP_NUM_THREADS")
        self.log_telemetry(
            {"torch_threads": torch.get_num_threads(), "omp": float(omp) if omp else -1.0}
        )

    def act(self, obs_batch: Any) -> Decision:
        n = batch_size_of(obs_batch)
        return Decision(actions=np.zeros(n, dtype=np.int64), entropy=np.zeros(n))


class NativeRandom(RandomAgent):
    """The random agent, asking the runner for the env's native vector env."""

    name = "native_random"
    vectorization = "native"


class OddVectorization(RandomAgent):
    """The random agent with a ``vectorization`` wish the runner does not know."""

    name = "odd_vectorization"
    vectorization = "warp"
