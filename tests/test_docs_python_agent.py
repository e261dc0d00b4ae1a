"""The "write and run your own agent from Python" example of docs/agents.md, run as written in
a fresh interpreter: it says where `task` and `make_env` come from, trains a built-in agent,
acts on a batch and evaluates a home-made agent."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.runner.helpers import cli_env

REPO = Path(__file__).resolve().parents[1]


def example() -> str:
    blocks = re.findall(
        r"```python\n(.*?)```", (REPO / "docs" / "agents.md").read_text(), flags=re.S
    )
    (block,) = [b for b in blocks if "class Jitter(BaseAgent)" in b]
    return block


def test_the_python_agent_example_runs_as_written(tmp_path):
    code = example()
    assert "task = make_task(" in code and "def make_env(seed" in code
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ppo, jitter = result.stdout.strip().splitlines()[-2:]
    entropies = [float(x) for x in re.search(r"ppo: \[([^\]]+)\]", ppo).group(1).split()]
    assert len(entropies) == 2 and all(
        1.0 < h < 2.0 for h in entropies
    )  # a 1-D Gaussian, std near 1
    assert "training records: 2" in ppo  # two PPO updates of 64 steps
    match = re.fullmatch(r"jitter: mean return (\S+) over 4 episodes", jitter)
    assert match and float(match.group(1)) > 0
