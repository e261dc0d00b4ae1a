"""Expansion to cells, seed derivation, episode quotas, and the decision checks."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from entropy_gym.agents.base import Decision
from entropy_gym.runner.actions import InvalidDecision, check_actions, check_decision, check_entropy
from entropy_gym.runner.cells import Cell, expand
from entropy_gym.runner.evaluation import env_seeds, episode_quota
from entropy_gym.runner.failure import CellFailure
from entropy_gym.runner.result import EntropySummary
from entropy_gym.runner.suite import load_suite
from tests.runner.helpers import write_suite


def test_suite_expands_to_agent_env_seed_cells(tmp_path):
    path = write_suite(
        tmp_path / "b.yaml",
        "s",
        seeds=[3, 7],
        num_envs=2,
        budget={"env_steps": 10},
        envs=["CartPole-v1", {"id": "Pendulum-v1", "kwargs": {"g": 9.0}}],
        agents=["random", {"name": "random", "label": "again"}],
    )
    cells = expand(load_suite("s", path))
    assert [(c.agent_label, c.env_name, c.seed) for c in cells] == [
        (a, e, s)
        for a in ("random", "again")
        for e in ("CartPole-v1", "Pendulum-v1")
        for s in (3, 7)
    ]
    assert all(
        c.num_envs == 2 and c.eval_episodes == 2 and c.budget == {"env_steps": 10} for c in cells
    )
    assert len({c.key for c in cells}) == len(cells)
    # The same task under two agents shares a protocol key but not a cell key.
    assert cells[0].protocol_key == cells[4].protocol_key and cells[0].key != cells[4].key
    # Keys are stable across processes and JSON round trips (the store relies on them).
    assert Cell.from_dict(cells[1].to_dict()).key == cells[1].key
    assert cells[0].key == expand(load_suite("s", path))[0].key


def test_cell_key_changes_with_everything_that_changes_the_result():
    base = Cell("s", "a", {"name": "random"}, "E", "CartPole-v1", {}, 0, 2, 4, None)
    variants = [
        Cell("s", "a", {"name": "random", "x": 1}, "E", "CartPole-v1", {}, 0, 2, 4, None),
        Cell("s", "a", {"name": "random"}, "E", "CartPole-v1", {"g": 1}, 0, 2, 4, None),
        Cell("s", "a", {"name": "random"}, "E", "CartPole-v1", {}, 1, 2, 4, None),
        Cell("s", "a", {"name": "random"}, "E", "CartPole-v1", {}, 0, 3, 4, None),
        Cell("s", "a", {"name": "random"}, "E", "CartPole-v1", {}, 0, 2, 5, None),
        Cell("s", "a", {"name": "random"}, "E", "CartPole-v1", {}, 0, 2, 4, {"env_steps": 1}),
    ]
    assert len({base.key, *(v.key for v in variants)}) == 1 + len(variants)
    # The time limit bounds a cell; it does not change its result.
    assert (
        Cell(
            "s", "a", {"name": "random"}, "E", "CartPole-v1", {}, 0, 2, 4, None, time_limit_s=5
        ).key
        == base.key
    )


def test_env_seeds_come_from_the_cell_seed_sequence():
    assert env_seeds(0, 4) == env_seeds(0, 4)
    assert env_seeds(0, 4)[:2] == env_seeds(0, 2)  # env i's seed does not depend on num_envs
    assert len(set(env_seeds(0, 8))) == 8
    assert set(env_seeds(0, 4)).isdisjoint(env_seeds(1, 4))
    expected = [
        int(c.generate_state(1, dtype=np.uint32)[0]) for c in np.random.SeedSequence(5).spawn(3)
    ]
    assert env_seeds(5, 3) == expected


@pytest.mark.parametrize("episodes, envs", [(8, 3), (4, 4), (3, 5), (1, 1), (10, 2)])
def test_episode_quota_splits_evenly(episodes, envs):
    quota = episode_quota(episodes, envs)
    assert sum(quota) == episodes and len(quota) == envs and max(quota) - min(quota) <= 1


@pytest.mark.parametrize(
    "space, actions, fragment",
    [
        (
            gym.spaces.Discrete(3),
            np.array([0, 3]),
            "outside the action space Discrete(3) (env 1: 3)",
        ),
        (gym.spaces.Discrete(3, start=1), np.array([0, 1]), "outside the action space"),
        (gym.spaces.Discrete(3), np.array([0.5, 1.0]), "non-integer action"),
        (gym.spaces.Discrete(3), np.array([np.nan, 1.0]), "a NaN action (env 0)"),
        (gym.spaces.Discrete(3), np.array([0, 1, 2]), "actions of shape (3,), expected (2,)"),
        (gym.spaces.Box(-1, 1, (2,)), np.array([[0, 0], [0, 1.5]]), "outside the action space Box"),
        (gym.spaces.Box(-1, 1, (2,)), np.array([[0, np.nan], [0, 0]]), "a NaN action (env 0)"),
        (gym.spaces.Box(-1, 1, (2,)), np.array([[0, 0]]), "actions of shape (1, 2)"),
        (gym.spaces.MultiDiscrete([2, 3]), np.array([[1, 2], [2, 0]]), "outside the action space"),
        (gym.spaces.MultiBinary(2), np.array([[1, 0], [0, 2]]), "outside the action space"),
        (
            gym.spaces.Discrete(3),
            ["left", "right"],
            "text actions for an env whose action space is Discrete(3)",
        ),
        (
            gym.spaces.Discrete(3),
            np.array(["a", "b"]),
            "text actions for an env whose action space is Discrete(3)",
        ),
        (gym.spaces.Discrete(3), np.array([None, 1], dtype=object), "non-numeric actions"),
    ],
)
def test_bad_actions_are_refused_with_a_reason(space, actions, fragment):
    with pytest.raises(InvalidDecision) as err:
        check_actions(actions, 2, space, text_ok=False)
    assert fragment in str(err.value)


def test_good_actions_pass_and_text_is_accepted_by_text_envs():
    assert check_actions([0, 2], 2, gym.spaces.Discrete(3), text_ok=False).tolist() == [0, 2]
    box = gym.spaces.Box(-1, 1, (2,))
    assert check_actions(np.array([[-1.0, 1.0], [0, 0]]), 2, box, text_ok=False).shape == (2, 2)
    assert check_actions(["press red", "?"], 2, gym.spaces.Discrete(3), text_ok=True) == [
        "press red",
        "?",
    ]
    assert check_actions(np.array(["press red", "?"]), 2, gym.spaces.Discrete(3), text_ok=True) == [
        "press red",
        "?",
    ]
    text = gym.spaces.Text(5)
    with pytest.raises(InvalidDecision, match="outside the action space"):
        check_actions(["far too long"], 1, text, text_ok=True)
    tup = gym.spaces.Tuple((gym.spaces.Discrete(2), gym.spaces.Discrete(2)))
    assert check_actions([(0, 1), (1, 1)], 2, tup, text_ok=False) == [(0, 1), (1, 1)]
    with pytest.raises(InvalidDecision):
        check_actions([(0, 2), (1, 1)], 2, tup, text_ok=False)


def test_entropy_checks_and_decision_type():
    assert check_entropy(None, 2) is None
    assert check_entropy([0.1, 0.2], 2).tolist() == [0.1, 0.2]
    with pytest.raises(InvalidDecision, match="NaN entropy"):
        check_entropy([0.1, np.nan], 2)
    with pytest.raises(InvalidDecision, match="3 entropies for 2 envs"):
        check_entropy([0.1, 0.1, 0.1], 2)
    with pytest.raises(CellFailure, match=r"agent\.act returned ndarray, expected a Decision"):
        check_decision(np.zeros(2), 2, gym.spaces.Discrete(2), text_ok=False)
    with pytest.raises(CellFailure, match="agent returned a NaN entropy"):
        check_decision(
            Decision(np.zeros(2, int), np.array([0.0, np.nan])),
            2,
            gym.spaces.Discrete(2),
            text_ok=False,
        )


def test_entropy_summary_trajectory_by_decision_index():
    summary = EntropySummary.of([[1.0, 0.5, 0.0], [3.0, 1.5]])
    assert summary is not None
    assert summary.mean == pytest.approx(6.0 / 5)
    assert summary.episode_mean == [0.5, 2.25]
    assert summary.episode_var == pytest.approx([np.var([1, 0.5, 0]), np.var([3, 1.5])])
    assert summary.by_step == [2.0, 1.0, 0.0]
    assert summary.by_step_count == [2, 2, 1]
    assert EntropySummary.of([[], []]) is None


def test_progress_display_counts_done_running_failed():
    import io

    from rich.console import Console

    from entropy_gym.runner.progress import RunProgress

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    cell = Cell("s", "a", {"name": "random"}, "E", "CartPole-v1", {}, 0)
    with RunProgress("suite-x", 3, console=console) as progress:
        progress.started(cell)
        progress.started(cell)
        progress.finished(ok=False)
        progress.started(cell)
        assert (progress.done, progress.running, progress.failed) == (1, 2, 1)
        progress.finished(ok=True)
        progress.finished(ok=True)
    text = buffer.getvalue()
    assert (
        "suite-x" in text
        and "3/3" in text
        and "running 0" in text
        and "failed 1" in text
        and "ETA" in text
    )
    quiet = RunProgress("s", 3, quiet=True)
    assert quiet._bar is None and not quiet._plain


def test_off_a_terminal_progress_is_one_plain_line_per_cell(capsys):
    from entropy_gym.runner.cells import Cell
    from entropy_gym.runner.progress import RunProgress

    cell = Cell(
        suite="s", agent_label="random", agent_config={"name": "random"},
        env_id="CartPole-v1", env_name="CartPole-v1", env_kwargs={}, seed=4,
        num_envs=1, eval_episodes=1,
    )  # fmt: skip
    with RunProgress("s", 2) as progress:  # stderr is not a terminal under pytest
        progress.started(cell)
        progress.finished(True, cell)
        progress.finished(False, cell)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("s: 1/2 cells (0 failed), ") and "ETA" in lines[0]
    assert lines[0].endswith("; ok: random on CartPole-v1 seed 4")
    assert lines[1].startswith("s: 2/2 cells (1 failed), ") and "FAILED: random" in lines[1]


def test_cell_processes_preload_the_modules_of_the_suites_agents(tmp_path):
    from entropy_gym.runner.worker import agent_modules

    path = write_suite(
        tmp_path / "b.yaml",
        "s",
        seeds=[0],
        envs=["CartPole-v1"],
        agents=["random", {"name": "ppo", "n_steps": 64}, {"name": "tests/x.py:Mine"}],
    )
    cells = expand(load_suite("s", path))
    assert agent_modules(cells) == [
        "entropy_gym.agents.classic.random",
        "entropy_gym.agents.sb3.agents",
        "torch._dynamo",
    ]
    assert agent_modules([c for c in cells if c.agent_config["name"] == "random"]) == [
        "entropy_gym.agents.classic.random"
    ]
