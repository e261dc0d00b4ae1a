"""The one evaluation loop, and the one way to build the envs and the task an agent plays.

Every caller that plays an agent and counts what happened goes through :func:`play`: the
runner's cells, tool-task calibration, the control random scores, EAST fitting and the tests.
Its rules:

* **Envs.** ``num_envs`` copies of the env in a ``SyncVectorEnv`` with same-step autoreset. Env
  ``i`` is reset once, with ``env_seeds(seed, num_envs)[i]`` (a child of
  ``SeedSequence(seed)``, so env ``i`` gets the same seed whatever ``num_envs`` is); its later
  episodes continue its own generator.
* **Task.** :func:`task_of` builds the :class:`~entropy_gym.agents.base.TaskSpec` from the
  first env: its spaces, ``task_info()`` of the unwrapped env, and the catalog family.
* **Decisions.** One ``agent.act`` per vector step for the whole batch, checked before the env
  sees it (:func:`~entropy_gym.runner.actions.check_decision`), then ``agent.observe``.
* **Which episodes count.** Env ``i`` contributes the first ``episode_quota(episodes,
  num_envs)[i]`` episodes it finishes, fixed in advance: counting the first N episodes to end
  would favour short ones. An env past its quota keeps stepping (a vector env cannot pause one
  env), but nothing it does is counted.

Anything the agent or the env raises becomes a :class:`~entropy_gym.runner.failure.CellFailure`
with a one-line reason that names the step (``agent.act raised ValueError: ...``).

>>> from entropy_gym.agents import make_agent
>>> result = evaluate(make_agent("random"), "CartPole-v1", episodes=3, seed=0, num_envs=2)
>>> [e.env_index for e in result.episodes], len(result.returns)
([0, 1, 1], 3)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from entropy_gym.agents.base import Agent, Decision, StepBatch, TaskSpec
from entropy_gym.runner.actions import check_decision
from entropy_gym.runner.envs import accepts_text, env_family, make_env
from entropy_gym.runner.failure import CellFailure, phase

#: ``on_step(decision, step, counted)``: called after every vector step with the agent's
#: decision, the step as the agent observed it, and which envs' current episodes count.
StepCallback = Callable[[Decision, StepBatch, np.ndarray], None]


def env_seeds(seed: int, num_envs: int) -> list[int]:
    """Per-env reset seeds: one child of ``SeedSequence(seed)`` per env, so that env ``i`` gets
    the same seed whatever ``num_envs`` is."""
    children = np.random.SeedSequence(seed).spawn(num_envs)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def episode_quota(episodes: int, num_envs: int) -> list[int]:
    """Episodes each env contributes: ``episodes`` split as evenly as possible (later envs
    take the remainder), fixed in advance so that which episodes count never depends on how
    fast each env finishes."""
    return [(episodes + i) // num_envs for i in range(num_envs)]


def task_of(env: gym.Env, env_id: str, env_kwargs: Mapping[str, Any], num_envs: int) -> TaskSpec:
    """The :class:`TaskSpec` an agent playing ``num_envs`` copies of ``env`` is given."""
    unwrapped = env.unwrapped
    info_fn = getattr(unwrapped, "task_info", None)
    return TaskSpec(
        env_id=env_id,
        observation_space=env.observation_space,
        action_space=env.action_space,
        num_envs=num_envs,
        env_kwargs=dict(env_kwargs),
        family=env_family(env_id),
        env_info=dict(info_fn()) if callable(info_fn) else {},
    )


def make_task(
    env_id: str, env_kwargs: Mapping[str, Any] | None = None, num_envs: int = 1
) -> TaskSpec:
    """The :class:`TaskSpec` of ``env_id`` without playing it (one env is built and closed)."""
    kwargs = dict(env_kwargs or {})
    env = make_env(env_id, kwargs)
    try:
        return task_of(env, env_id, kwargs, num_envs)
    finally:
        env.close()


class TaskEnvs:
    """A task's vector env, reset with :func:`env_seeds`, and the :class:`TaskSpec` for it.

    Use as a context manager (or call :meth:`close`). ``obs`` is the batch of first
    observations; ``accepts_text`` says whether the envs take string replies.
    """

    def __init__(
        self,
        env_id: str,
        env_kwargs: Mapping[str, Any] | None = None,
        *,
        num_envs: int = 1,
        seed: int = 0,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.env_id, self.env_kwargs, self.seed = env_id, dict(env_kwargs or {}), int(seed)
        kwargs = self.env_kwargs

        def factory() -> gym.Env:
            return make_env(env_id, kwargs)

        self.vec = SyncVectorEnv([factory] * num_envs, autoreset_mode=AutoresetMode.SAME_STEP)
        try:
            seeds: list[int | None] = list(env_seeds(self.seed, num_envs))
            self.obs, _ = self.vec.reset(seed=seeds)
            self.task = task_of(self.vec.envs[0], env_id, kwargs, num_envs)
        except BaseException:
            self.vec.close()
            raise
        self.accepts_text = accepts_text(
            env_id, self.task.observation_space, self.task.action_space
        )

    @property
    def num_envs(self) -> int:
        return self.vec.num_envs

    def close(self) -> None:
        self.vec.close()

    def __enter__(self) -> TaskEnvs:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass(frozen=True)
class Episode:
    """One counted episode: the env slot that played it, its undiscounted return, its length,
    the env's ``episode_metrics`` and the entropy (nats) of each of its decisions (empty when
    the agent reported none)."""

    env_index: int
    total_return: float
    length: int
    metrics: Mapping[str, float]
    entropy: tuple[float, ...] = ()


@dataclass(frozen=True)
class Evaluation:
    """The counted episodes, ordered by env slot, then by the order each slot finished them,
    and the number of vector steps it took."""

    episodes: tuple[Episode, ...]
    vector_steps: int

    @property
    def returns(self) -> list[float]:
        return [e.total_return for e in self.episodes]

    @property
    def lengths(self) -> list[int]:
        return [e.length for e in self.episodes]

    def mean_metrics(self) -> dict[str, float]:
        """Each episode metric averaged over the episodes that report it."""
        names = sorted({k for e in self.episodes for k in e.metrics})
        return {
            k: float(np.mean([e.metrics[k] for e in self.episodes if k in e.metrics]))
            for k in names
        }


def play(
    agent: Agent, envs: TaskEnvs, episodes: int, *, on_step: StepCallback | None = None
) -> Evaluation:
    """Step ``agent`` (already set up for ``envs.task``) on ``envs`` until every env has
    finished its quota of ``episodes`` (see the module docstring)."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    vec, n = envs.vec, envs.num_envs
    quota = episode_quota(episodes, n)
    counted = np.zeros(n, dtype=np.int64)
    ep_return = np.zeros(n, dtype=np.float64)
    ep_length = np.zeros(n, dtype=np.int64)
    ep_entropy: list[list[float]] = [[] for _ in range(n)]
    finished: list[list[Episode]] = [[] for _ in range(n)]
    space, obs, steps = vec.single_action_space, envs.obs, 0
    while (counted < quota).any():
        with phase("agent.act"):
            decision = agent.act(obs)
        actions, entropy = check_decision(decision, n, space, text_ok=envs.accepts_text)
        with phase("env.step"):
            next_obs, rewards, terminated, truncated, infos = vec.step(actions)
        steps += 1
        step = StepBatch(obs, actions, rewards, terminated, truncated, next_obs, infos)
        with phase("agent.observe"):
            agent.observe(step)
        counting = counted < quota
        if on_step is not None:
            on_step(decision, step, counting)
        ep_return += rewards
        ep_length += 1
        if entropy is not None:
            for i in np.flatnonzero(counting):
                ep_entropy[i].append(float(entropy[i]))
        done = np.logical_or(terminated, truncated)
        if done.any():
            final_metrics = (infos.get("final_info") or {}).get("episode_metrics")
            for i in np.flatnonzero(done):
                if counting[i]:
                    finished[i].append(
                        Episode(
                            int(i),
                            float(ep_return[i]),
                            int(ep_length[i]),
                            metrics_of(final_metrics, int(i)),
                            tuple(ep_entropy[i]),
                        )
                    )
                    counted[i] += 1
                ep_return[i], ep_length[i], ep_entropy[i] = 0.0, 0, []
        obs = next_obs
    return Evaluation(tuple(e for slot in finished for e in slot), steps)


def evaluate(
    agent: Agent,
    env_id: str,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    episodes: int,
    seed: int = 0,
    num_envs: int = 1,
    device: str = "cpu",
    on_step: StepCallback | None = None,
) -> Evaluation:
    """Set ``agent`` up with ``seed`` on ``num_envs`` envs of ``env_id`` (reset from ``seed``)
    and :func:`play` ``episodes`` episodes: a runner cell's evaluation without training."""
    with TaskEnvs(env_id, env_kwargs, num_envs=num_envs, seed=seed) as envs:
        with phase("agent.setup"):
            agent.setup(envs.task, seed, device)
        return play(agent, envs, episodes, on_step=on_step)


def metrics_of(final_metrics: Any, i: int) -> dict[str, float]:
    """Env ``i``'s ``episode_metrics`` out of a vector env's batched ``final_info``."""
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
            out[name] = float(values[i])
        except (TypeError, ValueError):
            raise CellFailure(
                f"env published a non-numeric episode metric {name!r}: {values[i]!r}"
            ) from None
    return out


__all__ = [
    "Episode",
    "Evaluation",
    "StepCallback",
    "TaskEnvs",
    "env_seeds",
    "episode_quota",
    "evaluate",
    "make_task",
    "metrics_of",
    "play",
    "task_of",
]
