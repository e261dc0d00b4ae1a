"""Progress while training: per-update lines with an ETA (LLM and JAX trainers), a line before a
JAX compilation, the runner showing a running cell's lines, the zero-advantage warning, and
SB3's own verbose/tensorboard_log passed through without changing what is trained."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from entropy_gym.agents import ConfigError, make_agent
from entropy_gym.agents.progress import PREFIX, TrainingProgress
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.progress import RunProgress
from tests.runner.helpers import cli, cli_env, write_suite
from tests.sb3_helpers import trained

UPDATE = re.compile(
    rf"^{PREFIX}(?P<agent>\w+): update (?P<n>\d+), (?P<pct>\d+)% of the budget, \S+(, ETA \S+|, done)"
)


def progress_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(PREFIX)]


def test_lines_carry_the_eta_and_come_at_most_every_interval(capsys):
    now = [0.0]
    progress = TrainingProgress("agent_x", every_s=10.0, clock_s=lambda: now[0])
    for t, fraction in [(2.0, 0.1), (5.0, 0.2), (12.0, 0.4), (20.0, 0.5), (22.0, 1.0)]:
        now[0] = t
        progress.update(fraction, {"return": 0.123456})
    lines = progress_lines(capsys.readouterr().err)
    assert lines == [
        f"{PREFIX}agent_x: update 1, 10% of the budget, 2s, ETA 18s; return 0.123",
        f"{PREFIX}agent_x: update 3, 40% of the budget, 12s, ETA 18s; return 0.123",
        f"{PREFIX}agent_x: update 5, 100% of the budget, 22s, done; return 0.123",
    ]


def test_a_jax_device_agent_reports_its_compilation_and_updates(capfd, monkeypatch):
    pytest.importorskip("optax")
    import weakref

    from entropy_gym.agents.device import agent as device_agent
    from entropy_gym.agents.device.envs import BATCHED_ENVS, register_batched_env
    from tests.test_device_agents import PPO_BUDGET, TASK, PointMassEnv, trained

    # The agent tests share compiled programs across tests; forget which ones ran here so
    # that this first update is announced whichever test compiled it.
    monkeypatch.setattr(device_agent, "_COMPILED", weakref.WeakSet())
    register_batched_env(TASK.env_id, PointMassEnv)
    try:
        agent = trained("jax_ppo")
        agent.train(None, PPO_BUDGET)  # the same program again: nothing to announce
    finally:
        BATCHED_ENVS.pop(TASK.env_id, None)
    lines = progress_lines(capfd.readouterr().err)
    what = f"jax_ppo on {TASK.env_id} (8 envs)"
    assert lines[0] == f"{PREFIX}{what}: compiling (the first call; 10-60 s on a CPU) ..."
    assert re.fullmatch(rf"{re.escape(PREFIX + what)}: compiled and ran in \d+\.\d s", lines[1])
    assert sum("compiling" in line for line in lines) == 1
    updates = [(m["n"], m["pct"]) for m in map(UPDATE.match, lines) if m]
    assert updates[0] == ("1", "25") and ("4", "100") in updates and updates[-1] == ("4", "100")


def test_a_first_call_is_reported_once_as_a_compilation(capsys):
    """What the MJX vector env wraps its jitted reset and step in."""
    jax = pytest.importorskip("jax")
    from entropy_gym.envs.control.mjx.vector import _FirstCallReported

    double = _FirstCallReported(jax.jit(lambda x: 2 * x), "Test/Env on MJX (2 envs): step")
    assert [int(double(3)), int(double(4))] == [6, 8]
    lines = progress_lines(capsys.readouterr().err)
    assert (
        lines[0]
        == f"{PREFIX}Test/Env on MJX (2 envs): step: compiling (the first call; 10-60 s on a CPU) ..."
    )
    assert (
        lines[1].startswith(f"{PREFIX}Test/Env on MJX (2 envs): step: compiled and ran in ")
        and len(lines) == 2
    )


@pytest.mark.slow
def test_the_mjx_vector_env_says_it_compiles_before_its_first_step():
    pytest.importorskip("mujoco.mjx")
    code = (
        "import gymnasium as gym, numpy as np, entropy_gym\n"
        "env = gym.make_vec('Control/InvertedPendulum-T3.1-v0', num_envs=2, "
        "vectorization_mode='vector_entry_point')\n"
        "env.reset(seed=0)\n"
        "print('reset done', flush=True)\n"
        "env.step(np.zeros((2, 1), np.float32)); env.step(np.zeros((2, 1), np.float32))\n"
        "print('stepped', flush=True)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout
    lines = [
        ln
        for ln in result.stdout.splitlines()
        if ln.startswith(PREFIX) or ln in ("reset done", "stepped")
    ]
    what = f"{PREFIX}Control/InvertedPendulum-T3.1-v0 on MJX (2 envs)"
    assert lines[0] == f"{what}: reset: compiling (the first call; 10-60 s on a CPU) ..."
    assert lines[1].startswith(f"{what}: reset: compiled and ran in ") and lines[2] == "reset done"
    assert lines[3] == f"{what}: step: compiling (the first call; 10-60 s on a CPU) ..."
    assert lines[4].startswith(f"{what}: step: compiled and ran in ") and lines[5] == "stepped"


def test_the_runner_shows_a_running_cells_progress_lines(tmp_path):
    """A cell's progress lines reach the run's own output (plain lines off a terminal)."""
    agent = tmp_path / "talker.py"
    agent.write_text(
        "from entropy_gym.agents.classic.random import RandomAgent\n"
        "from entropy_gym.agents.progress import TrainingProgress\n"
        "class Talker(RandomAgent):\n"
        "    def train(self, make_env, budget):\n"
        "        progress = TrainingProgress('talker', every_s=0.0)\n"
        "        for n in range(1, 4):\n"
        "            progress.update(n / 3, {'loss': 1.0 / n})\n"
        "        print('not a progress line')\n"
    )
    write_suite(
        tmp_path / "benchmarks.yaml",
        "talk",
        seeds=[0],
        envs=["CartPole-v1"],
        agents=[f"{agent}:Talker"],
        budget={"env_steps": 1},
    )
    result = subprocess.run(
        [
            *cli(
                "run", "talk", "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "out")
            )
        ],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    shown = [ln for ln in result.stderr.splitlines() if "talker: update" in ln]
    assert len(shown) == 3 and shown[0].startswith(
        "talk: Talker on CartPole-v1 seed 0: talker: update 1, 33%"
    )
    assert shown[2].endswith("done; loss 0.333")
    assert "not a progress line" not in result.stderr + result.stdout


def test_a_quiet_run_shows_no_progress_lines(capsys):
    cell = Cell("s", "a", {"name": "random"}, "CartPole-v1", "CartPole-v1", {}, 0, 1, 1, {})
    RunProgress("s", 1, quiet=True).training(cell, "talker: update 1")
    RunProgress("s", 1, console=None).training(cell, "talker: update 1")  # off a terminal: plain
    assert capsys.readouterr().err.splitlines() == ["s: a on CartPole-v1 seed 0: talker: update 1"]


# -- SB3's own logging ------------------------------------------------------------------------
def ppo_parameters(**logging) -> list[np.ndarray]:
    agent = trained(
        {"name": "ppo", "n_steps": 32, "batch_size": 32, "n_epochs": 1, **logging},
        "CartPole-v1",
        64,
    )
    return [p.detach().numpy().copy() for p in agent.model.policy.parameters()]


def test_sb3_verbose_prints_sb3s_table_and_trains_the_same_parameters(
    capsys, monkeypatch, tmp_path
):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where SB3 would leave SB3-<time>/
    quiet = ppo_parameters()
    assert "time/" not in capsys.readouterr().out
    loud = ppo_parameters(verbose=1)
    out = capsys.readouterr().out
    assert "| time/" in out and "total_timesteps" in out and "train/" in out
    assert all(np.array_equal(a, b) for a, b in zip(quiet, loud, strict=True))
    assert not list(tmp_path.glob("SB3-*"))  # no folder left behind


def test_sb3_tensorboard_log_writes_events_and_trains_the_same_parameters(tmp_path):
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="tensorboard_log needs the tensorboard package"):
            make_agent("ppo", tensorboard_log=str(tmp_path))
        pytest.skip("tensorboard is not installed: only its one-line refusal is checked")
    quiet = ppo_parameters()
    logged = ppo_parameters(tensorboard_log=str(tmp_path))
    assert list(tmp_path.glob("ppo_1/events.out.tfevents.*"))
    assert all(np.array_equal(a, b) for a, b in zip(quiet, logged, strict=True))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"verbose": 3}, "agent 'ppo': verbose must be 0, 1 or 2, got 3"),
        ({"tensorboard_log": 5}, "agent 'ppo': tensorboard_log must be a folder path, got 5"),
        ({"seed": 1}, "agent 'ppo': 'seed' is set by the agent, not by config"),
    ],
)
def test_sb3_logging_values_are_checked_and_the_seed_stays_the_agents(config, message):
    with pytest.raises(ConfigError) as err:
        make_agent("ppo", **config)
    assert str(err.value) == message
