"""The common adapter between entropy-gym's agent interface and an SB3 algorithm.

:class:`SB3Agent` builds the (hooked) SB3 model in ``setup``, trains it on envs from
``make_env`` within a :class:`~entropy_gym.core.budget.Budget`, and decides for a batch with
its own seeded generator, reporting the entropy of the distribution each action was drawn
from. What it passes at each hook is documented in :mod:`entropy_gym.agents.sb3`.

This module imports neither torch nor SB3 at import time, so listing agents stays cheap.
"""

from __future__ import annotations

import difflib
import inspect
import math
import os
import sys
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import Decision, EnvFactory, ModelAgent, StepBatch, TaskSpec
from entropy_gym.agents.sb3.budget import make_budget_callback
from entropy_gym.core.budget import Budget, BudgetTracker
from entropy_gym.core.errors import ConfigError

#: SB3 constructor arguments the adapter sets itself.
RESERVED_KWARGS = ("env", "seed", "device", "_init_setup_model")
#: SB3 arguments that only say what SB3 prints and logs: passed through, they change no result.
LOGGING_KWARGS = ("verbose", "tensorboard_log")

#: Observation spaces SB3 policies accept (Dict of these, not nested).
OBS_SPACES = (gym.spaces.Box, gym.spaces.Discrete, gym.spaces.MultiDiscrete, gym.spaces.MultiBinary)

_ACTIVATIONS = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "elu": "ELU",
    "leaky_relu": "LeakyReLU",
    "gelu": "GELU",
    "silu": "SiLU",
}


def _space_names(classes: tuple[type, ...]) -> str:
    return ", ".join(c.__name__ for c in classes)


class SB3Agent(ModelAgent):
    """An SB3 / sb3-contrib algorithm behind the entropy-gym agent interface.

    Parameters (every other keyword argument goes to the SB3 constructor unchanged, e.g.
    ``n_steps=128, learning_rate=3e-4``; unknown names are refused here, not at training):

    - ``policy``: SB3 policy name; by default ``CnnPolicy`` for image observations,
      ``MultiInputPolicy`` for ``Dict`` observations, else ``MlpPolicy`` (the ``Lstm``
      variants for RecurrentPPO);
    - ``n_envs``: training envs stepped together (``DummyVecEnv``);
    - ``telemetry_every``: env steps between telemetry records of off-policy agents
      (on-policy agents log once per update);
    - ``deterministic``: ``act`` takes the mode of the policy's distribution (the mean action,
      SB3's ``predict(deterministic=True)``, as RL Zoo evaluates) instead of a sample; the
      entropy it reports is still that distribution's. Training is unchanged;
    - SB3's ``verbose`` (its table of training values on stdout, every update on-policy and
      every 4 episodes off-policy, as SB3 does) and ``tensorboard_log`` (the same values as
      TensorBoard events, one run folder per ``train`` call; needs the ``tensorboard``
      package): what is printed or logged, never what is trained.

    Seeding: ``setup(task, seed, device)`` derives the SB3 seed (weights, replay sampling,
    global ``random``/``numpy``/``torch`` generators that SB3 draws from), the training env
    seeds and the decision generator from ``seed`` alone; ``train`` re-seeds the global
    generators before learning, so two runs with the same seed end with the same parameters
    on CPU.
    """

    name: ClassVar[str] = "sb3"
    hooks: ClassVar[frozenset[str]] = frozenset()
    description: ClassVar[str] = ""
    #: Action-space classes the algorithm supports.
    action_spaces: ClassVar[tuple[type, ...]] = ()
    #: Default policy name per observation kind.
    policies: ClassVar[dict[str, str]] = {
        "mlp": "MlpPolicy",
        "cnn": "CnnPolicy",
        "dict": "MultiInputPolicy",
    }
    #: On-policy agents train on whole rollouts of ``n_steps * n_envs`` env steps.
    on_policy: ClassVar[bool] = True
    #: Agents with a learned temperature (SAC, TQC, CrossQ).
    max_entropy: ClassVar[bool] = False
    #: Whether ``act`` samples from a policy distribution (``deterministic`` takes its mode).
    samples_actions: ClassVar[bool] = True
    #: Default for ``telemetry_every`` (off-policy agents).
    default_telemetry_every: ClassVar[int] = 1000

    def __init__(
        self,
        policy: str | None = None,
        n_envs: int = 1,
        telemetry_every: int | None = None,
        deterministic: bool = False,
        **sb3_kwargs: Any,
    ) -> None:
        config: dict[str, Any] = {}
        if deterministic is not False:
            config["deterministic"] = deterministic
        if policy is not None:
            config["policy"] = policy
        if n_envs != 1:
            config["n_envs"] = n_envs
        if telemetry_every is not None:
            config["telemetry_every"] = telemetry_every
        super().__init__(**config, **sb3_kwargs)
        if not (isinstance(n_envs, int) and n_envs >= 1):
            raise ConfigError(
                f"agent '{self.name}': n_envs must be an integer >= 1, got {n_envs!r}"
            )
        if telemetry_every is not None and not (
            isinstance(telemetry_every, int) and telemetry_every >= 1
        ):
            raise ConfigError(
                f"agent '{self.name}': telemetry_every must be an integer >= 1, "
                f"got {telemetry_every!r}"
            )
        if not isinstance(deterministic, bool):
            raise ConfigError(
                f"agent '{self.name}': deterministic must be true or false, got {deterministic!r}"
            )
        if deterministic and not self.samples_actions:
            raise ConfigError(
                f"agent '{self.name}': deterministic=true is not an option here; this agent "
                "does not sample its actions from a policy distribution"
            )
        self.deterministic = deterministic
        self._acting = False
        self.policy_name = policy
        self.n_envs = n_envs
        self.telemetry_every = telemetry_every or self.default_telemetry_every
        self.sb3_kwargs = dict(sb3_kwargs)
        self._check_kwargs()
        self._check_logging()
        self.model: Any = None
        self._tracker: BudgetTracker | None = None
        self._final_progress = 0.0
        self._steps_before = 0
        self._episodes_before = 0
        self._train_calls = 0
        self._last_log_step = 0

    # -- configuration ---------------------------------------------------------------------
    @classmethod
    def algorithm_class(cls) -> Any:
        """The hooked SB3 algorithm class (imports torch and SB3)."""
        try:
            from entropy_gym.agents.sb3.hooked import ALGORITHMS
        except ModuleNotFoundError as err:
            raise ConfigError(
                f"agent '{cls.name}' needs {err.name}: pip install 'entropy-gym[sb3]'"
            ) from err
        return ALGORITHMS[cls.name]

    def _check_kwargs(self) -> None:
        algo = self.algorithm_class()
        params = inspect.signature(algo).parameters
        accepted = sorted(p for p in params if p not in ("self", "policy", *RESERVED_KWARGS))
        for key in self.sb3_kwargs:
            if key in RESERVED_KWARGS:
                raise ConfigError(
                    f"agent '{self.name}': '{key}' is set by the agent, not by config"
                )
            if key not in params:
                close = difflib.get_close_matches(key, accepted, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ConfigError(
                    f"agent '{self.name}': unknown parameter '{key}'{hint} "
                    f"({_sb3_name(algo)} accepts: "
                    f"{', '.join(accepted)})"
                )
        for key, value in self.sb3_kwargs.items():
            problem = _range_problem(key, value)
            if problem:
                raise ConfigError(f"agent '{self.name}': {key} {problem}, got {value!r}")
        if self.policy_name is not None and self.policy_name not in algo.policy_aliases:
            raise ConfigError(
                f"agent '{self.name}': unknown policy '{self.policy_name}'; expected one of: "
                f"{', '.join(algo.policy_aliases)}"
            )

    def _check_logging(self) -> None:
        verbose = self.sb3_kwargs.get("verbose", 0)
        if verbose not in (0, 1, 2) or isinstance(verbose, bool):
            raise ConfigError(f"agent '{self.name}': verbose must be 0, 1 or 2, got {verbose!r}")
        folder = self.sb3_kwargs.get("tensorboard_log")
        if folder is None:
            return
        if not isinstance(folder, str) or not folder:
            raise ConfigError(
                f"agent '{self.name}': tensorboard_log must be a folder path, got {folder!r}"
            )
        import importlib.util

        if importlib.util.find_spec("tensorboard") is None:
            raise ConfigError(
                f"agent '{self.name}': tensorboard_log needs the tensorboard package "
                "(pip install tensorboard)"
            )

    def _sb3_logger(self) -> Any:
        """SB3's own logger where ``verbose`` or ``tensorboard_log`` ask for one, else None."""
        verbose = int(self.sb3_kwargs.get("verbose", 0))
        folder = self.sb3_kwargs.get("tensorboard_log")
        if not verbose and folder is None:
            return None
        from stable_baselines3.common.logger import (
            HumanOutputFormat,
            Logger,
            TensorBoardOutputFormat,
        )
        from stable_baselines3.common.utils import get_latest_run_id

        # What SB3's configure_logger builds, without the SB3-<timestamp> folder it would
        # leave in the temp dir for stdout alone.
        formats: list[Any] = [HumanOutputFormat(sys.stdout)] if verbose else []
        if folder is not None:
            run = os.path.join(folder, f"{self.name}_{get_latest_run_id(folder, self.name) + 1}")
            formats.append(TensorBoardOutputFormat(run))
        return Logger(folder=None, output_formats=formats)

    # -- lifecycle ---------------------------------------------------------------------------
    def check_task(self, task: TaskSpec) -> None:
        """The spaces, the policy and every SB3 parameter on ``task``: the model is built
        once on a placeholder env and dropped, so a bad value fails here, not in a cell."""
        self._check_spaces(task)
        policy = self._choose_policy(task)
        before, self.task = self.task, task
        try:
            self._build_model(policy, self._model_kwargs(), 0, "cpu")
        finally:
            self.task = before

    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        self._check_spaces(task)
        policy = self._choose_policy(task)
        model_seed, self._train_seed, act_seed, hook_seed = derive_seeds(self.seed)
        self.model = self._build_model(policy, self._model_kwargs(), model_seed, device)

        import torch

        self.act_generator = torch.Generator(device=self.model.device).manual_seed(act_seed)
        self.train_generator = torch.Generator(device=self.model.device).manual_seed(hook_seed)
        self._tracker = None
        self._final_progress = 0.0
        self._steps_before = self._episodes_before = self._train_calls = 0
        self._last_log_step = 0
        self._after_setup()

    def _after_setup(self) -> None:
        """Family-specific state (recurrent memory, initial epsilon)."""

    def train(self, make_env: EnvFactory, budget: Budget) -> None:
        """Learn within ``budget`` on ``n_envs`` envs from ``make_env``.

        An env-step budget is rounded down to whole collection chunks (``n_steps * n_envs``
        on-policy, ``train_freq * n_envs`` off-policy; refused when smaller than one), after
        which training is exactly SB3's ``learn(total_timesteps)``. Episode and time budgets
        stop training at the step; an on-policy rollout cut short is not learned from.
        """
        model = self._require_model()
        if budget.is_zero:
            return
        if budget.env_steps is None and budget.episodes is None and budget.seconds is None:
            raise ConfigError(
                f"agent '{self.name}' needs a finite training budget: "
                "set env_steps, episodes or seconds"
            )
        total, stop_on_steps, budget = self._learn_horizon(budget)
        vec_env = self._make_train_env(make_env)
        tracker = BudgetTracker(budget)
        self._tracker = tracker
        self._last_log_step = 0
        sb3_logger = self._sb3_logger()
        try:
            model.set_env(vec_env)
            model.set_random_seed(self._train_seed + self._train_calls)
            if sb3_logger is not None:
                model.set_logger(sb3_logger)
            model.learn(
                total_timesteps=total,
                callback=make_budget_callback(tracker, stop_on_steps),
                # SB3's own defaults; its table is written only where a logger asks for it.
                log_interval=None if sb3_logger is None else (1 if self.on_policy else 4),
                reset_num_timesteps=True,
            )
            if not self.on_policy and model.num_timesteps > self._last_log_step:
                self.log_update(**model.update_stats())  # the end of training is always recorded
        finally:
            self._final_progress = tracker.progress
            self._tracker = None
            self._steps_before += int(model.num_timesteps)
            self._episodes_before += tracker.episodes
            self._train_calls += 1
            model.env = None
            vec_env.close()

    def act(self, obs_batch: Any) -> Decision:
        model = self._require_model()
        import torch

        with torch.no_grad():
            model.policy.set_training_mode(False)
            obs, _ = model.policy.obs_to_tensor(obs_batch)
            self._acting = True
            try:
                actions, entropy = self._decide(obs, self.act_generator)
            finally:
                self._acting = False
        return Decision(actions=actions, entropy=entropy)

    def observe(self, step: StepBatch) -> None:
        """Stateless SB3 policies ignore transitions (RecurrentPPO overrides this)."""

    # -- progress and telemetry -----------------------------------------------------------
    @property
    def progress(self) -> float:
        """Fraction of the current (or last) training budget used, in [0, 1]."""
        return self._tracker.progress if self._tracker is not None else self._final_progress

    def log_update(self, **stats: float) -> None:
        """Log one telemetry record: env steps, finished episodes, mean recent return (when
        an episode has ended), then ``stats``; NaN values are left out."""
        model = self.model
        record: dict[str, float] = {"step": float(self._steps_before + model.num_timesteps)}
        if self._tracker is not None:
            record["episodes"] = float(self._episodes_before + self._tracker.episodes)
        if model.ep_info_buffer:
            record["return"] = float(np.mean([ep["r"] for ep in model.ep_info_buffer]))
        for key, value in stats.items():
            if value is not None and not math.isnan(value):
                record[key] = float(value)
        self.log_telemetry(record)

    def maybe_log_step(self) -> None:
        """Off-policy agents: log a record every ``telemetry_every`` env steps."""
        steps = int(self.model.num_timesteps)
        if steps - self._last_log_step >= self.telemetry_every:
            self._last_log_step = steps
            self.log_update(**self.model.update_stats())

    # -- decisions --------------------------------------------------------------------------
    def _decide(self, obs: Any, generator: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Actor-critic policies: sample the policy's distribution at ``obs``."""
        return self._sample(self.model.policy.get_distribution(obs), generator)

    def _sample(self, dist: Any, generator: Any) -> tuple[Any, np.ndarray]:
        """Sample an SB3 distribution with ``generator`` (its mode when ``act`` runs with
        ``deterministic``); see :mod:`.sampling` for the entropy."""
        import torch
        from stable_baselines3.common.distributions import (
            BernoulliDistribution,
            CategoricalDistribution,
            MultiCategoricalDistribution,
            SquashedDiagGaussianDistribution,
        )

        from entropy_gym.agents.sb3 import sampling

        assert self.task is not None
        space: Any = self.task.action_space
        mode = self._acting and self.deterministic
        if isinstance(dist, CategoricalDistribution):
            logits = dist.distribution.logits
            for iv in self.interventions_at("logits"):
                out = iv.on_logits(logits)
                if out is not None:
                    logits = out
            actions, entropy = sampling.sample_categorical(logits, generator)
            if mode:
                actions = logits.argmax(dim=-1)
        elif isinstance(dist, MultiCategoricalDistribution):
            actions, entropy = sampling.sample_multi_categorical(dist.distribution, generator)
            if mode:
                actions = torch.stack([d.probs.argmax(-1) for d in dist.distribution], dim=1)
        elif isinstance(dist, BernoulliDistribution):
            actions, entropy = sampling.sample_bernoulli(dist.distribution, generator)
            if mode:
                actions = torch.round(dist.distribution.probs)
        else:  # diagonal Gaussian, squashed or not (gSDE included)
            policy = self.model.policy
            squashed = isinstance(dist, SquashedDiagGaussianDistribution) or (
                getattr(dist, "bijector", None) is not None
            )
            if squashed:
                log_scale = self.action_log_scale if policy.squash_output else 0.0
                actions, entropy = sampling.sample_squashed_gaussian(
                    dist.distribution, generator, log_scale
                )
            else:
                actions, entropy = sampling.sample_gaussian(dist.distribution, generator)
                if not policy.squash_output:  # draws are clipped to the box below
                    entropy = sampling.truncated_gaussian_entropy(
                        dist.distribution.mean, dist.distribution.stddev, space.low, space.high
                    )
            if mode:
                mean = dist.distribution.mean
                actions = torch.tanh(mean) if squashed else mean
            box: np.ndarray = actions.cpu().numpy()
            if policy.squash_output:
                box = policy.unscale_action(box)
            else:
                box = np.clip(box, space.low, space.high)
            return box.astype(space.dtype), entropy.cpu().numpy().astype(np.float64)
        return actions.cpu().numpy().astype(space.dtype), entropy.cpu().numpy().astype(np.float64)

    @property
    def action_log_scale(self) -> float:
        """``sum log((high - low) / 2)``: log-Jacobian of SB3's rescaling from [-1, 1]."""
        assert self.task is not None
        space: Any = self.task.action_space
        return float(np.sum(np.log((space.high.astype(np.float64) - space.low) / 2.0)))

    def policy_entropy(self, obs: Any) -> Any:
        """Entropy per row of the policy at an observation tensor batch (training-time
        estimates; draws from ``train_generator``)."""
        import torch

        with torch.no_grad():
            self.model.policy.set_training_mode(False)
            _, entropy = self._decide(obs, self.train_generator)
        return entropy

    # -- helpers -------------------------------------------------------------------------
    def _require_model(self) -> Any:
        if self.model is None:
            raise RuntimeError(f"agent '{self.name}': call setup() before train() or act()")
        return self.model

    def _check_spaces(self, task: TaskSpec) -> None:
        where = f"agent '{self.name}' cannot run on env '{task.env_id}'"
        act = task.action_space
        if not isinstance(act, self.action_spaces):
            raise ConfigError(
                f"{where}: action space {act} is not supported (supported: "
                f"{_space_names(self.action_spaces)})"
            )
        if isinstance(act, gym.spaces.Box) and not (
            np.all(np.isfinite(act.low)) and np.all(np.isfinite(act.high))
        ):
            raise ConfigError(f"{where}: action space {act} must have finite bounds")
        obs = task.observation_space
        parts = obs.spaces.values() if isinstance(obs, gym.spaces.Dict) else [obs]
        if not all(isinstance(p, OBS_SPACES) for p in parts):
            raise ConfigError(
                f"{where}: observation space {obs} is not supported (supported: "
                f"{_space_names(OBS_SPACES)}, or a Dict of these)"
            )
        for iv in self.interventions_at("logits"):
            if not isinstance(act, gym.spaces.Discrete):
                raise ConfigError(
                    f"intervention '{iv.name}' acts on categorical logits but agent "
                    f"'{self.name}' on env '{task.env_id}' has action space {act}"
                )

    def _choose_policy(self, task: TaskSpec) -> str:
        if self.policy_name is not None:
            return self.policy_name
        from stable_baselines3.common.preprocessing import is_image_space

        obs = task.observation_space
        if isinstance(obs, gym.spaces.Dict):
            kind = "dict"
        elif is_image_space(obs, check_channels=False):
            kind = "cnn"
        else:
            kind = "mlp"
        policy = self.policies[kind]
        if policy not in self.algorithm_class().policy_aliases:
            raise ConfigError(
                f"agent '{self.name}' cannot run on env '{task.env_id}': it has no {policy} for "
                f"observation space {obs} (pass policy='MlpPolicy' to flatten images)"
            )
        return policy

    def _model_kwargs(self) -> dict[str, Any]:
        """SB3 constructor arguments: config, then each intervention's ``on_sb3_kwargs``."""
        kwargs = dict(self.sb3_kwargs)
        if isinstance(kwargs.get("policy_kwargs"), Mapping):
            kwargs["policy_kwargs"] = _resolve_policy_kwargs(self.name, kwargs["policy_kwargs"])
        for iv in self.interventions:
            out = iv.on_sb3_kwargs(dict(kwargs))
            if out is not None:
                kwargs = dict(out)
        return kwargs

    def _build_model(self, policy: str, kwargs: dict[str, Any], seed: int, device: str) -> Any:
        from stable_baselines3.common.logger import Logger

        from entropy_gym.agents.sb3.hooked import SpacesOnlyVecEnv

        task = self.task
        assert task is not None
        placeholder = SpacesOnlyVecEnv(task.observation_space, task.action_space, self.n_envs)
        try:
            model = self.algorithm_class()(
                policy, placeholder, seed=seed, device=device, **{"verbose": 0, **kwargs}
            )
        except (TypeError, ValueError, AssertionError) as err:
            message = " ".join(str(err).split()) or type(err).__name__
            raise ConfigError(f"agent '{self.name}' on env '{task.env_id}': {message}") from err
        model.agent = self
        # A silent logger: SB3's default would create SB3-<timestamp> folders in the temp dir.
        model.set_logger(Logger(folder=None, output_formats=[]))
        return model

    def _learn_horizon(self, budget: Budget) -> tuple[int, bool, Budget]:
        """``total_timesteps`` for SB3, whether the budget callback must stop on env steps,
        and the budget as the agent will actually use it.

        SB3 collects whole chunks between updates (a rollout of ``n_steps * n_envs`` on-policy;
        ``train_freq * n_envs`` steps off-policy), so an env-step budget is rounded down to
        whole chunks and SB3's own loop ends exactly there: the agent then trains exactly as
        ``learn(total_timesteps)`` does, and never beyond the budget.
        """
        if budget.env_steps is None:
            return 2**62, False, budget
        if self.on_policy:
            chunk, what = int(self.model.n_steps) * self.n_envs, "rollout (n_steps * n_envs"
        else:
            freq = self.model.train_freq
            if freq.unit.value != "step":  # episodic train_freq: stop on the step instead
                return budget.env_steps, True, budget
            chunk, what = int(freq.frequency) * self.n_envs, "collection (train_freq * n_envs"
        whole = budget.env_steps // chunk * chunk
        if whole == 0:
            raise ConfigError(
                f"agent '{self.name}': budget env_steps={budget.env_steps} is smaller than one "
                f"{what} = {chunk}); lower it or raise the budget"
            )
        return (
            whole,
            False,
            Budget(env_steps=whole, episodes=budget.episodes, seconds=budget.seconds),
        )

    def _make_train_env(self, make_env: EnvFactory) -> Any:
        from stable_baselines3.common.monitor import Monitor
        from stable_baselines3.common.vec_env import DummyVecEnv

        task = self.task
        assert task is not None
        seeds = np.random.SeedSequence([self._train_seed, self._train_calls]).generate_state(
            self.n_envs
        )

        def factory(i: int) -> Any:
            def build() -> gym.Env:
                env = make_env(int(seeds[i]))
                if (
                    env.observation_space != task.observation_space
                    or env.action_space != task.action_space
                ):
                    env.close()
                    raise ConfigError(
                        f"agent '{self.name}': make_env built spaces {env.observation_space} / "
                        f"{env.action_space}, but setup() was given {task.observation_space} / "
                        f"{task.action_space} for env '{task.env_id}'"
                    )
                return Monitor(env)

            return build

        return DummyVecEnv([factory(i) for i in range(self.n_envs)])


def derive_seeds(seed: int) -> tuple[int, int, int, int]:
    """The seeds an SB3 agent derives from its own: for the SB3 model (weights and SB3's
    global generators), the training run (``set_random_seed`` before learning; the training
    envs get this seed plus their index), decisions, and training-time hook randomness."""
    states = np.random.SeedSequence([int(seed), 0x5B3]).generate_state(4)
    model, train, act, hook = (int(s) & 0x7FFFFFFF for s in states)
    return model, train, act, hook


def _sb3_name(algo: type) -> str:
    """The library class a hooked algorithm extends (``PPO`` for ``HookedPPO``)."""
    for cls in algo.__mro__:
        if cls.__module__.split(".")[0] in ("stable_baselines3", "sb3_contrib"):
            return cls.__name__
    return algo.__name__


def _resolve_policy_kwargs(agent: str, policy_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Let YAML name an activation (``activation_fn: relu``) instead of passing a class."""
    out = dict(policy_kwargs)
    fn = out.get("activation_fn")
    if isinstance(fn, str):
        import torch

        key = fn.lower()
        if key not in _ACTIVATIONS:
            raise ConfigError(
                f"agent '{agent}': unknown activation_fn '{fn}'; expected one of: "
                f"{', '.join(_ACTIVATIONS)}"
            )
        out["activation_fn"] = getattr(torch.nn, _ACTIVATIONS[key])
    return out


#: Ranges of SB3 parameters that SB3 itself does not check (a discount of 2 trains on
#: exploding targets): ``(low, high, low included, high included)``.
_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "gamma": (0.0, 1.0, True, True),
    "gae_lambda": (0.0, 1.0, True, True),
    "tau": (0.0, 1.0, False, True),
    "exploration_fraction": (0.0, 1.0, True, True),
    "exploration_initial_eps": (0.0, 1.0, True, True),
    "exploration_final_eps": (0.0, 1.0, True, True),
    "learning_rate": (0.0, float("inf"), False, False),
    "clip_range": (0.0, float("inf"), False, False),
    "max_grad_norm": (0.0, float("inf"), False, False),
    "vf_coef": (0.0, float("inf"), True, False),
}


def _range_problem(key: str, value: Any) -> str | None:
    """Why a numeric SB3 parameter is out of its range (schedules and strings are SB3's)."""
    bounds = _RANGES.get(key)
    if bounds is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    low, high, low_in, high_in = bounds
    ok = math.isfinite(value) and (low <= value if low_in else low < value)
    ok = ok and (value <= high if high_in else value < high)
    if ok:
        return None
    left, right = "[" if low_in else "(", "]" if high_in else ")"
    return f"must be in {left}{low:g}, {high:g}{right}"
