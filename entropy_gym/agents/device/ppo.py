"""Compact PPO on a batched JAX env: rollout, GAE and the clipped update in one jitted call.

A continuous Gaussian policy (state-independent ``log_std``, as SB3's PPO), a separate value
network, generalised advantage estimation, ``n_epochs`` passes of ``n_minibatches`` shuffled
minibatches with the clipped surrogate, an entropy bonus and global gradient-norm clipping,
under one Adam optimiser. Truncated episodes bootstrap from the value of their last
observation (added to the reward, as SB3 does).

:class:`PPOShape` holds what fixes the compiled program's shapes; everything in
:class:`PPOHyper` is an argument of it, so an intervention may change it every update
without a recompile. Programs are cached per (env, shape, loss interventions).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import jax
import jax.numpy as jnp
import numpy as np
import optax  # type: ignore[import-untyped]

from entropy_gym.agents.device.distributions import gaussian_entropy, gaussian_log_prob
from entropy_gym.agents.device.envs import BatchedEnv
from entropy_gym.agents.device.episodes import (
    EpisodeStats,
    init_episode_stats,
    mean_recent_return,
    record_step,
)
from entropy_gym.agents.device.networks import apply_mlp, init_mlp
from entropy_gym.agents.device.payloads import DeviceLossBatch


@dataclass(frozen=True)
class PPOShape:
    """Settings that shape the compiled program (changing one recompiles)."""

    num_envs: int
    n_steps: int
    n_epochs: int
    n_minibatches: int
    hidden: tuple[int, ...]
    activation: str
    normalize_advantage: bool


class PPOHyper(NamedTuple):
    """Per-update settings, passed to the compiled program as 0-d float32 arrays."""

    learning_rate: Any
    ent_coef: Any
    clip_range: Any
    vf_coef: Any
    max_grad_norm: Any
    gamma: Any
    gae_lambda: Any


class PPOState(NamedTuple):
    params: dict[str, Any]
    opt_state: Any
    env_state: Any
    episode_start: jax.Array  # (num_envs,) bool: the current obs starts an episode
    stats: EpisodeStats
    key: jax.Array


class Rollout(NamedTuple):
    """``n_steps`` vector steps, leading shape ``(n_steps, num_envs)``."""

    obs: jax.Array
    actions: jax.Array
    rewards: jax.Array
    values: jax.Array
    log_probs: jax.Array
    episode_starts: jax.Array
    dones: jax.Array
    advantages: jax.Array
    returns: jax.Array


OPTIMIZER = optax.scale_by_adam(eps=1e-5)


def init_params(
    key: jax.Array, obs_size: int, action_size: int, hidden: Sequence[int], log_std_init: float
) -> dict[str, Any]:
    """Actor (mean), critic and ``log_std`` with SB3's on-policy initialisation."""
    actor_key, critic_key = jax.random.split(key)
    return {
        "actor": init_mlp(actor_key, [obs_size, *hidden, action_size], output_scale=0.01),
        "critic": init_mlp(critic_key, [obs_size, *hidden, 1], output_scale=1.0),
        "log_std": jnp.full((action_size,), log_std_init, jnp.float32),
    }


def policy_mean(params: dict[str, Any], obs: jax.Array, activation: str) -> jax.Array:
    return apply_mlp(params["actor"], obs, activation)


def value(params: dict[str, Any], obs: jax.Array, activation: str) -> jax.Array:
    return apply_mlp(params["critic"], obs, activation)[..., 0]


@functools.partial(jax.jit, static_argnames=("activation", "deterministic"))
def act(
    params: dict[str, Any],
    obs: jax.Array,
    key: jax.Array,
    low: jax.Array,
    high: jax.Array,
    activation: str,
    deterministic: bool,
) -> tuple[jax.Array, jax.Array]:
    """Env actions (Gaussian draws or means, clipped to the bounds) and the exact entropy of
    the Gaussian each was drawn from (the clipping is not accounted for, as in SB3)."""
    mean = policy_mean(params, obs, activation)
    log_std = jnp.broadcast_to(params["log_std"], mean.shape)
    if deterministic:
        draw = mean
    else:
        draw = mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)
    return jnp.clip(draw, low, high), gaussian_entropy(log_std)


class PPOProgram:
    """The jitted functions of one (env, shape, loss interventions) combination."""

    def __init__(self, env: BatchedEnv, shape: PPOShape, loss_hooks: tuple[Any, ...]) -> None:
        self.env, self.shape, self.loss_hooks = env, shape, loss_hooks
        self.low = jnp.asarray(env.action_low, jnp.float32)
        self.high = jnp.asarray(env.action_high, jnp.float32)
        self.batch_size = shape.n_steps * shape.num_envs
        self.minibatch_size = self.batch_size // shape.n_minibatches
        self.reset = jax.jit(self._reset)
        self.collect = jax.jit(self._collect)
        self.learn = jax.jit(self._learn)
        self.collect_and_learn = jax.jit(self._collect_and_learn)

    # -- state -------------------------------------------------------------------------------
    def _reset(self, params: dict[str, Any], opt_state: Any, key: jax.Array) -> PPOState:
        env_key, key = jax.random.split(key)
        return PPOState(
            params=params,
            opt_state=opt_state,
            env_state=self.env.reset(env_key),
            episode_start=jnp.ones((self.shape.num_envs,), bool),
            stats=init_episode_stats(self.shape.num_envs),
            key=key,
        )

    # -- rollout -----------------------------------------------------------------------------
    def _collect(self, state: PPOState, hyper: PPOHyper) -> tuple[PPOState, Rollout]:
        activation = self.shape.activation
        params = state.params

        def step(carry: tuple[Any, ...], _: None) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
            env_state, episode_start, stats, key = carry
            key, noise_key = jax.random.split(key)
            obs = env_state.obs
            mean = policy_mean(params, obs, activation)
            log_std = jnp.broadcast_to(params["log_std"], mean.shape)
            draw = mean + jnp.exp(log_std) * jax.random.normal(noise_key, mean.shape)
            log_prob = gaussian_log_prob(draw, mean, log_std)
            v = value(params, obs, activation)
            env_state = self.env.step(env_state, jnp.clip(draw, self.low, self.high))
            reward = env_state.reward.astype(jnp.float32)
            terminated, truncated = env_state.terminated, env_state.truncated
            done = terminated | truncated
            bootstrap = jnp.where(
                truncated & ~terminated, value(params, env_state.final_obs, activation), 0.0
            )
            stats = record_step(stats, reward, done)
            out = (obs, draw, reward + hyper.gamma * bootstrap, v, log_prob, episode_start, done)
            return (env_state, done, stats, key), out

        carry = (state.env_state, state.episode_start, state.stats, state.key)
        (env_state, episode_start, stats, key), traj = jax.lax.scan(
            step, carry, None, length=self.shape.n_steps
        )
        obs, actions, rewards, values, log_probs, starts, dones = traj
        last_value = value(params, env_state.obs, activation)
        advantages = self._gae(rewards, values, dones, last_value, hyper)
        rollout = Rollout(
            obs, actions, rewards, values, log_probs, starts, dones, advantages, advantages + values
        )
        new_state = state._replace(
            env_state=env_state, episode_start=episode_start, stats=stats, key=key
        )
        return new_state, rollout

    @staticmethod
    def _gae(
        rewards: jax.Array,
        values: jax.Array,
        dones: jax.Array,
        last_value: jax.Array,
        hyper: PPOHyper,
    ) -> jax.Array:
        next_values = jnp.concatenate([values[1:], last_value[None]], axis=0)
        live = 1.0 - dones.astype(jnp.float32)
        deltas = rewards + hyper.gamma * next_values * live - values

        def back(running: Any, xs: Any) -> tuple[Any, Any]:
            delta, alive = xs
            running = delta + hyper.gamma * hyper.gae_lambda * alive * running
            return running, running

        advantages: jax.Array
        _, advantages = jax.lax.scan(back, jnp.zeros_like(last_value), (deltas, live), reverse=True)
        return advantages

    # -- update ------------------------------------------------------------------------------
    def _loss(
        self, params: dict[str, Any], mb: dict[str, jax.Array], hyper: PPOHyper, key: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        activation = self.shape.activation
        mean = policy_mean(params, mb["obs"], activation)
        log_std = jnp.broadcast_to(params["log_std"], mean.shape)
        log_prob = gaussian_log_prob(mb["actions"], mean, log_std)
        entropy = gaussian_entropy(log_std)
        advantages = mb["advantages"]
        if self.shape.normalize_advantage and self.minibatch_size > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std(ddof=1) + 1e-8)
        ratio = jnp.exp(log_prob - mb["log_probs"])
        surrogate = -advantages * ratio
        surrogate_clipped = -advantages * jnp.clip(
            ratio, 1.0 - hyper.clip_range, 1.0 + hyper.clip_range
        )
        pg_loss = jnp.maximum(surrogate, surrogate_clipped)
        if self.loss_hooks:
            pg_loss = run_loss_hooks(
                self.loss_hooks,
                DeviceLossBatch(
                    log_prob=log_prob,
                    old_log_prob=mb["log_probs"],
                    ratio=ratio,
                    advantages=advantages,
                    clip_range=hyper.clip_range,
                    clipped=surrogate_clipped > surrogate,
                    entropy=entropy,
                    pg_loss=pg_loss,
                    key=key,
                ),
            )
        policy_loss = pg_loss.mean()
        value_loss = jnp.mean((mb["returns"] - value(params, mb["obs"], activation)) ** 2)
        entropy_mean = entropy.mean()
        loss = policy_loss - hyper.ent_coef * entropy_mean + hyper.vf_coef * value_loss
        log_ratio = log_prob - mb["log_probs"]
        metrics = {
            "entropy": entropy_mean,
            "policy_loss": policy_loss,
            "value_loss": value_loss,
            "loss": loss,
            "clip_fraction": jnp.mean(jnp.abs(ratio - 1.0) > hyper.clip_range),
            "approx_kl": jnp.mean(jnp.exp(log_ratio) - 1.0 - log_ratio),
        }
        return loss, metrics

    def _learn(
        self, state: PPOState, rollout: Rollout, hyper: PPOHyper
    ) -> tuple[PPOState, dict[str, jax.Array]]:
        flat = {
            "obs": rollout.obs,
            "actions": rollout.actions,
            "log_probs": rollout.log_probs,
            "advantages": rollout.advantages.astype(jnp.float32),
            "returns": rollout.returns,
        }
        flat = {k: v.reshape(self.batch_size, *v.shape[2:]) for k, v in flat.items()}
        grad_fn = jax.value_and_grad(self._loss, has_aux=True)
        n_mb, mb_size = self.shape.n_minibatches, self.minibatch_size

        def minibatch_step(
            carry: tuple[Any, Any], xs: tuple[dict[str, jax.Array], jax.Array]
        ) -> tuple[tuple[Any, Any], dict[str, jax.Array]]:
            params, opt_state = carry
            mb, key = xs
            (_, metrics), grads = grad_fn(params, mb, hyper, key)
            scale = jnp.minimum(1.0, hyper.max_grad_norm / (optax.tree.norm(grads) + 1e-6))
            grads = jax.tree_util.tree_map(lambda g: g * scale, grads)
            updates, opt_state = OPTIMIZER.update(grads, opt_state, params)
            params = jax.tree_util.tree_map(
                lambda p, u: p - hyper.learning_rate * u, params, updates
            )
            return (params, opt_state), metrics

        def epoch(
            carry: tuple[Any, Any], key: jax.Array
        ) -> tuple[tuple[Any, Any], dict[str, jax.Array]]:
            order_key, hook_key = jax.random.split(key)
            order = jax.random.permutation(order_key, self.batch_size)[: n_mb * mb_size]
            mbs = {k: v[order].reshape(n_mb, mb_size, *v.shape[1:]) for k, v in flat.items()}
            return jax.lax.scan(minibatch_step, carry, (mbs, jax.random.split(hook_key, n_mb)))

        key, epoch_key = jax.random.split(state.key)
        (params, opt_state), metrics = jax.lax.scan(
            epoch,
            (state.params, state.opt_state),
            jax.random.split(epoch_key, self.shape.n_epochs),
        )
        out = {k: v.mean() for k, v in metrics.items()}
        out["return"] = mean_recent_return(state.stats)
        out["episodes"] = state.stats.completed
        new_state = state._replace(params=params, opt_state=opt_state, key=key)
        return new_state, out

    def _collect_and_learn(
        self, state: PPOState, hyper: PPOHyper
    ) -> tuple[PPOState, dict[str, jax.Array]]:
        state, rollout = self._collect(state, hyper)
        return self._learn(state, rollout, hyper)


def run_loss_hooks(interventions: Sequence[Any], batch: DeviceLossBatch) -> Any:
    """Thread ``batch.pg_loss`` through each intervention's ``on_loss`` (``None`` keeps it)."""
    for iv in interventions:
        out = iv.on_loss(batch)
        if out is not None:
            batch.pg_loss = out
    return batch.pg_loss


@functools.lru_cache(maxsize=8)
def _cached_ppo_program(env: Any, shape: PPOShape, loss_hooks: tuple[Any, ...]) -> PPOProgram:
    return PPOProgram(env, shape, loss_hooks)


def ppo_program(env: BatchedEnv, shape: PPOShape, loss_hooks: tuple[Any, ...]) -> PPOProgram:
    """The program for ``(env, shape, loss_hooks)``; equal requests share their compiled
    functions."""
    try:
        return _cached_ppo_program(cast(Any, env), shape, loss_hooks)
    except TypeError:  # an unhashable env
        return PPOProgram(env, shape, loss_hooks)


def host_array(x: Any) -> np.ndarray:
    """A device array as a numpy array on the host."""
    return np.asarray(jax.device_get(x))
