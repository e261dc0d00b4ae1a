"""Training throughput through the agent interface against plain SB3, same env, same run.

Each round trains plain SB3 and the entropy-gym agent (bare, and with one intervention)
from scratch on identical settings and seeds, model construction and env creation included
(the bare agent must end with exactly plain SB3's parameters: the same work); the
reported ratios are agent / plain of the fastest round (the least disturbed by other load)
and of the median round, in wall-clock and in process CPU time; the target is <= 1.05. The
run with an intervention learns something else (its trajectory differs), so its ratio mixes
the hooks' cost with different work.

    pytest tests/benchmarks/test_agents_speed.py --benchmark-only -m "" -s

PPO runs on Breakout frames: ``STORI/Breakout-T1-v0`` once that id is registered, else ALE's
``Breakout-v5`` with the standard 84x84 grayscale, 4-frame-stack preprocessing.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import ale_py
import gymnasium as gym
import pytest
import torch
from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation
from sb3_contrib import TQC  # noqa: F401  (import cost outside the timings)
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

import entropy_gym  # noqa: F401  (registers the STORI ids)
from entropy_gym.agents import Budget, TaskSpec, make_agent
from entropy_gym.agents.sb3.agent import derive_seeds

gym.register_envs(ale_py)
ROUNDS = 5
SEED = 0


def _atari(seed: int = 0) -> gym.Env:
    if "STORI/Breakout-T1-v0" in gym.registry:
        return gym.make("STORI/Breakout-T1-v0")
    return FrameStackObservation(AtariPreprocessing(gym.make("ALE/Breakout-v5", frameskip=1)), 4)


def _pendulum(seed: int = 0) -> gym.Env:
    return gym.make("Pendulum-v1")


CASES: dict[str, dict[str, Any]] = {
    "ppo-breakout": {
        "agent": "ppo",
        "algorithm": PPO,
        "make_env": _atari,
        "steps": 1024,
        "n_envs": 4,
        "kwargs": {"n_steps": 128, "batch_size": 256, "n_epochs": 4, "ent_coef": 0.01},
        "intervention": {"name": "entropy_target", "target": 0.5},
    },
    "sac-pendulum": {
        "agent": "sac",
        "algorithm": SAC,
        "make_env": _pendulum,
        "steps": 600,
        "n_envs": 1,
        "kwargs": {"learning_starts": 100},
        "intervention": {"name": "sac_temperature", "mode": "auto", "target_entropy": -0.5},
    },
}


class _Clock:
    """Wall-clock and process CPU seconds of a block."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _plain(case: dict[str, Any]) -> tuple[_Clock, Any]:
    """Plain SB3 seeded as the agent seeds it, so both do exactly the same work."""
    model_seed, train_seed, _, _ = derive_seeds(SEED)
    with _Clock() as clock:
        env = DummyVecEnv([lambda: Monitor(case["make_env"]())] * case["n_envs"])
        policy = "CnnPolicy" if case["agent"] == "ppo" else "MlpPolicy"
        model = case["algorithm"](policy, env, seed=model_seed, device="cpu", **case["kwargs"])
        model.set_logger(Logger(folder=None, output_formats=[]))
        model.set_random_seed(train_seed)
        model.learn(case["steps"])
        env.close()
    return clock, model


def _agent(case: dict[str, Any], with_intervention: bool) -> tuple[_Clock, Any]:
    with _Clock() as clock:
        probe = case["make_env"]()
        task = TaskSpec(case["agent"], probe.observation_space, probe.action_space)
        probe.close()
        interventions = [case["intervention"]] if with_intervention else []
        agent = make_agent(
            case["agent"], interventions=interventions, n_envs=case["n_envs"], **case["kwargs"]
        )
        agent.setup(task, seed=SEED, device="cpu")
        agent.train(case["make_env"], Budget(env_steps=case["steps"]))
    return clock, agent.model


@pytest.mark.parametrize("name", CASES)
def test_agent_interface_overhead(benchmark, name):
    case = CASES[name]
    runs: dict[str, list[_Clock]] = {"sb3": [], "agent": [], "agent+intervention": []}

    order = iter(range(ROUNDS))

    def one_round() -> None:
        # Alternate who goes first, so that drifting machine load favours neither.
        first, second = ("sb3", "agent") if next(order) % 2 == 0 else ("agent", "sb3")
        models = {}
        for who in (first, second):
            clock, models[who] = _plain(case) if who == "sb3" else _agent(case, False)
            runs[who].append(clock)
        runs["agent+intervention"].append(_agent(case, with_intervention=True)[0])
        # Same seeds, same computation: the bare agent ends with plain SB3's parameters.
        pairs = zip(
            models["sb3"].policy.parameters(), models["agent"].policy.parameters(), strict=True
        )
        assert all(torch.equal(p, q) for p, q in pairs)

    _agent(case, with_intervention=False)  # warm-up: imports, ROM loading, torch kernels
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    info: dict[str, float] = {"env_steps": case["steps"], "rounds": ROUNDS}
    for clock in ("wall", "cpu"):
        for stat, reduce in (("min", min), ("median", statistics.median)):
            value = {k: reduce(getattr(c, clock) for c in v) for k, v in runs.items()}
            info |= {f"{clock}_{stat}_s_{k}": v for k, v in value.items()}
            info[f"{clock}_{stat}_ratio_agent"] = value["agent"] / value["sb3"]
            info[f"{clock}_{stat}_ratio_agent_intervention"] = (
                value["agent+intervention"] / value["sb3"]
            )
    benchmark.extra_info.update(info)
    print(
        f"\n{name} ({case['steps']} env steps, {ROUNDS} rounds): plain SB3 min "
        f"{info['wall_min_s_sb3']:.2f}s wall / {info['cpu_min_s_sb3']:.2f}s cpu; agent/SB3 "
        f"min x{info['wall_min_ratio_agent']:.3f} wall, x{info['cpu_min_ratio_agent']:.3f} cpu, "
        f"median x{info['wall_median_ratio_agent']:.3f} wall, "
        f"x{info['cpu_median_ratio_agent']:.3f} cpu; with {case['intervention']['name']}: min "
        f"x{info['wall_min_ratio_agent_intervention']:.3f} wall, "
        f"x{info['cpu_min_ratio_agent_intervention']:.3f} cpu"
    )
