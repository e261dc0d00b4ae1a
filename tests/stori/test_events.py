"""Type 2.1: every RAM event mode of every game, shown on RAM or reward."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

from entropy_gym.envs.stori.games import bankheist, boxing, breakout, game_modes, gopher
from tests.stori.helpers import actions, raw_ale, rollout, same_steps

ALL_MODES = [
    (game, mode)
    for game in ("Breakout", "Boxing", "Gopher", "BankHeist")
    for mode in game_modes(game).events
]


@functools.cache
def _raw_rollout(game: str) -> tuple:
    env = raw_ale(game)
    acts = actions(env.action_space.n, 400, seed=1, hold=4)
    steps = rollout(env, acts)
    env.close()
    return acts, steps


@pytest.mark.parametrize(("game", "mode"), ALL_MODES)
def test_p0_reproduces_the_plain_ale_trajectory(make, game: str, mode: str) -> None:
    acts, reference = _raw_rollout(game)
    steps = rollout(make(game, "2.1", mode=mode, p=0.0, frame_skip=1, noop_max=0), acts)
    assert same_steps(steps, reference)
    assert not any(s[4]["event_frames"] for s in steps)


def breakout_tracker():
    """Keeps the paddle under the ball (RAM 99 ball x, 72 paddle x) and serves every 50 steps."""
    clock = [0]

    def policy(env) -> int:
        clock[0] += 1
        ram = env.unwrapped.ale.getRAM()
        if clock[0] % 50 == 1:
            return 1
        ball, paddle = int(ram[breakout.BALL_X]), int(ram[72])
        return 2 if ball > paddle + 10 else 3 if ball < paddle + 5 else 0

    return policy


def _wall(env) -> bytes:
    return env.unwrapped.ale.getRAM()[: breakout.WALL].tobytes()


def test_breakout_plain_play_knocks_bricks_out(make) -> None:
    env = make("Breakout", frame_skip=1, noop_max=0)
    env.reset(seed=0)
    wall = _wall(env)
    steps = rollout(env, breakout_tracker(), steps=1500)
    assert sum(s[1] for s in steps) >= 5 and _wall(env) != wall


@pytest.mark.parametrize("mode", ["block_hit_cancel", "block_hit_cancel_no_reward"])
def test_breakout_block_hit_cancel_keeps_the_wall(make, mode: str) -> None:
    env = make("Breakout", "2.1", mode=mode, p=1.0, frame_skip=1, noop_max=0)
    env.reset(seed=0)
    wall = _wall(env)
    policy, hits, rewards = breakout_tracker(), [], []
    for _ in range(1500):
        _, reward, terminated, _, info = env.step(policy(env))
        assert _wall(env) == wall  # no brick ever stays knocked out
        hits.append(info["event_frames"])
        rewards.append(reward)
        assert info["event"] == (mode if info["event_frames"] else "")
        if terminated:
            break
    assert sum(hits) >= 5
    if mode == "block_hit_cancel":
        assert [r > 0 for r in rewards] == [h > 0 for h in hits]  # the hit still pays
    else:
        assert sum(rewards) == 0


def test_breakout_regenerate_block_regrows_hit_bricks(make) -> None:
    env = make("Breakout", "2.1", mode="regenerate_block", p=1.0, frame_skip=1, noop_max=0)
    env.reset(seed=0)
    wall = _wall(env)
    steps = rollout(env, breakout_tracker(), steps=1500, seed=0)
    assert sum(s[4]["event_frames"] for s in steps) >= 5
    assert sum(s[1] for s in steps) >= 5
    assert _wall(env) == wall


def test_boxing_color_flip_swaps_the_colours(make) -> None:
    """Flipping every step: the boxers (white and black) and their scores swap colours."""
    white, black = np.array([214, 214, 214]), np.array([0, 0, 0])
    acts = actions(18, 40, seed=4)
    reference = rollout(make("Boxing", noop_max=0, max_pool=False), acts)
    env = make("Boxing", "2.1", mode="color_flip", p=1.0, per="step", noop_max=0, max_pool=False)
    steps = rollout(env, acts)
    for t, (ours, plain) in enumerate(zip(steps, reference), start=1):
        assert ours[4]["event_frames"] == 1
        if t % 2 == 0:
            assert np.array_equal(ours[0], plain[0])
            continue
        ring = plain[0][36:177, 32:128]
        swapped = ring.copy()
        is_white, is_black = (ring == white).all(-1), (ring == black).all(-1)
        swapped[is_white], swapped[is_black] = black, white
        assert is_white.sum() > 300 and is_black.sum() > 300
        assert np.array_equal(ours[0][36:177, 32:128], swapped)


def test_boxing_hit_cancel_voids_every_punch(make) -> None:
    acts = actions(18, 1500, seed=2, hold=6)
    plain = rollout(make("Boxing", frame_skip=1, noop_max=0), acts, ram=True)
    scored = [t for t, s in enumerate(plain) if s[1] != 0]
    assert len(scored) >= 3
    env = make("Boxing", "2.1", mode="hit_cancel", p=1.0, frame_skip=1, noop_max=0)
    steps = rollout(env, acts, ram=True)
    assert all(s[1] == 0 for s in steps)  # the revert is not re-reported by ALE on the next frame
    assert all(s[5][boxing.PLAYER_SCORE] == 0 and s[5][boxing.ENEMY_SCORE] == 0 for s in steps)
    assert sum(s[4]["event_frames"] for s in steps) >= 3


def test_boxing_displace_swaps_the_starting_corners(make) -> None:
    env = make("Boxing", "2.1", mode="displace", p=1.0, per="step", frame_skip=1, noop_max=0)
    env.reset(seed=0)
    start = env.unwrapped.ale.getRAM().copy()
    assert (start[boxing.PLAYER_X], start[boxing.PLAYER_Y]) != (
        start[boxing.ENEMY_X],
        start[boxing.ENEMY_Y],
    )
    env.step(0)  # the game's first frame ignores position writes
    for _ in range(20):
        assert env.step(0)[4]["event"] == "displace"
        ram = env.unwrapped.ale.getRAM().astype(int)
        assert abs(ram[boxing.PLAYER_X] - start[boxing.ENEMY_X]) <= 2
        assert abs(ram[boxing.PLAYER_Y] - start[boxing.ENEMY_Y]) <= 2
        assert abs(ram[boxing.ENEMY_X] - start[boxing.PLAYER_X]) <= 2
        assert abs(ram[boxing.ENEMY_Y] - start[boxing.PLAYER_Y]) <= 2


def _fills(steps, shovel) -> list[int]:
    """Steps on which a shovel action cleared tunnel bits (a fill)."""
    out = []
    for t in range(1, len(steps)):
        before = int.from_bytes(steps[t - 1][5][: gopher.UNDERGROUND].tobytes(), "little")
        after = int.from_bytes(steps[t][5][: gopher.UNDERGROUND].tobytes(), "little")
        if before & ~after and shovel[t]:
            out.append(t)
    return out


@pytest.mark.parametrize("mode", ["fill_cancel", "fill_cancel_no_reward"])
def test_gopher_fill_cancel_keeps_holes_open(make, mode: str) -> None:
    acts = actions(8, 2000, seed=1, hold=8)
    shovel = [a in (1, 5, 6, 7) for a in acts]
    plain = rollout(make("Gopher", frame_skip=1, noop_max=0), acts, ram=True)
    assert len(_fills(plain, shovel)) >= 3
    assert any(plain[t][1] > 0 for t in _fills(plain, shovel))  # fills pay points
    steps = rollout(
        make("Gopher", "2.1", mode=mode, p=1.0, frame_skip=1, noop_max=0), acts, ram=True
    )
    assert _fills(steps, shovel) == []
    fired = [t for t, s in enumerate(steps) if s[4]["event_frames"]]
    assert len(fired) >= 3
    if mode == "fill_cancel_no_reward":
        assert all(steps[t][1] == 0 for t in fired)
    else:
        assert any(steps[t][1] > 0 for t in fired)


def _carrots(env) -> int:
    return bin(int(env.unwrapped.ale.getRAM()[gopher.CARROTS]) & 7).count("1")


def test_gopher_remove_carrot_kills_one_carrot_once(make) -> None:
    plain = make("Gopher", frame_skip=1, noop_max=0)
    env = make("Gopher", "2.1", mode="remove_carrot", p=1.0, frame_skip=1, noop_max=0)
    plain.reset(seed=0)
    env.reset(seed=0)
    fired = []
    for _t in range(400):
        plain.step(0)
        info = env.step(0)[4]
        fired.append(info["event_frames"])
        frame = info["episode_frame_number"]
        assert _carrots(plain) == 3
        assert _carrots(env) == (2 if frame >= gopher.CARROT_DELAY_FRAMES else 3)
    assert sum(fired) == 1


def test_gopher_remove_carrot_never_takes_the_last_carrot(make) -> None:
    env = make("Gopher", "2.1", mode="remove_carrot", p=1.0, frame_skip=1, noop_max=0)
    env.reset(seed=0)
    env.unwrapped.ale.setRAM(gopher.CARROTS, gopher.CARROT_MIDDLE)
    for _ in range(400):
        _, _, terminated, _, info = env.step(0)
        assert info["event_frames"] == 0 and not terminated
    assert _carrots(env) == 1


def test_bankheist_bomb_dud_defuses_dynamite(make) -> None:
    acts = [1 if t % 40 == 0 else 2 + (t // 40) % 8 for t in range(1500)]  # drop dynamite, drive
    plain = rollout(make("BankHeist", frame_skip=1, noop_max=0), acts, ram=True)
    start = plain[0][5][bankheist.BOMB]
    assert any(s[5][bankheist.BOMB] != start for s in plain)
    steps = rollout(
        make("BankHeist", "2.1", mode="bomb_dud", p=1.0, frame_skip=1, noop_max=0), acts, ram=True
    )
    assert all(s[5][bankheist.BOMB] == start for s in steps)
    assert sum(s[4]["event_frames"] for s in steps) >= 1


def test_bankheist_fuel_leak_halves_the_tank_once_per_city(make) -> None:
    plain = rollout(make("BankHeist", frame_skip=1, noop_max=0), [0] * 100, ram=True)
    assert all(s[5][bankheist.FUEL] < bankheist.HALF_TANK for s in plain)
    steps = rollout(
        make("BankHeist", "2.1", mode="fuel_leak", p=1.0, frame_skip=1, noop_max=0),
        [0] * 100,
        ram=True,
    )
    assert steps[0][5][bankheist.FUEL] == bankheist.HALF_TANK
    assert [s[4]["event_frames"] for s in steps] == [1] + [0] * 99


def test_bankheist_city_switch_teleports_every_time(make) -> None:
    env = make("BankHeist", "2.1", mode="city_switch", p=1.0, per="step", noop_max=0)
    steps = rollout(env, actions(18, 60, seed=3), ram=True)
    assert all(s[4]["event_frames"] == 1 for s in steps)  # per step: once per step
    cities = [int(s[5][bankheist.CITY]) for s in steps]
    assert all(c < 4 for c in cities)  # the city count keeps its progress (none made here)
    assert all(a != b for a, b in itertools.pairwise(cities))
    assert len(set(cities)) == 4
    assert all(s[4]["event"] == "city_switch" for s in steps)


def test_bankheist_bank_empty_pays_nothing_for_a_robbery(make) -> None:
    moves = np.random.default_rng(1).integers(8, size=50)
    acts = [2 + int(moves[t // 16]) for t in range(400)]  # drive around, no dynamite
    plain = rollout(make("BankHeist", frame_skip=1, noop_max=0), acts)
    robbed = [t for t, s in enumerate(plain) if s[1] > 0]
    assert robbed
    steps = rollout(
        make("BankHeist", "2.1", mode="bank_empty", p=1.0, frame_skip=1, noop_max=0), acts
    )
    assert [t for t, s in enumerate(steps) if s[4]["event_frames"]] == robbed
    assert all(s[1] == 0 for s in steps)
    # Only the reward differs: the game goes on exactly as before.
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(plain, steps))


class _ScriptedRam:
    """An emulator stand-in whose game writes ``bytes_[i]`` to the dynamite byte on frame i."""

    def __init__(self, bytes_: list[int]) -> None:
        self.ram = np.zeros(128, dtype=np.uint8)
        self.script = iter(bytes_)
        self.reverts: list[int] = []

    def frame(self) -> None:
        self.ram[bankheist.BOMB] = next(self.script)

    def getRAM(self, out=None):
        if out is None:
            return self.ram.copy()
        out[:] = self.ram
        return out

    def setRAM(self, address: int, value: int) -> None:
        self.ram[address] = value
        self.reverts.append(value)


def test_bankheist_bomb_dud_compares_with_the_games_own_last_byte() -> None:
    # The game writes 5 on two frames running: STORI reverts the first write only (the second
    # equals the byte the game wrote before), and reverts again when the game moves on to 6.
    ale = _ScriptedRam([5, 5, 6, 6])
    event = bankheist.BombDud(type("Env", (), {"ale": ale})(), p=1.0, per_step=False)
    event.seed_rng(np.random.default_rng(0))
    event.on_reset(ale.getRAM())
    for f in range(4):
        event.before_frame(0, f)
        ale.frame()
        event.after_frame(0, 0, f)
    assert ale.reverts == [0, 5]
    assert event.fired == 2
