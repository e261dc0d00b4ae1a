"""The one evaluation loop, and the one way to build the envs and the task an agent plays.

Every caller that plays an agent and counts what happened goes through :func:`play`: the
runner's cells, tool-task calibration, the control random scores, EAST fitting and the tests.
Its rules:

* **Envs.** ``num_envs`` copies of the env in a ``SyncVectorEnv`` with same-step autoreset. Env
  ``i`` is reset once, with ``env_seeds(seed, num_envs)[i]`` (a child of
  ``SeedSequence(seed)``, so env ``i`` gets the same seed whatever ``num_envs`` is); its later
  episodes continue its own generator. Or, with ``vectorization="native"``, the id's own
  batched env (``gym.make_vec`` through its ``vector_entry_point``, same-step autoreset),
  reset once as :func:`reset_native` says.
* **Task.** :func:`task_of` builds the :class:`~entropy_gym.agents.base.TaskSpec` from the
  first env: its spaces, ``task_info()`` of the unwrapped env, and the catalog family
  (:func:`vector_task_of`: a native vector env's single spaces and ``task_info()``).
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
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv

from entropy_gym.agents.base import Agent, Decision, StepBatch, TaskSpec
from entropy_gym.runner.actions import check_decision
from entropy_gym.runner.envs import (
    accepts_text,
    env_family,
    make_env,
    registered_spec_json,
    spec_json,
)
from entropy_gym.runner.failure import CellFailure, phase
from entropy_gym.runner.vectorization import NATIVE, SYNC, check_vectorization, make_native

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
    return _task(env.observation_space, env.action_space, env, env_id, env_kwargs, num_envs)


def vector_task_of(
    vec: VectorEnv, env_id: str, env_kwargs: Mapping[str, Any], num_envs: int
) -> TaskSpec:
    """The :class:`TaskSpec` of a native vector env: its single spaces and its
    ``task_info()`` (a native vector env has no per-env objects to ask)."""
    return _task(
        vec.single_observation_space, vec.single_action_space, vec, env_id, env_kwargs, num_envs
    )


def _task(
    observation_space: gym.Space[Any],
    action_space: gym.Space[Any],
    env: gym.Env | VectorEnv,
    env_id: str,
    env_kwargs: Mapping[str, Any],
    num_envs: int,
) -> TaskSpec:
    info_fn = getattr(env.unwrapped, "task_info", None)
    return TaskSpec(
        env_id=env_id,
        observation_space=observation_space,
        action_space=action_space,
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
    """A task's vector env, reset from ``seed``, and the :class:`TaskSpec` for it.

    ``vectorization`` is ``"sync"`` (a ``SyncVectorEnv`` of ``gym.make`` envs, each reset with
    its :func:`env_seeds` entry) or ``"native"`` (``gym.make_vec`` through the id's
    ``vector_entry_point``, given ``device`` where that is not ``None``; see
    :func:`reset_native` for its seeding). Use as a context manager (or call :meth:`close`).
    ``obs`` is the batch of first observations; ``accepts_text`` says whether the envs take
    string replies; ``backend`` names what the envs ran on (provenance).
    """

    def __init__(
        self,
        env_id: str,
        env_kwargs: Mapping[str, Any] | None = None,
        *,
        num_envs: int = 1,
        seed: int = 0,
        vectorization: str = SYNC,
        device: str | None = None,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        check_vectorization(vectorization, f"env {env_id!r}")
        if device is not None and vectorization != NATIVE:
            raise ValueError(f"device={device!r} is for vectorization='native' only")
        self.env_id, self.env_kwargs, self.seed = env_id, dict(env_kwargs or {}), int(seed)
        self.vectorization, self.device = vectorization, device
        kwargs = self.env_kwargs
        if vectorization == NATIVE:
            self.vec = make_native(env_id, kwargs, num_envs, device)
        else:

            def factory() -> gym.Env:
                return make_env(env_id, kwargs)

            self.vec = SyncVectorEnv([factory] * num_envs, autoreset_mode=AutoresetMode.SAME_STEP)
        try:
            if isinstance(self.vec, SyncVectorEnv):
                seeds: list[int | None] = list(env_seeds(self.seed, num_envs))
                self.obs, _ = self.vec.reset(seed=seeds)
                self.seeding = "env_seeds"
                self.task = task_of(self.vec.envs[0], env_id, kwargs, num_envs)
            else:
                self.obs, self.seeding = reset_native(self.vec, self.seed)
                self.task = vector_task_of(self.vec, env_id, kwargs, num_envs)
        except BaseException:
            self.vec.close()
            raise
        self.accepts_text = accepts_text(
            env_id, self.task.observation_space, self.task.action_space
        )

    @property
    def num_envs(self) -> int:
        return self.vec.num_envs

    @property
    def backend(self) -> str:
        """``"sync"``, or ``"native:<vector env class>"``."""
        if isinstance(self.vec, SyncVectorEnv):
            return SYNC
        return f"{NATIVE}:{type(self.vec.unwrapped).__name__}"

    def spec_json(self) -> str | None:
        """The env's spec as JSON (provenance): the first env's, or for a native vector env
        the registered spec with the cell's kwargs."""
        if isinstance(self.vec, SyncVectorEnv):
            return spec_json(self.vec.envs[0])
        return registered_spec_json(self.env_id, self.env_kwargs)

    def close(self) -> None:
        self.vec.close()

    def __enter__(self) -> TaskEnvs:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def reset_native(vec: VectorEnv, seed: int) -> tuple[Any, str]:
    """Reset a native vector env once: with the list ``env_seeds(seed, num_envs)`` where its
    ``reset`` takes one (seeding ``"env_seeds"``), else with ``seed`` itself (``"seed"``).
    Either way a seed fixes the trajectories, but they differ from the sync path's: there
    env ``i`` is a separate env with its own generator, while a native env decides what the
    list means (the text bandits seed one generator for the whole batch from it)."""
    try:
        per_env: Any = env_seeds(seed, vec.num_envs)  # VectorEnv.reset takes a list
        obs, _ = vec.reset(seed=per_env)
        return obs, "env_seeds"
    except (TypeError, ValueError):
        obs, _ = vec.reset(seed=seed)
        return obs, "seed"


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
    finished its quota of ``episodes`` (see the module docstring). The bookkeeping is a few
    array operations per step and Python work per finished episode only, so thousands of
    envs cost what the agent and the env cost."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    vec, n = envs.vec, envs.num_envs
    quota = np.asarray(episode_quota(episodes, n), dtype=np.int64)
    counted = np.zeros(n, dtype=np.int64)
    ep_return = np.zeros(n, dtype=np.float64)
    ep_length = np.zeros(n, dtype=np.int64)
    trail = EntropyTrail(n)
    finished: list[list[Episode]] = [[] for _ in range(n)]
    space, obs, steps = vec.single_action_space, envs.obs, 0
    counting = counted < quota
    while counting.any():
        with phase("agent.act"):
            decision = agent.act(obs)
        actions, entropy = check_decision(decision, n, space, text_ok=envs.accepts_text)
        with phase("env.step"):
            next_obs, rewards, terminated, truncated, infos = vec.step(actions)
        steps += 1
        step = StepBatch(obs, actions, rewards, terminated, truncated, next_obs, infos)
        with phase("agent.observe"):
            agent.observe(step)
        if on_step is not None:
            on_step(decision, step, counting)
        ep_return += rewards
        ep_length += 1
        trail.add(entropy, counting)
        done = np.logical_or(terminated, truncated)
        if done.any():
            ending = np.flatnonzero(done & counting)
            metrics = metric_columns((infos.get("final_info") or {}).get("episode_metrics"))
            for i in ending.tolist():
                finished[i].append(
                    Episode(
                        i,
                        float(ep_return[i]),
                        int(ep_length[i]),
                        metrics_at(metrics, i),
                        trail.episode(i),
                    )
                )
            counted[ending] += 1
            ep_return[done], ep_length[done] = 0.0, 0
            trail.restart(done)
            counting = counted < quota
        obs = next_obs
    return Evaluation(tuple(e for slot in finished for e in slot), steps)


class EntropyTrail:
    """The entropy of every decision of each env's current episode: one row per vector step
    in a 2-D buffer (one array copy per step however many envs), from which a finished
    episode takes its column. Steps without entropy are NaN rows (an agent's entropy is never
    NaN: :func:`~entropy_gym.runner.actions.check_entropy` refuses it)."""

    def __init__(self, num_envs: int, capacity: int = 64) -> None:
        self.rows = np.empty((capacity, num_envs), dtype=np.float64)
        self.used = 0  # rows filled
        self.first = 0  # the step index of rows[0]
        self.start = np.zeros(num_envs, dtype=np.int64)  # where each env's episode began
        self.seen = False  # any entropy at all
        self.gaps = False  # any step without entropy

    def add(self, entropy: np.ndarray | None, live: np.ndarray) -> None:
        """Record one step's entropies (``None``: the agent reported none); ``live`` marks the
        envs whose episodes may still be taken (older rows of the others can go)."""
        if self.used == len(self.rows):
            self._make_room(live)
        if entropy is None:
            self.rows[self.used] = np.nan
            self.gaps = True
        else:
            self.rows[self.used] = entropy
            self.seen = True
        self.used += 1

    def episode(self, i: int) -> tuple[float, ...]:
        """Env ``i``'s entropies since its episode began."""
        if not self.seen:
            return ()
        column = self.rows[self.start[i] - self.first : self.used, i]
        if self.gaps:
            column = column[~np.isnan(column)]
        return tuple(column.tolist())

    def restart(self, done: np.ndarray) -> None:
        """The envs of the mask ``done`` begin new episodes at the next step."""
        self.start[done] = self.first + self.used

    def _make_room(self, live: np.ndarray) -> None:
        oldest = int(self.start[live].min()) if live.any() else self.first + self.used
        drop = min(oldest - self.first, self.used)
        if drop > 0:
            self.rows[: self.used - drop] = self.rows[drop : self.used]
            self.used -= drop
            self.first += drop
        if 2 * self.used > len(self.rows):  # doubling keeps the copies amortised O(1) a row
            grown = np.empty((2 * len(self.rows), self.rows.shape[1]), dtype=np.float64)
            grown[: self.used] = self.rows[: self.used]
            self.rows = grown


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
    return metrics_at(metric_columns(final_metrics), i)


#: A batched ``episode_metrics`` block as ``(name, values, mask)`` (``mask`` ``None`` where
#: the block has none), read once per step for all the episodes ending there.
MetricColumns = list[tuple[str, Any, Any]]


def metric_columns(final_metrics: Any) -> MetricColumns:
    """The columns of a vector env's batched ``final_info["episode_metrics"]``."""
    if not final_metrics:
        return []
    columns: MetricColumns = []
    for name, values in final_metrics.items():
        if name.startswith("_"):
            continue
        mask = final_metrics.get(f"_{name}")
        columns.append((name, values, mask))
    return columns


def metrics_at(columns: MetricColumns, i: int) -> dict[str, float]:
    """Env ``i``'s metrics out of :func:`metric_columns`."""
    out = {}
    for name, values, mask in columns:
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
    "EntropyTrail",
    "Episode",
    "Evaluation",
    "StepCallback",
    "TaskEnvs",
    "env_seeds",
    "episode_quota",
    "evaluate",
    "make_task",
    "metric_columns",
    "metrics_at",
    "metrics_of",
    "play",
    "reset_native",
    "task_of",
    "vector_task_of",
]
