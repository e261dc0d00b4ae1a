"""The Ray backend runs the same cells with the same results as the local one; the per-cell
isolation that Ray tasks use enforces time limits on its own."""

from __future__ import annotations

import pytest

from entropy_gym.agents.base import ConfigError
from entropy_gym.leaderboard.build import build_results, select_rows
from entropy_gym.runner import Store, expand, load_suite, run_cells
from entropy_gym.runner.backends import make_backend
from entropy_gym.runner.worker import run_isolated
from tests.runner.helpers import agent_ref, write_suite


def test_ray_backend_matches_local(tmp_path):
    pytest.importorskip("ray")
    path = write_suite(
        tmp_path / "b.yaml",
        "r",
        seeds=[0, 1],
        num_envs=2,
        eval_episodes=3,
        envs=["CartPole-v1"],
        agents=["random", {"name": agent_ref("Raising"), "label": "raising"}],
    )
    suite = load_suite("r", path)
    results = {}
    for backend in ("ray", "local"):
        with Store(tmp_path / f"{backend}.sqlite") as store:
            summary = run_cells(expand(suite), store, backend=backend, workers=2, quiet=True)
            assert summary.ran == 4 and len(summary.failed) == 2
            assert {o.reason for o in summary.failed} == {
                "agent.act raised RuntimeError: boom in act"
            }
            results[backend] = build_results(suite, select_rows(store, suite))
    assert results["ray"] == results["local"]


def test_isolated_cell_is_killed_at_its_time_limit(tmp_path):
    path = write_suite(
        tmp_path / "b.yaml",
        "h",
        seeds=[0],
        time_limit_s=1.5,
        envs=["CartPole-v1"],
        agents=[{"name": agent_ref("Hanging")}],
    )
    cell = expand(load_suite("h", path))[0]
    outcome = run_isolated(cell.to_dict(), "cpu")
    assert outcome["status"] == "failed"
    assert outcome["reason"] == "time limit of 1.5 s exceeded; the cell was killed"
    assert 1.5 <= outcome["wall_time_s"] < 30


def test_backend_arguments_are_checked():
    with pytest.raises(ConfigError, match="unknown backend 'dask'"):
        make_backend("dask")
    with pytest.raises(ConfigError, match="--address only applies to --backend ray"):
        make_backend("local", address="ray://x:10001")
    with pytest.raises(ConfigError, match="workers must be >= 1"):
        make_backend("local", workers=0)


@pytest.mark.parametrize("workers", [1, 2])
def test_local_cells_share_the_cpus_between_their_thread_pools(tmp_path, workers, monkeypatch):
    # Cells side by side must not each start one math thread per core (oversubscribed, an
    # LM-training cell ran 2.5-4.5x slower): each gets CPUs // workers threads, at least one.
    from entropy_gym.runner import backends

    monkeypatch.setattr(backends, "default_workers", lambda: 2)
    path = write_suite(
        tmp_path / "b.yaml",
        "t",
        seeds=[0, 1],
        budget={"env_steps": 1},
        envs=["CartPole-v1"],
        agents=[{"name": agent_ref("Threads")}],
    )
    suite = load_suite("t", path)
    with Store(tmp_path / "s.sqlite") as store:
        run_cells(expand(suite), store, backend="local", workers=workers, quiet=True)
        rows = store.rows("t")
    assert len(rows) == 2 and all(r.ok for r in rows)
    expected = 2 // workers
    for row in rows:
        (record,) = row.result.telemetry
        assert record == {"torch_threads": expected, "omp": expected}
        assert row.provenance["threads"] == expected
