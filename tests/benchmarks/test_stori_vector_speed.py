"""Env steps per second of STORI batched on ALE's vector env against the runner's sync path.

Run: ``pytest tests/benchmarks/test_stori_vector_speed.py --benchmark-only -m ""``

Each case builds ``STORI/Breakout-T1-v0`` (type 1, ``p=0.3`` per frame: one ALE call per
emulator frame) and ``STORI/Breakout-T3.1-v0`` (no per-frame type: ALE runs the frame skip),
both ``obs_mode="atari84"``, at 8 and 16 envs, on three backends: ``batched`` (``gym.make_vec``,
``vectorization_mode="vector_entry_point"``), ``sync`` (``SyncVectorEnv`` of ``gym.make`` envs,
as the runner builds it) and, where installed, ``envpool`` (``Breakout-v5``, plain game: no
STORI type, for scale). Rounds of the backends alternate so that they share the machine's load;
the medians are printed as a table at the end of the module.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from typing import Any

import numpy as np
import pytest

from entropy_gym.envs.stori.vector_bench import make_stori_batch, time_steps

ROUNDS = 5
STEPS = 150
IDS = ("STORI/Breakout-T1-v0", "STORI/Breakout-T3.1-v0")
BACKENDS = ["batched", "sync"] + (["envpool"] if importlib.util.find_spec("envpool") else [])

_RESULTS: dict[tuple[str, int, str], float] = {}


def _envpool(num_envs: int) -> Any:
    import envpool

    return envpool.make_gymnasium(
        "Breakout-v5",
        num_envs=num_envs,
        episodic_life=False,
        reward_clip=False,
        repeat_action_probability=0.0,
        max_episode_steps=27_000,
    )


def _envpool_seconds(vec: Any, steps: int) -> float:
    vec.reset()
    actions = np.random.default_rng(0).integers(4, size=(steps, vec.config["num_envs"]))
    start = time.perf_counter()
    for a in actions:
        vec.step(a)
    return time.perf_counter() - start


@pytest.fixture(scope="module", autouse=True)
def speed_table(request: pytest.FixtureRequest):
    yield
    if not _RESULTS:
        return
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\nSTORI env steps/s (atari84), median of rounds:")
        print(
            f"{'id':26s} {'envs':>5s} " + " ".join(f"{b:>9s}" for b in BACKENDS) + "  batched/sync"
        )
        for env_id in IDS:
            for n in (8, 16):
                cells = [_RESULTS.get((env_id, n, b)) for b in BACKENDS]
                ratio = _RESULTS[(env_id, n, "batched")] / _RESULTS[(env_id, n, "sync")]
                row = " ".join("-".rjust(9) if c is None else f"{c:9.0f}" for c in cells)
                print(f"{env_id:26s} {n:5d} {row}  {ratio:.2f}")


@pytest.mark.parametrize("num_envs", [8, 16])
@pytest.mark.parametrize("env_id", IDS)
def test_stori_vector_speed(benchmark, env_id: str, num_envs: int) -> None:
    envs: dict[str, Any] = {
        "batched": make_stori_batch(env_id, num_envs, batched=True),
        "sync": make_stori_batch(env_id, num_envs, batched=False),
    }
    if "envpool" in BACKENDS:
        envs["envpool"] = _envpool(num_envs)
    try:
        seconds: dict[str, list[float]] = {name: [] for name in envs}
        for _ in range(ROUNDS):
            for name, vec in envs.items():
                run = _envpool_seconds if name == "envpool" else time_steps
                seconds[name].append(run(vec, STEPS))
        # pytest-benchmark's own timing: one round of the batched backend.
        benchmark.pedantic(time_steps, args=(envs["batched"], STEPS), rounds=1, iterations=1)
    finally:
        for vec in envs.values():
            vec.close()
    for name, times in seconds.items():
        _RESULTS[(env_id, num_envs, name)] = num_envs * STEPS / statistics.median(times)
    benchmark.extra_info.update(
        {f"{name}_steps_per_s": round(_RESULTS[(env_id, num_envs, name)]) for name in envs}
    )
