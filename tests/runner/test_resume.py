"""kill -9 in the middle of a run, then the same command again: it resumes, and the
leaderboard is identical to an uninterrupted run's."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from entropy_gym.leaderboard.publish import publish_from_store
from entropy_gym.runner import Store, expand, load_suite, run_cells
from tests.runner.helpers import agent_ref, cli, cli_env, write_suite


@pytest.fixture(autouse=True)
def _no_sandbox(monkeypatch):
    """The gated agent talks to the test through files (a gate, its pid), which the sandbox
    hides: these tests of resuming run without it (tests/runner/test_sandbox.py has it)."""
    monkeypatch.setenv("ENTROPY_GYM_SANDBOX", "off")


FILES = ("results.json", "leaderboard.md", "aggregates.svg", "profile.svg", "entropy_return.svg")


def _stored(path) -> int:
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_kill_9_then_resume_gives_the_uninterrupted_leaderboard(tmp_path):
    """The run is held at its third cell (a gated agent waits for a file), so the kill always
    lands after exactly two stored cells, however fast or slow the machine is."""
    gate = tmp_path / "gate"
    agent = {"name": agent_ref("Gated"), "gate": str(gate), "gate_from": 2, "label": "gated"}
    path = write_suite(
        tmp_path / "b.yaml",
        "k",
        seeds=[0, 1, 2, 3, 4],
        eval_episodes=3,
        envs=["CartPole-v1"],
        agents=[agent],
    )
    suite = load_suite("k", path)
    gate.touch()
    with Store(tmp_path / "whole.sqlite") as store:
        run_cells(expand(suite), store, workers=1, quiet=True)
        publish_from_store(suite, store, tmp_path / "whole")
    gate.unlink()

    store = tmp_path / "killed.sqlite"
    command = cli(
        "run",
        "k",
        "--file",
        str(path),
        "--store",
        str(store),
        "--out",
        str(tmp_path / "killed"),
        "--workers",
        "1",
        "--quiet",
    )
    proc = subprocess.Popen(
        command,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while _stored(store) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
    finally:
        os.killpg(
            proc.pid, signal.SIGKILL
        )  # the runner, its fork server and (by PDEATHSIG) its cells
        proc.wait(timeout=30)
    done_before = _stored(store)
    assert done_before == 2, "the gate holds the run at its third cell"
    assert not (tmp_path / "killed" / "k").exists()
    gate.touch()

    again = subprocess.run(command, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert (
        f"k: 5 cells, {5 - done_before} run, {done_before} already stored, 0 failed in this run"
        in again.stdout
    )
    for name in FILES:
        assert (tmp_path / "killed" / "k" / name).read_bytes() == (
            tmp_path / "whole" / "k" / name
        ).read_bytes(), name


def test_a_cell_killed_from_outside_is_retried_by_the_same_command(tmp_path):
    """kill -9 of one cell process (not the runner): that cell fails as killed from outside,
    the run says so and exits 1, and the same command runs it again to the uninterrupted board."""
    gate, pid_file = tmp_path / "gate", tmp_path / "held.pid"
    agent = {
        "name": agent_ref("Gated"), "gate": str(gate), "gate_from": 2, "label": "gated",
        "pid_file": str(pid_file),
    }  # fmt: skip
    path = write_suite(
        tmp_path / "b.yaml", "k", seeds=[0, 1, 2, 3], eval_episodes=3,
        envs=["CartPole-v1"], agents=[agent],
    )  # fmt: skip
    suite = load_suite("k", path)
    gate.touch()  # open: nothing waits, no pid is written
    with Store(tmp_path / "whole.sqlite") as store:
        run_cells(expand(suite), store, workers=1, quiet=True)
        publish_from_store(suite, store, tmp_path / "whole")
    gate.unlink()

    store = tmp_path / "killed.sqlite"
    command = cli(
        "run", "k", "--file", str(path), "--store", str(store),
        "--out", str(tmp_path / "killed"), "--workers", "1", "--quiet",
    )  # fmt: skip
    proc = subprocess.Popen(
        command, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # the pid is written before the file is closed
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    gate.touch()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert "k: 4 cells, 4 run, 0 already stored, 1 failed in this run" in out
    assert "killed from outside the runner by SIGKILL" in err and "the next run retries it" in err

    again = subprocess.run(command, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "k: 4 cells, 1 run (1 retried: killed from outside before), 3 already stored" in (
        again.stdout
    )
    for name in FILES:
        assert (tmp_path / "killed" / "k" / name).read_bytes() == (
            tmp_path / "whole" / "k" / name
        ).read_bytes(), name


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def test_killing_only_the_runner_leaves_no_cell_running(tmp_path):
    """kill -9 (or SIGTERM) of the runner process alone, not its group: the fork server dies
    with the runner and the held cell with the fork server."""
    for how in (signal.SIGKILL, signal.SIGTERM):
        gate, pid_file = tmp_path / f"gate{how}", tmp_path / f"held{how}.pid"
        agent = {
            "name": agent_ref("Gated"), "gate": str(gate), "gate_from": 0, "label": "gated",
            "pid_file": str(pid_file),
        }  # fmt: skip
        path = write_suite(
            tmp_path / "b.yaml", "k", seeds=[0], envs=["CartPole-v1"], agents=[agent]
        )
        command = cli(
            "run", "k", "--file", str(path), "--store", str(tmp_path / f"{how}.sqlite"),
            "--out", str(tmp_path / "out"), "--quiet",
        )  # fmt: skip
        proc = subprocess.Popen(
            command, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        cell = int(pid_file.read_text())
        assert _alive(cell)
        os.kill(proc.pid, how)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _alive(cell) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(cell), f"the cell outlived a runner killed by {how.name}"
