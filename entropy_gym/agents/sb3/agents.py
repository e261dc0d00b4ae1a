"""The ten built-in SB3 / sb3-contrib agents.

Each class names its algorithm (``name``), the hooks it offers, and the action spaces it
supports; the shared machinery is in :class:`~entropy_gym.agents.sb3.agent.SB3Agent`. What
each hook passes is documented in :mod:`entropy_gym.agents.sb3`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from entropy_gym.agents.base import StepBatch
from entropy_gym.agents.sb3.agent import SB3Agent
from entropy_gym.core.errors import ConfigError

_ALL_ACTIONS = (spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary, spaces.Box)


# -- on-policy ------------------------------------------------------------------------------
class PPOAgent(SB3Agent):
    """PPO (stable-baselines3). Offers every policy-gradient hook: ``loss`` (per-sample
    clipped surrogate of each minibatch), ``ent_coef`` (per minibatch), ``advantages`` (per
    rollout) and ``logits`` (at decision time, Discrete actions)."""

    name: ClassVar[str] = "ppo"
    hooks: ClassVar[frozenset[str]] = frozenset({"logits", "loss", "advantages", "ent_coef"})
    description: ClassVar[str] = (
        "PPO, clipped policy gradient (SB3); Discrete/MultiDiscrete/MultiBinary/Box"
    )
    action_spaces: ClassVar[tuple[type, ...]] = _ALL_ACTIONS


class A2CAgent(SB3Agent):
    """A2C (stable-baselines3): one gradient step per rollout; ``ent_coef`` is called once
    per update with the rollout's mean entropy."""

    name: ClassVar[str] = "a2c"
    hooks: ClassVar[frozenset[str]] = frozenset({"logits", "advantages", "ent_coef"})
    description: ClassVar[str] = (
        "A2C, synchronous advantage actor-critic (SB3); Discrete/MultiDiscrete/MultiBinary/Box"
    )
    action_spaces: ClassVar[tuple[type, ...]] = _ALL_ACTIONS


class TRPOAgent(SB3Agent):
    """TRPO (sb3-contrib). It has no entropy term (``ent_coef`` is not offered); its
    telemetry entropy is measured on each rollout after the update."""

    name: ClassVar[str] = "trpo"
    hooks: ClassVar[frozenset[str]] = frozenset({"logits", "advantages"})
    description: ClassVar[str] = (
        "TRPO, trust-region policy gradient (sb3-contrib); Discrete/MultiDiscrete/MultiBinary/Box"
    )
    action_spaces: ClassVar[tuple[type, ...]] = _ALL_ACTIONS


class RecurrentPPOAgent(SB3Agent):
    """RecurrentPPO (sb3-contrib), an LSTM policy. ``act`` keeps one LSTM state per env across
    calls; ``observe`` resets the state of every env whose episode ended (``step.done``)."""

    name: ClassVar[str] = "recurrent_ppo"
    hooks: ClassVar[frozenset[str]] = frozenset({"logits", "advantages"})
    description: ClassVar[str] = (
        "RecurrentPPO, LSTM-policy PPO (sb3-contrib); Discrete/MultiDiscrete/MultiBinary/Box"
    )
    action_spaces: ClassVar[tuple[type, ...]] = (
        spaces.Discrete,
        spaces.MultiDiscrete,
        spaces.MultiBinary,
        spaces.Box,
    )
    policies: ClassVar[dict[str, str]] = {
        "mlp": "MlpLstmPolicy",
        "cnn": "CnnLstmPolicy",
        "dict": "MultiInputLstmPolicy",
    }

    def _after_setup(self) -> None:
        self._lstm: tuple[Any, Any] | None = None
        self._starts: Any = None

    def _decide(self, obs: Any, generator: Any) -> tuple[np.ndarray, np.ndarray | None]:
        import torch

        policy = self.model.policy
        n = len(next(iter(obs.values()))) if isinstance(obs, dict) else len(obs)
        if self._lstm is None or self._lstm[0].shape[1] != n:
            lstm = policy.lstm_actor
            shape = (lstm.num_layers, n, lstm.hidden_size)
            zeros = torch.zeros(shape, device=self.model.device)
            self._lstm = (zeros, zeros.clone())
            self._starts = torch.ones(n, device=self.model.device)
        dist, self._lstm = policy.get_distribution(obs, self._lstm, self._starts)
        self._starts = torch.zeros(n, device=self.model.device)
        return self._sample(dist, generator)

    def observe(self, step: StepBatch) -> None:
        """Envs whose episode ended start their next decision from a zero LSTM state."""
        import torch

        done = np.asarray(step.done, dtype=np.float32)
        if self._starts is not None and len(done) == len(self._starts):
            self._starts = torch.as_tensor(done, device=self.model.device)

    def reset_memory(self) -> None:
        """Forget every env's LSTM state (the next ``act`` starts fresh episodes)."""
        self._lstm = None


# -- value-based ----------------------------------------------------------------------------
class _EpsilonGreedyAgent(SB3Agent):
    """Greedy in the learned values with probability ``1 - epsilon``, uniform otherwise.
    Decisions use the epsilon the agent has reached (the schedule's end after training, its
    start before); the reported entropy is that of the mixture."""

    hooks: ClassVar[frozenset[str]] = frozenset({"schedule"})
    action_spaces: ClassVar[tuple[type, ...]] = (spaces.Discrete,)
    on_policy: ClassVar[bool] = False
    samples_actions: ClassVar[bool] = False

    def _after_setup(self) -> None:
        self.model.exploration_rate = float(self.model.exploration_schedule(1.0))
        self.model.apply_schedule_hooks()

    def _decide(self, obs: Any, generator: Any) -> tuple[np.ndarray, np.ndarray | None]:
        import torch

        from entropy_gym.agents.sb3.sampling import epsilon_greedy_entropy

        greedy = self.model.policy._predict(obs, deterministic=True).reshape(-1)
        n, k = greedy.shape[0], int(self.task.action_space.n)  # type: ignore[union-attr]
        eps = float(self.model.exploration_rate)
        explore = torch.rand(n, generator=generator, device=greedy.device) < eps
        uniform = torch.randint(k, (n,), generator=generator, device=greedy.device)
        actions = torch.where(explore, uniform, greedy).cpu().numpy().astype(np.int64)
        return actions, np.full(n, epsilon_greedy_entropy(eps, k))


class DQNAgent(_EpsilonGreedyAgent):
    """DQN (stable-baselines3) with epsilon-greedy exploration; ``schedule`` sets epsilon."""

    name: ClassVar[str] = "dqn"
    description: ClassVar[str] = "DQN, epsilon-greedy deep Q-learning (SB3); Discrete"


class QRDQNAgent(_EpsilonGreedyAgent):
    """QR-DQN (sb3-contrib), quantile regression DQN; ``schedule`` sets epsilon."""

    name: ClassVar[str] = "qrdqn"
    description: ClassVar[str] = "QR-DQN, quantile-regression DQN (sb3-contrib); Discrete"


# -- continuous control ---------------------------------------------------------------------
class _MaxEntropyAgent(SB3Agent):
    """Squashed-Gaussian actors with a temperature alpha; the reported entropy is the
    squashed-Gaussian entropy of :mod:`entropy_gym.agents.sb3.sampling`."""

    hooks: ClassVar[frozenset[str]] = frozenset({"ent_coef"})
    action_spaces: ClassVar[tuple[type, ...]] = (spaces.Box,)
    on_policy: ClassVar[bool] = False
    max_entropy: ClassVar[bool] = True

    def _decide(self, obs: Any, generator: Any) -> tuple[np.ndarray, np.ndarray | None]:
        actor = self.model.policy.actor
        mean, log_std, extra = actor.get_action_dist_params(obs)
        return self._sample(actor.action_dist.proba_distribution(mean, log_std, **extra), generator)


class SACAgent(_MaxEntropyAgent):
    """SAC (stable-baselines3): automatic temperature by default; ``ent_coef`` sets alpha."""

    name: ClassVar[str] = "sac"
    description: ClassVar[str] = "SAC, soft actor-critic with learned temperature (SB3); Box"


class TQCAgent(_MaxEntropyAgent):
    """TQC (sb3-contrib), SAC with truncated quantile critics; ``ent_coef`` sets alpha."""

    name: ClassVar[str] = "tqc"
    description: ClassVar[str] = "TQC, truncated quantile critics (sb3-contrib); Box"


class CrossQAgent(_MaxEntropyAgent):
    """CrossQ (sb3-contrib), SAC with batch-normalised critics and no target network;
    ``ent_coef`` sets alpha. Only ``MlpPolicy`` exists for it."""

    name: ClassVar[str] = "crossq"
    description: ClassVar[str] = (
        "CrossQ, batch-norm SAC without target networks (sb3-contrib); Box, vector obs"
    )


class TD3Agent(SB3Agent):
    """TD3 (stable-baselines3): a deterministic actor, so decisions report no entropy.

    ``action_noise_std`` (a fraction of the half-range of each action dimension) adds SB3's
    Gaussian exploration noise during training; SB3's default is no noise.
    """

    name: ClassVar[str] = "td3"
    hooks: ClassVar[frozenset[str]] = frozenset()
    description: ClassVar[str] = "TD3, twin delayed deterministic policy gradient (SB3); Box"
    samples_actions: ClassVar[bool] = False
    action_spaces: ClassVar[tuple[type, ...]] = (spaces.Box,)
    on_policy: ClassVar[bool] = False

    def __init__(self, action_noise_std: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if action_noise_std is not None:
            if not action_noise_std >= 0:
                raise ConfigError(
                    f"agent 'td3': action_noise_std must be >= 0, got {action_noise_std!r}"
                )
            if "action_noise" in self.sb3_kwargs:
                raise ConfigError("agent 'td3': pass action_noise_std or action_noise, not both")
            self.config["action_noise_std"] = action_noise_std
        self.action_noise_std = action_noise_std

    def _model_kwargs(self) -> dict[str, Any]:
        kwargs = super()._model_kwargs()
        if self.action_noise_std is not None:
            from stable_baselines3.common.noise import NormalActionNoise

            assert self.task is not None
            dims = int(np.prod(self.task.action_space.shape or ()))
            kwargs["action_noise"] = NormalActionNoise(
                np.zeros(dims), np.full(dims, self.action_noise_std)
            )
        return kwargs

    def _decide(self, obs: Any, generator: Any) -> tuple[np.ndarray, np.ndarray | None]:
        policy = self.model.policy
        scaled = policy._predict(obs, deterministic=True).cpu().numpy()
        actions = policy.unscale_action(scaled).astype(self.task.action_space.dtype)  # type: ignore[union-attr]
        return actions, None
