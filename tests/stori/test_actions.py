"""Type 1: random action substitution."""

from __future__ import annotations

import math

import numpy as np
import pytest

from entropy_gym.envs.stori.atari import FramePart
from tests.stori.helpers import actions, raw_ale, rollout, same_steps


class ActionSpy(FramePart):
    """Records the action each frame runs (added after the substitution, so it sees its result)."""

    def __init__(self) -> None:
        self.ran: list[int] = []

    def before_frame(self, action: int, frame: int) -> int:
        self.ran.append(action)
        return action


def spied(env):
    spy = ActionSpy()
    env.unwrapped.add_part(spy)
    return spy


def test_p0_reproduces_the_plain_ale_trajectory(make) -> None:
    env = make("Breakout", "1", p=0.0, frame_skip=1, noop_max=0)
    acts = actions(4, 500, seed=1)
    steps = rollout(env, acts)
    assert same_steps(steps, rollout(raw_ale("Breakout"), acts))
    assert not any(s[4]["action_replaced"] for s in steps)


def test_per_frame_substitution_rate_is_binomial(make) -> None:
    p, steps = 0.3, 1500
    env = make("Pong", "1", p=p, per="frame", frame_skip=4, max_episode_frames=None)
    spy = spied(env)
    env.reset(seed=0)
    agent = 1  # always FIRE: a substituted frame is recognisable unless the draw is FIRE too
    infos = [env.step(agent)[4] for _ in range(steps)]
    frames = steps * 4
    replaced = sum(i["action_replaced_frames"] for i in infos)
    sd = math.sqrt(frames * p * (1 - p))
    assert abs(replaced - frames * p) < 4 * sd
    # Replacements are uniform over the 6 actions, so 5/6 of them differ from FIRE.
    differing = sum(a != agent for a in spy.ran)
    assert abs(differing - replaced * 5 / 6) < 4 * math.sqrt(replaced * 5 / 36)
    # Per frame, a step has mixed frames: the count varies within steps.
    assert {i["action_replaced_frames"] for i in infos} == {0, 1, 2, 3, 4}
    assert all(i["action_replaced"] == (i["action_replaced_frames"] > 0) for i in infos)


def test_per_step_substitution_holds_for_the_whole_step(make) -> None:
    p, steps = 0.3, 1500
    env = make("Pong", "1", p=p, per="step", frame_skip=4, max_episode_frames=None)
    spy = spied(env)
    env.reset(seed=0)
    infos = [env.step(1)[4] for _ in range(steps)]
    counts = [i["action_replaced_frames"] for i in infos]
    assert set(counts) == {0, 4}
    hit = sum(c == 4 for c in counts)
    assert abs(hit - steps * p) < 4 * math.sqrt(steps * p * (1 - p))
    for t in range(steps):  # one random action per step, repeated on its four frames
        assert len(set(spy.ran[4 * t : 4 * t + 4])) == 1


def test_bankheist_draws_from_its_first_ten_actions(make) -> None:
    env = make("BankHeist", "1", p=1.0, frame_skip=1)
    spy = spied(env)
    env.reset(seed=0)
    for _ in range(600):
        env.step(17)  # DOWNLEFTFIRE, never drawn as a replacement
    assert set(spy.ran) == set(range(10))
    everything = make("BankHeist", "1", p=1.0, frame_skip=1, random_actions=18)
    spy = spied(everything)
    everything.reset(seed=0)
    for _ in range(600):
        everything.step(0)
    assert set(spy.ran) == set(range(18))


def test_noop_starts_are_never_substituted(make) -> None:
    env = make("Breakout", "1", p=1.0, noop_max=30)
    spy = spied(env)
    env.reset(seed=3)
    assert spy.ran == []


@pytest.mark.parametrize("per", ["frame", "step"])
def test_same_seed_same_substitutions_other_seed_other_ones(make, per: str) -> None:
    def trace(seed: int) -> list[int]:
        env = make("Breakout", "1", p=0.3, per=per)
        spy = spied(env)
        env.reset(seed=seed)
        for a in actions(4, 100, seed=1):
            env.step(a)
        env.close()
        return spy.ran

    assert trace(1) == trace(1)
    assert trace(1) != trace(2)
    assert np.mean(np.array(trace(1)) != np.array(trace(2))) > 0.1
