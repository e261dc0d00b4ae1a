"""The emulator layer: exact seeded resets, frame skip and pooling, no-ops, truncation, render,
palettes, the emulator pool and full-state branching."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_gym.envs.stori.atari import StoriAtariEnv
from entropy_gym.envs.stori.make import make_stori_env
from entropy_gym.envs.stori.palette import NTSC, PAL, PaletteResolver
from tests.stori.helpers import actions, plain, raw_ale, rollout, same_steps


@pytest.mark.parametrize("game", ["Breakout", "Pong", "Amidar", "Qbert", "SpaceWar"])
def test_seeded_reset_after_play_reproduces_a_fresh_ale_env(game: str) -> None:
    env = plain(game, frame_skip=1)
    n = env.action_space.n
    rollout(env, actions(n, 300, seed=1), seed=1)  # play, so a reset has something to undo
    ours = rollout(env, actions(n, 400, seed=2), seed=5)
    ref = raw_ale(game)
    theirs = rollout(ref, actions(n, 400, seed=2), seed=5)
    assert same_steps(ours, theirs)
    assert [s[4]["lives"] for s in ours] == [s[4]["lives"] for s in theirs]
    assert [s[4]["episode_frame_number"] for s in ours] == [
        s[4]["episode_frame_number"] for s in theirs
    ]
    env.close()
    ref.close()


def test_frame_skip_without_pooling_equals_ale_frameskip() -> None:
    env = plain("Breakout", frame_skip=4, max_pool=False)
    ref = raw_ale("Breakout", frameskip=4)
    acts = actions(4, 300, seed=3)
    assert same_steps(rollout(env, acts), rollout(ref, acts))


@pytest.mark.parametrize(
    ("game", "obs_type"), [("Breakout", "rgb"), ("Pong", "grayscale"), ("Pacman", "rgb")]
)
def test_observation_is_the_max_of_the_last_two_frames(game: str, obs_type: str) -> None:
    """Pooling from index screens equals pooling ALE's own conversions (Pacman is PAL)."""
    env = plain(game, frame_skip=4, obs_mode=obs_type)
    ref = raw_ale(game, frameskip=1, obs_type=obs_type)
    env.reset(seed=0)
    ref.reset(seed=0)
    for a in actions(env.action_space.n, 150, seed=4, hold=3):
        obs, reward, terminated, *_ = env.step(a)
        frames = [ref.step(a) for _ in range(4)]
        assert np.array_equal(obs, np.maximum(frames[2][0], frames[3][0]))
        assert reward == sum(f[1] for f in frames)
        assert terminated == frames[3][2]


@pytest.mark.parametrize(
    ("game", "palette"), [("Breakout", NTSC), ("MsPacman", NTSC), ("Pacman", PAL)]
)
def test_palette_tables_match_ale_conversion(game: str, palette) -> None:
    env = plain(game, frame_skip=1)
    ale = env.unwrapped.ale
    env.reset(seed=0)
    resolver = PaletteResolver()
    for a in actions(env.action_space.n, 300, seed=5):
        env.step(a)
        index = ale.getScreen()
        assert palette.matches(index, ale.getScreenRGB())
        assert palette.matches(index, ale.getScreenGrayscale())
        resolver.observe(index, ale.getScreenRGB())
    assert resolver.palette is palette


def test_noop_starts_are_drawn_from_the_seed() -> None:
    env = make_stori_env("Breakout", "3.1", noop_max=30)
    counts = [env.reset(seed=s)[1]["noops"] for s in range(40)]
    assert all(1 <= c <= 30 for c in counts) and len(set(counts)) > 10
    assert counts == [env.reset(seed=s)[1]["noops"] for s in range(40)]
    # The reset observation is the frame after that many NOOPs.
    obs, info = env.reset(seed=7)
    ref = raw_ale("Breakout")
    ref.reset(seed=7)
    for _ in range(info["noops"]):
        frame = ref.step(0)[0]
    assert np.array_equal(obs, frame)
    assert info["episode_frame_number"] == info["noops"]


def test_truncation_after_max_episode_frames() -> None:
    env = plain("Pong", frame_skip=4, max_episode_frames=100)
    steps = rollout(env, [0] * 40)
    assert len(steps) == 25
    assert steps[-1][3] and not steps[-1][2]
    assert not any(s[3] for s in steps[:-1])
    assert steps[-1][4]["episode_frame_number"] == 100


def test_a_recycled_emulator_behaves_like_a_fresh_one() -> None:
    acts = actions(4, 200, seed=6)
    first = plain("Breakout")
    ale = first.unwrapped.ale
    before = rollout(first, acts, seed=3)
    rollout(first, actions(4, 300, seed=9), seed=1)
    first.close()
    second = plain("Breakout")
    assert second.unwrapped.ale is ale  # taken from the pool, not loaded again
    assert same_steps(rollout(second, acts, seed=3), before)
    second.close()
    first.close()  # closing twice is harmless


def test_render_shows_what_the_agent_saw() -> None:
    env = make_stori_env(
        "Breakout", "3.2", mask="crop", mode="left", p=1.0, render_mode="rgb_array"
    )
    env.reset(seed=0)
    for a in actions(4, 20, seed=1):
        obs = env.step(a)[0]
        assert np.array_equal(env.render(), obs)
    stacked = make_stori_env(
        "Breakout",
        "3.2",
        mask="crop",
        mode="right",
        p=1.0,
        obs_mode="atari84",
        render_mode="rgb_array",
    )
    stacked.reset(seed=0)
    stacked.step(1)
    frame = stacked.render()
    assert frame.shape == (210, 160, 3) and not frame[:, 80:].any() and frame[:, :80].any()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"type": "1", "p": 0.5},
        {"type": "2.1", "mode": "hit_cancel", "p": 0.5},
        {"type": "3.2", "mask": "crop", "mode": "torch", "p": 0.5},
        {"type": "3.2", "mask": "ram", "mode": "enemy", "p": 0.5},
        {"type": "2.2", "secondary": "1", "drift": "cyclic", "threshold": 7, "p": 0.5},
        {"type": "1", "p": 0.5, "obs_mode": "atari84"},
    ],
)
def test_full_state_snapshot_branches_exactly(kwargs: dict) -> None:
    env = make_stori_env("Boxing", **kwargs)
    env.reset(seed=11)
    for a in actions(18, 40, seed=1):
        env.step(a)
    snapshot = env.unwrapped.clone_full_state()
    acts = actions(18, 40, seed=2)
    first = [env.step(a) for a in acts]
    env.unwrapped.restore_full_state(snapshot)
    second = [env.step(a) for a in acts]
    assert same_steps(first, second)
    assert [s[4] for s in first] == [s[4] for s in second]


def test_out_of_range_action_is_refused() -> None:
    env = plain("Pong")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="outside the action space"):
        env.step(6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frame_skip": 0}, "frame_skip must be an integer >= 1"),
        ({"noop_max": -1}, "noop_max must be an integer >= 0"),
        ({"max_episode_frames": 0}, "max_episode_frames must be >= 1 or None"),
        ({"obs_type": "ram"}, "obs_type 'ram' is unknown; expected one of ('rgb', 'grayscale')"),
        (
            {"render_mode": "ansi"},
            "render_mode 'ansi' is unknown; expected None, 'human' or 'rgb_array'",
        ),
    ],
)
def test_bad_emulator_settings_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        StoriAtariEnv("Pong", **kwargs)


@pytest.mark.slow
def test_seeded_reset_is_exact_for_every_game() -> None:
    """Every ALE game: after varied play, a seeded reset replays a fresh emulator frame by frame
    (screen, RAM, reward, game over)."""
    from entropy_gym.envs.stori.catalog import game_roms

    for game in game_roms():
        ref = raw_ale(game)
        env = plain(game, frame_skip=1)
        n = env.action_space.n
        for seed in (1, 2):
            rollout(env, actions(n, 1500 * seed, seed=seed, hold=4), seed=seed)
            ours = rollout(env, actions(n, 600, seed=3), seed=5, ram=True)
            theirs = rollout(ref, actions(n, 600, seed=3), seed=5, ram=True)
            assert same_steps(ours, theirs), game
            assert all(np.array_equal(a[5], b[5]) for a, b in zip(ours, theirs)), game
        env.close()
        ref.close()
