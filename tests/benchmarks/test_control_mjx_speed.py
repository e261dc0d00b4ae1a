"""Env steps per second of the MJX backend of a ``Control/`` id against the runner's sync path
(a ``SyncVectorEnv`` of CPU MuJoCo envs), at 1, 64 and 1024 envs, in one run.

    pytest tests/benchmarks/test_control_mjx_speed.py --benchmark-only -m "" -s -p no:xdist

Three backends per size: ``sync`` (``SyncVectorEnv``, the runner's default), ``mjx-host``
(the MJX ``VectorEnv``: numpy actions in and observations out every step, what the runner's
batched path uses) and ``mjx-scan`` (the same steps inside one jitted ``lax.scan`` with
actions drawn on the device, the way the device agents step it; compilation excluded, shown
apart). The table at the end prints each backend's steps/s and its ratio to ``sync``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("jax")
pytest.importorskip("mujoco.mjx")

from entropy_gym.envs.control.mjx.bench import (
    mjx_steps_per_second,
    vector_steps_per_second,
)

TASKS = ("InvertedPendulum", "Hopper")
SIZES = (1, 64, 1024)
#: Vector steps timed per size (env steps = size x steps).
STEPS = {1: 2000, 64: 200, 1024: 30}
SCAN_STEPS = {1: 2000, 64: 500, 1024: 100}

_RESULTS: dict[tuple[str, int, str], float] = {}
_COMPILE: dict[tuple[str, int], float] = {}


@pytest.fixture(scope="module", autouse=True)
def speed_table() -> Iterator[None]:
    yield
    if not _RESULTS:
        return
    print("\n\nControl/<task>-T3.1-v0 env steps/s (ratio to sync)")
    print(f"{'task':<18}{'envs':>6}{'sync':>12}{'mjx-host':>20}{'mjx-scan':>20}{'compile s':>11}")
    for task in TASKS:
        for n in SIZES:
            sync = _RESULTS.get((task, n, "sync"))
            if sync is None:
                continue
            cells = [f"{sync:>12,.0f}"]
            for backend in ("mjx-host", "mjx-scan"):
                rate = _RESULTS.get((task, n, backend), float("nan"))
                cells.append(f"{rate:>11,.0f} (x{rate / sync:.2f})")
            compile_s = _COMPILE.get((task, n), float("nan"))
            print(f"{task:<18}{n:>6}{''.join(cells)}{compile_s:>11.1f}")


@pytest.mark.parametrize("num_envs", SIZES)
@pytest.mark.parametrize("task", TASKS)
def test_mjx_against_the_sync_path(benchmark, task: str, num_envs: int) -> None:
    env_id = f"Control/{task}-T3.1-v0"

    def measure() -> None:
        sync = vector_steps_per_second(env_id, num_envs, STEPS[num_envs], native=False)
        host = vector_steps_per_second(env_id, num_envs, STEPS[num_envs], native=True)
        scan = mjx_steps_per_second(env_id, num_envs, SCAN_STEPS[num_envs])
        _RESULTS[task, num_envs, "sync"] = sync
        _RESULTS[task, num_envs, "mjx-host"] = host
        _RESULTS[task, num_envs, "mjx-scan"] = scan["warm"]
        _COMPILE[task, num_envs] = scan["compile_s"]
        benchmark.extra_info.update(
            sync=sync, mjx_host=host, mjx_scan=scan["warm"], compile_s=scan["compile_s"]
        )

    benchmark.pedantic(measure, rounds=1, iterations=1)
    assert all(_RESULTS[task, num_envs, b] > 0 for b in ("sync", "mjx-host", "mjx-scan"))
