"""Bad input: one-line ValueErrors that name the allowed values."""

from __future__ import annotations

import gymnasium as gym
import pytest

import entropy_gym  # noqa: F401
from entropy_gym.envs.stori.make import make_stori_env

CASES = [
    ({"game": "Pongg"}, "unknown game 'Pongg'; expected one of: Adventure, AirRaid, Alien,"),
    ({"game": "Pong", "type": "2.3"}, "STORI type '2.3' is unknown; expected one of ('1', '2.1', '2.2', '3.1', '3.2')"),
    ({"game": "Breakout", "type": "2.1", "mode": "explode"}, "event mode 'explode' is unknown for Breakout; expected one of: block_hit_cancel (1), block_hit_cancel_no_reward (2), regenerate_block (3)"),
    ({"game": "Boxing", "type": "2.1", "mode": "4"}, "event mode '4' is unknown for Boxing; expected one of: color_flip (1), hit_cancel (2), displace (3)"),
    ({"game": "Gopher", "type": "3.2", "mask": "blackout", "mode": "19"}, "blackout mode '19' is unknown for Gopher; expected one of: all (1), attack (2),"),
    ({"game": "Pong", "type": "3.2", "mask": "crop", "mode": "middle"}, "crop mode 'middle' is unknown for Pong; expected one of: left (1), right (2), top (3), bottom (4), torch (5)"),
    ({"game": "BankHeist", "type": "3.2", "mask": "ram", "mode": "bank"}, "ram mode 'bank' is unknown for BankHeist; expected one of: car (1), fuel (2), city_blocks (3), blend_blocks (4), banks (5), police (6)"),
    ({"game": "Pong", "type": "3.2", "mask": "paint"}, "mask 'paint' is unknown; expected one of ('crop', 'blackout', 'ram')"),
    ({"game": "BankHeist", "type": "3.2", "mask": "blackout"}, "mask 'blackout' needs a mode for BankHeist; expected one of: all (1), walls (2),"),
    ({"game": "Pong", "type": "1", "p": 1.5}, "p must be in [0, 1], got 1.5"),
    ({"game": "Pong", "type": "3.2", "p": -0.1}, "p must be in [0, 1], got -0.1"),
    ({"game": "Pong", "type": "1", "p": "often"}, "p must be a number in [0, 1], got 'often'"),
    ({"game": "Pong", "type": "3.2", "mask": "ram", "mode": "ball"}, "Pong has no RAM-hiding modes; games with them: Breakout, Boxing, Gopher, BankHeist"),
    ({"game": "Pong", "type": "3.2", "mask": "blackout", "mode": "all"}, "Pong has no blackout modes; games with them: Breakout, Boxing, Gopher, BankHeist"),
    ({"game": "Pong", "type": "2.1"}, "Pong has no type-2.1 RAM events; games with events: Breakout, Boxing, Gopher, BankHeist"),
    ({"game": "Pong", "type": "2.2", "secondary": "2.1"}, "Pong has no type-2.1 RAM events; games with events: Breakout, Boxing, Gopher, BankHeist"),
    ({"game": "Pong", "type": "1", "per": "episode"}, "per 'episode' is unknown; expected one of ('frame', 'step')"),
    ({"game": "Breakout", "type": "2.1", "per": "agent"}, "per 'agent' is unknown; expected one of ('frame', 'step')"),
    ({"game": "Pong", "type": "1", "mask": "crop"}, "parameter(s) mask do not apply to type '1'; it accepts: p, per, random_actions"),
    ({"game": "Pong", "type": "3.1", "p": 0.5}, "parameter(s) p do not apply to type '3.1'; it accepts: none"),
    ({"game": "Pong", "type": "3.2", "per": "step"}, "mask timing per='step' is unknown; expected one of ('frame', 'observation')"),
    ({"game": "Pong", "type": "3.2", "threshold": 5}, "parameter(s) threshold do not apply to type '3.2'; it accepts: p, per, mask, mode"),
    ({"game": "Pong", "type": "1", "threshold": 5}, "parameter(s) threshold do not apply to type '1'; it accepts: p, per, random_actions"),
    ({"game": "Pong", "type": "2.2", "secondary": "2.2"}, "secondary type '2.2' is not allowed: concept drift cannot drift into itself"),
    ({"game": "Pong", "type": "2.2", "secondary": "3.1"}, "secondary type '3.1' is not allowed: the plain game is concept 1"),
    ({"game": "Pong", "type": "2.2", "secondary": "4"}, "secondary type '4' is unknown; expected one of ('1', '2.1', '3.2')"),
    ({"game": "Pong", "type": "2.2", "drift": "gradual"}, "drift 'gradual' is unknown; expected one of ('sudden', 'cyclic')"),
    ({"game": "Pong", "type": "2.2", "threshold": 0}, "threshold must be an integer >= 1 (agent steps), got 0"),
    ({"game": "Pong", "type": "1", "random_actions": 7}, "random_actions must be in [1, 6] for Pong, got 7"),
    ({"game": "Pong", "type": "1", "random_actions": [0, 9]}, "random_actions must be action indices in [0, 6) for Pong, got [0, 9]"),
    ({"game": "Pong", "obs_mode": "ram"}, "obs_mode 'ram' is unknown; expected one of ('rgb', 'grayscale', 'atari84')"),
    ({"game": "Pong", "frame_skip": 0}, "frame_skip must be an integer >= 1, got 0"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "message"), CASES, ids=[m.split(";")[0][:40] for _, m in CASES])
def test_bad_input_raises_a_one_line_value_error(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        make_stori_env(**kwargs)
    text = str(err.value)
    assert text.startswith(message) and "\n" not in text


def test_gym_make_passes_the_error_through() -> None:
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 2"):
        gym.make("STORI/Breakout-T1-v0", p=2)
    with pytest.raises(ValueError, match="crop mode 'torch2' is unknown for Boxing"):
        gym.make("STORI/Boxing-T3.2B-v0", mode="torch2")
