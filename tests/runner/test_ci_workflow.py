"""The documented CI workflow (docs/ci/github-actions.yml): its entropy-gym steps, run as the
workflow runs them, pass on a board that reproduces and fail on one that does not, and always
leave the re-run's board and a Markdown job summary behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.runner.helpers import REPO, cli, cli_env, write_suite

WORKFLOW = REPO / "docs" / "ci" / "github-actions.yml"


def entropy_gym_steps() -> list[dict]:
    """The workflow's steps that run entropy-gym, in order."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["leaderboard"]["steps"]
    return [s for s in steps if "entropy-gym" in s.get("run", "")]


def run_step(step: dict, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def project(tmp_path):
    """A user's repository: a suite file and its committed board."""
    write_suite(
        tmp_path / "benchmarks.yaml",
        "mine",
        seeds=[0, 1, 2],
        eval_episodes=2,
        envs=["CartPole-v1"],
        agents=["random"],
    )
    made = subprocess.run(
        [*cli("run", "mine", "--quiet", "--publish", "--store", str(tmp_path / "made.sqlite"))],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    env = {
        **cli_env(),
        "SUITE": "mine",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    return tmp_path, env


def test_the_workflow_names_the_suite_that_ci_checks():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["env"]["SUITE"] == "ci-check"
    names = [s.get("name") for s in workflow["jobs"]["leaderboard"]["steps"]]
    assert names.index("Reproduce the committed leaderboard") < names.index("Job summary")
    assert all(
        s.get("if") == "always()"
        for s in workflow["jobs"]["leaderboard"]["steps"]
        if s.get("name") in ("Job summary", "Keep the re-run's board")
    )


def test_workflow_steps_pass_on_a_reproducing_board(project):
    root, env = project
    check, summary = entropy_gym_steps()
    result = run_step(check, root, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mine: committed leaderboard reproduces" in result.stdout
    assert run_step(summary, root, env).returncode == 0
    table = (root / "summary.md").read_text()
    assert "| rank | agent |" in table and "random" in table
    assert (
        json.loads((root / "runs/fresh/mine/results.json").read_text())["suite"]["name"] == "mine"
    )


def test_workflow_check_fails_on_a_regression_and_still_writes_the_summary(project):
    root, env = project
    committed = root / "leaderboards" / "mine" / "results.json"
    results = json.loads(committed.read_text())
    row = results["rows"][0]
    row["iqm"], row["iqm_ci"] = row["iqm"] + 100.0, [row["iqm"] + 99.0, row["iqm"] + 101.0]
    committed.write_text(json.dumps(results))
    check, summary = entropy_gym_steps()
    result = run_step(check, root, env)
    assert result.returncode == 1
    assert "outside the committed CI" in result.stderr
    assert run_step(summary, root, env).returncode == 0
    assert "| rank | agent |" in (root / "summary.md").read_text()
