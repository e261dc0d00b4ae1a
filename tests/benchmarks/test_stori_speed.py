"""Steps per second of each STORI type against the raw ALE env, measured in the same run.

Run: ``pytest tests/benchmarks/test_stori_speed.py --benchmark-only -m ""``

Each case steps a STORI env and ``gym.make("ALE/<Game>-v5", frameskip=k,
repeat_action_probability=0)`` alternately, step by step, on the same random action sequence,
and reports the ratio of the medians over rounds of the time spent in their ``step`` calls
(resets are not timed; alternating single steps exposes both to the same load of a shared
machine). STORI envs run with ``max_pool=False`` so that both do the same emulation and screen
conversion and the ratio is the type's overhead; the ``pooled`` case shows what max-pooling
adds on top. Targets: game-independent types within 5% of raw ALE (ratio >= 0.95), RAM types
within 15% (>= 0.85). The table of ratios is printed at the end of the module.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import entropy_gym  # noqa: F401

ROUNDS = 7
STEPS = {1: 800, 4: 250}

# name -> (make_stori_env kwargs, kind); "independent" types work on every game.
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "3.1": ({"type": "3.1"}, "independent"),
    "3.1 pooled": ({"type": "3.1", "max_pool": True}, "pooling"),
    "1 (p=0.3/frame)": ({"type": "1", "p": 0.3}, "independent"),
    "1 (p=0.3/step)": ({"type": "1", "p": 0.3, "per": "step"}, "independent"),
    "2.2 -> 1": ({"type": "2.2", "secondary": "1", "p": 0.3, "drift": "cyclic", "threshold": 50}, "independent"),
    "3.2 crop left": ({"type": "3.2", "mask": "crop", "mode": "left", "p": 0.75}, "independent"),
    "3.2 crop torch": ({"type": "3.2", "mask": "crop", "mode": "torch", "p": 1.0}, "independent"),
    "3.2 torch pooled (per frame)": ({"type": "3.2", "mask": "crop", "mode": "torch", "p": 1.0, "max_pool": True}, "pooling"),
    "3.2 torch pooled (per obs)": ({"type": "3.2", "mask": "crop", "mode": "torch", "p": 1.0, "max_pool": True, "per": "observation"}, "pooling"),
    "2.2 -> crop": ({"type": "2.2", "secondary": "3.2", "mask": "crop", "mode": "left", "p": 0.75, "drift": "cyclic", "threshold": 50}, "independent"),
    "2.1 block_hit_cancel": ({"type": "2.1", "mode": "block_hit_cancel_no_reward", "p": 0.25}, "ram"),
    "2.1 regenerate_block": ({"type": "2.1", "mode": "regenerate_block", "p": 0.25}, "ram"),
    "3.2 blackout": ({"type": "3.2", "mask": "blackout", "mode": "ball_top_bottom", "p": 1.0}, "pixels"),
    "3.2 ram ball": ({"type": "3.2", "mask": "ram", "mode": "ball", "p": 1.0}, "ram-render"),
}  # fmt: skip

PARAMS = [
    (game, skip, name)
    for game in ("Breakout", "Pong")
    for skip in (1, 4)
    for name, (kwargs, kind) in CASES.items()
    if game == "Breakout" or kind in ("independent", "pooling")
]

_RESULTS: dict[tuple[str, int, str], float] = {}


def _run(env: gym.Env, acts: np.ndarray) -> float:
    """Seconds to take ``acts`` (resets at episode ends are not timed)."""
    total = 0.0
    clock = time.perf_counter
    for a in acts:
        start = clock()
        _, _, terminated, truncated, _ = env.step(a)
        total += clock() - start
        if terminated or truncated:
            env.reset()
    return total


def _interleaved(raw: gym.Env, env: gym.Env, acts: np.ndarray) -> tuple[float, float]:
    """Seconds spent in the steps of each env, stepping them alternately.

    Alternating single steps exposes both envs to the same load of a shared machine, which
    alternating whole rounds does not.
    """
    clock = time.perf_counter
    spent = [0.0, 0.0]
    for a in acts:
        for i, e in enumerate((raw, env)):
            start = clock()
            _, _, terminated, truncated, _ = e.step(a)
            spent[i] += clock() - start
            if terminated or truncated:
                e.reset()
    return spent[0], spent[1]


@pytest.fixture(scope="module", autouse=True)
def ratio_table(request: pytest.FixtureRequest):
    yield
    if not _RESULTS:
        return
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        _print_table()


def _print_table() -> None:
    write = print
    write("")
    write("STORI steps/s relative to raw ALE v5 (same frame skip, sticky actions off):")
    write(
        f"{'case':28s} "
        + " ".join(f"{g}/fs{k}".rjust(13) for g in ("Breakout", "Pong") for k in (1, 4))
    )
    for name in [*CASES, "3.1 pooled vs MaxAndSkip"]:
        cells = [_RESULTS.get((g, k, name)) for g in ("Breakout", "Pong") for k in (1, 4)]
        write(
            f"{name:28s} " + " ".join(("-" if c is None else f"{c:.3f}").rjust(13) for c in cells)
        )


@pytest.mark.parametrize(("game", "frame_skip", "case"), PARAMS)
def test_stori_speed(benchmark, game: str, frame_skip: int, case: str) -> None:
    import ale_py

    gym.register_envs(ale_py)
    kwargs, _ = CASES[case]
    kwargs = {"max_pool": False, "noop_max": 0, **kwargs}
    raw = gym.make(f"ALE/{game}-v5", frameskip=frame_skip, repeat_action_probability=0.0)
    # Any id of the game with the case's kwargs on top: gym.make wraps both envs alike.
    env = gym.make(f"STORI/{game}-T3.1-v0", **{**kwargs, "frame_skip": frame_skip})
    acts = np.random.default_rng(0).integers(raw.action_space.n, size=STEPS[frame_skip])
    raw.reset(seed=0)
    env.reset(seed=0)
    _interleaved(raw, env, acts[:50])  # warm-up
    ours, theirs = [], []
    for _ in range(ROUNDS):
        raw_s, env_s = _interleaved(raw, env, acts)
        theirs.append(raw_s)
        ours.append(env_s)
    ratio = statistics.median(theirs) / statistics.median(ours)
    _RESULTS[(game, frame_skip, case)] = ratio
    benchmark.extra_info.update(
        ratio_to_raw_ale=round(ratio, 4),
        stori_steps_per_s=round(len(acts) / statistics.median(ours)),
        raw_ale_steps_per_s=round(len(acts) / statistics.median(theirs)),
    )
    benchmark.pedantic(_run, args=(env, acts), rounds=3, iterations=1)
    raw.close()
    env.close()


@pytest.mark.parametrize("game", ["Breakout", "Pong"])
def test_pooling_against_gymnasium_max_and_skip(benchmark, game: str) -> None:
    """Frame skip 4 with max-pooling: the plain STORI env against Gymnasium's
    ``MaxAndSkipObservation`` over ALE with frame skip 1 (the usual way to get pooled frames)."""
    import ale_py

    gym.register_envs(ale_py)
    raw = gym.wrappers.MaxAndSkipObservation(
        gym.make(f"ALE/{game}-v5", frameskip=1, repeat_action_probability=0.0), skip=4
    )
    env = gym.make(f"STORI/{game}-T3.1-v0", noop_max=0)
    acts = np.random.default_rng(0).integers(raw.action_space.n, size=STEPS[4])
    raw.reset(seed=0)
    env.reset(seed=0)
    _interleaved(raw, env, acts[:50])
    ours, theirs = [], []
    for _ in range(ROUNDS):
        raw_s, env_s = _interleaved(raw, env, acts)
        theirs.append(raw_s)
        ours.append(env_s)
    ratio = statistics.median(theirs) / statistics.median(ours)
    _RESULTS[(game, 4, "3.1 pooled vs MaxAndSkip")] = ratio
    benchmark.extra_info.update(ratio_to_max_and_skip=round(ratio, 4))
    benchmark.pedantic(_run, args=(env, acts), rounds=3, iterations=1)
    raw.close()
    env.close()
