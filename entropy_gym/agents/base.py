"""The one interface every agent implements, and the types that cross it.

An agent decides for a batch of envs at once and may learn. The runner drives it as::

    agent.setup(task, seed, device)          # once per cell
    agent.train(make_env, budget)            # no-op for in-context agents
    decision = agent.act(obs_batch)          # actions + entropy (nats) per env
    agent.observe(step_batch)                # memory / online learning
    agent.telemetry()                        # entropy trajectory logged during training

Entropy interventions attach at named *hooks* that an agent declares in ``hooks``; the hooks,
their methods and their call order are in :mod:`entropy_gym.agents.hooks`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

from entropy_gym.agents.hooks import HOOKS
from entropy_gym.core.budget import Budget as Budget
from entropy_gym.core.errors import ConfigError as ConfigError
from entropy_gym.scoring.entropy_kind import EntropyKind, derive_kind

if TYPE_CHECKING:
    from entropy_gym.agents.interventions.base import Intervention


@dataclass(frozen=True)
class TaskSpec:
    """What an agent is told about the env it will act in.

    ``env_info`` carries family-specific facts an env publishes through ``task_info()`` on its
    unwrapped env (e.g. a text bandit's arm labels); it is empty for most envs.
    """

    env_id: str
    observation_space: gym.Space[Any]
    action_space: gym.Space[Any]
    num_envs: int = 1
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    family: str | None = None
    env_info: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Decision:
    """An agent's choice for each env of a batch.

    ``actions`` has one entry per env: an array row for array action spaces, or a string where
    a text env accepts a reply. ``entropy`` is the entropy in nats of the distribution each
    action was sampled from (``None`` when the agent has no such distribution, e.g. a greedy
    argmax over values). ``info`` holds optional extras (action probabilities, thoughts).
    """

    actions: np.ndarray | Sequence[Any]
    entropy: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepBatch:
    """One vector-env step as the agent sees it, for memory and online learning.

    With same-step autoreset, ``next_obs`` of an env whose episode ended is already the first
    observation of its next episode; ``terminated | truncated`` marks those envs.
    """

    obs: Any
    actions: np.ndarray | Sequence[Any]
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    next_obs: Any
    infos: Mapping[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> np.ndarray:
        """Per-env mask of episodes that ended at this step."""
        return np.asarray(np.logical_or(self.terminated, self.truncated))


#: ``make_env(seed)`` builds one fresh, un-reset env of the task, for training.
EnvFactory = Callable[[int], gym.Env]


@runtime_checkable
class Agent(Protocol):
    """What the runner needs from an agent. Subclass :class:`BaseAgent` to get the plumbing."""

    @property
    def name(self) -> str: ...

    @property
    def hooks(self) -> frozenset[str]: ...

    def attach(self, intervention: Any) -> None: ...

    def setup(self, task: TaskSpec, seed: int, device: str) -> None: ...

    def train(self, make_env: EnvFactory, budget: Budget) -> None: ...

    def act(self, obs_batch: Any) -> Decision: ...

    def observe(self, step: StepBatch) -> None: ...

    def telemetry(self) -> list[dict[str, float]]: ...


class BaseAgent:
    """Common plumbing: hook declaration, intervention attachment, seeding, telemetry log.

    Subclasses set ``name`` and ``hooks`` and override :meth:`act` (and :meth:`train` /
    :meth:`observe` where they learn or remember). Interventions attached before ``setup``
    are reachable as ``self.interventions`` and through :meth:`interventions_at`.
    """

    name: ClassVar[str] = "base"
    hooks: ClassVar[frozenset[str]] = frozenset()
    description: ClassVar[str] = ""

    def __init__(self, **config: Any) -> None:
        """``config`` is what the subclass was built with; provenance records it. Subclasses
        declare their parameters explicitly and pass them on, so a typo is a TypeError."""
        self.config: dict[str, Any] = dict(config)
        self.interventions: list[Intervention] = []
        self.task: TaskSpec | None = None
        self.seed: int = 0
        self.device: str = "cpu"
        self.rng: np.random.Generator = np.random.default_rng(0)
        self._telemetry: list[dict[str, float]] = []

    # -- interventions -------------------------------------------------------------------
    def attach(self, intervention: Intervention) -> None:
        """Attach ``intervention``; refused with one message when a hook it needs is missing
        here, or when it overrides none of the methods of a hook it requires."""
        missing = sorted(set(intervention.requires) - set(self.hooks))
        if missing:
            offered = ", ".join(sorted(self.hooks)) or "none"
            raise ConfigError(
                f"intervention '{intervention.name}' needs hook(s) {', '.join(missing)} "
                f"but agent '{self.name}' offers: {offered}"
            )
        for hook in sorted(intervention.requires):
            if hook in HOOKS and not intervention.implements(hook):
                raise ConfigError(
                    f"intervention '{intervention.name}' needs hook '{hook}' but defines none of "
                    f"{', '.join(HOOKS[hook].methods)}, which agent '{self.name}' calls there"
                )
        intervention.bind(self)  # may refuse (raise) before the agent changes
        self.interventions.append(intervention)

    def interventions_at(self, hook: str) -> list[Intervention]:
        """Attached interventions that act at ``hook``, in attachment order."""
        return [iv for iv in self.interventions if hook in iv.requires]

    # -- lifecycle ------------------------------------------------------------------------
    def check_task(self, task: TaskSpec) -> None:
        """Raise :class:`ConfigError` if this agent, as configured, cannot run on ``task``
        (suite validation calls it once per env, before any cell runs). Cheap: no model is
        loaded. The default accepts every task; agents with space or parameter constraints
        override it."""

    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        """Remember the task, seed every generator from ``seed``, pick the device."""
        self.task = task
        self.seed = int(seed)
        self.device = device
        self.rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0x5EED]))
        self._telemetry = []

    def train(self, make_env: EnvFactory, budget: Budget) -> None:
        """In-context and fixed agents do not train."""

    def act(self, obs_batch: Any) -> Decision:  # pragma: no cover - abstract
        raise NotImplementedError

    def observe(self, step: StepBatch) -> None:
        """Agents without memory ignore transitions."""

    def entropy_kind(self) -> EntropyKind | None:
        """What :attr:`Decision.entropy` measures on the task set up (``None`` before
        ``setup`` or when unknown): Shannon over discrete actions, differential over a
        ``Box``, per token, of the executed distribution or of the policy behind a
        deterministic evaluation (:mod:`entropy_gym.scoring.entropy_kind`). The default
        infers it from the action space and ``deterministic``; an agent whose entropy means
        something else overrides this."""
        if self.task is None:
            return None
        return derive_kind(
            {**self.config, "name": self.name},
            action_space=str(self.task.action_space),
            family=self.task.family,
        )

    # -- telemetry ------------------------------------------------------------------------
    def log_telemetry(self, record: Mapping[str, float]) -> None:
        """Append one per-update record (e.g. ``{"step": 2048, "entropy": 0.61}``), adding
        each attached intervention's own signals."""
        row = {k: float(v) for k, v in record.items()}
        for iv in self.interventions:
            for key, value in iv.telemetry().items():
                row[f"{iv.name}/{key}"] = float(value)
        self._telemetry.append(row)

    def telemetry(self) -> list[dict[str, float]]:
        """Per-update records logged during training, oldest first."""
        return list(self._telemetry)


class ModelAgent(BaseAgent):
    """An agent that builds its learner (``self.model``) in ``setup``: interventions are
    configuration of that learner, so they attach before it exists and are refused after."""

    model: Any = None

    def attach(self, intervention: Intervention) -> None:
        """Attach ``intervention`` (before ``setup``); refused as :meth:`BaseAgent.attach` does."""
        if self.model is not None:
            raise ConfigError(
                f"attach intervention '{intervention.name}' to agent '{self.name}' before setup()"
            )
        super().attach(intervention)


def batch_size_of(obs_batch: Any) -> int:
    """Number of envs in an observation batch (array, tuple/list of items, or dict of arrays)."""
    if isinstance(obs_batch, Mapping):
        first = next(iter(obs_batch.values()))
        return len(first)
    return len(obs_batch)


def categorical_entropy(probs: np.ndarray) -> np.ndarray:
    """Entropy in nats of each row of a probability matrix (zeros contribute nothing)."""
    p = np.asarray(probs, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return np.asarray(terms.sum(axis=-1))
