"""A board whose envs carry the stochasticity taxonomy says whether robustness carries over
between types (results.json, leaderboard.md, the site); other boards do not."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

from entropy_gym.leaderboard.build import build_results
from entropy_gym.leaderboard.markdown import to_markdown
from entropy_gym.leaderboard.publish import publish
from entropy_gym.leaderboard.rebuild import rebuild_results
from entropy_gym.leaderboard.table import TYPE_TRANSFER_TITLE
from entropy_gym.registration import _CATALOG, EnvCard, register_env
from entropy_gym.runner.suite import load_suite
from tests.runner.helpers import synthetic_rows, write_suite

TYPES = ("3.1", "1", "2.1", "3.2")
GAMES = ("Alpha", "Beta")
LEARNERS = ("p1", "p2", "p3")


@pytest.fixture
def typed_envs():
    cards = [
        EnvCard(
            id=f"Fake/{game}-T{kind}-v0",
            family="stori",
            type=kind,
            game=game,
            description="fake",
            entry_point="gymnasium.envs.classic_control.cartpole:CartPoleEnv",
            random_score=0.0,
            reference_score=10.0,
            reference_source="fake",
        )
        for game in GAMES
        for kind in TYPES
    ]
    for card in cards:
        register_env(card)
    yield [c.id for c in cards]
    for card in cards:
        _CATALOG.pop(card.id, None)
        gym.registry.pop(card.id, None)


def skill() -> dict[str, dict[str, float]]:
    """Plain return 8 for every agent; under type 1 and 3.2 agent p1 keeps the most, p3 the
    least, in both games; under 2.1 the reverse. The random agent keeps nothing."""
    keep = {"1": [6.0, 4.0, 2.0], "2.1": [2.0, 4.0, 6.0], "3.2": [7.0, 5.0, 3.0]}
    out: dict[str, dict[str, float]] = {label: {} for label in (*LEARNERS, "random")}
    for game in GAMES:
        for i, label in enumerate(LEARNERS):
            out[label][f"Fake/{game}-T3.1-v0"] = 8.0
            for kind, values in keep.items():
                out[label][f"Fake/{game}-T{kind}-v0"] = values[i]
        for kind in TYPES:
            out["random"][f"Fake/{game}-T{kind}-v0"] = 0.0
    return out


def test_a_typed_board_reports_whether_robustness_carries_over(tmp_path, typed_envs):
    path = write_suite(
        tmp_path / "b.yaml",
        "typed",
        seeds=list(range(6)),
        budget={"env_steps": 100},
        envs=typed_envs,
        agents=[*({"name": "ppo", "label": label} for label in LEARNERS), "random"],
    )
    suite = load_suite("typed", path)
    rows = synthetic_rows(suite, np.random.default_rng(0), skill=skill(), noise=0.3)
    results = build_results(suite, rows)
    pairs = {(p["type_a"], p["type_b"]): p for p in results["type_transfer"]}
    assert list(pairs) == [("1", "2.1"), ("1", "3.2"), ("2.1", "3.2")]
    assert pairs[("1", "3.2")]["verdict"] == "carries over"
    assert pairs[("1", "2.1")]["verdict"] == "opposed"
    assert pairs[("2.1", "3.2")]["verdict"] == "opposed"
    # The random agent does not learn: 3 learners x 2 games, seeds split between the types.
    assert all(p["n_items"] == 6 for p in pairs.values())
    assert pairs[("1", "3.2")]["seeds_a"] == [0, 2, 4]
    assert pairs[("1", "3.2")]["seeds_b"] == [1, 3, 5]

    # Built from the store (run --publish), the files carry it; a rebuild gives the same.
    publish(suite, rows, tmp_path / "out")
    board = tmp_path / "out" / "typed"
    written = json.loads((board / "results.json").read_text())
    assert written["type_transfer"] == results["type_transfer"]
    assert rebuild_results(suite, written)["type_transfer"] == results["type_transfer"]
    markdown = (board / "leaderboard.md").read_text()
    assert markdown.index("## By stochasticity type") < markdown.index(f"## {TYPE_TRANSFER_TITLE}")
    row = next(line for line in markdown.splitlines() if line.startswith("| 1 vs 3.2 |"))
    rho = pairs[("1", "3.2")]
    assert row.endswith("| 6 | 3 + 3 | carries over |") and f"{rho['rho']:.3f}" in row
    assert "centred within each game" in markdown
    site = (tmp_path / "out" / "site" / "index.html").read_text()
    assert f"<h3>{TYPE_TRANSFER_TITLE}</h3>" in site
    assert 'data-group="typed-type-transfer"' in site and "carries over" in site


def test_a_typed_board_too_small_says_so_and_an_untyped_board_has_no_section(tmp_path, typed_envs):
    path = write_suite(
        tmp_path / "b.yaml",
        "small",
        seeds=[0, 1, 2],
        budget={"env_steps": 100},
        envs=typed_envs,
        agents=[*({"name": "ppo", "label": label} for label in LEARNERS), "random"],
    )
    suite = load_suite("small", path)
    results = build_results(suite, synthetic_rows(suite, np.random.default_rng(0), skill=skill()))
    assert results["type_transfer"] is None  # 3 seeds: fewer than 5
    markdown = to_markdown(results)
    assert f"## {TYPE_TRANSFER_TITLE}" in markdown and "Not measured on this board" in markdown

    path = write_suite(
        tmp_path / "c.yaml", "plain", envs=["CartPole-v1"], agents=["ppo", "random"],
        budget={"env_steps": 100},
    )  # fmt: skip
    suite = load_suite("plain", path)
    results = build_results(suite, synthetic_rows(suite, np.random.default_rng(0)))
    assert "type_transfer" not in results
    assert TYPE_TRANSFER_TITLE not in to_markdown(results)
