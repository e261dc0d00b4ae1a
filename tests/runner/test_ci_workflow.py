"""The documented CI workflow (docs/ci/github-actions.yml), run as a GitHub runner runs it: every
`run` step in order, with its `if` and `env`, in a user's repository; the `uses` steps stand
in as a fresh virtual environment (setup-python, seeing this environment's packages so that
nothing is downloaded) and an artifact URL (upload-artifact). entropy-gym comes from this
checkout's git repository through the workflow's own clone step and is installed with the
lock. It passes on a board that reproduces and fails on one that does not, and always leaves
the re-run's board and a job summary whose plots are links, not broken images."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.runner.helpers import REPO, cli, cli_env, write_suite

WORKFLOW = REPO / "docs" / "ci" / "github-actions.yml"
ARTIFACT_URL = "https://github.com/me/mine/actions/runs/1/artifacts/2"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps() -> list[dict]:
    return workflow()["jobs"]["leaderboard"]["steps"]


def runs_if(step: dict, env: dict[str, str]) -> bool:
    """The step's `if`, for the two forms the workflow uses."""
    condition = step.get("if")
    if condition in (None, "always()"):
        return True
    match = re.fullmatch(r"env\.(\w+) != ''", condition)
    assert match, f"unexpected condition {condition!r}"
    return env.get(match.group(1), "") != ""


def step_env(step: dict, env: dict[str, str]) -> dict[str, str]:
    extra = {}
    for key, value in (step.get("env") or {}).items():
        assert value == "${{ steps.board.outputs.artifact-url }}", value
        extra[key] = ARTIFACT_URL
    return {**env, **extra}


def run_steps(root: Path, env: dict[str, str]) -> dict[str, subprocess.CompletedProcess]:
    """Every `run` step whose `if` holds, in order, as GitHub runs them (`bash -e`)."""
    results = {}
    for step in steps():
        if "run" not in step or not runs_if(step, env):
            continue
        results[step["name"]] = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=root,
            env=step_env(step, env),
            capture_output=True,
            text=True,
            timeout=600,
        )
    return results


def fresh_python(where: Path) -> Path:
    """A new virtual environment (what setup-python gives) that sees this interpreter's
    packages, pip included, so that installing the locked versions downloads nothing."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    (site,) = where.glob("lib/python*/site-packages")
    (site / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return where / "bin"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A user's repository (a suite and its committed board), its environment, and the results
    of the workflow's `run` steps there: entropy-gym cloned from this checkout's HEAD and
    installed into a fresh python, the board re-run and checked, the summary written."""
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    if head.returncode != 0:
        pytest.skip("this checkout is not a git repository: the workflow's clone step cannot run")
    root = tmp_path_factory.mktemp("project")
    write_suite(
        root / "benchmarks.yaml",
        "mine",
        seeds=[0, 1, 2],
        eval_episodes=2,
        envs=["CartPole-v1"],
        agents=["random"],
    )
    made = subprocess.run(
        [*cli("run", "mine", "--quiet", "--publish", "--store", str(root / "made.sqlite"))],
        cwd=root,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    bin_dir = fresh_python(root.parent / f"{root.name}-python")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(
        {**{k: str(v) for k, v in workflow()["env"].items()}, "SUITE": "mine", "EXTRAS": "stats"},
        ENTROPY_GYM_GIT=str(REPO),
        ENTROPY_GYM_REF=head.stdout.strip(),
        ENTROPY_GYM_PATH=".entropy-gym",
        GITHUB_STEP_SUMMARY=str(root / "summary.md"),
        PATH=os.pathsep.join([str(bin_dir), env["PATH"]]),
        OMP_NUM_THREADS="1",
    )
    return root, env, run_steps(root, env)


def test_the_workflow_as_shipped_checks_this_projects_board_and_installs_from_a_real_source():
    shipped = workflow()
    assert shipped["env"]["SUITE"] == "ci-check" and shipped["env"]["ENTROPY_GYM_PATH"] == "."
    assert (REPO / "leaderboards" / "ci-check" / "results.json").is_file()
    assert (REPO / shipped["env"]["ENTROPY_GYM_PATH"] / "requirements" / "lock.txt").is_file()
    setup = next(s for s in steps() if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["cache-dependency-path"].endswith("requirements/lock.txt")
    install = next(s["run"] for s in steps() if s.get("name") == "Install")
    assert "[all]" not in install and "$EXTRAS" in install
    names = [s.get("name") for s in steps()]
    assert names.index("Reproduce the committed leaderboard") < names.index("Job summary")
    assert all(
        s.get("if") == "always()"
        for s in steps()
        if s.get("name") in ("Job summary", "Keep the re-run's board")
    )


def test_the_workflow_passes_on_a_reproducing_board_with_plots_linked(project):
    root, env, results = project
    assert list(results) == [
        "Get entropy-gym",
        "Install",
        "Reproduce the committed leaderboard",
        "Job summary",
    ]
    for name, result in results.items():
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
    installed = subprocess.run(
        ["python", "-c", "import entropy_gym; print(entropy_gym.__file__)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert f"{root.name}-python/lib" in installed.stdout, installed.stdout  # not this checkout
    assert (
        "mine: committed leaderboard reproduces"
        in results["Reproduce the committed leaderboard"].stdout
    )
    summary = (root / "summary.md").read_text()
    assert "| rank | agent |" in summary and "random" in summary
    assert "![" not in summary
    plots = re.findall(
        rf"- `mine/(\w+\.svg)` in the artifact \[leaderboard-mine\]\({re.escape(ARTIFACT_URL)}\)",
        summary,
    )
    assert "aggregates.svg" in plots
    assert all((root / "runs/fresh/mine" / p).is_file() for p in plots)
    assert (
        json.loads((root / "runs/fresh/mine/results.json").read_text())["suite"]["name"] == "mine"
    )


def test_the_workflow_fails_on_a_regression_and_still_writes_the_summary(project):
    root, env, _ = project
    committed = root / "leaderboards" / "mine" / "results.json"
    saved = committed.read_text()
    results = json.loads(saved)
    row = results["rows"][0]
    row["iqm"], row["iqm_ci"] = row["iqm"] + 100.0, [row["iqm"] + 99.0, row["iqm"] + 101.0]
    committed.write_text(json.dumps(results))
    (root / "summary.md").unlink(missing_ok=True)
    try:
        check = next(s for s in steps() if s.get("name") == "Reproduce the committed leaderboard")
        summary = next(s for s in steps() if s.get("name") == "Job summary")
        result = subprocess.run(
            ["bash", "-e", "-c", check["run"]],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 1
        assert "outside the committed CI" in result.stderr
        done = subprocess.run(
            ["bash", "-e", "-c", summary["run"]],
            cwd=root,
            env=step_env(summary, env),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        assert "| rank | agent |" in (root / "summary.md").read_text()
    finally:
        committed.write_text(saved)
