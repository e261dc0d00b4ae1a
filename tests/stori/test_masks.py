"""Type 3.2: every crop, blackout and RAM-hiding mode, in what the agent finally sees."""

from __future__ import annotations

import math

import numpy as np
import pytest

from entropy_gym.envs.stori.games import game_modes
from tests.stori.helpers import BREAKOUT_BALL, actions, raw_ale, rollout, same_steps

GAMES = ("Breakout", "Boxing", "Gopher", "BankHeist")
H, W = 210, 160


def gray(colour) -> int:
    r, g, b = colour
    return round(0.2989 * r + 0.5870 * g + 0.1140 * b)


def expected_fill(fills, obs_mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(covered, value): which screen pixels a blackout paints and with what (last fill wins)."""
    covered = np.zeros((H, W), dtype=bool)
    value = np.zeros((H, W, 3), dtype=np.int64)
    for f in fills:
        covered[f.y_min : f.y_max + 1, f.x_min : f.x_max + 1] = True
        value[f.y_min : f.y_max + 1, f.x_min : f.x_max + 1] = f.colour
    if obs_mode != "rgb":
        value = np.round(value @ np.array([0.2989, 0.5870, 0.1140])).astype(np.int64)
    return covered, value


def _footprints(size: int, n: int = 84) -> list[slice]:
    """The source pixels each of ``n`` INTER_AREA outputs reads (partially) along one axis."""
    scale = size / n
    return [slice(math.floor(i * scale), math.ceil((i + 1) * scale)) for i in range(n)]


def downscaled(covered: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """84 x 84 pixels whose whole INTER_AREA footprint is one painted value, and that value."""
    rows, cols = _footprints(H), _footprints(W)
    lo = np.where(covered, value, -1)
    hi = np.where(covered, value, 10**6)

    def reduce(a: np.ndarray, fn) -> np.ndarray:
        a = np.stack([fn(a[r], axis=0) for r in rows])
        return np.stack([fn(a[:, c], axis=1) for c in cols], axis=1)

    low, high = reduce(lo, np.min), reduce(hi, np.max)
    return low == high, low


def check_painted(masked: np.ndarray, reference: np.ndarray, covered, value, obs_mode: str) -> None:
    """Painted pixels hold the fill, the others are those of the unmasked observation."""
    if obs_mode == "atari84":
        cov, val = downscaled(covered, value)
        assert cov.any()
        for frame, _ref in zip(masked, reference):  # every frame of the stack
            assert np.array_equal(frame[cov], val[cov])
        return
    assert np.array_equal(masked[covered], value[covered])
    assert np.array_equal(masked[~covered], reference[~covered])


@pytest.mark.parametrize("obs_mode", ["rgb", "grayscale", "atari84"])
@pytest.mark.parametrize("game", GAMES)
def test_blackout_modes_paint_what_the_agent_sees(make, game: str, obs_mode: str) -> None:
    reference_env = make(game, obs_mode=obs_mode, noop_max=0)
    acts = actions(reference_env.action_space.n, 8, seed=1)
    reference = rollout(reference_env, acts)
    for mode, fills in game_modes(game).blackouts.items():
        env = make(game, "3.2", mask="blackout", mode=mode, p=1.0, obs_mode=obs_mode, noop_max=0)
        steps = rollout(env, acts)
        env.close()
        covered, value = expected_fill(fills, obs_mode)
        for ours, ref in zip(steps, reference):
            assert ours[4]["masked"]
            check_painted(ours[0], ref[0], covered, value, obs_mode)


@pytest.mark.parametrize(
    ("game", "colour"),
    [
        ("Boxing", (110, 156, 66)),
        ("Gopher", (187, 159, 71)),
        ("BankHeist", (0, 0, 148)),
        ("BankHeist", (162, 98, 33)),
    ],
)
def test_background_fills_are_colours_of_the_game(make, game: str, colour) -> None:
    """A non-black fill is a colour the game itself shows, with the same luminance as in ALE."""
    rgb = make(game, noop_max=0).reset(seed=0)[0]
    grey = make(game, noop_max=0, obs_mode="grayscale").reset(seed=0)[0]
    where = (rgb == colour).all(-1)
    assert where.sum() > 100
    assert (grey[where] == gray(colour)).all()


def _crop_region(mode: str) -> np.ndarray:
    covered = np.zeros((H, W), dtype=bool)
    region = {
        "left": (slice(None), slice(0, W // 2)),
        "right": (slice(None), slice(W // 2, None)),
        "top": (slice(0, H // 2), slice(None)),
        "bottom": (slice(H // 2, None), slice(None)),
    }[mode]
    covered[region] = True
    return covered


@pytest.mark.parametrize("obs_mode", ["rgb", "grayscale", "atari84"])
@pytest.mark.parametrize("mode", ["left", "right", "top", "bottom"])
def test_crop_halves_are_black_in_what_the_agent_sees(make, mode: str, obs_mode: str) -> None:
    acts = actions(6, 8, seed=2)
    reference = rollout(make("Pong", obs_mode=obs_mode, noop_max=0), acts)
    steps = rollout(
        make("Pong", "3.2", mask="crop", mode=mode, p=1.0, obs_mode=obs_mode, noop_max=0), acts
    )
    covered = _crop_region(mode)
    value = np.zeros((H, W, 3) if obs_mode == "rgb" else (H, W), dtype=np.int64)
    for ours, ref in zip(steps, reference):
        check_painted(ours[0], ref[0], covered, value, obs_mode)


def test_crop_torch_lights_a_random_circle(make) -> None:
    acts = actions(4, 60, seed=3)
    reference = rollout(make("Breakout", noop_max=0), acts)
    env = make("Breakout", "3.2", mask="crop", mode="torch", p=1.0, noop_max=0, per="observation")
    env.reset(seed=0)
    ys, xs = np.mgrid[:H, :W]
    centres = set()
    for a, ref in zip(acts, reference):
        obs = env.step(a)[0]
        cy, cx = env.get_wrapper_attr("last_draw")
        centres.add((cy, cx))
        lit = (ys - cy) ** 2 + (xs - cx) ** 2 <= 75**2
        assert not obs[~lit].any()
        assert np.array_equal(obs[lit], ref[0][lit])
    assert len(centres) == 60


def test_masks_are_drawn_once_per_observation_with_probability_p(make) -> None:
    n, p = 1500, 0.75
    env = make(
        "Pong", "3.2", mask="crop", mode="left", p=p, max_episode_frames=None, per="observation"
    )
    env.reset(seed=0)
    masked = []
    for _ in range(n):
        obs, *_, info = env.step(0)
        masked.append(info["masked"])
        assert info["masked"] == (not obs[:, :80].any())  # Pong's left half is never black
    assert abs(sum(masked) - n * p) < 4 * math.sqrt(n * p * (1 - p))


@pytest.mark.parametrize("mask", ["crop", "ram"])
def test_p0_reproduces_the_plain_ale_trajectory(make, mask: str) -> None:
    acts = actions(18, 300, seed=4)
    reference = rollout(raw_ale("Boxing"), acts)
    mode = "left" if mask == "crop" else "enemy"
    steps = rollout(
        make("Boxing", "3.2", mask=mask, mode=mode, p=0.0, frame_skip=1, noop_max=0), acts
    )
    assert same_steps(steps, reference)
    assert not any(s[4]["masked"] for s in steps)


def _hidden_rollouts(make, game: str, mode: str, acts, setup=None):
    """Plain and RAM-hidden rollouts from the same seed and actions (RAM included)."""
    out = []
    for kwargs in ({}, {"type": "3.2", "mask": "ram", "mode": mode, "p": 1.0}):
        env = make(game, noop_max=0, **kwargs)
        env.reset(seed=0)
        steps = []
        for a in acts:
            if setup:
                setup(env.unwrapped.ale)
            steps.append((*env.step(a), env.unwrapped.ale.getRAM()))
        out.append(steps)
    return out


def _diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a != b).any(-1)


# game, mode, actions, optional RAM set-up applied to both envs before each step, and the
# screen box (y0, y1, x0, x1) that the hidden sprite lies in.
RAM_CASES = [
    ("Breakout", "nus_pattern", [1] * 20, None, (57, 92, 8, 151)),
    ("Breakout", "ball", actions(4, 60, seed=5), None, (93, 200, 0, 159)),
    ("Boxing", "ring", actions(18, 20, seed=5), None, (25, 187, 24, 135)),
    ("Boxing", "enemy", actions(18, 20, seed=5), None, (0, 190, 0, 159)),
    ("Boxing", "player", actions(18, 20, seed=5), None, (0, 190, 0, 159)),
    ("Gopher", "carrot_left", [0] * 5, None, (151, 177, 60, 67)),
    ("Gopher", "carrot_middle", [0] * 5, None, (151, 177, 76, 83)),
    ("Gopher", "carrot_right", [0] * 5, None, (151, 177, 92, 99)),
    ("Gopher", "carrots", [0] * 5, None, (151, 177, 60, 99)),
    (
        "Gopher",
        "seed",
        [0] * 5,
        lambda ale: (ale.setRAM(92, 40), ale.setRAM(95, 80)),
        (70, 80, 70, 90),
    ),
    ("BankHeist", "car", [3] * 30, None, (37, 177, 12, 147)),
    ("BankHeist", "fuel", [3, 5, 4, 2] * 60, None, (11, 36, 12, 73)),
    ("BankHeist", "city_blocks", [3] * 10, None, (37, 177, 12, 147)),
    ("BankHeist", "blend_blocks", [3] * 10, None, (0, 209, 0, 159)),
    ("BankHeist", "banks", [3] * 10, None, (37, 177, 12, 147)),
    ("BankHeist", "police", [3] * 10, lambda ale: ale.setRAM(24, 254), (37, 177, 12, 147)),
]


@pytest.mark.parametrize(
    ("game", "mode", "acts", "setup", "box"), RAM_CASES, ids=[f"{c[0]}-{c[1]}" for c in RAM_CASES]
)
def test_ram_hiding_shows_the_current_frame_without_the_sprite(
    make, game, mode, acts, setup, box
) -> None:
    plain, hidden = _hidden_rollouts(make, game, mode, acts, setup)
    y0, y1, x0, x1 = box
    outside = np.ones((H, W), dtype=bool)
    outside[y0 : y1 + 1, x0 : x1 + 1] = False
    assert any(_diff(a[0], b[0]).any() for a, b in zip(plain, hidden))
    for a, b in zip(plain, hidden):
        # The game is untouched: same rewards, flags and RAM as without the mask.
        assert (a[1], a[2], a[3]) == (b[1], b[2], b[3])
        assert np.array_equal(a[5], b[5])
        assert b[4]["masked"]
        # Only the sprite's area differs: the rest is the real current frame (not the next).
        assert not _diff(a[0], b[0])[outside].any()


def test_hidden_breakout_ball_removes_only_ball_pixels(make) -> None:
    plain, hidden = _hidden_rollouts(make, "Breakout", "ball", actions(4, 60, seed=5))
    for a, b in zip(plain, hidden):
        changed = _diff(a[0], b[0])
        assert (a[0][changed] == BREAKOUT_BALL).all()  # what vanished was ball-coloured
        assert not (b[0][changed] == BREAKOUT_BALL).all(-1).any()


@pytest.mark.parametrize("mode", ["enemy", "player", "ring"])
def test_hidden_boxing_sprites_take_the_ring_colour(make, mode: str) -> None:
    plain, hidden = _hidden_rollouts(make, "Boxing", mode, actions(18, 10, seed=5))
    for a, b in zip(plain, hidden):
        changed = _diff(a[0], b[0])
        assert changed.sum() > 100
        assert (b[0][changed] == (110, 156, 66)).all()


def test_ram_hiding_masks_the_reset_observation_when_there_are_noops(make) -> None:
    with_noops = make("Boxing", "3.2", mask="ram", mode="enemy", p=1.0, noop_max=30)
    plain = make("Boxing", noop_max=30)
    obs, info = with_noops.reset(seed=3)
    assert info["masked"] and _diff(obs, plain.reset(seed=3)[0]).sum() > 100
    without = make("Boxing", "3.2", mask="ram", mode="enemy", p=1.0, noop_max=0)
    obs, info = without.reset(seed=3)
    assert not info["masked"]
    assert np.array_equal(obs, make("Boxing", noop_max=0).reset(seed=3)[0])


def test_ram_hiding_with_probability_p_flags_each_observation(make) -> None:
    acts = actions(18, 400, seed=6)
    plain = rollout(make("Boxing", noop_max=0), acts)
    hidden = rollout(
        make("Boxing", "3.2", mask="ram", mode="enemy", p=0.5, noop_max=0, per="observation"),
        acts,
    )
    flags = [s[4]["masked"] for s in hidden]
    assert flags == [bool(_diff(a[0], b[0]).any()) for a, b in zip(plain, hidden)]
    assert abs(sum(flags) - 200) < 4 * 10
