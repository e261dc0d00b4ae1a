"""Measured random-agent anchors: every STORI id can be normalised, and the file says how."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import entropy_gym  # noqa: F401
from entropy_gym.envs.stori import anchors
from entropy_gym.envs.stori.catalog import game_roms, load_measured, random_human_scores
from entropy_gym.experiments import stori_anchors
from entropy_gym.registration import env_card, env_cards


def test_every_stori_id_is_normalisable() -> None:
    cards = env_cards("stori")
    assert len(cards) == 536
    for card in cards:
        assert card.random_score is not None and card.reference_score is not None, card.id
        assert card.reference_score > card.random_score, card.id
        assert card.reference_source, card.id


def test_the_file_covers_exactly_the_games_without_published_scores() -> None:
    data = load_measured()
    missing = [g for g, rom in game_roms().items() if random_human_scores(rom) is None]
    assert len(missing) == 47 and "Tetris" in missing and "Breakout" not in missing
    assert sorted(data["games"]) == sorted(missing) == anchors.games_without_published_scores()
    for game, entry in data["games"].items():
        returns = np.asarray(entry["returns"])
        assert entry["episodes"] == len(returns) == anchors.EPISODES, game
        assert entry["random"] == pytest.approx(returns.mean()), game
        assert entry["std"] == pytest.approx(returns.std()), game
        assert entry["reference"] == anchors.reference_from(entry["random"], entry["std"]), game
        assert all(0 < f <= 108_000 for f in entry["frames"]), game


def test_the_measurement_was_made_on_a_clean_tree_and_names_no_local_path() -> None:
    data = load_measured()
    prov = data["provenance"]
    assert prov["git"]["dirty"] is False and len(prov["git"]["commit"]) == 40
    assert {"ale-py", "gymnasium"} <= set(prov["libraries"])
    # The driver's command, or its module path before it moved above the runner (the committed
    # file was measured under it: the same code, run as python -m entropy_gym.envs.stori.anchors).
    drivers = (stori_anchors.COMMAND, "python -m entropy_gym.envs.stori.anchors")
    assert prov["command"].startswith(drivers)
    text = json.dumps(data)
    assert "/work" not in text and "/home" not in text and "/root" not in text


def test_a_measured_id_says_where_its_anchors_come_from() -> None:
    card = env_card("STORI/Tetris-T1-v0")
    entry = load_measured()["games"]["Tetris"]
    assert (card.random_score, card.reference_score) == (entry["random"], entry["reference"])
    assert card.reference_source.startswith("measured: uniform random agent")
    assert "DQN Zoo publishes no score" in card.reference_source
    assert "std" in card.reference_source and "10 episodes" in card.reference_source


def test_reference_rule() -> None:
    assert anchors.reference_from(2.0, 0.5) == 2.5
    assert anchors.reference_from(0.0, 0.0) == 1.0  # a game a random agent never scores in


def test_the_measurement_is_seeded_and_close_to_the_published_random_score() -> None:
    first = anchors.measure_random("Breakout", episodes=3, seed=1)
    again = anchors.measure_random("Breakout", episodes=3, seed=1)
    assert first == again
    assert first["returns"] != anchors.measure_random("Breakout", episodes=3, seed=2)["returns"]
    # DQN Zoo's random Breakout score is 1.7 under the same protocol.
    assert 0.3 <= first["random"] <= 4.0
    with pytest.raises(ValueError, match="episodes must be at least 1"):
        anchors.measure_random("Breakout", episodes=0)


def test_cli_writes_the_file_and_refuses_a_game_with_published_scores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "anchors.json"
    assert stori_anchors.main(["--games", "Tetris", "--episodes", "1", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert list(data["games"]) == ["Tetris"] and data["games"]["Tetris"]["episodes"] == 1
    assert data["provenance"]["command"] == (
        "python -m entropy_gym.experiments.stori_anchors --games Tetris --episodes=1 --seed=0"
    )
    assert str(tmp_path) not in out.read_text()
    with pytest.raises(SystemExit):
        stori_anchors.main(["--games", "Breakout", "--out", str(out)])
    assert "no anchors to measure for Breakout" in capsys.readouterr().err
