"""Runner speed: per-cell overhead against a bare loop over the same episodes (local and Ray),
and the leaderboard build time for 10,000 stored rows with the vectorised bootstraps against
rliable's own.

Run with::

    pytest tests/benchmarks/test_runner_speed.py --benchmark-only -m "" -s

Each test prints its figures and stores them in the benchmark's ``extra_info``. Figures are
ratios or differences against a baseline measured in the same run, never timed assertions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from entropy_gym.leaderboard.build import build_results, select_rows
from entropy_gym.runner import Store, expand, load_suite, run_cells
from entropy_gym.runner.evaluation import env_seeds, episode_quota
from entropy_gym.runner.rollout import run_cell
from entropy_gym.runner.worker import Outcome
from entropy_gym.scoring import aggregate
from tests import rliable_reference as reference
from tests.runner.helpers import synthetic_rows, write_suite

CELLS = 8
EPISODES = 8
NUM_ENVS = 2


def bare_loop(seeds: list[int]) -> None:
    """The same episodes as the runner's cells, in one process: a vector env, uniform random
    actions from a seeded generator, no agent interface, checks, processes or store."""
    for seed in seeds:
        vec = gym.vector.SyncVectorEnv(
            [lambda: gym.make("CartPole-v1")] * NUM_ENVS,
            autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
        )
        vec.reset(seed=env_seeds(seed, NUM_ENVS))
        rng = np.random.default_rng(seed)
        quota, counted = episode_quota(EPISODES, NUM_ENVS), [0] * NUM_ENVS
        while sum(counted) < EPISODES:
            _, _, term, trunc, _ = vec.step(rng.integers(2, size=NUM_ENVS))
            for i in np.flatnonzero(term | trunc):
                counted[i] = min(quota[i], counted[i] + 1)
        vec.close()


def best_of(fn, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _suite(tmp_path: Path):
    path = write_suite(
        tmp_path / "b.yaml",
        "speed",
        seeds=list(range(CELLS)),
        num_envs=NUM_ENVS,
        eval_episodes=EPISODES,
        envs=["CartPole-v1"],
        agents=["random"],
    )
    return load_suite("speed", path)


def _overhead(benchmark, tmp_path, backend: str) -> None:
    suite = _suite(tmp_path)
    cells = expand(suite)
    bare = best_of(lambda: bare_loop(list(suite.seeds)))
    # The cell lifecycle in this process: the agent interface and the per-step checks, without
    # processes, scheduling, provenance or the store.
    lifecycle = best_of(lambda: [run_cell(c, "cpu") for c in cells])
    counter = iter(range(10**6))

    def run() -> None:
        with Store(tmp_path / f"{backend}-{next(counter)}.sqlite") as store:
            summary = run_cells(cells, store, backend=backend, workers=1, quiet=True)
        assert summary.ran == CELLS and summary.ok

    run()  # warm: the fork server (local) or the Ray workers start once per run, not per cell
    benchmark.pedantic(run, rounds=3, iterations=1)
    runner = benchmark.stats.stats.min
    per_cell_ms = (runner - bare) / CELLS * 1e3
    machinery_ms = (runner - lifecycle) / CELLS * 1e3
    benchmark.extra_info.update(
        {
            "bare_s": bare,
            "lifecycle_s": lifecycle,
            "runner_s": runner,
            "ratio": runner / bare,
            "overhead_ms_per_cell": per_cell_ms,
            "machinery_ms_per_cell": machinery_ms,
            "cells": CELLS,
        }
    )
    print(
        f"\n{backend}: {CELLS} cells of {EPISODES} CartPole episodes: bare loop {bare:.3f} s, "
        f"cell lifecycle in-process {lifecycle:.3f} s, runner {runner:.3f} s (x{runner / bare:.2f} the bare "
        f"loop); overhead {per_cell_ms:.1f} ms per cell, of which processes, scheduling, provenance "
        f"and store {machinery_ms:.1f} ms"
    )


def test_local_overhead_per_cell(benchmark, tmp_path):
    _overhead(benchmark, tmp_path, "local")


def test_ray_overhead_per_cell(benchmark, tmp_path):
    ray = pytest.importorskip("ray")
    start = time.perf_counter()
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    print(f"\nray.init: {time.perf_counter() - start:.1f} s (once per run, not per cell)")
    try:
        _overhead(benchmark, tmp_path, "ray")
    finally:
        ray.shutdown()


def test_leaderboard_build_10000_rows(benchmark, tmp_path):
    agents = [{"name": "random", "label": f"agent{i}"} for i in range(10)]
    path = write_suite(
        tmp_path / "b.yaml",
        "big",
        seeds=list(range(50)),
        eval_episodes=8,
        bootstrap_reps=2000,
        envs=[
            {"id": "CartPole-v1", "name": f"env{j}", "kwargs": {"max_episode_steps": 100 + j}}
            for j in range(20)
        ],
        agents=agents,
    )
    suite = load_suite("big", path)
    rows = synthetic_rows(
        suite, np.random.default_rng(0), skill={a["label"]: i * 0.1 for i, a in enumerate(agents)}
    )
    assert len(rows) == 10_000
    with Store(tmp_path / "big.sqlite") as store:
        for row in rows:
            store.write(
                Outcome(
                    row.cell,
                    row.status,
                    row.result,
                    row.reason,
                    None,
                    row.wall_time_s,
                    row.provenance,
                )
            )
        load = best_of(lambda: select_rows(store, suite), rounds=2)
        stored = select_rows(store, suite)
    assert len(stored) == 10_000
    build_results(suite, stored[:200])  # warm imports outside the timing
    benchmark.pedantic(lambda: build_results(suite, stored), rounds=2, iterations=1)
    build = benchmark.stats.stats.min
    with rliable_bootstraps():  # the same build with rliable's per-replication bootstraps
        before = best_of(lambda: build_results(suite, stored), rounds=2)
        theirs = build_results(suite, stored)
    ours = build_results(suite, stored)
    for key in ("rows", "probability_of_improvement", "profiles"):
        assert ours[key] == theirs[key], key  # the same intervals, bit for bit
    benchmark.extra_info.update(
        {"rows": 10_000, "load_s": load, "build_s": build, "rliable_build_s": before}
    )
    print(
        f"\nleaderboard of 10,000 rows (10 agents x 20 envs x 50 seeds, 2000 bootstrap replications): "
        f"load from SQLite {load:.2f} s, build {build:.2f} s; with rliable's bootstraps "
        f"{before:.2f} s (x{before / build:.2f})"
    )


@contextmanager
def rliable_bootstraps() -> Iterator[None]:
    """Swap the leaderboard's vectorised bootstraps for rliable's own (the baseline)."""
    from entropy_gym.leaderboard import build

    names = ("aggregate_estimates", "improvement_estimate", "performance_profiles")
    saved = {n: getattr(build, n) for n in names}
    try:
        for n in names:
            setattr(build, n, getattr(reference, n))
        yield
    finally:
        for n, f in saved.items():
            setattr(build, n, f)


def test_bootstraps_vectorised_vs_rliable(benchmark):
    """Each bootstrap of a 50-seed x 20-env board, vectorised vs rliable's, 2000 replications."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 20)), rng.normal(0.1, 1.0, size=(50, 20))
    taus = np.linspace(-2, 2, 101)
    jobs = {
        "aggregate": lambda m: m.aggregate_estimates({"A": x}, 2000),
        "improvement": lambda m: m.improvement_estimate(x, y, 2000),
        "profiles": lambda m: m.performance_profiles({"A": x}, taus, 2000),
    }
    figures = {}
    for name, job in jobs.items():
        assert job(aggregate) == job(reference), name
        ours = best_of(lambda job=job: job(aggregate), rounds=3)
        theirs = best_of(lambda job=job: job(reference), rounds=2)
        figures[name] = (ours, theirs)
        print(
            f"\n{name}: vectorised {ours * 1e3:.0f} ms, rliable {theirs * 1e3:.0f} ms (x{theirs / ours:.1f})"
        )
    benchmark.pedantic(lambda: [job(aggregate) for job in jobs.values()], rounds=2, iterations=1)
    benchmark.extra_info.update(
        {k: {"vectorised_s": a, "rliable_s": b} for k, (a, b) in figures.items()}
    )
