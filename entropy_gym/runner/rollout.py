"""The cell lifecycle, run inside a worker process: build, set up, train, evaluate.

Evaluation steps ``num_envs`` copies of the env in a ``SyncVectorEnv`` with same-step autoreset
and calls the agent once per step for the whole batch. Every agent output is checked before the
env sees it; anything wrong raises :class:`CellFailure` with a one-line reason, which the
worker records as a failed cell.
"""

from __future__ import annotations

import math
import random
import sys
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from entropy_gym.agents.base import Budget, StepBatch, TaskSpec
from entropy_gym.agents.registry import agent_config, config_hash, make_agent
from entropy_gym.runner import provenance
from entropy_gym.runner.actions import check_decision
from entropy_gym.runner.cells import Cell, env_seeds, episode_quota
from entropy_gym.runner.envs import accepts_text, env_family, make_env, spec_json
from entropy_gym.scoring.entropy import action_dims, max_entropy

#: Decision indices kept in the entropy-vs-decision-index trajectory.
MAX_TRAJECTORY = 1024


class CellFailure(Exception):
    """A cell that cannot finish; ``reason`` is one line, ``detail`` a traceback if any."""

    def __init__(self, reason: str, detail: str | None = None, *, out_of_memory: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.detail, self.out_of_memory = reason, detail, out_of_memory


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Turn any exception raised by ``name`` (e.g. ``agent.act``) into a :class:`CellFailure`."""
    try:
        yield
    except CellFailure:
        raise
    except MemoryError:
        raise CellFailure(f"{name} ran out of memory (MemoryError)", traceback.format_exc(),
                          out_of_memory=True) from None
    except Exception as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else ""
        reason = f"{name} raised {type(err).__name__}" + (f": {message}" if message else "")
        raise CellFailure(reason, traceback.format_exc()) from None


def seed_globals(seed: int) -> None:
    """Seed the global generators from the cell seed, so that an agent which (against the
    rules) draws from them is still reproducible and independent of what ran before."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def budget_of(cell: Cell) -> Budget:
    """The suite's training budget; an omitted budget means no training (``env_steps=0``)."""
    return Budget(**cell.budget) if cell.budget else Budget(env_steps=0)


def run_cell(cell: Cell, device: str) -> dict[str, Any]:
    """Run one cell and return its result (plain data, JSON-ready)."""
    started = time.perf_counter()
    seed_globals(cell.seed)
    with phase("building the agent"):
        agent = make_agent(dict(cell.agent_config))
    n = cell.num_envs
    with phase("making the env"):
        factory = partial(make_env, cell.env_id, dict(cell.env_kwargs))
        vec = SyncVectorEnv([factory] * n, autoreset_mode=AutoresetMode.SAME_STEP)
        obs, _ = vec.reset(seed=env_seeds(cell.seed, n))
        unwrapped = vec.envs[0].unwrapped
        env_info = dict(unwrapped.task_info()) if hasattr(unwrapped, "task_info") else {}
        spec = spec_json(vec.envs[0])
    family = env_family(cell.env_id)
    task = TaskSpec(
        env_id=cell.env_id,
        observation_space=vec.single_observation_space,
        action_space=vec.single_action_space,
        num_envs=n,
        env_kwargs=dict(cell.env_kwargs),
        family=family,
        env_info=env_info,
    )
    try:
        seed_globals(cell.seed)
        with phase("agent.setup"):
            agent.setup(task, cell.seed, device)
        setup_done = time.perf_counter()
        with phase("agent.train"):
            agent.train(_train_env_factory(cell), budget_of(cell))
        train_done = time.perf_counter()
        episodes = evaluate(agent, vec, obs, cell, text_ok=accepts_text(
            cell.env_id, vec.single_observation_space, vec.single_action_space))
        eval_done = time.perf_counter()
        with phase("agent.telemetry"):
            telemetry = _clean_telemetry(agent.telemetry())
        config = agent_config(agent)
    finally:
        vec.close()
    return {
        **episodes,
        "telemetry": telemetry,
        "timing": {
            "setup_s": setup_done - started,
            "train_s": train_done - setup_done,
            "eval_s": eval_done - train_done,
            "total_s": time.perf_counter() - started,
        },
        "env": {
            "spec": spec,
            "family": family,
            "observation_space": str(vec.single_observation_space),
            "action_space": str(vec.single_action_space),
            "max_entropy": max_entropy(vec.single_action_space),
            "action_dims": action_dims(vec.single_action_space),
        },
        "agent": {"config": _jsonable(config), "config_hash": config_hash(config),
                  "hooks": sorted(getattr(agent, "hooks", ()))},
        "provenance": {**provenance.process_provenance(), "device": device},
    }


def _train_env_factory(cell: Cell) -> Any:
    def make_train_env(seed: int) -> gym.Env:
        env = make_env(cell.env_id, dict(cell.env_kwargs))
        env.action_space.seed(int(seed))
        env.observation_space.seed(int(seed))
        return env

    return make_train_env


def evaluate(agent: Any, vec: SyncVectorEnv, obs: Any, cell: Cell, *, text_ok: bool) -> dict[str, Any]:
    """Step the vector env until every env has finished its quota of episodes.

    Each env ``i`` contributes a fixed number of episodes (:func:`episode_quota`); episodes
    beyond it are stepped (a vector env cannot pause one env) but not counted.
    """
    n = cell.num_envs
    quota = episode_quota(cell.eval_episodes, n)
    counted = [0] * n
    remaining = sum(quota)
    ep_return = np.zeros(n, dtype=np.float64)
    ep_length = np.zeros(n, dtype=np.int64)
    ep_entropy: list[list[float]] = [[] for _ in range(n)]
    per_env: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    space = vec.single_action_space
    steps = 0
    while remaining > 0:
        with phase("agent.act"):
            decision = agent.act(obs)
        actions, entropy = check_decision(decision, n, space, text_ok=text_ok)
        with phase("env.step"):
            next_obs, rewards, terminated, truncated, infos = vec.step(actions)
        steps += 1
        with phase("agent.observe"):
            agent.observe(StepBatch(obs, actions, rewards, terminated, truncated, next_obs, infos))
        ep_return += rewards
        ep_length += 1
        if entropy is not None:
            for i in range(n):
                if counted[i] < quota[i]:
                    ep_entropy[i].append(float(entropy[i]))
        done = np.logical_or(terminated, truncated)
        if done.any():
            final_metrics = (infos.get("final_info") or {}).get("episode_metrics")
            for i in np.flatnonzero(done):
                if counted[i] < quota[i]:
                    per_env[i].append({
                        "return": float(ep_return[i]),
                        "length": int(ep_length[i]),
                        "metrics": _metrics_of(final_metrics, i),
                        "entropy": ep_entropy[i],
                    })
                    counted[i] += 1
                    remaining -= 1
                ep_return[i] = 0.0
                ep_length[i] = 0
                ep_entropy[i] = []
        obs = next_obs
    episodes = [ep for env_eps in per_env for ep in env_eps]
    return summarise_episodes(episodes, steps=steps)


def _metrics_of(final_metrics: Any, i: int) -> dict[str, float]:
    """Env ``i``'s ``episode_metrics`` out of the vector env's batched ``final_info``."""
    if not final_metrics:
        return {}
    out = {}
    for name, values in final_metrics.items():
        if name.startswith("_"):
            continue
        mask = final_metrics.get(f"_{name}")
        if mask is not None and not mask[i]:
            continue
        try:
            value = float(values[i])
        except (TypeError, ValueError):
            raise CellFailure(
                f"env published a non-numeric episode metric {name!r}: {values[i]!r}"
            ) from None
        out[name] = value
    return out


def summarise_episodes(episodes: list[dict[str, Any]], *, steps: int) -> dict[str, Any]:
    """Per-episode returns, lengths, metrics and the action-entropy summary of a cell."""
    returns = [ep["return"] for ep in episodes]
    if not all(math.isfinite(r) for r in returns):
        raise CellFailure("env returned a non-finite reward (episode return is NaN or inf)")
    names = sorted({k for ep in episodes for k in ep["metrics"]})
    per_episode_metrics = {k: [ep["metrics"].get(k) for ep in episodes] for k in names}
    metric_means = {
        k: float(np.mean([v for v in vals if v is not None])) for k, vals in per_episode_metrics.items()
    }
    return {
        "returns": returns,
        "lengths": [ep["length"] for ep in episodes],
        "metrics": metric_means,
        "episode_metrics": per_episode_metrics,
        "entropy": entropy_summary([ep["entropy"] for ep in episodes]),
        "vector_steps": steps,
    }


def entropy_summary(per_episode: list[list[float]]) -> dict[str, Any] | None:
    """Mean action entropy over all decisions, its per-episode mean and variance, and the
    entropy-vs-decision-index trajectory (mean over episodes of the entropy at decision t,
    for t < :data:`MAX_TRAJECTORY`). ``None`` when the agent reported no entropy."""
    if not any(per_episode):
        return None
    flat = np.concatenate([np.asarray(e, dtype=np.float64) for e in per_episode if e])
    longest = min(max(len(e) for e in per_episode), MAX_TRAJECTORY)
    sums = np.zeros(longest)
    counts = np.zeros(longest, dtype=np.int64)
    for e in per_episode:
        head = np.asarray(e[:longest], dtype=np.float64)
        sums[: len(head)] += head
        counts[: len(head)] += 1
    return {
        "mean": float(flat.mean()),
        "decisions": int(flat.size),
        "episode_mean": [float(np.mean(e)) if e else None for e in per_episode],
        "episode_var": [float(np.var(e)) if e else None for e in per_episode],
        "by_step": (sums / np.maximum(counts, 1)).tolist(),
        "by_step_count": counts.tolist(),
    }


def _clean_telemetry(records: Any) -> list[dict[str, float | None]]:
    """Telemetry as ``[{str: float}]``; non-finite values become ``None`` (JSON has no NaN)."""
    if records is None:
        return []
    try:
        out = []
        for record in records:
            row = {}
            for key, value in dict(record).items():
                v = float(value)
                row[str(key)] = v if math.isfinite(v) else None
            out.append(row)
    except (TypeError, ValueError) as err:
        raise CellFailure(f"agent.telemetry() must return a list of {{str: float}} records ({err})") from None
    return out


def _jsonable(value: Any) -> Any:
    """Config values as JSON-ready data (anything else becomes its repr)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return repr(value)


__all__ = ["CellFailure", "entropy_summary", "evaluate", "phase", "run_cell"]
