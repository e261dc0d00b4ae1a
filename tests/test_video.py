"""Render modes declared where gym.make checks them, and RecordVideo writing MP4s."""

from __future__ import annotations

import os
import warnings

import gymnasium as gym
import pytest

import entropy_gym  # noqa: F401


@pytest.mark.parametrize(
    ("env_id", "mode"),
    [
        ("STORI/Pong-T3.2-crop-v0", "rgb_array"),
        ("Control/InvertedPendulum-T1-v0", "rgb_array"),
        ("Control/Hopper-T3.1-v0", "rgb_array"),
        ("STORI/Pong-T1-v0", "rgb_array"),
        ("TextBandit/Bernoulli-K5-hard-v0", "ansi"),
        ("ToolTask/FileTree-easy-v0", "ansi"),
    ],
)
def test_render_modes_are_declared_so_gym_make_does_not_warn(env_id: str, mode: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "not in the possible render_modes" warning fails
        env = gym.make(env_id, render_mode=mode)
    try:
        assert mode in env.metadata["render_modes"]
    finally:
        env.close()


def test_record_video_writes_an_mp4(tmp_path) -> None:
    pytest.importorskip("moviepy", reason="RecordVideo needs the video extra (MoviePy)")
    from gymnasium.wrappers import RecordVideo

    env = RecordVideo(
        gym.make("STORI/Pong-T3.2-crop-v0", render_mode="rgb_array"),
        str(tmp_path),
        episode_trigger=lambda episode: True,
        name_prefix="pong",
    )
    env.reset(seed=0)
    for _ in range(40):
        env.step(env.action_space.sample())
    env.close()
    videos = [f for f in os.listdir(tmp_path) if f.endswith(".mp4")]
    assert videos and os.path.getsize(tmp_path / videos[0]) > 1000


def test_stori_human_mode_draws_each_step_in_a_window(monkeypatch) -> None:
    pytest.importorskip("pygame", reason="render_mode='human' needs the video extra (pygame)")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # a window without a display
    env = gym.make("STORI/Breakout-T3.2C-v0", render_mode="human")
    try:
        env.reset(seed=0)
        window = env.unwrapped._window
        assert window.size == (160 * 3, 210 * 3)
        import pygame

        for _ in range(5):
            env.step(1)
        shown = pygame.surfarray.array3d(pygame.display.get_surface())[::3, ::3].swapaxes(0, 1)
        assert env.render() is None  # human mode returns nothing
        frame = env.unwrapped._frame()
        assert (shown == frame).mean() > 0.99  # the window holds the last observed frame
    finally:
        env.close()
