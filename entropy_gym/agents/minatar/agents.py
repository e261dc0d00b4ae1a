"""``minatar_ppo`` and ``minatar_dqn``: agents that train on the ``STORI/MinAtar-*`` ids end to
end under jit, with the seeds as a batch dimension.

Each agent is one seed, as every agent in entropy-gym is. :meth:`SeedBatchedAgent.train_together`
trains several agents of the same configuration on the same task in one compiled program (the
per-seed programs of :mod:`.ppo` / :mod:`.dqn`, ``jax.vmap``-ed over seeds); ``train()`` is
``train_together([self])``. Each seed's parameters, telemetry and decisions are those of
training it alone (tested bit for bit), so the runner can train a suite's seeds of one
(agent, env) together and still store one row per seed (``docs/runner.md``, "Seed groups").

Where the hooks run (all per seed, with that seed's own intervention objects):

``schedule`` -- ``on_schedule(progress, values) -> values``
    On the host before every update (PPO) or chunk (DQN): ``minatar_ppo`` ``learning_rate``,
    ``ent_coef``, ``clip_range``; ``minatar_dqn`` ``learning_rate``, ``epsilon``
    (``epsilon_schedule``). The values feed the next jitted call as arguments.
``ent_coef`` (PPO) -- ``on_ent_coef(coef, entropy) -> coef``
    On the host before every update, with the coefficient in force and the mean policy
    entropy (nats) of the previous update's minibatches (NaN before the first).
``advantages`` (PPO) -- ``on_advantages(advantages, rollout) -> advantages``
    On the host between the jitted rollout and the jitted update (split in two only when
    such an intervention is attached), ``(n_steps, num_envs)`` float32 per seed.
``loss`` (PPO) -- ``on_loss(batch) -> per-sample loss``
    Traced into the jitted update (a :class:`~entropy_gym.agents.device.payloads.DeviceLossBatch`;
    per-sample categorical entropy), as for ``jax_ppo``.

Only env-step budgets are accepted (every seed runs the same number of updates).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import Decision, EnvFactory, ModelAgent, TaskSpec
from entropy_gym.agents.device.options import _positive_int
from entropy_gym.agents.hooks import chain_advantages
from entropy_gym.core.budget import Budget, BudgetTracker
from entropy_gym.core.errors import ConfigError

NAMESPACE = "STORI/MinAtar-"


@dataclass(frozen=True)
class PPOOptions:
    """Defaults tuned on plain Breakout-MinAtar with the 64-64 MLP (docs/stori.md, "Learning
    level"): 32 minibatches of 256 (16,384 gradient steps in 1M env steps instead of 4,096) and
    an entropy coefficient of 0.05; with 8 minibatches or a coefficient of 0.01-0.03, some seeds
    settle on a policy that loses the ball at the same places (return about 6)."""

    #: Empty: the MinAtar network (conv 16 + dense 128); else an MLP of these widths.
    hidden: tuple[int, ...] = ()
    num_envs: int = 64
    n_steps: int = 128
    n_epochs: int = 4
    n_minibatches: int = 32
    learning_rate: float = 5e-4
    anneal_lr: bool = True
    ent_coef: float = 0.05
    clip_range: float = 0.2
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    gamma: float = 0.99
    gae_lambda: float = 0.95
    normalize_advantage: bool = True


@dataclass(frozen=True)
class DQNOptions:
    """Defaults tuned on plain Breakout-MinAtar with the 64-64 MLP (docs/stori.md, "Learning
    level"): 32 envs (one gradient step per 32 env steps), the target copied every 250
    gradient steps, Adam at 1e-3 (at 3e-4: a mean return of 7.3 at 1M steps, against 9.8)."""

    hidden: tuple[int, ...] = ()
    num_envs: int = 32
    buffer_size: int = 100_000
    batch_size: int = 64
    steps_per_chunk: int = 128
    target_interval: int = 250
    learning_starts: int = 10_000
    learning_rate: float = 1e-3
    gamma: float = 0.99
    max_grad_norm: float = 10.0
    double: bool = True
    #: Without an ``epsilon_schedule``: linear from 1.0 to ``final_epsilon`` over the first
    #: ``exploration_fraction`` of training (the MinAtar paper: 1.0 to 0.1).
    final_epsilon: float = 0.05
    exploration_fraction: float = 0.1


def build_options(agent: str, cls: type[Any], values: Mapping[str, Any]) -> Any:
    """``cls`` from ``values``; unknown names and bad values refused in one line."""
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ConfigError(
            f"agent '{agent}': unknown option(s) {', '.join(unknown)} (accepted: {', '.join(names)})"
        )
    given = dict(values)
    if isinstance(given.get("hidden"), list):
        given["hidden"] = tuple(given["hidden"])
    options = cls(**given)
    for f in dataclasses.fields(cls):
        value = getattr(options, f.name)
        if f.name == "hidden":
            if not (
                isinstance(value, tuple)
                and all(isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in value)
            ):
                raise ConfigError(
                    f"agent '{agent}': hidden must be a list of layer widths >= 1, got {value!r}"
                )
        elif isinstance(f.default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"agent '{agent}': {f.name} must be true or false, got {value!r}")
        elif isinstance(f.default, int):
            _positive_int(agent, f.name, value)
        elif not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ConfigError(f"agent '{agent}': {f.name} must be a number >= 0, got {value!r}")
    return options


def _task_config(task: TaskSpec) -> Any:
    from entropy_gym.envs.minatar.make import build_config

    kwargs = dict(task.env_kwargs)
    from entropy_gym.registration import env_card

    base = dict(env_card(task.env_id).kwargs)
    base.update(kwargs)
    base.pop("render_mode", None)
    return build_config(base.pop("game"), base.pop("type", "3.1"), **base)


class SeedBatchedAgent(ModelAgent):
    """What ``minatar_ppo`` and ``minatar_dqn`` share: task checks, seeding, the host loop
    over updates for a group of seeds, decisions."""

    #: The runner may train a group of cells of this agent together (``train_together``).
    batches_seeds: ClassVar[bool] = True
    #: Evaluate on the id's own vector env (every row in one jitted call).
    vectorization: ClassVar[str] = "native"
    options_class: ClassVar[type[Any]] = PPOOptions

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
        self.options = build_options(self.name, self.options_class, options)
        self.model: Any = None
        self.values: dict[str, float] = {}
        self.env: Any = None
        self._tracker: BudgetTracker | None = None
        self._final_progress = 0.0
        self._steps_before = 0
        self._episodes_before = 0

    # -- checks ------------------------------------------------------------------------------
    def check_task(self, task: TaskSpec) -> None:
        if not task.env_id.removeprefix("entropy_gym:").startswith(NAMESPACE):
            raise ConfigError(
                f"agent '{self.name}' cannot run on env '{task.env_id}': it trains on the "
                f"{NAMESPACE}* ids only"
            )
        if not isinstance(task.action_space, gym.spaces.Discrete):
            raise ConfigError(f"agent '{self.name}' needs a Discrete action space")
        for iv in self.interventions_at("logits"):
            raise ConfigError(
                f"intervention '{iv.name}' acts on sampling logits, which agent '{self.name}' "
                "samples inside its jitted program"
            )

    # -- lifecycle ---------------------------------------------------------------------------
    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        self.check_task(task)
        import jax

        self.env = _task_config(task)
        states = np.random.SeedSequence([self.seed, 0x3A7A]).generate_state(3)
        init_seed, train_seed, act_seed = (int(s) & 0x7FFFFFFF for s in states)
        self.train_key = jax.random.PRNGKey(train_seed)
        self.act_key = jax.random.PRNGKey(act_seed)
        self.model = self._init_params(jax.random.PRNGKey(init_seed))
        self.values = self._initial_values()
        self._tracker = None
        self._final_progress = 0.0
        self._steps_before = self._episodes_before = 0
        self.apply_schedule_hooks()

    def train(self, make_env: EnvFactory, budget: Budget) -> None:
        """Train this seed alone: :meth:`train_together` with one agent."""
        type(self).train_together([self], budget)

    @classmethod
    def train_together(cls, agents: Sequence[SeedBatchedAgent], budget: Budget) -> None:
        """Train ``agents`` (same class, options, task and intervention configs; each set up
        with its own seed) in one compiled program, seeds as the batch dimension."""
        if not agents:
            return
        first = agents[0]
        for agent in agents:
            if agent.model is None:
                raise RuntimeError(f"agent '{agent.name}': call setup() before train()")
            if (
                type(agent) is not type(first)
                or agent.options != first.options
                or agent.env != first.env
                or [iv.config() for iv in agent.interventions]
                != [iv.config() for iv in first.interventions]
            ):
                raise ConfigError(
                    f"agents trained together must share class, options, task and "
                    f"interventions; seed {agent.seed} differs from seed {first.seed}"
                )
        if budget.is_zero:
            return
        if budget.env_steps is None or budget.episodes is not None or budget.seconds is not None:
            raise ConfigError(
                f"agent '{first.name}' takes an env_steps budget only (every seed runs the same "
                f"updates), got {budget}"
            )
        chunk = first.steps_per_update
        updates = budget.env_steps // chunk
        if updates == 0:
            raise ConfigError(
                f"agent '{first.name}': budget env_steps={budget.env_steps} is smaller than one "
                f"update ({chunk} env steps); lower it or raise the budget"
            )
        whole = Budget(env_steps=updates * chunk)
        for agent in agents:
            agent._tracker = BudgetTracker(whole)
        try:
            first._run_group(agents, updates, chunk)
        finally:
            for agent in agents:
                tracker = agent._tracker
                assert tracker is not None
                agent._final_progress = tracker.progress
                agent._steps_before += tracker.steps
                agent._episodes_before += tracker.episodes
                agent._tracker = None

    def act(self, obs_batch: Any) -> Decision:
        if self.model is None:
            raise RuntimeError(f"agent '{self.name}': call setup() before act()")
        obs = np.asarray(obs_batch, dtype=np.float32)
        if obs.ndim != 4 or obs.shape[1:] != tuple(self.env.obs_shape):
            raise ValueError(
                f"agent '{self.name}': observations of shape {obs.shape}, expected "
                f"(n_envs, {', '.join(map(str, self.env.obs_shape))})"
            )
        import jax

        self.act_key, key = jax.random.split(self.act_key)
        actions, entropy = self._decide(obs, key)
        return Decision(
            actions=np.asarray(actions).astype(np.int64),
            entropy=None if self.deterministic else np.asarray(entropy, dtype=np.float64),
        )

    # -- hooks -------------------------------------------------------------------------------
    def apply_schedule_hooks(self) -> None:
        """``schedule``: each intervention's ``on_schedule(progress, values)``, in order."""
        values = dict(self.values)
        values.update(self._own_schedule(self.progress))
        for iv in self.interventions_at("schedule"):
            if not iv.overrides("on_schedule"):
                continue
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
        self.values = values

    @property
    def progress(self) -> float:
        return self._tracker.progress if self._tracker is not None else self._final_progress

    def _log(self, metrics: Mapping[str, Any]) -> None:
        tracker = self._tracker
        assert tracker is not None
        record: dict[str, float] = {
            "step": float(self._steps_before + tracker.steps),
            "episodes": float(self._episodes_before + tracker.episodes),
        }
        record.update({k: float(v) for k, v in self.values.items()})
        for key, value in metrics.items():
            if math.isfinite(float(value)):
                record[key] = float(value)
        self.log_telemetry(record)

    # -- per algorithm -----------------------------------------------------------------------
    @property
    def steps_per_update(self) -> int:
        raise NotImplementedError

    def _init_params(self, key: Any) -> Any:
        raise NotImplementedError

    def _initial_values(self) -> dict[str, float]:
        raise NotImplementedError

    def _own_schedule(self, progress: float) -> dict[str, float]:
        return {}

    def _run_group(self, agents: Sequence[SeedBatchedAgent], updates: int, chunk: int) -> None:
        raise NotImplementedError

    def _decide(self, obs: np.ndarray, key: Any) -> tuple[Any, Any]:
        raise NotImplementedError


def _stack(trees: Sequence[Any]) -> Any:
    import jax
    import jax.numpy as jnp

    return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


def _row(tree: Any, i: int) -> Any:
    import jax

    return jax.tree.map(lambda x: x[i], tree)


def _column(values: Sequence[float]) -> Any:
    return np.asarray(values, dtype=np.float32)


class MinAtarPPOAgent(SeedBatchedAgent):
    """Categorical PPO with the MinAtar network (:mod:`.ppo`); hooks ``schedule``,
    ``advantages``, ``loss``, ``ent_coef``."""

    name: ClassVar[str] = "minatar_ppo"
    hooks: ClassVar[frozenset[str]] = frozenset({"schedule", "advantages", "loss", "ent_coef"})
    description: ClassVar[str] = (
        "categorical PPO in JAX, trained under jit with seeds batched (STORI/MinAtar-* ids)"
    )
    options_class: ClassVar[type[Any]] = PPOOptions
    options: PPOOptions

    def check_task(self, task: TaskSpec) -> None:
        super().check_task(task)
        o = self.options
        if (o.num_envs * o.n_steps) % o.n_minibatches:
            raise ConfigError(
                f"agent '{self.name}': n_minibatches={o.n_minibatches} must divide "
                f"num_envs * n_steps = {o.num_envs * o.n_steps}"
            )

    @property
    def steps_per_update(self) -> int:
        return self.options.num_envs * self.options.n_steps

    def _init_params(self, key: Any) -> Any:
        from entropy_gym.agents.minatar import ppo

        return ppo.init_params(key, self.env.obs_shape, self.env.num_actions, self.options.hidden)

    def _initial_values(self) -> dict[str, float]:
        o = self.options
        self.entropy = math.nan
        return {
            "learning_rate": o.learning_rate,
            "ent_coef": o.ent_coef,
            "clip_range": o.clip_range,
        }

    def _own_schedule(self, progress: float) -> dict[str, float]:
        if not self.options.anneal_lr:
            return {}
        return {"learning_rate": self.options.learning_rate * (1.0 - progress)}

    def _programs(self) -> Any:
        from entropy_gym.agents.minatar import ppo

        o = self.options
        shape = ppo.Shape(o.num_envs, o.n_steps, o.n_epochs, o.n_minibatches, o.normalize_advantage)
        loss_hooks = [iv for iv in self.interventions_at("loss") if iv.overrides("on_loss")]
        return ppo.seed_programs(self.env, shape, loss_hooks)

    def _hyper(self, agents: Sequence[SeedBatchedAgent]) -> Any:
        from entropy_gym.agents.minatar import ppo

        o = self.options
        n = len(agents)
        return ppo.Hyper(
            learning_rate=_column([a.values["learning_rate"] for a in agents]),
            ent_coef=_column([a.values["ent_coef"] for a in agents]),
            clip_range=_column([a.values["clip_range"] for a in agents]),
            vf_coef=_column([o.vf_coef] * n),
            max_grad_norm=_column([o.max_grad_norm] * n),
            gamma=_column([o.gamma] * n),
            gae_lambda=_column([o.gae_lambda] * n),
        )

    def _ent_coef_hooks(self) -> None:
        for iv in self.interventions_at("ent_coef"):
            out = iv.on_ent_coef(float(self.values["ent_coef"]), float(self.entropy))
            if out is not None:
                self.values["ent_coef"] = float(out)

    def _run_group(self, agents: Sequence[SeedBatchedAgent], updates: int, chunk: int) -> None:
        import jax

        from entropy_gym.agents.device.payloads import HostRollout

        progs = self._programs()
        params = _stack([a.model for a in agents])
        keys = _stack([a.train_key for a in agents])
        state = progs.init(params, keys)
        split = any(iv.overrides("on_advantages") for iv in self.interventions_at("advantages"))
        for _ in range(updates):
            for agent in agents:
                agent.apply_schedule_hooks()
                assert isinstance(agent, MinAtarPPOAgent)
                agent._ent_coef_hooks()
            hyper = self._hyper(agents)
            if split:
                state, rollout = progs.collect(state, hyper)
                host = jax.device_get(rollout)
                adv = np.array(host.advantages, dtype=np.float32)
                for i, agent in enumerate(agents):
                    ivs = [
                        iv
                        for iv in agent.interventions_at("advantages")
                        if iv.overrides("on_advantages")
                    ]
                    view = HostRollout(
                        observations=host.obs[i],
                        actions=host.actions[i],
                        rewards=host.rewards[i],
                        values=host.values[i],
                        log_probs=host.log_probs[i],
                        episode_starts=np.zeros_like(host.dones[i]),
                        returns=host.returns[i],
                    )
                    adv[i] = chain_advantages(ivs, adv[i], view)
                rollout = rollout._replace(advantages=jax.numpy.asarray(adv))
                state, metrics = progs.learn(state, rollout, hyper)
            else:
                state, metrics = progs.update(state, hyper)
            host_metrics = jax.device_get(metrics)
            for i, agent in enumerate(agents):
                assert isinstance(agent, MinAtarPPOAgent) and agent._tracker is not None
                agent._tracker.steps += chunk
                row = {k: np.asarray(v)[i] for k, v in host_metrics.items()}
                agent._tracker.episodes = int(row.pop("episodes"))
                agent.entropy = float(row["entropy"])
                agent._log(row)
        for i, agent in enumerate(agents):
            agent.model = _row(state.params, i)
            agent.train_key = jax.random.fold_in(agent.train_key, 1)

    def _decide(self, obs: np.ndarray, key: Any) -> tuple[Any, Any]:
        import jax.numpy as jnp

        from entropy_gym.agents.minatar import ppo

        if self.deterministic:
            log_p, _ = _forward_jit()(self.model, jnp.asarray(obs))
            return jnp.argmax(log_p, axis=1), ppo.entropy_of(log_p)
        actions, entropy = self._programs().act(self.model, jnp.asarray(obs), key)
        return actions, entropy


@functools.lru_cache(maxsize=1)
def _forward_jit() -> Any:
    import jax

    from entropy_gym.agents.minatar import ppo

    return jax.jit(ppo.forward)


class MinAtarDQNAgent(SeedBatchedAgent):
    """(Double) DQN with the MinAtar network and replay (:mod:`.dqn`); hook ``schedule``
    (``epsilon_schedule``; ``learning_rate``)."""

    name: ClassVar[str] = "minatar_dqn"
    hooks: ClassVar[frozenset[str]] = frozenset({"schedule"})
    description: ClassVar[str] = (
        "DQN in JAX (MinAtar's baseline), trained under jit with seeds batched (STORI/MinAtar-*)"
    )
    options_class: ClassVar[type[Any]] = DQNOptions
    options: DQNOptions

    @property
    def steps_per_update(self) -> int:
        return self.options.num_envs * self.options.steps_per_chunk

    def _init_params(self, key: Any) -> Any:
        from entropy_gym.agents.minatar import dqn

        return dqn.init_params(key, self.env.obs_shape, self.env.num_actions, self.options.hidden)

    def _initial_values(self) -> dict[str, float]:
        return {"learning_rate": self.options.learning_rate, "epsilon": 1.0}

    def _own_schedule(self, progress: float) -> dict[str, float]:
        o = self.options
        frac = min(1.0, progress / o.exploration_fraction) if o.exploration_fraction > 0 else 1.0
        return {"epsilon": 1.0 + frac * (o.final_epsilon - 1.0)}

    def _programs(self) -> Any:
        from entropy_gym.agents.minatar import dqn

        o = self.options
        shape = dqn.Shape(
            num_envs=o.num_envs,
            buffer_steps=max(2, o.buffer_size // o.num_envs),
            batch_size=o.batch_size,
            steps_per_chunk=o.steps_per_chunk,
            target_interval=o.target_interval,
            learning_starts=o.learning_starts,
            double=o.double,
        )
        return dqn.seed_programs(self.env, shape)

    def _run_group(self, agents: Sequence[SeedBatchedAgent], updates: int, chunk: int) -> None:
        import jax

        from entropy_gym.agents.minatar import dqn

        o = self.options
        progs = self._programs()
        state = progs.init(_stack([a.model for a in agents]), _stack([a.train_key for a in agents]))
        for _ in range(updates):
            for agent in agents:
                agent.apply_schedule_hooks()
            hyper = dqn.Hyper(
                learning_rate=_column([a.values["learning_rate"] for a in agents]),
                epsilon=_column([a.values["epsilon"] for a in agents]),
                gamma=_column([o.gamma] * len(agents)),
                max_grad_norm=_column([o.max_grad_norm] * len(agents)),
            )
            state, metrics = progs.chunk(state, hyper)
            host_metrics = jax.device_get(metrics)
            for i, agent in enumerate(agents):
                assert agent._tracker is not None
                agent._tracker.steps += chunk
                row = {k: np.asarray(v)[i] for k, v in host_metrics.items()}
                agent._tracker.episodes = int(row.pop("episodes"))
                agent._log(row)
        for i, agent in enumerate(agents):
            agent.model = _row(state.params, i)
            agent.train_key = jax.random.fold_in(agent.train_key, 1)
        for agent in agents:
            agent.apply_schedule_hooks()  # decisions after training use the final epsilon

    def _decide(self, obs: np.ndarray, key: Any) -> tuple[Any, Any]:
        import jax.numpy as jnp

        epsilon = 0.0 if self.deterministic else float(self.values["epsilon"])
        actions, entropy = self._programs().act(
            self.model, jnp.asarray(obs), key, jnp.float32(epsilon)
        )
        return actions, entropy
