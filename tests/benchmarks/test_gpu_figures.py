"""The device figures of the README, measured on a GPU machine and printed as one table.

    make bench-gpu        # = pytest tests/benchmarks/test_gpu_figures.py -m gpu -s -p no:xdist

On a machine with an NVIDIA GPU, after ``make install``, install the CUDA builds first:
``.venv/bin/pip install "jax[cuda12]==0.10.2"`` (the MJX and training rows) and a CUDA build of
``torch==2.13.0`` (the LLM row). Each row is skipped, with the reason, where its device is
missing, so the script also runs (and skips) on a CPU-only machine.

Rows: batched MJX env steps per second at 4,096 and 8,192 worlds (InvertedPendulum, Hopper),
end-to-end training env steps per second of the device agents (compile included and after
it), and LLM bandit decisions per second with a whole batch in one forward pass.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

pytestmark = pytest.mark.gpu

ROWS: list[tuple[str, str]] = []


def _jax_gpu() -> str | None:
    """Why the JAX rows cannot run here, or ``None``."""
    try:
        import jax
    except ImportError:
        return "jax is not installed (pip install 'entropy-gym[device]')"
    if not any(d.platform == "gpu" for d in jax.devices()):
        return 'JAX sees no GPU (pip install "jax[cuda12]==0.10.2")'
    return None


def _torch_cuda() -> str | None:
    import torch

    return None if torch.cuda.is_available() else "torch sees no CUDA device"


@pytest.fixture(scope="module", autouse=True)
def table() -> Iterator[None]:
    yield
    if ROWS:
        width = max(len(name) for name, _ in ROWS)
        print("\n\nDevice figures")
        for name, value in ROWS:
            print(f"  {name:<{width}}  {value}")


@pytest.mark.parametrize("task", ["InvertedPendulum", "Hopper"])
@pytest.mark.parametrize("worlds", [4096, 8192])
def test_mjx_env_steps_per_second(task: str, worlds: int) -> None:
    reason = _jax_gpu()
    if reason:
        pytest.skip(reason)
    from entropy_gym.envs.control.mjx.bench import mjx_steps_per_second

    rates = mjx_steps_per_second(f"Control/{task}-T3.1-v0", worlds, steps=1000, device="gpu")
    assert rates["warm"] > 0
    ROWS.append(
        (
            f"MJX {task}, {worlds} worlds",
            f"{rates['warm']:,.0f} env steps/s in one jitted scan of 1,000 steps "
            f"(compilation {rates['compile_s']:.1f} s)",
        )
    )


@pytest.mark.parametrize(("agent", "worlds"), [("jax_ppo", 4096), ("jax_sac", 256)])
def test_device_training_env_steps_per_second(agent: str, worlds: int) -> None:
    reason = _jax_gpu()
    if reason:
        pytest.skip(reason)
    from entropy_gym.agents.device.bench import training_steps_per_second

    figures = training_steps_per_second(agent, "Control/Hopper-T3.1-v0", worlds, 2_000_000)
    assert all(v > 0 for v in figures.values() if isinstance(v, float))
    shown = ", ".join(f"{k} {v:,.0f}" for k, v in figures.items() if isinstance(v, float))
    ROWS.append((f"{agent} on Hopper, {worlds} worlds", shown))


@pytest.mark.llm
@pytest.mark.parametrize("batch", [64, 256])
def test_llm_bandit_decisions_per_second(request: pytest.FixtureRequest, batch: int) -> None:
    reason = _torch_cuda()
    if reason:
        pytest.skip(reason)
    request.getfixturevalue("lm")  # skips, with the install command, without the model wheel
    from entropy_gym.agents import make_agent
    from entropy_gym.runner.evaluation import TaskEnvs

    env_id = "TextBandit/Bernoulli-K5-easy-v0"
    with TaskEnvs(env_id, num_envs=batch, seed=0) as envs:
        agent = make_agent("llm_bandit")
        agent.setup(envs.task, seed=0, device="cuda")
        agent.act(envs.obs)  # warm-up: kernels, cache
        rounds, start = 5, time.perf_counter()
        for _ in range(rounds):
            decision = agent.act(envs.obs)
        elapsed = time.perf_counter() - start
    assert np.asarray(decision.actions).shape[0] == batch
    ROWS.append((f"LLM bandit decisions, batch {batch}", f"{rounds * batch / elapsed:,.0f} /s"))
