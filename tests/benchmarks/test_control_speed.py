"""Steps per second of each Control/ type against the plain Gymnasium MuJoCo env, same run.

    pytest tests/benchmarks/test_control_speed.py --benchmark-only -m "" -s

Each case runs the type and the plain ``gym.make("<Task>-v5")`` in alternating blocks of the
same steps (``ROUNDS`` times, CPU time of this process, so other processes on a shared machine
do not count), and reports ``speed`` = type steps/s / plain steps/s as the median over rounds.
Two settings per type:

* ``overhead``: the type does all its work, but its perturbation leaves the physics as in the
  plain run (zero push force, zero state noise, drift scale 1, and the plain env replays type
  1's executed actions), so both sides simulate identical trajectories and the ratio is the cost
  of the type's own code. This is what the 5% target is about.
* ``default``: the registered defaults against the plain env on the same agent actions; the
  perturbation changes the trajectory, so the ratio also moves with how much simulation the
  perturbed episodes need (contacts, resets).

The ratios go to ``extra_info["speed_vs_plain"]`` and are printed as a table at the end.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import entropy_gym  # noqa: F401  (registers the ids)

pytest.importorskip("mujoco")

TASKS = ("InvertedPendulum", "HalfCheetah", "Humanoid")  # cheapest, typical, dearest step
STEPS = 200
ROUNDS = 20

#: case -> (type, kwargs) with the physics of the plain task.
OVERHEAD: dict[str, tuple[str, dict[str, Any]]] = {
    "T1 random": ("1", {}),
    "T1 noise": ("1", {"mode": "noise"}),
    "T2.1 push": ("2.1", {"force": 0.0}),
    "T2.1 perturb": ("2.1", {"mode": "perturb", "qpos_noise": 0.0, "qvel_noise": 0.0}),
    "T2.2 sudden": ("2.2", {"scale": 1.0, "threshold": 100}),
    "T2.2 cyclic": ("2.2", {"scale": 1.0, "mode": "cyclic", "threshold": 20}),
    "T3.1": ("3.1", {}),
    "T3.2 velocity": ("3.2", {}),
    "T3.2 drop": ("3.2", {"mode": "drop"}),
}
DEFAULT: dict[str, tuple[str, dict[str, Any]]] = {
    f"T{k} default": (k, {}) for k in ("1", "2.1", "2.2", "3.2")
}

_RESULTS: dict[tuple[str, str], float] = {}


def _block(env: gym.Env, actions: np.ndarray) -> float:
    """CPU seconds for ``actions`` steps from ``reset(seed=0)``, resetting when episodes end."""
    env.reset(seed=0)
    start = time.process_time()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return time.process_time() - start


def _executed_actions(env: gym.Env, actions: np.ndarray) -> np.ndarray:
    """What reached the actuators in a run of ``env``: the plain env replays these."""
    executed = []
    env.reset(seed=0)
    for action in actions:
        _, _, terminated, truncated, info = env.step(action)
        executed.append(info.get("executed_action", action))
        if terminated or truncated:
            env.reset()
    return np.array(executed)


@pytest.fixture(scope="module", autouse=True)
def speed_table(request):
    yield
    if not _RESULTS:
        return
    cases = list(dict.fromkeys(case for _, case in _RESULTS))
    tasks = [t for t in TASKS if any(t == task for task, _ in _RESULTS)]
    lines = ["", "speed vs plain Gymnasium env (type steps/s / plain steps/s, median of rounds)"]
    lines.append(f"{'case':16s}" + "".join(f"{t:>18s}" for t in tasks))
    for case in cases:
        cells = [_RESULTS.get((t, case)) for t in tasks]
        text = ["-" if c is None else f"{c:.3f}" for c in cells]
        lines.append(f"{case:16s}" + "".join(f"{c:>18s}" for c in text))
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


@pytest.mark.parametrize("case", [*OVERHEAD, *DEFAULT])
@pytest.mark.parametrize("task", TASKS)
def test_control_speed_vs_plain(benchmark, task, case):
    kind, kwargs = {**OVERHEAD, **DEFAULT}[case]
    env = gym.make(f"Control/{task}-T{kind}-v0", **kwargs)
    plain = gym.make(f"{task}-v5")
    space = plain.action_space
    actions = np.random.default_rng(0).uniform(space.low, space.high, (STEPS, *space.shape))
    actions = actions.astype(space.dtype)
    replayed = _executed_actions(env, actions) if case in OVERHEAD else actions

    ratios = []
    for _ in range(ROUNDS):
        t_plain = _block(plain, replayed)
        t_type = _block(env, actions)
        ratios.append(t_plain / t_type)
    speed = float(np.median(ratios))
    _RESULTS[(task, case)] = speed
    benchmark.extra_info.update(speed_vs_plain=speed, steps_per_round=STEPS, rounds=ROUNDS)
    benchmark.pedantic(_block, args=(env, actions), rounds=5, iterations=1)
