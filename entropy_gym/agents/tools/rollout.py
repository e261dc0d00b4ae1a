"""A minimal evaluation loop with the runner's protocol, for calibration, tests and the CLI.

It drives an agent the way a runner cell does (docs/architecture.md): a probe env gives the
:class:`TaskSpec` (with ``task_info()`` as ``env_info``), ``setup``, then a
``SyncVectorEnv`` with same-step autoreset, one ``act`` per vector step and ``observe`` after
it. Each env slot plays a fixed number of episodes (the first ones it finishes), so short
episodes are not over-counted. The full runner (store, backends, leaderboards) lives in
:mod:`entropy_gym.runner`; this loop only measures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import StepBatch, TaskSpec
from entropy_gym.agents.tools.admissible import infos_column
from entropy_gym.scoring.turn_entropy import EpisodeEntropy


@dataclass
class EpisodeResult:
    """One finished episode: its slot, return, length, and episode + entropy metrics."""

    env_index: int
    episode_return: float
    length: int
    metrics: dict[str, float] = field(default_factory=dict)


def task_spec(env_id: str, num_envs: int, env_kwargs: Mapping[str, Any] | None = None) -> TaskSpec:
    """The :class:`TaskSpec` a runner builds from one probe env of ``env_id``."""
    kwargs = dict(env_kwargs or {})
    probe = gym.make(env_id, **kwargs)
    try:
        info_fn = getattr(probe.unwrapped, "task_info", None)
        family = probe.spec.namespace if probe.spec is not None else None
        try:
            from entropy_gym.registration import env_card

            family = env_card(env_id).family
        except ValueError:
            pass
        return TaskSpec(
            env_id=env_id,
            observation_space=probe.observation_space,
            action_space=probe.action_space,
            num_envs=num_envs,
            env_kwargs=kwargs,
            family=family,
            env_info=info_fn() if callable(info_fn) else {},
        )
    finally:
        probe.close()


def run_episodes(
    agent: Any,
    env_id: str,
    episodes: int,
    *,
    seed: int = 0,
    num_envs: int = 4,
    env_kwargs: Mapping[str, Any] | None = None,
) -> list[EpisodeResult]:
    """Play ``episodes`` episodes of ``env_id`` with ``agent`` (set up here with ``seed``).

    Env seeds come from ``numpy.random.SeedSequence(seed)``; later episodes of a slot continue
    its env's generator (same-step autoreset), so the result is a pure function of the
    arguments. Results are ordered by slot, then by finishing order.
    """
    if episodes < 1 or num_envs < 1:
        raise ValueError(f"episodes and num_envs must be >= 1, got {episodes} and {num_envs}")
    num_envs = min(num_envs, episodes)
    kwargs = dict(env_kwargs or {})
    agent.setup(task_spec(env_id, num_envs, kwargs), seed=seed, device="cpu")
    quota = [episodes // num_envs + (i < episodes % num_envs) for i in range(num_envs)]
    envs = gym.vector.SyncVectorEnv(
        [lambda: gym.make(env_id, **kwargs) for _ in range(num_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    seeds = np.random.SeedSequence(seed).generate_state(num_envs, dtype=np.uint32)
    results: list[list[EpisodeResult]] = [[] for _ in range(num_envs)]
    entropy = EpisodeEntropy(num_envs)
    returns = np.zeros(num_envs)
    lengths = np.zeros(num_envs, dtype=int)
    try:
        obs, _ = envs.reset(seed=[int(s) for s in seeds])
        while any(len(r) < q for r, q in zip(results, quota)):
            decision = agent.act(obs)
            next_obs, rewards, terminated, truncated, infos = envs.step(decision.actions)
            step = StepBatch(obs, decision.actions, rewards, terminated, truncated, next_obs, infos)
            agent.observe(step)
            returns += rewards
            lengths += 1
            finished = dict(entropy.update(decision.entropy, step.done))
            if finished:
                final = infos_column(infos.get("final_info", {}), "episode_metrics", num_envs)
                for i, stats in finished.items():
                    if len(results[i]) < quota[i]:
                        metrics = {**(final[i] or {}), **stats}
                        results[i].append(
                            EpisodeResult(i, float(returns[i]), int(lengths[i]), metrics)
                        )
                    returns[i], lengths[i] = 0.0, 0
            obs = next_obs
    finally:
        envs.close()
    return [r for slot in results for r in slot]


def summarize(results: list[EpisodeResult]) -> dict[str, float]:
    """Mean return, length and every metric over ``results``, plus the success rate's
    standard error where there is a ``success`` metric."""
    out = {
        "episodes": float(len(results)),
        "return": float(np.mean([r.episode_return for r in results])),
        "length": float(np.mean([r.length for r in results])),
    }
    keys = sorted({k for r in results for k in r.metrics})
    for k in keys:
        out[k] = float(np.nanmean([r.metrics.get(k, np.nan) for r in results]))
    if "success" in out:
        p = out["success"]
        out["success_se"] = float(np.sqrt(p * (1 - p) / len(results)))
    return out


def play_episode(
    agent: Any, env_id: str, *, seed: int = 0, env_kwargs: Mapping[str, Any] | None = None
) -> tuple[str, float, dict[str, float]]:
    """One episode on one env (reset with ``seed``; the agent set up with ``seed``): the final
    observation (for a text env, the whole conversation), the return and the episode metrics."""
    kwargs = dict(env_kwargs or {})
    agent.setup(task_spec(env_id, 1, kwargs), seed=seed, device="cpu")
    env = gym.make(env_id, **kwargs)
    try:
        obs, _ = env.reset(seed=seed)
        total, done, info = 0.0, False, {}
        while not done:
            decision = agent.act((obs,))
            next_obs, reward, terminated, truncated, info = env.step(decision.actions[0])
            agent.observe(
                StepBatch(
                    (obs,),
                    decision.actions,
                    np.array([reward]),
                    np.array([terminated]),
                    np.array([truncated]),
                    (next_obs,),
                    [info],
                )
            )
            total += float(reward)
            done = terminated or truncated
            obs = next_obs
    finally:
        env.close()
    return obs, total, dict(info.get("episode_metrics", {}))


def calibrate(
    env_id: str,
    episodes: int,
    oracle_episodes: int,
    *,
    seed: int = 0,
    num_envs: int = 16,
    env_kwargs: Mapping[str, Any] | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Summaries of the ``random_admissible`` and ``tool_oracle`` agents on ``env_id``: their
    success rates are the id's ``random_score`` and ``reference_score``."""
    from entropy_gym.agents.tools.oracle import ToolOracleAgent
    from entropy_gym.agents.tools.random_admissible import RandomAdmissibleAgent

    kw = {"seed": seed, "num_envs": num_envs, "env_kwargs": env_kwargs}
    random = summarize(run_episodes(RandomAdmissibleAgent(), env_id, episodes, **kw))
    oracle = summarize(run_episodes(ToolOracleAgent(), env_id, oracle_episodes, **kw))
    return random, oracle
