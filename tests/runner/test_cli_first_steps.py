"""What a new user types first: listing suites, any-case families, a subset of a suite, every
problem of a suite file at once, a hint for a misspelt board."""

from __future__ import annotations

import json

from entropy_gym.cli import main
from tests.runner.helpers import write_suite


def test_suites_lists_every_suite_with_its_cells(tmp_path, capsys) -> None:
    path = write_suite(
        tmp_path / "b.yaml", "small", seeds=[0, 1], envs=["CartPole-v1"], agents=["random"]
    )
    assert main(["suites", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "small" in out and "1x1x2" in out and "1 suites in" in out


def test_envs_family_is_case_insensitive(capsys) -> None:
    assert main(["envs", "--family", "STORI", "--json"]) == 0
    upper = json.loads(capsys.readouterr().out)
    assert main(["envs", "--family", "stori", "--json"]) == 0
    assert upper == json.loads(capsys.readouterr().out) and len(upper) > 100


def test_run_seeds_and_envs_run_a_subset(tmp_path, capsys) -> None:
    path = write_suite(
        tmp_path / "b.yaml", "sub", seeds=[0, 1, 2], eval_episodes=1,
        envs=["CartPole-v1", "Acrobot-v1"], agents=["random"],
    )  # fmt: skip
    args = ["--file", str(path), "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path)]
    assert main(["run", "sub", *args, "--seeds", "0,2", "--envs", "CartPole-v1", "--quiet"]) == 0
    assert "sub: 2 cells, 2 run" in capsys.readouterr().out
    results = json.loads((tmp_path / "sub" / "results.json").read_text())
    assert sorted((c["env"], c["seed"]) for c in results["cells"]) == [
        ("CartPole-v1", 0),
        ("CartPole-v1", 2),
    ]
    assert main(["run", "sub", *args, "--seeds", "7"]) == 2
    assert "not among the suite's seeds [0, 1, 2]" in capsys.readouterr().err
    assert main(["run", "sub", *args, "--envs", "Pong"]) == 2
    assert "not among the suite's envs: CartPole-v1, Acrobot-v1" in capsys.readouterr().err


def test_every_problem_of_a_suite_file_is_reported_at_once(tmp_path, capsys) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(
        "suites:\n"
        "  a: {description: d, seeds: -1, eval_episodes: 0, envs: [CartPole-v1], agents: [random]}\n"
        "  b: {description: d, seeds: [0], eval_episodes: 1, envs: [], agents: [random]}\n"
    )
    assert main(["run", "a", "--file", str(path), "--store", str(tmp_path / "s.sqlite")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line.split(": ")[3] for line in lines] == [
        "suites.a.seeds",
        "suites.a.eval_episodes",
        "suites.b.envs",
    ]
    assert all(line.startswith("entropy-gym: error: ") for line in lines)
    assert not (tmp_path / "s.sqlite").exists()


def test_show_suggests_the_board_meant(tmp_path, capsys) -> None:
    (tmp_path / "stori").mkdir()
    (tmp_path / "stori" / "results.json").write_text("{}")
    assert main(["show", "stroi", "--out", str(tmp_path)]) == 2
    assert "did you mean 'stori'?" in capsys.readouterr().err


def test_remove_deletes_a_submission_and_republishes(tmp_path, capsys) -> None:
    path = write_suite(
        tmp_path / "b.yaml", "rm", seeds=[0], eval_episodes=1, envs=["CartPole-v1"],
        agents=["random"],
    )  # fmt: skip
    agent = tmp_path / "mine.py"
    agent.write_text(
        "import numpy as np\nfrom entropy_gym.agents import BaseAgent, Decision\n"
        "class Zero(BaseAgent):\n    name = 'zero'\n"
        "    def act(self, obs):\n        return Decision(actions=np.zeros(len(obs), dtype=np.int64))\n"
    )
    args = ["--file", str(path), "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path)]
    assert main(["run", "rm", *args, "--quiet"]) == 0
    assert main(["submit", f"{agent}:Zero", "--suite", "rm", *args, "--quiet"]) == 0
    board = json.loads((tmp_path / "rm" / "results.json").read_text())
    assert {r["label"] for r in board["rows"]} == {"random", "Zero"}
    assert str(tmp_path) not in (tmp_path / "rm" / "results.json").read_text()  # no local paths
    assert main(["remove", "rm", "Zero", *args]) == 0
    board = json.loads((tmp_path / "rm" / "results.json").read_text())
    assert {r["label"] for r in board["rows"]} == {"random"}
    capsys.readouterr()
    assert main(["remove", "rm", "Zero", *args]) == 2
    assert "no submission 'Zero'" in capsys.readouterr().err
    assert main(["remove", "rm", "random", *args]) == 2
    assert "is an agent of suite 'rm', not a submission" in capsys.readouterr().err


def test_boards_read_well_ties_rounding_robustness_and_the_random_note() -> None:
    from entropy_gym.leaderboard.build import _assign_ranks
    from entropy_gym.leaderboard.check import _num
    from entropy_gym.leaderboard.table import MIN_PLAIN_SCORE, random_note

    rows = [
        {"iqm": 0.0001, "cells_failed": 0, "cells_missing": 0},
        {"iqm": -0.0002, "cells_failed": 0, "cells_missing": 0},  # reads 0.000 too: a tie
        {"iqm": -0.018, "cells_failed": 0, "cells_missing": 0},
        {"iqm": None, "cells_failed": 2, "cells_missing": 0},
    ]
    _assign_ranks(rows)
    assert [r["rank"] for r in rows] == [1, 1, 3, None]
    assert (_num(2.66331e-05), _num(1000.0), _num(17.5), _num(-0.01234)) == (
        "0", "1000", "17.5", "-0.0123",
    )  # fmt: skip
    note = random_note({"rows": [{"label": "random", "iqm": -0.018}]})
    assert note and "not 0" in note and "published" in note
    assert random_note({"rows": [{"label": "random", "iqm": 0.0}]}) is None
    assert 0 < MIN_PLAIN_SCORE < 0.5


def test_robustness_is_shown_only_over_a_plain_score_above_the_threshold() -> None:
    from entropy_gym.leaderboard.table import by_type

    envs = ["STORI/Breakout-T3.1-v0", "STORI/Breakout-T1-v0"]

    def row(label: str, plain: float, typed: float) -> dict:
        return {
            "label": label,
            "robustness": {"by_type": {"1": typed / plain}},
            "per_task": {envs[0]: {"score": plain}, envs[1]: {"score": typed}},
        }

    results = {
        "suite": {"envs": [{"name": e, "id": e} for e in envs]},
        "rows": [row("near_random", 0.01, -0.003), row("learned", 0.5, 0.25)],
    }
    _, cells = by_type(results)
    assert "(x" not in " ".join(cells[0]) and "(x0.50)" in " ".join(cells[1])


def test_failed_cells_are_grouped_by_agent_and_reason_and_tables_scroll() -> None:
    from entropy_gym.leaderboard.site import _grouped, _table
    from entropy_gym.leaderboard.table import failure_groups

    cells = [
        {"label": "a", "reason": "boom", "env": "E1", "seed": 0, "status": "failed"},
        {"label": "b", "reason": "hang", "env": "E1", "seed": 0, "status": "failed"},
        {"label": "a", "reason": "boom", "env": "E2", "seed": 1, "status": "failed"},
        {"label": "a", "reason": "boom", "env": "E2", "seed": 2, "status": "ok"},
    ]
    assert failure_groups({"cells": cells}) == [
        ("a", "boom", ["E1 seed 0", "E2 seed 1"]),
        ("b", "hang", ["E1 seed 0"]),
    ]
    key, groups = _grouped(["x", "y"], [["1", "2"]], [1, 1])
    assert _table(key, groups, "t", "g", 1).startswith('<div class="scroll"><table')
