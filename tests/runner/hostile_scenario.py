"""Submit the hostile agents of :mod:`tests.runner.hostile_agents` to a runner and report, as
JSON on stdout, what became of the store, the boards, the runner and the processes.

``tests/runner/test_sandbox.py`` runs it in a process of its own (so that an attack that
succeeds hurts that process, not the test session), as the user running the tests and, where
that is root, as an unprivileged user: ``python -m tests.runner.hostile_scenario FOLDER``.

1. A suite's own agent (``random``) and the honest twin of the attackers are run and their
   board published; the store's rows and the board's files are recorded.
2. The attackers that go for the store, the board, the evaluation and the logs run beside each
   other (two at a time); nothing is published, so the board must be byte for byte the same.
3. The attackers that go for the runner (``prlimit``, ``SIGSTOP``, ``SIGTERM``) and leave a
   daemon run through the command line, whose output is captured as CI captures it: the run
   must end, on its own, with its output pipe closed.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from entropy_gym.runner import Store, expand, load_suite, run_cells
from entropy_gym.runner.suite import AgentEntry
from tests.runner.helpers import REPO

AGENTS = Path(__file__).resolve().parent / "hostile_agents.py"
ENV = {"id": "CartPole-v1", "kwargs": {"max_episode_steps": 40}}
#: Attackers run in step 2 (label: class), all given the store and the board folder.
PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
IN_RUN = ("Unmounter", "NamespaceJumper", "Forger", "HugeEntropy", "LogFlooder")


def _suite(path: Path, name: str, agents: list[Any]) -> None:
    body = {
        "description": f"hostile agents ({name})",
        "seeds": [0, 1],
        "eval_episodes": 2,
        "bootstrap_reps": 200,
        "time_limit_s": 120,
        "envs": [ENV],
        "agents": agents,
    }
    path.write_text(yaml.safe_dump({"suites": {name: body}}, sort_keys=False))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _raw_rows(store: Path) -> dict[str, list[Any]]:
    """Every stored row as SQLite holds it, by cell key."""
    with sqlite3.connect(store) as db:
        return {row[1]: list(row) for row in db.execute("SELECT * FROM cells ORDER BY cell_key")}


def _tagged(tag: str) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if tag.encode() in f.read():
                        out.append(int(name))
            except OSError:
                continue
    return [p for p in out if p != os.getpid()]


def _descends_from_here(pid: int) -> bool:
    """Whether ``pid`` is this process's descendant (orphans come back to it: see main)."""
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                pid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid == os.getpid():
            return True
    return False


def _bwraps() -> set[int]:
    """This scenario's live sandboxes: other runs on the machine have theirs."""
    found = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if f.read().split(b"\0", 1)[0].endswith(b"bwrap"):
                        found.add(int(name))
            except OSError:
                continue
    return {pid for pid in found if _descends_from_here(pid)}


def main(folder: str) -> dict[str, Any]:
    tmp = Path(folder)
    out, store_path = tmp / "boards", tmp / "s.sqlite"
    report: dict[str, Any] = {"uid": os.getuid()}
    # A child subreaper: whatever the runs below leave behind is re-parented to this process
    # rather than to init, so that it is still found among this scenario's descendants.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    bwraps_before = _bwraps()

    # 1. The suite's own agent and the honest twin, published.
    suite_file = tmp / "hostile.yaml"
    honest = {"name": f"{AGENTS}:Honest", "label": "Honest"}
    _suite(suite_file, "hostile", ["random", honest])
    suite = load_suite("hostile", suite_file)
    from entropy_gym.leaderboard.publish import publish_from_store

    with Store(store_path) as store:
        run_cells(expand(suite), store, workers=2, quiet=True)
        publish_from_store(suite, store, out)
    board = out / "hostile"
    before_rows, before_board = _raw_rows(store_path), _digest(out)

    # 2. The attackers of the store, the board, the evaluation and the logs.
    params = {"store": str(store_path), "out": str(board), "pids": [os.getpid()]}
    entries = [
        AgentEntry(label, {"name": f"{AGENTS}:{label}", **(params if label != "Forger" else {})})
        for label in IN_RUN
        if label not in ("Forger", "HugeEntropy")
    ] + [AgentEntry(label, {"name": f"{AGENTS}:{label}"}) for label in ("Forger", "HugeEntropy")]
    started = time.monotonic()
    with Store(store_path) as store:
        cells = expand(suite, entries, source="submit", memory_limit_mb=4096)
        run_cells(cells, store, workers=2, quiet=True, protect=(str(out),))
        rows = store.rows("hostile")
    report["attack_run_s"] = time.monotonic() - started
    after_rows = _raw_rows(store_path)
    report["earlier_rows_unchanged"] = all(after_rows.get(k) == v for k, v in before_rows.items())
    report["board_unchanged"] = _digest(out) == before_board
    report["cells"] = {
        f"{r.cell.agent_label}/{r.cell.seed}": {
            "status": r.status,
            "reason": r.reason,
            "returns": r.result.returns if r.result else None,
        }
        for r in rows
    }

    # 3. The attackers of the runner, and a daemon, through the command line.
    tag = f"entropy-gym-daemon-{os.getpid()}-{time.monotonic_ns()}"
    runner_file = tmp / "runner.yaml"
    _suite(
        runner_file,
        "runner",
        [
            "random",
            {"name": f"{AGENTS}:RunnerAttacker", "label": "RunnerAttacker"},
            {"name": f"{AGENTS}:Daemon", "label": "Daemon", "tag": tag},
        ],
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "entropy_gym", "run", "runner", "--file", str(runner_file)]
    command += ["--store", str(tmp / "runner.sqlite"), "--out", str(tmp / "runner-boards")]
    command += ["--workers", "2"]
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = proc.communicate(timeout=300)  # returns once both pipes close
        report["runner_rc"] = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        report["runner_rc"] = "timed out (stopped, or a pipe held open)"
    report["runner_s"] = time.monotonic() - started
    report["runner_stdout"] = stdout.decode(errors="replace")[-2000:]
    report["runner_stderr"] = stderr.decode(errors="replace")[-2000:]
    with Store(tmp / "runner.sqlite") as store:
        report["runner_cells"] = {
            f"{r.cell.agent_label}/{r.cell.seed}": {"status": r.status, "reason": r.reason}
            for r in store.rows("runner")
        }
    deadline = time.monotonic() + 5
    while (_tagged(tag) or _bwraps() - bwraps_before) and time.monotonic() < deadline:
        time.sleep(0.1)
    report["daemons_left"] = len(_tagged(tag))
    report["sandboxes_left"] = len(_bwraps() - bwraps_before)
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
