"""ALE v5's keyword names, sticky actions, and Gymnasium's AtariPreprocessing on a STORI env."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import AtariPreprocessing

import entropy_gym  # noqa: F401
from tests.stori.helpers import actions, raw_ale, rollout, same_steps


def test_ale_v5_keyword_names_are_synonyms() -> None:
    env = gym.make("STORI/Pong-T1-v0", frameskip=2, obs_type="grayscale", full_action_space=True)
    try:
        assert env.unwrapped.frame_skip == 2 and env.action_space.n == 18
        assert env.reset(seed=0)[0].shape == (210, 160)
    finally:
        env.close()
    with pytest.raises(
        TypeError, match="unexpected keyword argument 'frame_skp'; did you mean 'frame_skip'"
    ):
        gym.make("STORI/Pong-T1-v0", frame_skp=4)
    with pytest.raises(ValueError, match="obs_type 'ram' is not supported"):
        gym.make("STORI/Pong-T1-v0", obs_type="ram")


def test_sticky_actions_repeat_the_previous_action_at_the_given_rate() -> None:
    acts = actions(6, 400, seed=3)
    plain = rollout(raw_ale("Pong"), acts)
    sticky = gym.make("STORI/Pong-T3.1-v0", frameskip=1, noop_max=0, repeat_action_probability=0.25)
    zero = gym.make("STORI/Pong-T3.1-v0", frameskip=1, noop_max=0, repeat_action_probability=0.0)
    try:
        assert same_steps(rollout(zero, acts), plain)  # 0: the plain game exactly
        seen = []
        sticky.reset(seed=0)
        ale = sticky.unwrapped
        for a in acts:
            before = ale._last_ale_action
            sticky.step(a)
            chosen = ale.action_set[a]
            if chosen != before:  # a change of action: did the old one stick?
                seen.append(ale._last_ale_action == before)
        rate = np.mean(seen)
        assert abs(rate - 0.25) < 4 * np.sqrt(0.25 * 0.75 / len(seen))
        again = rollout(sticky, acts, seed=0)
        assert same_steps(again, rollout(sticky, acts, seed=0))  # seeded
        assert not same_steps(again, plain)
    finally:
        sticky.close()
        zero.close()
    with pytest.raises(ValueError, match="repeat_action_probability must be a number in"):
        gym.make("STORI/Pong-T3.1-v0", repeat_action_probability=1.5)


def test_atari_preprocessing_on_a_raw_stori_env_matches_it_on_ale() -> None:
    # No-op starts off in the wrapper: ALE draws them from a generator seeded its own way.
    raw = dict(frameskip=1, noop_max=0, max_pool=False)
    ours = AtariPreprocessing(gym.make("STORI/Breakout-T3.1-v0", **raw), noop_max=0)
    theirs = AtariPreprocessing(raw_ale("Breakout"), noop_max=0)
    try:
        a, b = ours.reset(seed=5)[0], theirs.reset(seed=5)[0]
        assert a.shape == (84, 84) and np.array_equal(a, b)
        for act in actions(4, 150, seed=1):
            x, y = ours.step(act), theirs.step(act)
            assert np.array_equal(x[0], y[0]) and x[1:4] == y[1:4]
    finally:
        ours.close()
        theirs.close()


def test_atari_preprocessing_no_op_starts_need_the_action_meanings() -> None:
    env = gym.make("STORI/Breakout-T1-v0", frameskip=1, noop_max=0, max_pool=False)
    assert env.unwrapped.get_action_meanings() == ["NOOP", "FIRE", "RIGHT", "LEFT"]
    wrapped = AtariPreprocessing(env, noop_max=30)
    try:
        obs, info = wrapped.reset(seed=0)
        assert obs.shape == (84, 84) and info["episode_frame_number"] > 0
    finally:
        wrapped.close()
