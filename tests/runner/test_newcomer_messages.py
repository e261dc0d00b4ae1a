"""What a new user reads: did-you-mean for a misspelled suite, agent parameter, intervention
parameter or Reasoning keyword; the result of a submission restricted to some envs and
seeds; no stray lines from MJX's optional Warp import, SDL's display probe or leaked
semaphores; and the docs' statements about where `run` writes and what ci-check is."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import gymnasium as gym
import pytest
import yaml

from entropy_gym.agents import ConfigError, make_agent
from entropy_gym.cli import main
from entropy_gym.runner import SuiteError, load_suite
from entropy_gym.runner.defaults import DEFAULT_LEADERBOARDS, WORKING_LEADERBOARDS
from tests.runner.helpers import REPO, cli, cli_env, write_suite


# -- did you mean ---------------------------------------------------------------------------
def test_a_misspelled_suite_gets_the_closest_name(capsys):
    with pytest.raises(
        SuiteError, match=r"suites\.cii: no such suite; did you mean 'ci'\? expected one of: ci, "
    ):
        load_suite("cii", REPO / "benchmarks.yaml")
    assert main(["run", "cii", "--file", str(REPO / "benchmarks.yaml")]) == 2
    assert "did you mean 'ci'?" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("spec", "kwargs", "message"),
    [
        (
            "llm_grpo",
            {"group_sze": 4},
            "agent 'llm_grpo': unknown parameter 'group_sze'; did you mean 'group_size'? (it accepts: clip_range, ",
        ),
        ("random", {"eps": 1}, "agent 'random': unknown parameter 'eps' (it takes none)"),
        ("ucb1", {"zzz": 1}, "agent 'ucb1': unknown parameter 'zzz' (it accepts: "),
    ],
)
def test_a_misspelled_agent_parameter_gets_the_closest_name(spec, kwargs, message):
    with pytest.raises(ConfigError) as err:
        make_agent(spec, **kwargs)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_a_misspelled_intervention_parameter_gets_the_closest_name():
    with pytest.raises(ConfigError) as err:
        make_agent("ppo", interventions=[{"name": "entropy_bonus", "cof": 0.1}])
    assert str(err.value).startswith(
        "intervention 'entropy_bonus': unknown parameter 'cof'; did you mean 'coef'? (it accepts: coef, "
    )


def test_reasonings_unknown_keyword_lists_what_it_accepts():
    with pytest.raises(TypeError) as err:
        gym.make("Reasoning/Arithmetic-easy-v0", render_mod="ansi")
    text = str(err.value)
    assert (
        "unexpected keyword argument 'render_mod'; did you mean 'render_mode'?; it accepts: render_mode"
        in text
    )
    with pytest.raises(
        TypeError,
        match=r"'foo'; it accepts: render_mode, framing \(kind and difficulty come from the id",
    ):
        gym.make("Reasoning/Countdown-easy-v0", foo=1)


# -- a restricted submission -----------------------------------------------------------------
AGENT = """
import numpy as np
from entropy_gym.agents import BaseAgent, Decision

class Zero(BaseAgent):
    name = "zero"

    def act(self, obs):
        return Decision(actions=np.zeros(len(obs), dtype=np.int64), entropy=np.zeros(len(obs)))
"""


def test_a_restricted_submission_reports_its_iqm_rank_and_score_per_env(tmp_path, capsys):
    path = write_suite(
        tmp_path / "benchmarks.yaml",
        "two",
        seeds=[0, 1, 2],
        eval_episodes=1,
        envs=[
            "CartPole-v1",
            {"id": "CartPole-v1", "kwargs": {"max_episode_steps": 20}, "name": "short"},
        ],
        agents=["random"],
    )
    (tmp_path / "zero.py").write_text(AGENT)
    args = [
        "--file",
        str(path),
        "--store",
        str(tmp_path / "s.sqlite"),
        "--out",
        str(tmp_path / "lb"),
        "--quiet",
    ]
    code = main(
        [
            "submit",
            f"{tmp_path / 'zero.py'}:Zero",
            "--suite",
            "two",
            "--envs",
            "short",
            "--seeds",
            "0,1",
            *args,
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert any(
        line.startswith("Zero on two: rank - of 2, IQM -") for line in out
    )  # the whole board
    (mine,) = [line for line in out if line.startswith("Zero on the cells it ran")]
    assert re.fullmatch(
        r"Zero on the cells it ran \(1 of 2 envs x 2 of 3 seeds\): IQM \S+ \[\S+, \S+\], rank 1 of 1 agents with these cells",
        mine,
    )
    at = out.index("score per env (mean over seeds):")
    returns = json.loads((tmp_path / "lb" / "two" / "results.json").read_text())
    zero = next(r for r in returns["rows"] if r["label"] == "Zero")
    assert out[at + 1] == f"  short: {zero['per_task']['short']['score']:.3g}" or out[
        at + 1
    ].startswith("  short: ")
    assert len(out) == at + 2  # one line per env it ran


# -- stray lines -----------------------------------------------------------------------------
def test_no_stray_lines_from_mjx_or_a_headless_stori_window():
    code = (
        "import gymnasium as gym, entropy_gym\n"
        "from gymnasium.utils.env_checker import check_env\n"
        "import entropy_gym.envs.control.mjx\n"
        "check_env(gym.make('STORI/Breakout-T3.1-v0').unwrapped)  # builds a human env too\n"
        "print('ok')\n"
    )
    env = {
        k: v
        for k, v in cli_env().items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    for stray in (
        "Failed to import warp",
        "Failed to import mujoco_warp",
        "XDG_RUNTIME_DIR",
        "Hello from the pygame",
    ):
        assert stray not in output, output


LOCKING_AGENT = """
import multiprocessing
from entropy_gym.agents.classic.random import RandomAgent

LOCKS = []

class Locking(RandomAgent):
    def setup(self, task, seed, device):
        super().setup(task, seed, device)
        # A lock that lives as long as the process, as tqdm's (which transformers creates).
        LOCKS.append(multiprocessing.get_context("spawn").Lock())
"""


def test_semaphores_a_cell_creates_do_not_leak_past_the_run(tmp_path):
    (tmp_path / "locking.py").write_text(LOCKING_AGENT)
    write_suite(
        tmp_path / "benchmarks.yaml",
        "lk",
        seeds=[0, 1],
        envs=["CartPole-v1"],
        agents=["locking.py:Locking"],
    )
    result = subprocess.run(
        [
            *cli(
                "run",
                "lk",
                "--quiet",
                "--store",
                str(tmp_path / "s.sqlite"),
                "--out",
                str(tmp_path / "out"),
            )
        ],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "leaked semaphore" not in result.stderr, result.stderr


# -- the docs' statements ----------------------------------------------------------------------
def test_runner_docs_first_example_says_where_run_writes():
    text = (REPO / "docs" / "runner.md").read_text()
    first = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1)
    run_line = next(line for line in first.splitlines() if line.startswith("entropy-gym run ci "))
    assert (
        f"{WORKING_LEADERBOARDS}/ci/" in run_line
        and f"--publish: {DEFAULT_LEADERBOARDS}/ci/" in run_line
    )


def test_the_readme_describes_ci_check_as_its_suite_defines_it():
    suite = yaml.safe_load((REPO / "benchmarks.yaml").read_text())["suites"]["ci-check"]
    types = {
        re.search(r"-T([\d.]+)-v", e if isinstance(e, str) else e["id"]).group(1)
        for e in suite["envs"]
    }
    assert types == {"1"}
    readme = (REPO / "README.md").read_text()
    (row,) = [line for line in readme.splitlines() if line.startswith("| `ci-check` |")]
    assert "type 1" in row and "plain" not in row
    runner = (REPO / "docs" / "runner.md").read_text()
    seconds = re.search(r"`make check-board`, about (\d+) s on 2 idle cores", row)
    assert seconds and f"about {seconds.group(1)} s on 2 idle cores" in runner
