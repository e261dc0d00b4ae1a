"""Tiny suites end to end on the local backend: results, provenance, determinism, resume,
text envs, and agents that fail in every way a cell can fail."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import entropy_gym
from entropy_gym.agents.registry import config_hash
from entropy_gym.cli import main
from entropy_gym.leaderboard.build import build_results, select_rows
from entropy_gym.leaderboard.publish import publish_from_store
from entropy_gym.runner import Store, check_runnable, expand, load_suite, run_cells
from entropy_gym.runner.suite import AgentEntry
from tests.runner.helpers import agent_ref, toy_env_id, write_suite

AGENTS = [
    "random",
    {"name": agent_ref("EpsilonConstant"), "eps": 0.2, "label": "eps0.2"},
    {"name": agent_ref("Learner"), "label": "learner"},
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny suite run once on the local backend (2 workers), and its leaderboard."""
    tmp = tmp_path_factory.mktemp("tiny")
    path = write_suite(
        tmp / "b.yaml",
        "tiny",
        seeds=[0, 1],
        num_envs=2,
        eval_episodes=3,
        budget={"env_steps": 2000},
        metrics=["hits"],
        envs=["CartPole-v1", "Pendulum-v1"],
        agents=AGENTS,
    )
    suite = load_suite("tiny", path)
    check_runnable(suite)
    store = Store(tmp / "store.sqlite")
    summary = run_cells(expand(suite), store, workers=2, quiet=True)
    results = publish_from_store(suite, store, tmp / "lb")
    yield suite, store, summary, results, tmp
    store.close()


def test_every_cell_finishes_with_its_episodes(tiny):
    _suite, store, summary, _, _ = tiny
    assert summary.total == 12 and summary.ran == 12 and summary.ok
    rows = store.rows("tiny")
    assert len(rows) == 12 and all(r.ok for r in rows)
    for row in rows:
        res = row.result
        assert len(res.returns) == len(res.lengths) == 3
        if row.cell.env_id == "CartPole-v1":  # reward 1 per step: return == length
            assert res.returns == [float(n) for n in res.lengths]
        else:
            assert res.lengths == [200, 200, 200]  # Pendulum's time limit
            assert all(-16.3 * 200 <= r <= 0 for r in res.returns)


def test_rows_carry_provenance(tiny):
    _, store, _, _, _ = tiny
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    row = next(r for r in store.rows("tiny") if r.cell.env_id == "CartPole-v1")
    prov = row.provenance
    assert prov["package_version"] == entropy_gym.__version__ and prov["device"] == "cpu"
    assert set(prov["git"]) == {"commit", "dirty"}
    assert {"numpy", "gymnasium", "ale-py", "rliable"} <= set(prov["libraries"])
    assert prov["hostname"] and prov["platform"] and prov["python"]
    assert json.loads(row.result.env.spec)["id"] == "CartPole-v1"
    config = row.result.agent.config
    assert (
        config["name"] == row.cell.agent_config["name"]
        or config["name"].endswith(":EpsilonConstant")
        or config["name"].endswith(":Learner")
    )
    assert row.result.agent.config_hash == config_hash(config)
    timing = row.result.timing
    assert row.wall_time_s > timing.total_s > 0
    assert timing.total_s >= timing.setup_s + timing.train_s + timing.eval_s


def test_entropy_telemetry_and_collapse(tiny):
    _, store, _, results, _ = tiny
    by_label = {r["label"]: r for r in results["rows"]}
    # Uniform random on CartPole (Shannon, log 2) and Pendulum (differential, log 4 for a
    # Box of width 4): two columns, never their average; each cell says which it is.
    assert by_label["random"]["entropies"] == pytest.approx(
        {"discrete/executed": math.log(2), "continuous/executed": math.log(4)}
    )
    assert by_label["random"]["entropy"] is None
    kinds = {c["env"]: c["entropy_kind"] for c in results["cells"] if c["label"] == "random"}
    assert kinds["CartPole-v1"] == {
        "kind": "discrete",
        "distribution": "executed",
        "basis": "exact",
    }
    assert kinds["Pendulum-v1"]["kind"] == "continuous"
    # Epsilon-constant reports entropy on CartPole only (None on the Box env).
    p = np.array([0.9, 0.1])
    assert by_label["eps0.2"]["per_task"]["CartPole-v1"]["entropy"] == pytest.approx(
        -(p * np.log(p)).sum()
    )
    assert by_label["eps0.2"]["per_task"]["Pendulum-v1"]["entropy"] is None
    # The learner's training entropy decays from log 2 to 0.9**40 * log 2, judged on training:
    # collapsed on CartPole (below 10% of log 2); on the Box env the rule asks for a drop of
    # ln 10 nats per dimension, which 0.68 nats is not.
    learner_cells = [c for c in results["cells"] if c["label"] == "learner"]
    assert all(c["collapse_source"] == "training" for c in learner_cells)
    assert [c["collapsed"] for c in learner_cells if c["env"] == "CartPole-v1"] == [True, True]
    assert [c["collapsed"] for c in learner_cells if c["env"] == "Pendulum-v1"] == [False, False]
    assert by_label["random"]["collapsed"] == 0 and by_label["random"]["collapse_known"] == 4
    # Its telemetry pairs follow R = -2 exp(H) + 10 exactly: the per-cell fit recovers a and b.
    fit = learner_cells[0]["fit"]
    assert fit["a"] == pytest.approx(2.0) and fit["b"] == pytest.approx(10.0) and fit["n"] == 40
    # Success per update, averaged over the row's cells: u / (u + 10) for u = 1..40.
    success = by_label["learner"]["per_task"]["CartPole-v1"]["success_training"]
    assert success == pytest.approx([u / (u + 10) for u in range(1, 41)])
    assert by_label["random"]["per_task"]["CartPole-v1"]["success_training"] == []
    row = next(r for r in store.rows("tiny") if r.cell.agent_label == "learner")
    assert len(row.result.telemetry) == 40 and row.result.telemetry[0]["step"] == 50


def test_leaderboard_files(tiny):
    _, _, _, results, tmp = tiny
    out = tmp / "lb" / "tiny"
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk["rows"] == results["rows"]
    assert {
        "aggregates.svg",
        "profile.svg",
        "entropy_return.svg",
        "entropy_trajectory.svg",
        "entropy_training.svg",
        "success_training.svg",
    } <= set(results["plots"])
    md = (out / "leaderboard.md").read_text()
    assert (
        "| rank | agent | intervention | IQM [95% CI] | mean [95% CI] | H sampled (nats) | "
        "h sampled (nats) | collapsed | cells failed | hits |" in md
    )
    assert {"cells.csv", "telemetry.csv"} <= {p.name for p in out.iterdir()}
    assert results["scores"]["kind"] == "raw"  # neither env has anchors in the catalog or the suite
    provenance = json.loads((out / "provenance.json").read_text())
    assert len(provenance) == 12 and all(
        "wall_time_s" in p and "libraries" in p for p in provenance
    )
    assert (tmp / "lb" / "site" / "index.html").is_file()


def test_same_seeds_same_numbers_and_resume_skips_stored_cells(tiny, tmp_path):
    suite, _store, _, results, _ = tiny
    again = Store(tmp_path / "again.sqlite")
    cells = expand(suite)
    # Half the cells first (as if interrupted), then the whole suite: only the rest runs.
    first = run_cells(cells[:5], again, workers=1, quiet=True)
    second = run_cells(cells, again, workers=2, quiet=True)
    assert (first.ran, second.ran, second.skipped) == (5, 7, 5)
    from entropy_gym.leaderboard.publish import scrub_paths

    rebuilt = scrub_paths(build_results(suite, select_rows(again, suite)))  # as published
    rebuilt["plots"] = results["plots"]
    assert json.dumps(rebuilt, sort_keys=True) == json.dumps(results, sort_keys=True)
    assert run_cells(cells, again, quiet=True).ran == 0
    again.close()


def test_text_env_replies_metrics_and_task_info(tmp_path):
    path = write_suite(
        tmp_path / "b.yaml",
        "text",
        seeds=[0],
        num_envs=2,
        eval_episodes=4,
        metrics=["hits", "invalid_rate"],
        envs=[toy_env_id()],
        agents=[{"name": agent_ref("TextReplies"), "label": "replies"}, "random"],
    )
    suite = load_suite("text", path)
    check_runnable(suite)
    with Store(tmp_path / "s.sqlite") as store:
        summary = run_cells(expand(suite), store, workers=2, quiet=True)
        assert summary.ok, [f.reason for f in summary.failed]
        rows = {r.cell.agent_label: r.result for r in store.rows("text")}
        results = build_results(suite, select_rows(store, suite))
    replies = rows["replies"]
    assert replies.lengths == [5, 5, 5, 5]
    # Every third decision is gibberish: the env flags it (invalid_rate > 0) instead of raising.
    assert 0 < replies.metrics["invalid_rate"] < 1
    assert len(replies.episode_metrics["hits"]) == 4
    assert replies.returns == replies.episode_metrics["hits"]
    assert rows["random"].metrics["invalid_rate"] == 0
    by_label = {r["label"]: r for r in results["rows"]}
    assert by_label["replies"]["metrics"]["invalid_rate"] == pytest.approx(
        replies.metrics["invalid_rate"]
    )


FAILING = {
    "Raising": "agent.act raised RuntimeError: boom in act",
    "SetupRaising": "agent.setup raised ValueError: cannot handle CartPole-v1",
    "NaNAction": "agent returned a NaN action (env 0)",
    "NaNEntropy": "agent returned a NaN entropy (env 0)",
    "OutOfSpace": "agent returned an action outside the action space Discrete(2) (env 0: 2)",
    "Hanging": "time limit of 6 s exceeded; the cell was killed",
    "Exiting": "the agent's process exited with status 3 before answering",
    "Missing": "building the agent raised ConfigError",
}


def test_failing_agents_are_recorded_while_the_others_finish(tmp_path):
    agents = ["random"] + [{"name": agent_ref(cls), "label": cls} for cls in FAILING]
    path = write_suite(
        tmp_path / "b.yaml",
        "fail",
        seeds=[0, 1],
        eval_episodes=2,
        time_limit_s=6,
        envs=["CartPole-v1"],
        agents=agents,
    )
    suite = load_suite("fail", path)
    with Store(tmp_path / "s.sqlite") as store:
        summary = run_cells(expand(suite), store, workers=2, quiet=True)
        rows = store.rows("fail")
        results = build_results(suite, select_rows(store, suite))
    assert summary.ran == 18 and len(summary.failed) == 16
    for row in rows:
        if row.cell.agent_label == "random":
            assert row.ok and len(row.result.returns) == 2
        else:
            assert row.status == "failed"
            assert FAILING[row.cell.agent_label] in row.reason
            assert "\n" not in row.reason
    raising = next(r for r in rows if r.cell.agent_label == "Raising")
    assert "Traceback" in raising.detail and "boom in act" in raising.detail
    by_label = {r["label"]: r for r in results["rows"]}
    assert by_label["random"]["rank"] == 1 and by_label["random"]["cells_failed"] == 0
    assert by_label["Raising"]["cells_failed"] == 2 and by_label["Raising"]["iqm"] is None


def test_memory_limit_fails_the_cell_with_the_reason(tmp_path):
    path = write_suite(
        tmp_path / "b.yaml", "mem", seeds=[0], envs=["CartPole-v1"], agents=["random"]
    )
    suite = load_suite("mem", path)
    hog = AgentEntry("hog", {"name": agent_ref("MemoryHog")})
    cells = expand(suite, [hog], memory_limit_mb=2048) + expand(suite, memory_limit_mb=2048)
    with Store(tmp_path / "s.sqlite") as store:
        summary = run_cells(cells, store, workers=2, quiet=True)
    assert [o.cell.agent_label for o in summary.failed] == ["hog"]
    reason = summary.failed[0].reason
    assert "agent.act ran out of memory" in reason and "memory limit is 2048 MiB" in reason


def test_cli_run_exits_1_when_cells_fail_and_show_prints_the_table(tmp_path, capsys):
    path = write_suite(
        tmp_path / "b.yaml",
        "mix",
        seeds=[0],
        eval_episodes=2,
        envs=["CartPole-v1"],
        agents=["random", {"name": agent_ref("Raising"), "label": "raising"}],
    )
    args = [
        "--file",
        str(path),
        "--store",
        str(tmp_path / "s.sqlite"),
        "--out",
        str(tmp_path / "lb"),
    ]
    assert main(["run", "mix", *args, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert (
        "failed: raising on CartPole-v1 seed 0: agent.act raised RuntimeError: boom in act" in err
    )
    assert main(["show", "mix", "--out", str(tmp_path / "lb")]) == 0
    out = capsys.readouterr().out
    assert "random" in out and "raising" in out and "1/1" in out and "IQM [95% CI]" in out
    assert main(["show", "nope", "--out", str(tmp_path / "lb")]) == 2
    from entropy_gym.leaderboard.publish import load_results
    from entropy_gym.leaderboard.show import _print_plain

    capsys.readouterr()
    _print_plain(load_results("mix", tmp_path / "lb"))  # without rich installed
    plain = capsys.readouterr().out.splitlines()
    assert plain[1].split()[:3] == ["rank", "agent", "intervention"]
    assert plain[3].split()[:3] == ["1", "random", "none"]
    # Failures are grouped by agent and reason (with their count).
    assert "failed: raising, 1 cells: agent.act raised RuntimeError: boom in act" in plain[-1]
