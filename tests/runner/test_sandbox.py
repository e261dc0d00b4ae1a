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
        "Exiting": ({}, "the agent's process exited with status 3 before answering"),
        "MemoryHog": ({}, "agent.act ran out of memory"),
        "WrongBatch": ({}, "agent returned actions of shape (2,), expected (1,) for 1 envs"),
        "Vandal": (  # read-only without the sandbox; not even there in it
            {"store": str(store_path), "out": str(out / "hostile")},
            ("Read-only file system", "No such file or directory"),
        ),
        "Chatty": ({}, "wrote more than 16 MiB of output; the cell was killed"),
        "Spawner": ({"count": 50, "tag": TAG}, "time limit of 8 s exceeded"),
        "ChildHog": ({}, "memory limit of 600 MiB exceeded by the cell's"),
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
        reasons = reason if isinstance(reason, tuple) else (reason,)
        assert any(r in rows[label].reason for r in reasons), (label, rows[label].reason)
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


# -- the sandbox against hostile submissions ----------------------------------------------------
def _sandbox_or_skip() -> None:
    from entropy_gym.runner.sandbox import unavailable

    reason = unavailable()
    if reason is not None:
        pytest.skip(f"no sandbox here: {reason}")


def _as_user(kind: str) -> list[str]:
    """The command prefix that runs the scenario as the test's user, or as an unprivileged
    one (uid 1000, no capability) through a user namespace where the tests run as root."""
    if kind == "self":
        return []
    if os.geteuid() != 0:
        pytest.skip("the tests already run as an unprivileged user")
    import shutil

    bwrap = shutil.which("bwrap")
    assert bwrap is not None
    return [bwrap, "--dev-bind", "/", "/", "--unshare-user", "--uid", "1000", "--gid", "1000", "--"]


@pytest.mark.parametrize("user", ["self", "unprivileged"])
def test_hostile_agents_cannot_forge_erase_or_stall(tmp_path, user):
    """Each hostile agent of tests/runner/hostile_agents.py is run (as root and as an
    unprivileged user where the tests run as root): the store's earlier rows and the board stay
    byte for byte the same, the forger scores what its honest twin scores, the 1e308 entropy is
    a failed row with its reason, the log flood hurts no other cell, the runner ends on its own
    with its output pipe closed, and no process of any cell is left."""
    import json
    import subprocess
    import sys

    from tests.runner.helpers import REPO, cli_env

    _sandbox_or_skip()
    command = [*_as_user(user), sys.executable, "-m", "tests.runner.hostile_scenario"]
    tmp_path.chmod(0o777)
    done = subprocess.run(
        [*command, str(tmp_path)],
        env=cli_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert (report["uid"] == 0) == (user == "self" and os.geteuid() == 0)
    assert report["earlier_rows_unchanged"] and report["board_unchanged"]
    cells = report["cells"]
    for seed in (0, 1):
        honest = cells[f"Honest/{seed}"]
        assert honest["status"] == "ok"
        assert cells[f"Forger/{seed}"]["returns"] == honest["returns"], cells[f"Forger/{seed}"]
        for label in ("Unmounter", "NamespaceJumper", "LogFlooder"):
            assert cells[f"{label}/{seed}"]["returns"] == honest["returns"], cells
        huge = cells[f"HugeEntropy/{seed}"]
        assert huge["status"] == "failed"
        assert huge["reason"].startswith("the agent reported an entropy of 1e+308 nats"), huge
        assert "outside the bounds of discrete entropies on Discrete(2) [" in huge["reason"]
        assert cells[f"random/{seed}"]["status"] == "ok"
    assert report["runner_rc"] == 0, report["runner_stderr"]
    assert "runner: 6 cells, 6 run" in report["runner_stdout"], report["runner_stdout"]
    assert all(c["status"] == "ok" for c in report["runner_cells"].values()), report
    assert report["daemons_left"] == 0 and report["sandboxes_left"] == 0


def test_an_honest_submission_scores_the_same_outside_as_in_process(tmp_path):
    """The out-of-process evaluation changes nothing an honest agent scores: the same returns,
    lengths, entropies and telemetry as the in-process path, on a vector of 2 envs."""
    from entropy_gym.runner.rollout import run_cell

    path = write_suite(
        tmp_path / "b.yaml", "same", seeds=[3], eval_episodes=3, num_envs=2,
        envs=["CartPole-v1"], agents=[{"name": agent_ref("EpsilonConstant"), "eps": 0.4}],
        budget={"env_steps": 64},
    )  # fmt: skip
    suite = load_suite("same", path)
    (cell,) = expand(suite)
    inside = run_cell(cell, "cpu")
    with Store(tmp_path / "s.sqlite") as store:
        run_cells([cell], store, workers=1, quiet=True)
        (row,) = store.rows("same")
    outside = row.result
    assert row.ok, row.reason
    assert outside.returns == inside.returns and outside.lengths == inside.lengths
    assert outside.entropy == inside.entropy and outside.telemetry == inside.telemetry
    assert outside.agent.config_hash == inside.agent.config_hash
    assert outside.entropy_kind == inside.entropy_kind
    assert outside.provenance["agent_process"] in ("sandboxed", "separate")


def test_no_stored_row_makes_run_show_leaderboard_or_remove_fail(tmp_path, capsys):
    """Rows an older version stored, or a hand-edited store holds (an entropy of 1e308 kept as
    null, a result that is not JSON, returns of 1e300), are failed rows that say why: every
    command still works, and ``remove`` deletes them."""
    import json
    import sqlite3

    from entropy_gym.cli import main
    from entropy_gym.runner.cells import Cell

    path = write_suite(
        tmp_path / "b.yaml", "tiny", seeds=[0, 1], eval_episodes=1,
        envs=["CartPole-v1"], agents=["random"],
    )  # fmt: skip
    suite = load_suite("tiny", path)
    store_path, out = tmp_path / "s.sqlite", tmp_path / "out"
    with Store(store_path) as store:
        run_cells(expand(suite), store, workers=1, quiet=True)
    with sqlite3.connect(store_path) as db:
        (good,) = db.execute("SELECT * FROM cells WHERE seed=0").fetchall()
        names = [d[0] for d in db.execute("SELECT * FROM cells").description]
        for i, damage in enumerate(("entropy", "not json", "returns")):
            row = dict(zip(names, good))
            result = json.loads(row["result"])
            if damage == "entropy":
                result["entropy"] = {"mean": None, "decisions": 1, "episode_mean": [None]}
                row["result"] = json.dumps(result)
            elif damage == "returns":
                result["returns"] = [1e300]
                row["result"] = json.dumps(result)
            else:
                row["result"] = "{not json"
            cell = json.loads(row["cell"])
            cell.update(agent_label=f"broken{i}", source="submit")
            key = Cell.from_dict(cell).key
            row.update(cell_key=key, agent_label=f"broken{i}", source="submit")
            row["cell"] = json.dumps(cell)
            db.execute(
                f"INSERT INTO cells ({','.join(names)}) VALUES ({','.join('?' * len(names))})",
                [row[n] for n in names],
            )
    common = ["--file", str(path), "--store", str(store_path), "--out", str(out), "--quiet"]
    assert main(["run", "tiny", *common]) == 0
    assert main(["leaderboard", "tiny", *common]) == 0
    assert main(["show", "tiny", "--out", str(out)]) == 0
    board = json.loads((out / "tiny" / "results.json").read_text())
    reasons = {c["label"]: c["reason"] for c in board["cells"] if c["status"] == "failed"}
    assert "the entropy summary must have a finite mean" in reasons["broken0"]
    assert "the stored result cannot be read" in reasons["broken1"]
    assert "episode return 1e+300 is not a finite number of at most" in reasons["broken2"]
    for i in range(3):
        assert main(["remove", "tiny", f"broken{i}", *common[:-1]]) == 0
    with Store(store_path) as store:
        assert {r.cell.agent_label for r in store.rows("tiny")} == {"random"}
    assert "Traceback" not in capsys.readouterr().err


def test_the_run_lock_holds_through_a_symlink_to_the_store(tmp_path):
    """The lock is taken on the store's resolved path: a second run through a symlink to the
    same file is refused like one through the same name."""
    from entropy_gym.agents.base import ConfigError

    path = write_suite(
        tmp_path / "b.yaml", "two", seeds=[0], envs=["CartPole-v1"], agents=["random"]
    )
    suite = load_suite("two", path)
    (tmp_path / "link.sqlite").symlink_to(tmp_path / "s.sqlite")
    with Store(tmp_path / "s.sqlite") as first, first.run_lock():
        with Store(tmp_path / "link.sqlite") as second:
            with pytest.raises(ConfigError, match="is in use by another run"):
                run_cells(expand(suite), second, quiet=True)


def test_without_a_sandbox_a_run_warns_or_refuses_as_configured(tmp_path, monkeypatch, capsys):
    """Where no sandbox can be had, a run of an agent that is not built in says so once on
    stderr and goes on; with ENTROPY_GYM_SANDBOX=require its cells fail with the reason."""
    from entropy_gym.runner import run as run_module
    from entropy_gym.runner import sandbox

    monkeypatch.setattr(sandbox, "_probe", lambda: "bubblewrap is not installed (test)")
    monkeypatch.setattr(run_module, "_WARNED", set())
    path = write_suite(
        tmp_path / "b.yaml", "nobox", seeds=[0], eval_episodes=1,
        envs=["CartPole-v1"], agents=[{"name": agent_ref("EpsilonConstant")}],
    )  # fmt: skip
    suite = load_suite("nobox", path)
    with Store(tmp_path / "a.sqlite") as store:
        summary = run_cells(expand(suite), store, workers=1, quiet=True)
    assert summary.ok
    err = capsys.readouterr().err
    assert "run without a sandbox, with this user's rights: bubblewrap is not installed" in err
    monkeypatch.setenv("ENTROPY_GYM_SANDBOX", "require")
    with Store(tmp_path / "b.sqlite") as store:
        summary = run_cells(expand(suite), store, workers=1, quiet=True)
    (failure,) = summary.failed
    assert failure.reason == (
        "the cell needs a sandbox (ENTROPY_GYM_SANDBOX=require), but bubblewrap is not "
        "installed (test)"
    )


def test_a_torch_agent_with_more_than_one_thread_runs_in_the_sandbox(tmp_path):
    """A built-in torch agent, its module preloaded by the fork server, given every CPU
    (``--workers 1``): sizing torch's thread pool starts threads, and a process with threads
    cannot join the sandbox's user namespace, so the pool is sized once the cell is inside.
    A fresh process runs it, because the fork server's preload is fixed when it starts."""
    import subprocess
    import sys

    _sandbox_or_skip()
    path = write_suite(
        tmp_path / "b.yaml", "torch1", seeds=[0], eval_episodes=1, envs=["CartPole-v1"],
        agents=[{"name": "ppo", "n_steps": 32}], budget={"env_steps": 32},
    )  # fmt: skip
    store = tmp_path / "s.sqlite"
    command = [sys.executable, "-m", "entropy_gym", "run", "torch1", "--file", str(path)]
    command += ["--workers", "1", "--store", str(store), "--out", str(tmp_path / "out"), "--quiet"]
    env = {**os.environ, "ENTROPY_GYM_SANDBOX": "require"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with Store(store) as opened:
        (row,) = opened.rows("torch1")
    assert row.ok, row.reason
    assert row.provenance["threads"] == max(1, len(os.sched_getaffinity(0)))
