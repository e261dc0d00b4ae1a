"""Hostile or broken submissions: each ends as a failed row with the right reason, the other
cells finish, the store and the boards are untouched, and no process is left behind."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from entropy_gym.runner import Store, expand, load_suite, run_cells
from entropy_gym.runner.sandbox import protect_read_only
from entropy_gym.runner.suite import AgentEntry
from tests.runner.helpers import agent_ref, write_suite

TAG = f"entropy-gym-sandbox-test-{os.getpid()}"


def _tagged() -> list[int]:
    """Live processes whose command line carries this test's tag."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                if TAG.encode() in f.read():
                    with open(f"/proc/{name}/stat", "rb") as s:
                        if s.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                            out.append(int(name))
        except OSError:
            continue
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _namespaces_work(tmp_path: Path) -> bool:
    probe = tmp_path / "probe"
    probe.write_text("x")
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        reason = protect_read_only([str(probe)])
        try:
            probe.write_text("y")
        except OSError:
            os._exit(0 if reason is None else 1)
        os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0 and probe.read_text() == "x"


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")
def test_hostile_submissions_fail_alone_and_leave_nothing_behind(tmp_path):
    if not _namespaces_work(tmp_path):
        pytest.skip("this kernel allows no mount namespace: the store cannot be write-protected")
    out = tmp_path / "boards"
    (out / "hostile").mkdir(parents=True)
    (out / "hostile" / "leaderboard.md").write_text("the committed board\n")
    store_path = tmp_path / "s.sqlite"
    path = write_suite(
        tmp_path / "b.yaml", "hostile", seeds=[0], eval_episodes=2, time_limit_s=8,
        envs=["CartPole-v1"], agents=["random"],
    )  # fmt: skip
    suite = load_suite("hostile", path)
    hostile = {
        "Raising": ({}, "agent.act raised RuntimeError: boom in act"),
        "NaNAction": ({}, "agent returned a NaN action (env 0)"),
        "Hanging": ({}, "time limit of 8 s exceeded; the cell was killed"),
        "Exiting": ({}, "the cell process exited with status 3 before sending a result"),
        "MemoryHog": ({}, "agent.act ran out of memory"),
        "WrongBatch": ({}, "agent returned actions of shape (2,), expected (1,) for 1 envs"),
        "Vandal": (
            {"store": str(store_path), "out": str(out / "hostile")},
            "Read-only file system",
        ),
        "Chatty": ({}, "wrote more than 16 MiB of output; the cell was killed"),
        "Spawner": ({"count": 50, "tag": TAG}, "time limit of 8 s exceeded"),
        "ChildHog": ({}, "memory limit of 600 MiB exceeded by the cell's 5 processes together"),
    }
    entries = [
        AgentEntry(label, {"name": agent_ref(label), **params})
        for label, (params, _) in hostile.items()
    ]
    with Store(store_path) as store:
        cells = expand(suite, memory_limit_mb=600) + expand(suite, entries, memory_limit_mb=600)
        before = _digest(out)
        summary = run_cells([c for c in cells], store, workers=2, quiet=True, protect=(str(out),))
        rows = {r.cell.agent_label: r for r in store.rows("hostile")}
    assert _digest(out) == before
    assert set(rows) == {"random", *hostile}
    assert rows["random"].ok and len(rows["random"].result.returns) == 2
    for label, (_, reason) in hostile.items():
        assert rows[label].status == "failed", label
        assert reason in rows[label].reason, (label, rows[label].reason)
        assert "\n" not in rows[label].reason
    assert len(summary.failed) == len(hostile)
    deadline = time.monotonic() + 10
    while _tagged() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _tagged() == []


def test_two_runs_on_one_store_are_refused_with_one_line(tmp_path):
    from entropy_gym.agents.base import ConfigError

    path = write_suite(
        tmp_path / "b.yaml", "two", seeds=[0], envs=["CartPole-v1"], agents=["random"]
    )
    suite = load_suite("two", path)
    with Store(tmp_path / "s.sqlite") as first, first.run_lock():
        with Store(tmp_path / "s.sqlite") as second:
            with pytest.raises(ConfigError) as err:
                run_cells(expand(suite), second, quiet=True)
    message = str(err.value)
    assert f"is in use by another run (pid {os.getpid()})" in message and "\n" not in message
    with Store(tmp_path / "s.sqlite") as store:  # released: the next run goes ahead
        assert run_cells(expand(suite), store, quiet=True).ran == 1
