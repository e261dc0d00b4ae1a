"""What evaluating a submitted agent outside its process costs, per vector step, against the
in-process path that built-in agents keep: on a STORI (ALE Breakout, 210x160x3 frames, which
go through shared memory) and a text-bandit cell (string observations, pickled).

Run with::

    pytest tests/benchmarks/test_agent_process_speed.py --benchmark-only -m "" -s

The same cell (a uniform random agent, ``EpsilonConstant(eps=1)`` of ``tests/runner/agents.py``, 4 envs) is played in-process
(:func:`~entropy_gym.runner.rollout.run_cell`) and out of process
(:func:`~entropy_gym.runner.agent_process.run_outside`, in the sandbox where this machine has
one), alternately, ``ROUNDS`` times each; both record the seconds of their evaluation phase,
and the number of vector steps comes from one plain :func:`~entropy_gym.runner.evaluation.evaluate`
of the same agent and seed (the trajectories are the same). Reported: the medians of the
evaluation time per vector step, their ratio and difference, and the cell's start-up cost
outside (fork, sandbox, the agent's process). Figures, not timed assertions.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from entropy_gym.agents.registry import make_agent
from entropy_gym.runner import expand, load_suite
from entropy_gym.runner.evaluation import evaluate
from tests.runner.helpers import agent_ref, write_suite

ROUNDS = 5
NUM_ENVS = 4
CASES: dict[str, tuple[str, dict[str, Any], int]] = {
    "stori": ("STORI/Breakout-T1-v0", {"max_episode_steps": 200}, 8),
    "text": ("TextBandit/Bernoulli-K5-hard-v0", {"horizon": 100}, 16),
}
_FIGURES: dict[str, dict[str, float]] = {}


def _cell(tmp_path: Path, env_id: str, kwargs: dict[str, Any], episodes: int) -> Any:
    path = write_suite(
        tmp_path / "b.yaml", "speed", seeds=[0], eval_episodes=episodes, num_envs=NUM_ENVS,
        envs=[{"id": env_id, "kwargs": kwargs}],
        agents=[{"name": agent_ref("EpsilonConstant"), "eps": 1.0}],
    )  # fmt: skip
    (cell,) = expand(load_suite("speed", path))
    return cell


def _outside(cell: Any) -> tuple[float, float]:
    """``(evaluation seconds, whole cell seconds)`` of one out-of-process cell, in the
    sandbox where there is one (its start and stop included)."""
    from entropy_gym.runner import sandbox
    from entropy_gym.runner.agent_process import agent_file, run_outside

    started = time.perf_counter()
    box = None
    if sandbox.unavailable() is None:
        folder = str(Path(agent_file(cell) or ".").parent)
        box = sandbox.start(sandbox.AGENT, log_fd=None, extra_read=[folder])
    try:
        result = run_outside(cell, "cpu", box.join_spec() if box else None)
    finally:
        if box is not None:
            box.stop()
    return result.timing.eval_s, time.perf_counter() - started


@pytest.mark.parametrize("case", list(CASES))
def test_out_of_process_evaluation_overhead_per_step(benchmark, tmp_path, case):
    from entropy_gym.runner.rollout import run_cell
    from entropy_gym.runner.sandbox import unavailable

    env_id, kwargs, episodes = CASES[case]
    cell = _cell(tmp_path, env_id, kwargs, episodes)
    steps = evaluate(
        make_agent(dict(cell.agent_config)), env_id, kwargs,
        episodes=episodes, seed=cell.seed, num_envs=NUM_ENVS,
    ).vector_steps  # fmt: skip
    inside, outside, cell_in, cell_out = [], [], [], []

    def both() -> None:
        for _ in range(ROUNDS):
            started = time.perf_counter()
            inside.append(run_cell(cell, "cpu").timing.eval_s)
            cell_in.append(time.perf_counter() - started)
            eval_s, whole = _outside(cell)
            outside.append(eval_s)
            cell_out.append(whole)

    benchmark.pedantic(both, rounds=1, iterations=1)
    per_in = statistics.median(inside) / steps * 1e3
    per_out = statistics.median(outside) / steps * 1e3
    figures = {
        "vector_steps": steps,
        "in_process_ms_per_step": per_in,
        "outside_ms_per_step": per_out,
        "overhead_ms_per_step": per_out - per_in,
        "ratio": per_out / per_in,
        "cell_overhead_s": statistics.median(cell_out) - statistics.median(cell_in),
        "sandboxed": float(unavailable() is None),
    }
    benchmark.extra_info.update(figures)
    _FIGURES[case] = figures
    print(
        f"\n{case} ({env_id}, {NUM_ENVS} envs, {steps} vector steps): in process "
        f"{per_in:.3f} ms/step, outside {per_out:.3f} ms/step (x{per_out / per_in:.2f}, "
        f"+{per_out - per_in:.3f} ms/step); whole cell +"
        f"{figures['cell_overhead_s']:.2f} s; sandboxed: {unavailable() is None}"
    )
