"""The registered ids: every one passes Gymnasium's checker, and the catalog says what each is."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections import defaultdict

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.utils.passive_env_checker import env_render_passive_checker

import entropy_gym  # noqa: F401
from entropy_gym.cli import main as cli
from entropy_gym.envs.stori.catalog import game_roms
from entropy_gym.envs.stori.games import game_modes, resolve_mode
from entropy_gym.envs.stori.presets import GENERIC, PAPER_PRESETS
from entropy_gym.registration import env_card, env_cards

IDS_BY_GAME: dict[str, list[str]] = defaultdict(list)
for _card in env_cards("stori"):
    IDS_BY_GAME[_card.game].append(_card.id)


@pytest.mark.parametrize("game", sorted(IDS_BY_GAME))
def test_every_id_passes_check_env(game: str) -> None:
    """Gymnasium's ``check_env`` on each id of ``game``, made and checked once.

    Its render and close checks make further copies of the env; they run here after the checked
    env is closed (same calls as in ``check_env``), so its emulator is reused instead of a second
    ROM load per game.
    """
    for env_id in IDS_BY_GAME[game]:
        env = gym.make(env_id)
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # "the env is wrapped": checking the wrapped env is the point
            check_env(env, skip_render_check=True, skip_close_check=True)
        env.close()
        for render_mode in env.metadata["render_modes"]:
            rendering = env.spec.make(render_mode=render_mode)
            rendering.reset()
            env_render_passive_checker(rendering)
            rendering.close()
            rendering.close()


def test_ids_cover_every_ale_game_and_the_paper_presets() -> None:
    import ale_py

    gym.register_envs(ale_py)
    ale_games = {i[4:-3] for i in gym.registry if i.startswith("ALE/") and i.endswith("-v5")}
    assert set(game_roms()) == ale_games and len(ale_games) == 104
    expected = {f"STORI/{g}-{suffix}-v0" for g in ale_games for suffix in GENERIC}
    expected |= {
        f"STORI/{g}-{suffix}-v0" for g, presets in PAPER_PRESETS.items() for suffix in presets
    }
    cards = env_cards("stori")
    assert {c.id for c in cards} == expected and len(cards) == len(expected) == 536
    assert {c.type for c in cards} == {"1", "2.1", "2.2", "3.1", "3.2"}
    for c in cards:
        assert c.id in gym.registry and c.id.startswith(f"STORI/{c.game}-T")
        assert c.kwargs["game"] == c.game and c.kwargs["type"] == c.type
        assert "\n" not in c.description and c.description.startswith(f"{c.game}, type {c.type}")
        assert not c.nondeterministic  # every draw is seeded by reset(seed=...)


# STORI's Exp_configs.json in its own terms: (type, {config key: value}); modes are STORI numbers.
EXP_CONFIGS = {
    ("Breakout", "T1"): ("1", {"p": 0.3}),
    ("Breakout", "T2.1"): ("2.1", {"mode": "2", "p": 0.25}),
    ("Breakout", "T2.2"): ("2.2", {"threshold": 300, "drift": "sudden", "secondary": "3.2", "mask": "blackout", "mode": "10", "p": 1.0}),
    ("Breakout", "T3.2A"): ("3.2", {"mask": "blackout", "mode": "10", "p": 1.0}),
    ("Breakout", "T3.2B"): ("3.2", {"mask": "crop", "mode": "1", "p": 0.75}),
    ("Breakout", "T3.2C"): ("3.2", {"mask": "crop", "mode": "5", "p": 1.0}),
    ("Boxing", "T1"): ("1", {"p": 0.3}),
    ("Boxing", "T2.1"): ("2.1", {"mode": "1", "p": 0.001}),
    ("Boxing", "T2.2"): ("2.2", {"threshold": 300, "drift": "sudden", "secondary": "3.2", "mask": "ram", "mode": "2", "p": 0.7}),
    ("Boxing", "T3.2A"): ("3.2", {"mask": "blackout", "mode": "9", "p": 1.0}),
    ("Boxing", "T3.2B"): ("3.2", {"mask": "crop", "mode": "2", "p": 0.75}),
    ("Boxing", "T3.2C"): ("3.2", {"mask": "ram", "mode": "2", "p": 0.7}),
    ("Gopher", "T1"): ("1", {"p": 0.3}),
    ("Gopher", "T2.1"): ("2.1", {"mode": "2", "p": 0.3}),
    ("Gopher", "T2.2"): ("2.2", {"threshold": 600, "drift": "cyclic", "secondary": "3.2", "mask": "blackout", "mode": "6", "p": 1.0}),
    ("Gopher", "T3.2"): ("3.2", {"mask": "blackout", "mode": "6", "p": 1.0}),
    ("BankHeist", "T1"): ("1", {"p": 0.3}),
    ("BankHeist", "T2.1"): ("2.1", {"mode": "3", "p": 0.001}),
    ("BankHeist", "T2.2"): ("2.2", {"threshold": 600, "drift": "cyclic", "secondary": "3.2", "mask": "ram", "mode": "3", "p": 0.75}),
    ("BankHeist", "T3.2"): ("3.2", {"mask": "ram", "mode": "3", "p": 0.75}),
}  # fmt: skip


@pytest.mark.parametrize(("game", "suffix"), sorted(EXP_CONFIGS))
def test_presets_carry_the_papers_settings(game: str, suffix: str) -> None:
    kind, config = EXP_CONFIGS[(game, suffix)]
    kwargs = env_card(f"STORI/{game}-{suffix}-v0").kwargs
    assert kwargs["type"] == kind
    for key, value in config.items():
        if key == "mode":
            modes = game_modes(game)
            table = {"blackout": modes.blackouts, "ram": modes.ram_hides, None: modes.events}.get(
                config.get("mask"), {m: m for m in ("left", "right", "top", "bottom", "torch")}
            )
            value = resolve_mode(table, value, "", game)
        assert kwargs[key] == value, key
    if kind in ("1", "2.1"):
        assert kwargs["per"] == "frame"  # p applies per emulator frame, as in the experiments
    assert kwargs.get("random_actions") == (10 if (game, kind) == ("BankHeist", "1") else None)


def test_normalisation_scores_come_from_dqn_zoo() -> None:
    expected = {"Breakout": (1.7, 30.5), "Boxing": (0.1, 12.1), "Gopher": (257.6, 2412.5), "BankHeist": (14.2, 753.1), "Pong": (-20.7, 14.6)}  # fmt: skip
    for game, (random, human) in expected.items():
        for env_id in IDS_BY_GAME[game]:
            card = env_card(env_id)
            assert (card.random_score, card.reference_score) == (random, human)
            assert "dqn_zoo" in card.reference_source
    published = {c.game for c in env_cards("stori") if "dqn_zoo" in (c.reference_source or "")}
    assert len(published) == 57 and "Adventure" not in published
    assert env_card("STORI/Adventure-T1-v0").reference_source.startswith("measured")


def test_cli_lists_the_ids_as_json(capsys) -> None:
    assert cli(["envs", "--family", "stori", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 536
    assert all({"id", "family", "type", "game", "description"} <= set(row) for row in listed)
    row = next(r for r in listed if r["id"] == "STORI/Breakout-T2.1-v0")
    assert (row["family"], row["type"], row["game"]) == ("stori", "2.1", "Breakout")


def test_keyword_arguments_override_the_registered_ones() -> None:
    env = gym.make("STORI/Breakout-T1-v0", p=0.0)
    env.reset(seed=0)
    assert all(env.step(1)[4]["action_replaced_frames"] == 0 for _ in range(50))
    env = gym.make("STORI/Breakout-T1-v0", p=1.0, per="step", frame_skip=3)
    env.reset(seed=0)
    assert all(env.step(1)[4]["action_replaced_frames"] == 3 for _ in range(20))
    env = gym.make("STORI/Boxing-T2.2-v0", threshold=2, drift="cyclic", obs_mode="atari84")
    env.reset(seed=0)
    assert [env.step(0)[4]["concept"] for _ in range(6)] == [1, 1, 2, 2, 1, 1]
    assert env.observation_space.shape == (4, 84, 84)


def test_registration_imports_no_emulator() -> None:
    code = "import sys, entropy_gym; print('ale_py' in sys.modules, 'cv2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_vector_copies_draw_independently() -> None:
    envs = gym.make_vec("STORI/Pong-T1-v0", num_envs=2, p=0.5, per="step")
    envs.reset(seed=[1, 2])
    replaced = np.array(
        [envs.step(np.zeros(2, dtype=int))[4]["action_replaced"] for _ in range(60)]
    )
    assert 0.3 < replaced.mean() < 0.7
    assert (replaced[:, 0] != replaced[:, 1]).any()
    envs.close()
