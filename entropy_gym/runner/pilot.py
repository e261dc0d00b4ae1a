"""Measure what a suite's cells cost before running it: ``python -m entropy_gym.runner.pilot
SUITE --envs ID[,ID] --agents LABEL[,LABEL] --seeds N``.

Runs the chosen (agent, env) pairs of the suite with its first ``N`` seeds in this process,
as the runner would (a seed group for agents that batch seeds, else one cell after another),
and prints per pair the CPU seconds (this process and its threads, so a loaded machine
inflates it less than wall-clock time), the wall-clock seconds, and the mean evaluation return.
Multiply the CPU seconds per seed by the suite's seeds and pairs, and divide by the cores, to
estimate a board's duration. Nothing is stored.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from entropy_gym.runner.cells import expand
from entropy_gym.runner.groups import batches_seeds
from entropy_gym.runner.rollout import run_cell, run_seed_group
from entropy_gym.runner.suite import load_suites


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite")
    parser.add_argument("--file", type=Path, default=Path("benchmarks.yaml"))
    parser.add_argument("--envs", required=True, help="comma-separated env ids of the suite")
    parser.add_argument("--agents", required=True, help="comma-separated agent labels")
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args(argv)
    suite = load_suites(args.file)[args.suite]
    envs, labels = args.envs.split(","), args.agents.split(",")
    cells = [
        c
        for c in expand(suite)
        if c.env_id in envs and c.agent_label in labels and c.seed in suite.seeds[: args.seeds]
    ]
    print("agent | env | seeds | CPU s per seed | wall s per seed | mean return")
    for label in labels:
        for env in envs:
            group = [c for c in cells if c.agent_label == label and c.env_id == env]
            if not group:
                continue
            cpu, wall = time.process_time(), time.perf_counter()
            if batches_seeds(group[0].agent_config.get("name")):
                results = run_seed_group(group, "cpu")
            else:
                results = [run_cell(c, "cpu") for c in group]
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            returns = [r.mean_return for r in results]
            print(
                f"{label} | {env} | {len(group)} | {cpu / len(group):.1f} | "
                f"{wall / len(group):.1f} | {np.mean(returns):.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
