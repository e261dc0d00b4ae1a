"""Type 3.2 with STORI's timing (``per="frame"``): each observed frame masked, then pooled.

The expected figures are computed here from the rule itself, on single emulator frames: two
unpooled twins (frame skip 1) give, for every agent step, the two observed frames ``f`` as the
game draws them and ``h`` as the mask leaves them with ``p=1``; the rule says the agent sees
``max(x2, x3)`` where each ``x`` is ``h`` with probability ``p`` and ``f`` otherwise.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

from entropy_gym.envs.stori.make import make_stori_env
from entropy_gym.envs.stori.mask_stats import mask_kwargs, measure, preset_ids
from tests.stori.helpers import actions

H, W, R = 210, 160, 75
SETUP = {"noop_max": 0, "max_episode_frames": None}


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a != b).any(axis=-1)


def masked(obs: np.ndarray, plain: np.ndarray, full: np.ndarray) -> float | None:
    """1.0 if ``obs`` shows at least half of what the fully masked ``full`` hides."""
    hidden = _changed(full, plain)
    if not hidden.any():
        return None
    return float((_changed(obs, plain) & hidden).sum() >= hidden.sum() / 2)


def outside_torch() -> np.ndarray:
    """Per pixel, the probability that a uniformly drawn torch centre leaves it dark."""
    ys, xs = np.arange(H)[:, None], np.arange(W)[None, :]
    lit = np.zeros((H, W))
    for dy in range(-R, R + 1):
        half = math.isqrt(R * R - dy * dy)
        rows = ((ys + dy >= 0) & (ys + dy < H)).astype(float)
        cols = np.minimum(xs + half, W - 1) - np.maximum(xs - half, 0) + 1
        lit += rows * cols
    return 1.0 - lit / (H * W)


class FrameTwins:
    """The two observed frames of each 4-frame agent step, unpooled: plain and fully masked."""

    def __init__(self, game: str, kwargs: dict, seed: int) -> None:
        mask = {k: kwargs[k] for k in ("mask", "mode")}
        self.plain = make_stori_env(game, "3.1", frame_skip=1, **SETUP)
        self.full = None
        if mask["mode"] != "torch":
            self.full = make_stori_env(game, "3.2", frame_skip=1, p=1.0, **mask, **SETUP)
        for env in self.envs:
            env.reset(seed=seed)

    @property
    def envs(self) -> list[gym.Env]:
        return [env for env in (self.plain, self.full) if env is not None]

    def step(self, action: int) -> list[list[np.ndarray]]:
        """``[[f2, f3], [h2, h3]]`` (``h`` left out for the torch)."""
        out = []
        for env in self.envs:
            frames = [env.step(action)[0] for _ in range(4)]
            out.append(frames[2:])
        return out

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _preset(env_id: str, per: str = "frame") -> tuple[gym.Env, str, dict]:
    game, kwargs = mask_kwargs(env_id)
    kwargs = {**kwargs, **SETUP, "per": per}
    return make_stori_env(game, "3.2", **kwargs), game, kwargs


CHANGED = [
    "STORI/Breakout-T3.2B-v0",
    "STORI/Breakout-T3.2C-v0",
    "STORI/Boxing-T3.2B-v0",
    "STORI/Boxing-T3.2C-v0",
    "STORI/BankHeist-T3.2-v0",
]


@pytest.mark.parametrize("env_id", CHANGED)
def test_masked_fraction_agrees_with_the_reference_rule(env_id: str) -> None:
    env, game, kwargs = _preset(env_id)
    twins = FrameTwins(game, kwargs, seed=0)
    p, n = kwargs["p"], 300
    env.reset(seed=0)
    dark = outside_torch() if kwargs["mode"] == "torch" else None
    measured, expected = [], []
    try:
        for action in actions(int(env.action_space.n), n, seed=1):
            obs = env.step(action)[0]
            frames = twins.step(action)
            f2, f3 = frames[0]
            plain = np.maximum(f2, f3)
            if dark is not None:  # the torch: each frame dark outside its own disc
                lit = plain.any(axis=-1)
                p_dark = [np.where(f.any(axis=-1), p * dark, 1.0) for f in (f2, f3)]
                expected.append(float((p_dark[0] * p_dark[1])[lit].mean()))
                measured.append(float((~obs.any(axis=-1) & lit).sum() / lit.sum()))
                continue
            h2, h3 = frames[1]
            full = np.maximum(h2, h3)
            seen = masked(obs, plain, full)
            if seen is None:
                continue
            chances = [(1 - p) ** 2, p * (1 - p), (1 - p) * p, p * p]
            pictures = [plain, np.maximum(h2, f3), np.maximum(f2, h3), full]
            expected.append(sum(c * masked(x, plain, full) for c, x in zip(chances, pictures)))
            measured.append(seen)
    finally:
        env.close()
        twins.close()
    assert len(measured) > n // 2
    e = np.array(expected)
    sd = math.sqrt(float(np.sum(e * (1 - e)))) / len(e) if dark is None else 0.02
    assert abs(np.mean(measured) - e.mean()) < 4 * sd + 0.01
    # Per-observation timing would give p (or, for the torch, one disc's dark share).
    assert abs(e.mean() - (p if dark is None else 0.636)) > 0.04


def test_each_observed_frame_is_masked_then_pooled_exactly() -> None:
    env, game, kwargs = _preset("STORI/Breakout-T3.2B-v0")
    twins = FrameTwins(game, kwargs, seed=0)
    env.reset(seed=0)
    counts = []
    try:
        for action in actions(4, 80, seed=2):
            obs, *_, info = env.step(action)
            (f2, f3), _ = twins.step(action)
            draws = env.unwrapped.frame_draws
            assert len(draws) == 2
            x2, x3 = f2.copy(), f3.copy()
            for frame, drawn in zip((x2, x3), draws):
                if drawn:
                    frame[:, : W // 2] = 0
            assert np.array_equal(obs, np.maximum(x2, x3))
            counts.append(sum(map(bool, draws)))
            assert info["masked_frames"] == counts[-1] and info["masked"] == (counts[-1] > 0)
    finally:
        env.close()
        twins.close()
    assert set(counts) == {0, 1, 2}


def test_the_torch_lights_the_union_of_two_discs_and_renders_it() -> None:
    env, game, kwargs = _preset("STORI/Breakout-T3.2C-v0")
    env = make_stori_env(game, "3.2", **kwargs, render_mode="rgb_array")
    twins = FrameTwins(game, kwargs, seed=0)
    ys, xs = np.mgrid[:H, :W]
    env.reset(seed=0)
    try:
        for action in actions(4, 40, seed=3):
            obs = env.step(action)[0]
            [(f2, f3)] = twins.step(action)
            centres = env.get_wrapper_attr("last_draw")
            assert len(centres) == 2
            discs = [(ys - cy) ** 2 + (xs - cx) ** 2 <= R * R for cy, cx in centres]
            want = np.maximum(
                np.where(discs[0][..., None], f2, 0), np.where(discs[1][..., None], f3, 0)
            )
            assert np.array_equal(obs, want)
            assert np.array_equal(env.render(), want)
    finally:
        env.close()
        twins.close()


@pytest.mark.parametrize(
    "env_id", ["STORI/Breakout-T3.2A-v0", "STORI/Boxing-T3.2A-v0", "STORI/Gopher-T3.2-v0"]
)
def test_fixed_masks_at_p1_look_the_same_under_both_timings(env_id: str) -> None:
    pair = [_preset(env_id, per)[0] for per in ("frame", "observation")]
    try:
        firsts = [env.reset(seed=4)[0] for env in pair]
        assert np.array_equal(*firsts)
        for action in actions(int(pair[0].action_space.n), 60, seed=4):
            a, b = (env.step(action) for env in pair)
            assert np.array_equal(a[0], b[0]) and a[4]["masked"] and b[4]["masked"]
    finally:
        for env in pair:
            env.close()


@pytest.mark.parametrize("per", ["frame", "observation"])
def test_ram_hiding_flags_only_observations_where_something_was_hidden(per: str) -> None:
    # Once the gopher has eaten the left carrot there is nothing left to hide (about step 1160).
    envs = [
        make_stori_env("Gopher", "3.2", mask="ram", mode="carrot_left", p=1.0, per=per, **SETUP),
        make_stori_env("Gopher", "3.1", **SETUP),
    ]
    for env in envs:
        env.reset(seed=0)
    flags = []
    try:
        for action in actions(8, 1400, seed=5):
            (obs, *_, info), (plain, *_) = (env.step(action) for env in envs)
            flags.append(info["masked"])
            if not info["masked"]:
                assert np.array_equal(obs, plain)
    finally:
        for env in envs:
            env.close()
    assert 0 < sum(flags) < len(flags)


def test_measure_reports_both_timings_of_every_masked_preset() -> None:
    ids = preset_ids()
    assert "STORI/Boxing-T2.2-v0" in ids and "STORI/Breakout-T3.2C-v0" in ids
    frame = measure("STORI/Boxing-T3.2C-v0", "frame", steps=150)
    obs = measure("STORI/Boxing-T3.2C-v0", "observation", steps=150)
    assert frame.measure == "observations masked" and frame.observations > 100
    # A black sprite hidden on either pooled frame is gone: 1 - (1 - p)^2 against p.
    assert abs(frame.value - (1 - 0.3**2)) < 4 * math.sqrt(0.09 * 0.91 / frame.observations)
    assert abs(obs.value - 0.7) < 4 * math.sqrt(0.21 / obs.observations)
    with pytest.raises(ValueError, match=r"has no type-3\.2 mask"):
        measure("STORI/Boxing-T1-v0", "frame")
    with pytest.raises(ValueError, match="mask timing per='step' is unknown"):
        measure("STORI/Boxing-T3.2C-v0", "step")
