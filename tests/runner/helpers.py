"""Helpers of the runner tests: suite files, agent references, synthetic stored rows."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from entropy_gym.runner.cells import expand
from entropy_gym.runner.result import CellResult
from entropy_gym.runner.store import Row
from entropy_gym.runner.suite import Suite

HERE = Path(__file__).resolve().parent
AGENTS_FILE = HERE / "agents.py"
REPO = HERE.parents[1]


def agent_ref(cls: str) -> str:
    """``/abs/path/agents.py:Class`` for a test agent."""
    return f"{AGENTS_FILE}:{cls}"


def toy_env_id() -> str:
    from tests.runner import toys  # noqa: F401  (importable through the repository root)

    return "tests.runner.toys:Toy/TextGuess-v0"


def write_suite(path: Path, name: str, **body: Any) -> Path:
    """Write ``{"suites": {name: body}}`` with defaults for the required keys."""
    # 200 bootstrap replications keep tests fast; the statistics tests set their own.
    suite = {
        "description": f"test suite {name}",
        "seeds": [0, 1],
        "eval_episodes": 2,
        "bootstrap_reps": 200,
        **body,
    }
    path.write_text(yaml.safe_dump({"suites": {name: suite}}, sort_keys=False))
    return path


def cli_env() -> dict[str, str]:
    """Environment for ``python -m entropy_gym`` subprocesses: the repository on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["OMP_NUM_THREADS"] = "1"
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "entropy_gym", *args]


def synthetic_rows(
    suite: Suite,
    rng: np.random.Generator,
    *,
    skill: dict[str, Any] | None = None,
    noise: float = 1.0,
    failed: Any = frozenset(),
) -> list[Row]:
    """Stored rows for every cell of ``suite`` with made-up returns and entropies: row label
    ``L`` returns ``skill[L]`` (a number, or ``{env name: number}``) plus N(0, noise) per
    episode; ``failed`` lists (label, env, seed) cells to store as failed."""
    skill = skill or {}
    rows = []
    for cell in expand(suite):
        if (cell.agent_label, cell.env_name, cell.seed) in failed:
            rows.append(
                Row(
                    cell,
                    "failed",
                    "agent.act raised RuntimeError: boom",
                    None,
                    None,
                    {"device": "cpu"},
                    0.1,
                    "2026-01-01T00:00:00",
                )
            )
            continue
        base = skill.get(cell.agent_label, 0.0)
        if isinstance(base, dict):
            base = base[cell.env_name]
        returns = (base + noise * rng.normal(0, 1, cell.eval_episodes)).tolist()
        h = float(rng.uniform(0.1, 1.0))
        by_step = list(np.linspace(h * 1.2, h * 0.8, 20))
        result = {
            "returns": returns,
            "lengths": [20] * cell.eval_episodes,
            "metrics": {"hits": base},
            "episode_metrics": {},
            "telemetry": [],
            "entropy": {
                "mean": h,
                "decisions": 40,
                "episode_mean": [h] * cell.eval_episodes,
                "episode_var": [0.0] * cell.eval_episodes,
                "by_step": by_step,
                "by_step_count": [cell.eval_episodes] * 20,
            },
            "env": {
                "spec": None,
                "family": None,
                "max_entropy": float(np.log(2)),
                "action_dims": 1,
            },
            "agent": {"config": dict(cell.agent_config), "config_hash": "x"},
            "provenance": {"device": "cpu", "package_version": "0.1.0"},
        }
        rows.append(
            Row(
                cell,
                "ok",
                None,
                CellResult.from_dict(result),
                None,
                result["provenance"],
                0.1,
                "2026-01-01T00:00:00",
            )
        )
    return rows
