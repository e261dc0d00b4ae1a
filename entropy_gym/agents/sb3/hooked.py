"""SB3 and sb3-contrib algorithms with entropy-gym's hooks built in.

Each class subclasses the library algorithm and changes only what a hook needs:

- every algorithm measures training progress against the entropy-gym budget (env steps,
  episodes or seconds), so SB3's schedules and the interventions see the same number;
- on-policy algorithms call ``advantages`` interventions on the rollout buffer before each
  update and log one telemetry record per update;
- :class:`HookedPPO` and :class:`HookedA2C` own their training step (the library's, written
  out) so that the ``loss`` and ``ent_coef`` hooks act on each minibatch;
- DQN and QR-DQN call ``schedule`` interventions after each env step (epsilon);
- SAC, TQC and CrossQ call ``ent_coef`` interventions before each ``train`` call (alpha).

The driving :class:`~entropy_gym.agents.sb3.agent.SB3Agent` sets ``model.agent`` right after
construction; the hooks read the attached interventions and the budget from it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces
from sb3_contrib import QRDQN, TQC, TRPO, CrossQ, RecurrentPPO
from stable_baselines3 import A2C, DQN, PPO, SAC, TD3
from stable_baselines3.common.utils import explained_variance, obs_as_tensor
from stable_baselines3.common.vec_env import VecEnv
from torch.nn import functional as F

from entropy_gym.agents.hooks import chain_advantages
from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.core.payloads import PolicyLossBatch


class SpacesOnlyVecEnv(VecEnv):
    """A vector env that only carries spaces, so that a model can be built in ``setup``
    through SB3's public constructor (with all its checks) before any training env exists.
    Training replaces it with real envs through ``set_env``; stepping it is an error."""

    def __init__(
        self, observation_space: spaces.Space[Any], action_space: spaces.Space[Any], num_envs: int
    ) -> None:
        super().__init__(num_envs, observation_space, action_space)

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise RuntimeError("this placeholder env only carries spaces; train() sets real envs")

    reset = step_async = step_wait = env_method = set_attr = _refuse

    def close(self) -> None:
        pass

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        if attr_name == "render_mode":
            return [None] * self.num_envs
        raise AttributeError(attr_name)

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * self.num_envs


# -- shared by every algorithm ---------------------------------------------------------------
class _Hooked:
    """Budget-based progress; the agent back-reference is not saved with the model."""

    agent: Any

    def _update_current_progress_remaining(self, num_timesteps: int, total_timesteps: int) -> None:
        self._current_progress_remaining = 1.0 - self.agent.progress

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "agent"]  # type: ignore[misc]


def _ent_coef(interventions: list[Intervention], coef: float, entropy: float) -> float:
    """Thread ``coef`` through each intervention's ``on_ent_coef``; ``None`` keeps it."""
    for iv in interventions:
        out = iv.on_ent_coef(coef, entropy)
        if out is not None:
            coef = out
    return coef


# -- on-policy --------------------------------------------------------------------------------
class _OnPolicyHooks(_Hooked):
    # Attributes of the SB3 algorithm this mixes into (declared for the type checker).
    rollout_buffer: Any
    policy: Any
    device: Any

    def _hook_advantages(self) -> None:
        ivs = self.agent.interventions_at("advantages")
        if not ivs:
            return
        buf = self.rollout_buffer
        chain_advantages(
            ivs, buf.advantages, buf, store=lambda out: setattr(buf, "advantages", out)
        )

    def _rollout_entropy(self) -> float:
        """Mean policy entropy over the rollout's observations (no gradient), for algorithms
        whose update does not compute it."""
        obs = self.rollout_buffer.observations
        n = len(next(iter(obs.values()))) if isinstance(obs, dict) else len(obs)
        step = 1024
        total = 0.0
        self.policy.set_training_mode(False)
        with th.no_grad():
            for start in range(0, n, step):
                if isinstance(obs, dict):
                    chunk = {k: v[start : start + step] for k, v in obs.items()}
                else:
                    chunk = obs[start : start + step]
                entropy = self.policy.get_distribution(obs_as_tensor(chunk, self.device)).entropy()
                if entropy is None:
                    return math.nan
                total += float(entropy.sum())
        return total / n


class HookedPPO(_OnPolicyHooks, PPO):
    """PPO whose training step exposes each minibatch to ``loss`` and ``ent_coef``
    interventions. Without interventions it computes exactly what SB3's PPO computes."""

    def train(self) -> None:
        agent = self.agent
        self._hook_advantages()
        loss_ivs = agent.interventions_at("loss")
        coef_ivs = agent.interventions_at("ent_coef")
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        # SB3 turns clip_range (and clip_range_vf) into schedules when it sets the model up.
        clip_schedule: Any = self.clip_range
        clip_range = clip_schedule(self._current_progress_remaining)
        clip_range_vf = None
        if self.clip_range_vf is not None:
            clip_vf_schedule: Any = self.clip_range_vf
            clip_range_vf = clip_vf_schedule(self._current_progress_remaining)

        entropies, pg_losses, value_losses, clip_fractions, approx_kl_divs = [], [], [], [], []
        continue_training = True
        for _epoch in range(self.n_epochs):
            epoch_kl = []
            for data in self.rollout_buffer.get(self.batch_size):
                actions = data.actions
                if isinstance(self.action_space, spaces.Discrete):
                    actions = actions.long().flatten()
                values, log_prob, entropy = self.policy.evaluate_actions(data.observations, actions)
                values = values.flatten()
                advantages = data.advantages
                if self.normalize_advantage and len(advantages) > 1:
                    advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)

                ratio = th.exp(log_prob - data.old_log_prob)
                surrogate = -advantages * ratio
                surrogate_clipped = -advantages * th.clamp(ratio, 1 - clip_range, 1 + clip_range)
                pg_loss = th.maximum(surrogate, surrogate_clipped)
                if loss_ivs:
                    batch = PolicyLossBatch(
                        log_prob=log_prob,
                        old_log_prob=data.old_log_prob,
                        ratio=ratio,
                        advantages=advantages,
                        clip_range=float(clip_range),
                        clipped=surrogate_clipped > surrogate,
                        entropy=entropy,
                        pg_loss=pg_loss,
                        generator=agent.train_generator,
                    )
                    for iv in loss_ivs:
                        out = iv.on_loss(batch)
                        if out is not None:
                            batch.pg_loss = out
                    pg_loss = batch.pg_loss
                policy_loss = pg_loss.mean()
                pg_losses.append(policy_loss.item())
                clip_fractions.append(th.mean((th.abs(ratio - 1) > clip_range).float()).item())

                if clip_range_vf is None:
                    values_pred = values
                else:
                    values_pred = data.old_values + th.clamp(
                        values - data.old_values, -clip_range_vf, clip_range_vf
                    )
                value_loss = F.mse_loss(data.returns, values_pred)
                value_losses.append(value_loss.item())

                # SB3 estimates the entropy by -log_prob where there is no closed form.
                entropy_loss = -th.mean(entropy) if entropy is not None else -th.mean(-log_prob)
                entropies.append(-entropy_loss.item())
                if coef_ivs:
                    self.ent_coef = float(_ent_coef(coef_ivs, self.ent_coef, entropies[-1]))

                loss = policy_loss + self.ent_coef * entropy_loss + self.vf_coef * value_loss

                with th.no_grad():
                    log_ratio = log_prob - data.old_log_prob
                    approx_kl_div = th.mean((th.exp(log_ratio) - 1) - log_ratio).cpu().numpy()
                    epoch_kl.append(approx_kl_div)
                if self.target_kl is not None and approx_kl_div > 1.5 * self.target_kl:
                    continue_training = False
                    break

                self.policy.optimizer.zero_grad()
                loss.backward()
                th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
                self.policy.optimizer.step()

            approx_kl_divs.extend(epoch_kl)
            self._n_updates += 1
            if not continue_training:
                break

        explained_var = explained_variance(
            self.rollout_buffer.values.flatten(), self.rollout_buffer.returns.flatten()
        )
        self.logger.record("train/entropy_loss", -np.mean(entropies))
        self.logger.record("train/policy_gradient_loss", np.mean(pg_losses))
        self.logger.record("train/value_loss", np.mean(value_losses))
        self.logger.record("train/approx_kl", np.mean(approx_kl_divs))
        self.logger.record("train/clip_fraction", np.mean(clip_fractions))
        self.logger.record("train/loss", loss.item())
        self.logger.record("train/explained_variance", explained_var)
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/clip_range", clip_range)
        agent.log_update(
            entropy=float(np.mean(entropies)),
            ent_coef=float(self.ent_coef),
            clip_fraction=float(np.mean(clip_fractions)),
            approx_kl=float(np.mean(approx_kl_divs)) if approx_kl_divs else 0.0,
        )


class HookedA2C(_OnPolicyHooks, A2C):
    """A2C whose single gradient step per update calls ``ent_coef`` interventions with the
    entropy of the rollout it learns from."""

    def train(self) -> None:
        self._hook_advantages()
        coef_ivs = self.agent.interventions_at("ent_coef")
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        for data in self.rollout_buffer.get(batch_size=None):
            actions = data.actions
            if isinstance(self.action_space, spaces.Discrete):
                actions = actions.long().flatten()
            values, log_prob, entropy = self.policy.evaluate_actions(data.observations, actions)
            values = values.flatten()
            advantages = data.advantages
            if self.normalize_advantage:
                advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
            policy_loss = -(advantages * log_prob).mean()
            value_loss = F.mse_loss(data.returns, values)
            entropy_loss = -th.mean(entropy) if entropy is not None else -th.mean(-log_prob)
            mean_entropy = -entropy_loss.item()
            if coef_ivs:
                self.ent_coef = float(_ent_coef(coef_ivs, self.ent_coef, mean_entropy))
            loss = policy_loss + self.ent_coef * entropy_loss + self.vf_coef * value_loss
            self.policy.optimizer.zero_grad()
            loss.backward()
            th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()

        self._n_updates += 1
        explained_var = explained_variance(
            self.rollout_buffer.values.flatten(), self.rollout_buffer.returns.flatten()
        )
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/explained_variance", explained_var)
        self.logger.record("train/entropy_loss", entropy_loss.item())
        self.logger.record("train/policy_loss", policy_loss.item())
        self.logger.record("train/value_loss", value_loss.item())
        self.agent.log_update(entropy=mean_entropy, ent_coef=float(self.ent_coef))


class HookedTRPO(_OnPolicyHooks, TRPO):
    """TRPO with the ``advantages`` hook; its entropy is measured on the rollout after each
    update (TRPO has no entropy term of its own)."""

    def train(self) -> None:
        self._hook_advantages()
        super().train()
        self.agent.log_update(entropy=self._rollout_entropy())


class HookedRecurrentPPO(_OnPolicyHooks, RecurrentPPO):
    """RecurrentPPO with the ``advantages`` hook; entropy is the mean over the update's
    minibatches, as its training step computes it."""

    def train(self) -> None:
        self._hook_advantages()
        super().train()
        stats = self.logger.name_to_value
        self.agent.log_update(
            entropy=-float(stats["train/entropy_loss"]), ent_coef=float(self.ent_coef)
        )


# -- off-policy -------------------------------------------------------------------------------
class _OffPolicyHooks(_Hooked):
    def _on_step(self) -> None:
        super()._on_step()  # type: ignore[misc]
        self.apply_schedule_hooks()
        self.agent.maybe_log_step()

    def apply_schedule_hooks(self) -> None:
        """Algorithms with scheduled parameters override this."""


class _EpsilonGreedyHooks(_OffPolicyHooks):
    """``schedule`` interventions set epsilon after SB3's own schedule, at every env step."""

    exploration_rate: float
    action_space: Any

    def apply_schedule_hooks(self) -> None:
        ivs = self.agent.interventions_at("schedule")
        if not ivs:
            return
        values = {"epsilon": float(self.exploration_rate)}
        for iv in ivs:
            out = iv.on_schedule(self.agent.progress, dict(values))
            if out is not None:
                values.update(out)
        self.exploration_rate = float(values["epsilon"])

    def update_stats(self) -> dict[str, float]:
        from entropy_gym.agents.sb3.sampling import epsilon_greedy_entropy

        eps = float(self.exploration_rate)
        return {"epsilon": eps, "entropy": epsilon_greedy_entropy(eps, int(self.action_space.n))}


class HookedDQN(_EpsilonGreedyHooks, DQN):
    """DQN with the ``schedule`` hook on epsilon."""


class HookedQRDQN(_EpsilonGreedyHooks, QRDQN):
    """QR-DQN with the ``schedule`` hook on epsilon."""


class _MaxEntropyHooks(_OffPolicyHooks):
    """``ent_coef`` interventions set alpha before each ``train`` call, given the policy
    entropy estimated on a replay batch."""

    log_ent_coef: Any
    ent_coef_tensor: Any
    device: Any
    replay_buffer: Any
    _vec_normalize_env: Any
    batch_size: int

    def current_ent_coef(self) -> float:
        if self.log_ent_coef is not None:
            return float(th.exp(self.log_ent_coef.detach()).item())
        return float(self.ent_coef_tensor.item())

    def set_ent_coef(self, value: float) -> None:
        if not (value > 0 or (value == 0 and self.log_ent_coef is None)):
            raise ValueError(
                f"an intervention set the entropy coefficient to {value!r}; it must stay > 0"
            )
        if self.log_ent_coef is not None:
            with th.no_grad():
                self.log_ent_coef.fill_(math.log(value))
        else:
            self.ent_coef_tensor = th.tensor(float(value), device=self.device)

    def replay_entropy(self, batch_size: int) -> float:
        """Mean entropy of the policy over a replay batch (nan while the buffer is empty)."""
        if self.replay_buffer is None or self.replay_buffer.size() == 0:
            return math.nan
        data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
        return float(self.agent.policy_entropy(data.observations).mean())

    def train(self, gradient_steps: int, batch_size: int = 64) -> None:
        # Only interventions with their own on_ent_coef: the replay entropy costs a sample
        # from the buffer (and its generator) that set-up-only interventions must not change.
        ivs = [iv for iv in self.agent.interventions_at("ent_coef") if iv.overrides("on_ent_coef")]
        if ivs:
            coef = _ent_coef(ivs, self.current_ent_coef(), self.replay_entropy(batch_size))
            self.set_ent_coef(float(coef))
        super().train(gradient_steps, batch_size)  # type: ignore[misc]

    def update_stats(self) -> dict[str, float]:
        return {
            "entropy": self.replay_entropy(self.batch_size),
            "ent_coef": self.current_ent_coef(),
        }


class HookedSAC(_MaxEntropyHooks, SAC):
    """SAC with the ``ent_coef`` hook on alpha."""


class HookedTQC(_MaxEntropyHooks, TQC):
    """TQC with the ``ent_coef`` hook on alpha."""


class HookedCrossQ(_MaxEntropyHooks, CrossQ):
    """CrossQ with the ``ent_coef`` hook on alpha."""


class HookedTD3(_OffPolicyHooks, TD3):
    """TD3: budget progress and telemetry only (a deterministic policy has no entropy)."""

    def update_stats(self) -> dict[str, float]:
        return {}


ALGORITHMS: dict[str, type] = {
    "ppo": HookedPPO,
    "a2c": HookedA2C,
    "trpo": HookedTRPO,
    "recurrent_ppo": HookedRecurrentPPO,
    "dqn": HookedDQN,
    "qrdqn": HookedQRDQN,
    "sac": HookedSAC,
    "tqc": HookedTQC,
    "crossq": HookedCrossQ,
    "td3": HookedTD3,
}
