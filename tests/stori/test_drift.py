"""Type 2.2: concept drift, sudden and cyclic, into each secondary type."""

from __future__ import annotations

import numpy as np
import pytest

from tests.stori.helpers import actions, raw_ale, rollout, same_steps


def test_sudden_drift_switches_at_the_threshold_and_resets(make) -> None:
    env = make(
        "Breakout", "2.2", secondary="3.2", mask="blackout", mode="ball_top_bottom", p=1.0,
        drift="sudden", threshold=5, noop_max=0,
    )  # fmt: skip
    reference = rollout(make("Breakout", noop_max=0), actions(4, 12, seed=1))
    for _episode in range(2):  # a reset goes back to concept 1
        obs, info = env.reset(seed=0)
        assert info["concept"] == 1 and not info["masked"]
        for t, (a, ref) in enumerate(zip(actions(4, 12, seed=1), reference)):
            obs, *_, info = env.step(a)
            drifted = t >= 5
            assert info["concept"] == (2 if drifted else 1) and info["masked"] == drifted
            bands = np.r_[105:131, 157:183]
            if drifted:
                assert not obs[bands, 8:152].any()
            else:
                assert np.array_equal(obs, ref[0])


def test_cyclic_drift_alternates_every_threshold_steps(make) -> None:
    env = make("Pong", "2.2", secondary="1", p=1.0, per="step", drift="cyclic", threshold=3)
    env.reset(seed=0)
    infos = [env.step(0)[4] for _ in range(14)]
    concepts = [i["concept"] for i in infos]
    assert concepts == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 1, 1]
    assert [i["action_replaced_frames"] for i in infos] == [0 if c == 1 else 4 for c in concepts]
    env.reset(seed=0)
    assert env.step(0)[4]["concept"] == 1


def test_drift_into_random_events(make) -> None:
    env = make("Boxing", "2.2", secondary="2.1", mode="color_flip", p=1.0, per="step", threshold=4)
    env.reset(seed=0)
    fired = [env.step(0)[4]["event_frames"] for _ in range(8)]
    assert fired == [0, 0, 0, 0, 1, 1, 1, 1]


def test_a_drifted_in_event_starts_from_the_ram_at_the_switch(make) -> None:
    env = make("Breakout", "2.2", secondary="2.1", mode="block_hit_cancel", p=1.0, threshold=3)
    env.reset(seed=0)
    drift = env
    while not hasattr(drift, "secondary"):
        drift = drift.env
    event = drift.secondary.event
    for _ in range(3):
        env.step(1)
    at_switch = env.unwrapped.ale.getRAM()
    env.step(1)
    assert np.array_equal(event.initial, at_switch)


def test_drift_into_ram_hiding(make) -> None:
    acts = actions(18, 10, seed=2)
    plain = rollout(make("Boxing", noop_max=0), acts)
    drift = rollout(
        make(
            "Boxing",
            "2.2",
            secondary="3.2",
            mask="ram",
            mode="enemy",
            p=1.0,
            threshold=6,
            noop_max=0,
        ),
        acts,
    )
    for t, (a, b) in enumerate(zip(plain, drift)):
        assert b[4]["masked"] == (t >= 6)
        assert np.array_equal(a[0], b[0]) == (t < 6)
        assert a[1:4] == b[1:4]


@pytest.mark.parametrize(
    "secondary",
    [
        {"secondary": "1"},
        {"secondary": "2.1", "mode": "hit_cancel"},
        {"secondary": "3.2", "mask": "crop", "mode": "torch"},
        {"secondary": "3.2", "mask": "ram", "mode": "player"},
    ],
)
def test_p0_reproduces_the_plain_ale_trajectory(make, secondary: dict) -> None:
    acts = actions(18, 300, seed=3)
    reference = rollout(raw_ale("Boxing"), acts)
    env = make(
        "Boxing", "2.2", drift="cyclic", threshold=20, p=0.0, frame_skip=1, noop_max=0, **secondary
    )
    assert same_steps(rollout(env, acts), reference)


def test_two_envs_from_one_preset_do_not_share_a_concept(make) -> None:
    """Switching one env's concept leaves another made from the same id untouched."""
    a = make("Pong", "2.2", secondary="1", p=1.0, per="step", threshold=2)
    b = make("Pong", "2.2", secondary="1", p=1.0, per="step", threshold=2)
    a.reset(seed=0)
    b.reset(seed=0)
    assert [a.step(0)[4]["concept"] for _ in range(4)] == [1, 1, 2, 2]
    assert b.step(0)[4]["concept"] == 1 and b.step(0)[4]["action_replaced_frames"] == 0
