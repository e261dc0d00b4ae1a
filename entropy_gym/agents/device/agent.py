"""The entropy-gym agent interface around the jitted device programs.

:class:`DeviceAgent` owns what both device agents share: checking the task, picking the jax
device, seeding, the host loop over updates (budget, progress, telemetry), the ``schedule``
hook, and jitted decisions for the runner's numpy observations. The per-algorithm parts are
in :mod:`.agents`.

Seeding: ``setup(task, seed, device)`` derives the parameter-init, training and decision
keys from ``seed`` alone, so the same seed gives bit-identical parameters and actions on the
same machine and jax version.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import Decision, EnvFactory, ModelAgent, TaskSpec
from entropy_gym.agents.device.envs import BatchedEnv, has_batched_env, make_batched_env
from entropy_gym.agents.device.options import _Options
from entropy_gym.core.budget import Budget, BudgetTracker
from entropy_gym.core.errors import ConfigError
from entropy_gym.core.progress import TrainingProgress, compiling

#: The device programs that have run an update (and so are compiled) in this process.
_COMPILED: weakref.WeakSet[Any] = weakref.WeakSet()


class DeviceAgent(ModelAgent):
    """Shared machinery of ``jax_ppo`` and ``jax_sac``.

    Parameters: ``deterministic`` (decisions take the policy's mean action and report no
    entropy; by default they are sampled, as the SB3 agents' are) and the algorithm's options
    (:mod:`.options`); an unknown name is refused here.
    """

    options_class: ClassVar[type[_Options]] = _Options
    #: Agents with a learned temperature (``sac_temperature`` binds only to these).
    max_entropy: ClassVar[bool] = False
    #: Values the ``schedule`` hook may set, besides those each algorithm adds.
    schedule_keys: ClassVar[tuple[str, ...]] = ("learning_rate",)

    def __init__(self, deterministic: bool = False, **options: Any) -> None:
        config = dict(options)
        if deterministic:
            config["deterministic"] = True
        super().__init__(**config)
        if not isinstance(deterministic, bool):
            raise ConfigError(
                f"agent '{self.name}': deterministic must be true or false, got {deterministic!r}"
            )
        self.deterministic = deterministic
        self.given_options = dict(options)
        self.options = self.options_class.build(self.name, self.given_options)
        self.model: Any = None
        self.jax_device: Any = None
        self.values: dict[str, float] = {}
        self._tracker: BudgetTracker | None = None
        self._final_progress = 0.0
        self._steps_before = 0
        self._episodes_before = 0
        self._train_calls = 0

    # -- checks ------------------------------------------------------------------------------
    def check_task(self, task: TaskSpec) -> None:
        """Box spaces (1-D, finite action bounds), an id with a batched JAX env, and
        interventions the device program can call."""
        where = f"agent '{self.name}' cannot run on env '{task.env_id}'"
        act, obs = task.action_space, task.observation_space
        if not (isinstance(act, gym.spaces.Box) and len(act.shape) == 1):
            raise ConfigError(f"{where}: action space {act} is not supported (supported: 1-D Box)")
        if not (np.all(np.isfinite(act.low)) and np.all(np.isfinite(act.high))):
            raise ConfigError(f"{where}: action space {act} must have finite bounds")
        if not (isinstance(obs, gym.spaces.Box) and len(obs.shape) == 1):
            raise ConfigError(
                f"{where}: observation space {obs} is not supported (supported: 1-D Box)"
            )
        if not has_batched_env(task.env_id):
            raise ConfigError(f"{where}: it trains on batched MJX envs, i.e. Control/ ids only")
        for iv in self.interventions_at("logits"):
            raise ConfigError(
                f"intervention '{iv.name}' acts on categorical logits but agent '{self.name}' "
                "has a Gaussian policy"
            )
        self._check_interventions()

    def _check_interventions(self) -> None:
        """Algorithm-specific checks of the attached interventions."""

    # -- lifecycle ---------------------------------------------------------------------------
    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        self.check_task(task)
        import jax

        from entropy_gym.core.device import jax_device

        self.jax_device = jax_device(device, f"agent '{self.name}'")
        kwargs = self.options.as_kwargs()
        for iv in self.interventions:
            out = iv.on_sb3_kwargs(dict(kwargs))
            if out is not None:
                kwargs = dict(out)
        self.options = self.options_class.build(self.name, kwargs)
        states = np.random.SeedSequence([self.seed, 0x1A7]).generate_state(3)
        init_seed, self._train_seed, act_seed = (int(s) & 0x7FFFFFFF for s in states)
        self._tracker = None
        self._final_progress = 0.0
        self._steps_before = self._episodes_before = self._train_calls = 0
        with jax.default_device(self.jax_device):
            self.act_key = jax.random.PRNGKey(act_seed)
            self.model = self._build_model(jax.random.PRNGKey(init_seed))
        self.values = self._initial_values()
        self.apply_schedule_hooks()  # once in set-up, as the SB3 agents do: refuses bad keys

    def train(self, make_env: EnvFactory, budget: Budget) -> None:
        """Train for ``budget`` on ``num_envs`` batched envs of the task (``make_env`` is not
        used: the batched env is built from the task's id and kwargs).

        An env-step budget counts steps across the batch and is rounded down to whole
        updates (refused when smaller than one); episode and time budgets stop after the
        update that spends them.
        """
        model = self._require_model()
        if budget.is_zero:
            return
        if budget.env_steps is None and budget.episodes is None and budget.seconds is None:
            raise ConfigError(
                f"agent '{self.name}' needs a finite training budget: "
                "set env_steps, episodes or seconds"
            )
        import jax

        task = self.task
        assert task is not None
        env = make_batched_env(task.env_id, self.options.num_envs, **dict(task.env_kwargs))
        self._check_env(env)
        chunk = self.steps_per_update
        if budget.env_steps is not None:
            whole = budget.env_steps // chunk * chunk
            if whole == 0:
                raise ConfigError(
                    f"agent '{self.name}': budget env_steps={budget.env_steps} is smaller than "
                    f"one update ({self._chunk_text()} = {chunk}); lower it or raise the budget"
                )
            budget = Budget(env_steps=whole, episodes=budget.episodes, seconds=budget.seconds)
        tracker = BudgetTracker(budget)
        self._tracker = tracker
        try:
            with jax.default_device(self.jax_device):
                key = jax.random.fold_in(jax.random.PRNGKey(self._train_seed), self._train_calls)
                run = self._start(env, model, key)
                progress = TrainingProgress(self.name)
                while not tracker.exhausted:
                    self.apply_schedule_hooks()
                    if run in _COMPILED:
                        metrics = self._update(run)
                    else:  # equal requests share a program: only its first update compiles
                        what = f"{self.name} on {task.env_id} ({self.options.num_envs} envs)"
                        metrics = compiling(what, lambda: self._update(run))
                        try:
                            _COMPILED.add(run)
                        except TypeError:  # not weakly referable: announced every time
                            pass
                    tracker.steps += chunk
                    tracker.episodes = int(metrics.pop("episodes"))
                    self._log(tracker, metrics)
                    shown: dict[str, float] = {
                        k: metrics[k] for k in ("return", "entropy", "loss") if k in metrics
                    }
                    progress.update(tracker.progress, shown)
                self._finish(run, model)
        finally:
            self._final_progress = tracker.progress
            self._tracker = None
            self._steps_before += tracker.steps
            self._episodes_before += tracker.episodes
            self._train_calls += 1

    def act(self, obs_batch: Any) -> Decision:
        """Actions for a numpy observation batch, by the jitted policy on the agent's device;
        entropy per env in nats (``None`` with ``deterministic``)."""
        self._require_model()
        task = self.task
        assert task is not None
        obs = np.asarray(obs_batch, dtype=np.float32)
        obs_shape = tuple(task.observation_space.shape or ())
        if obs.ndim != 2 or obs.shape[1:] != obs_shape:
            raise ValueError(
                f"agent '{self.name}': observations of shape {obs.shape}, expected "
                f"(n_envs, {', '.join(map(str, obs_shape))})"
            )
        import jax

        with jax.default_device(self.jax_device):
            self.act_key, key = jax.random.split(self.act_key)
            actions, entropy = self._decide(jax.device_put(obs, self.jax_device), key)
        space: Any = task.action_space
        out = np.asarray(actions).astype(space.dtype)
        return Decision(
            actions=out,
            entropy=None if self.deterministic else np.asarray(entropy, dtype=np.float64),
        )

    # -- hooks -------------------------------------------------------------------------------
    def apply_schedule_hooks(self) -> None:
        """``schedule``: each intervention's ``on_schedule(progress, values)`` on the host,
        before an update; the values it returns feed that update (no recompile)."""
        ivs = [iv for iv in self.interventions_at("schedule") if iv.overrides("on_schedule")]
        if not ivs:
            return
        values = dict(self.values)
        for iv in ivs:
            out = iv.on_schedule(self.progress, dict(values))
            if out is None:
                continue
            unknown = sorted(set(out) - set(values))
            if unknown:
                raise ConfigError(
                    f"intervention '{iv.name}' scheduled {', '.join(unknown)}, which agent "
                    f"'{self.name}' does not have (it schedules: {', '.join(sorted(values))})"
                )
            values.update({k: float(v) for k, v in out.items()})
        self._set_values(values)

    @property
    def progress(self) -> float:
        """Fraction of the current (or last) training budget used, in [0, 1]."""
        return self._tracker.progress if self._tracker is not None else self._final_progress

    @property
    def action_log_scale(self) -> float:
        """``sum log((high - low) / 2)``: log-Jacobian of the rescaling from [-1, 1]."""
        assert self.task is not None
        space: Any = self.task.action_space
        return float(np.sum(np.log((space.high.astype(np.float64) - space.low) / 2.0)))

    # -- telemetry ---------------------------------------------------------------------------
    def _log(self, tracker: BudgetTracker, metrics: Mapping[str, Any]) -> None:
        record: dict[str, float] = {
            "step": float(self._steps_before + tracker.steps),
            "episodes": float(self._episodes_before + tracker.episodes),
        }
        for key, value in metrics.items():
            value = float(value)
            if math.isfinite(value):
                record[key] = value
        self.log_telemetry(record)

    # -- helpers -----------------------------------------------------------------------------
    def _require_model(self) -> Any:
        if self.model is None:
            raise RuntimeError(f"agent '{self.name}': call setup() before train() or act()")
        return self.model

    def _check_env(self, env: BatchedEnv) -> None:
        task = self.task
        assert task is not None
        obs_shape, act_shape = task.observation_space.shape, task.action_space.shape
        if (env.obs_size,) != obs_shape or (env.action_size,) != act_shape:
            raise ConfigError(
                f"agent '{self.name}': the batched env for '{task.env_id}' has obs/action sizes "
                f"{env.obs_size}/{env.action_size}, but setup() was given spaces of shapes "
                f"{obs_shape}/{act_shape}"
            )

    # -- per algorithm -----------------------------------------------------------------------
    @property
    def steps_per_update(self) -> int:
        """Env steps (across the batch) one update collects."""
        raise NotImplementedError

    def _chunk_text(self) -> str:
        raise NotImplementedError

    def _build_model(self, key: Any) -> Any:
        raise NotImplementedError

    def _initial_values(self) -> dict[str, float]:
        raise NotImplementedError

    def _set_values(self, values: dict[str, float]) -> None:
        raise NotImplementedError

    def _start(self, env: BatchedEnv, model: Any, key: Any) -> Any:
        raise NotImplementedError

    def _update(self, run: Any) -> dict[str, float]:
        raise NotImplementedError

    def _finish(self, run: Any, model: Any) -> None:
        raise NotImplementedError

    def _decide(self, obs: Any, key: Any) -> tuple[Any, Any]:
        raise NotImplementedError
