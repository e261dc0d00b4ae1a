"""Compact SAC on a batched JAX env: acting, a device replay buffer and gradient steps in one
jitted call per update.

A tanh-squashed Gaussian actor, twin Q critics with Polyak-averaged targets, and a
temperature alpha that is either learned by the dual update ``min_alpha -log(alpha) (log pi
+ target_entropy)`` or held fixed, all as SB3's SAC does. Actions live in [-1, 1] inside the
trainer (replay, critics, target entropy) and are rescaled to the env's bounds at the env.

One update is ``steps_per_update`` vector steps; after each, ``gradient_steps`` gradient steps
(once ``learning_starts`` env steps are in the buffer; before that, actions are uniform).
:class:`SACShape` fixes the compiled shapes; :class:`SACHyper` (learning rate, discount,
Polyak rate, whether alpha learns, target entropy, learning starts) and alpha itself are
arguments, so fixed and learned alpha share one compiled program.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import jax
import jax.numpy as jnp
import optax  # type: ignore[import-untyped]

from entropy_gym.agents.device.distributions import squashed_entropy, squashed_log_prob
from entropy_gym.agents.device.envs import BatchedEnv
from entropy_gym.agents.device.episodes import (
    EpisodeStats,
    init_episode_stats,
    mean_recent_return,
    record_step,
)
from entropy_gym.agents.device.networks import Params, apply_mlp, init_mlp

#: SB3's bounds on the actor's log standard deviation.
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0

OPTIMIZER = optax.scale_by_adam()


@dataclass(frozen=True)
class SACShape:
    """Settings that shape the compiled program (changing one recompiles)."""

    num_envs: int
    buffer_size: int  # a multiple of num_envs
    batch_size: int
    gradient_steps: int
    steps_per_update: int
    hidden: tuple[int, ...]
    activation: str


class SACHyper(NamedTuple):
    """Per-update settings, passed to the compiled program as 0-d arrays."""

    learning_rate: Any
    gamma: Any
    tau: Any
    learn_alpha: Any  # 1.0: the dual update learns alpha; 0.0: alpha stays fixed
    target_entropy: Any  # nats, in [-1, 1] action units
    learning_starts: Any  # int32 env steps


class Replay(NamedTuple):
    obs: jax.Array
    actions: jax.Array
    rewards: jax.Array
    terminated: jax.Array
    next_obs: jax.Array
    ptr: jax.Array
    size: jax.Array


class SACParams(NamedTuple):
    actor: Params
    critic: Params  # the two critics' layers stacked on a leading axis
    target_critic: Params
    log_alpha: jax.Array


class SACState(NamedTuple):
    params: SACParams
    opt_states: tuple[Any, Any, Any]  # actor, critic, log_alpha
    replay: Replay
    env_state: Any
    stats: EpisodeStats
    total_steps: jax.Array  # () int32
    key: jax.Array


def init_params(
    key: jax.Array, obs_size: int, action_size: int, hidden: Sequence[int], alpha: float
) -> SACParams:
    """SB3's off-policy initialisation (torch's default ``Linear`` init)."""
    actor_key, q1_key, q2_key = jax.random.split(key, 3)
    actor = init_mlp(actor_key, [obs_size, *hidden, 2 * action_size], None, None)
    sizes = [obs_size + action_size, *hidden, 1]
    twins = [init_mlp(k, sizes, None, None) for k in (q1_key, q2_key)]
    critic = jax.tree_util.tree_map(lambda a, b: jnp.stack([a, b]), *twins)
    log_alpha = jnp.log(jnp.asarray(alpha, jnp.float32))
    return SACParams(actor, critic, critic, log_alpha)


def init_opt_states(params: SACParams) -> tuple[Any, Any, Any]:
    return (
        OPTIMIZER.init(params.actor),
        OPTIMIZER.init(params.critic),
        OPTIMIZER.init(params.log_alpha),
    )


def actor_dist(actor: Params, obs: jax.Array, activation: str) -> tuple[jax.Array, jax.Array]:
    """Mean and clipped log standard deviation of the pre-squash Gaussian."""
    out = apply_mlp(actor, obs, activation)
    mean, log_std = jnp.split(out, 2, axis=-1)
    return mean, jnp.clip(log_std, LOG_STD_MIN, LOG_STD_MAX)


def twin_q(critic: Params, obs: jax.Array, action: jax.Array, activation: str) -> jax.Array:
    """Both critics' values, shape ``(2, batch)``."""
    x = jnp.concatenate([obs, action], axis=-1)
    q: jax.Array = jax.vmap(apply_mlp, in_axes=(0, None, None))(critic, x, activation)
    return q[..., 0]


def sample_action(
    actor: Params, obs: jax.Array, key: jax.Array, activation: str
) -> tuple[jax.Array, jax.Array]:
    """A squashed draw in [-1, 1] and its log-density there."""
    mean, log_std = actor_dist(actor, obs, activation)
    u = mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)
    return jnp.tanh(u), squashed_log_prob(u, mean, log_std)


def to_env_units(action: jax.Array, low: jax.Array, high: jax.Array) -> jax.Array:
    return low + (action + 1.0) * 0.5 * (high - low)


@functools.partial(jax.jit, static_argnames=("activation", "deterministic"))
def act(
    actor: Params,
    obs: jax.Array,
    key: jax.Array,
    low: jax.Array,
    high: jax.Array,
    log_scale: jax.Array,
    activation: str,
    deterministic: bool,
) -> tuple[jax.Array, jax.Array]:
    """Env actions (squashed draws, or ``tanh(mean)``) and the entropy, in env units, of the
    squashed Gaussian each was drawn from."""
    mean, log_std = actor_dist(actor, obs, activation)
    u = mean if deterministic else mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)
    return to_env_units(jnp.tanh(u), low, high), squashed_entropy(mean, log_std, log_scale)


def _adam_step(
    params: Any, grads: Any, opt_state: Any, learning_rate: jax.Array
) -> tuple[Any, Any]:
    updates, opt_state = OPTIMIZER.update(grads, opt_state, params)
    new = jax.tree_util.tree_map(lambda p, u: p - learning_rate * u, params, updates)
    return new, opt_state


class SACProgram:
    """The jitted functions of one (env, shape) combination."""

    def __init__(self, env: BatchedEnv, shape: SACShape) -> None:
        self.env, self.shape = env, shape
        self.low = jnp.asarray(env.action_low, jnp.float32)
        self.high = jnp.asarray(env.action_high, jnp.float32)
        self.log_scale = jnp.sum(jnp.log((self.high - self.low) / 2.0))
        self.reset = jax.jit(self._reset)
        self.update = jax.jit(self._update)

    def _reset(
        self, params: SACParams, opt_states: tuple[Any, Any, Any], key: jax.Array
    ) -> SACState:
        env_key, key = jax.random.split(key)
        n, cap = self.shape.num_envs, self.shape.buffer_size
        obs_size, act_size = self.env.obs_size, self.env.action_size
        replay = Replay(
            obs=jnp.zeros((cap, obs_size), jnp.float32),
            actions=jnp.zeros((cap, act_size), jnp.float32),
            rewards=jnp.zeros((cap,), jnp.float32),
            terminated=jnp.zeros((cap,), bool),
            next_obs=jnp.zeros((cap, obs_size), jnp.float32),
            ptr=jnp.zeros((), jnp.int32),
            size=jnp.zeros((), jnp.int32),
        )
        return SACState(
            params=params,
            opt_states=opt_states,
            replay=replay,
            env_state=self.env.reset(env_key),
            stats=init_episode_stats(n),
            total_steps=jnp.zeros((), jnp.int32),
            key=key,
        )

    # -- gradient step -----------------------------------------------------------------------
    def _gradient_step(
        self,
        carry: tuple[SACParams, tuple[Any, Any, Any]],
        key: jax.Array,
        replay: Replay,
        hyper: SACHyper,
    ) -> tuple[tuple[SACParams, tuple[Any, Any, Any]], dict[str, jax.Array]]:
        params, (actor_opt, critic_opt, alpha_opt) = carry
        activation = self.shape.activation
        idx_key, next_key, pi_key = jax.random.split(key, 3)
        idx = jax.random.randint(idx_key, (self.shape.batch_size,), 0, replay.size)
        obs, actions = replay.obs[idx], replay.actions[idx]
        rewards, terminated, next_obs = (
            replay.rewards[idx],
            replay.terminated[idx],
            replay.next_obs[idx],
        )
        alpha = jnp.exp(params.log_alpha)

        next_action, next_log_prob = sample_action(params.actor, next_obs, next_key, activation)
        next_q = jnp.min(twin_q(params.target_critic, next_obs, next_action, activation), axis=0)
        target = rewards + hyper.gamma * (1.0 - terminated) * (next_q - alpha * next_log_prob)
        target = jax.lax.stop_gradient(target)

        def critic_loss(critic: Params) -> jax.Array:
            q = twin_q(critic, obs, actions, activation)
            return 0.5 * jnp.sum(jnp.mean((q - target) ** 2, axis=-1))

        c_loss, c_grads = jax.value_and_grad(critic_loss)(params.critic)
        critic, critic_opt = _adam_step(params.critic, c_grads, critic_opt, hyper.learning_rate)

        def actor_loss(actor: Params) -> tuple[jax.Array, jax.Array]:
            action, log_prob = sample_action(actor, obs, pi_key, activation)
            q = jnp.min(twin_q(critic, obs, action, activation), axis=0)
            return jnp.mean(alpha * log_prob - q), log_prob

        (a_loss, log_prob), a_grads = jax.value_and_grad(actor_loss, has_aux=True)(params.actor)
        actor, actor_opt = _adam_step(params.actor, a_grads, actor_opt, hyper.learning_rate)

        gap = jax.lax.stop_gradient(log_prob + hyper.target_entropy)
        alpha_loss, alpha_grad = jax.value_and_grad(lambda la: -jnp.mean(la * gap))(
            params.log_alpha
        )
        learned, new_alpha_opt = _adam_step(
            params.log_alpha, alpha_grad, alpha_opt, hyper.learning_rate
        )
        learn = hyper.learn_alpha > 0
        log_alpha = jnp.where(learn, learned, params.log_alpha)
        alpha_opt = jax.tree_util.tree_map(
            lambda new, old: jnp.where(learn, new, old), new_alpha_opt, alpha_opt
        )
        target_critic = jax.tree_util.tree_map(
            lambda t, c: (1.0 - hyper.tau) * t + hyper.tau * c, params.target_critic, critic
        )
        metrics = {"critic_loss": c_loss, "actor_loss": a_loss, "alpha_loss": alpha_loss}
        new_params = SACParams(actor, critic, target_critic, log_alpha)
        return (new_params, (actor_opt, critic_opt, alpha_opt)), metrics

    # -- one vector step, then gradient steps ------------------------------------------------
    def _env_step(
        self, state: SACState, key: jax.Array, hyper: SACHyper
    ) -> tuple[SACState, dict[str, jax.Array]]:
        n, activation = self.shape.num_envs, self.shape.activation
        act_key, random_key, grad_key = jax.random.split(key, 3)
        obs = state.env_state.obs.astype(jnp.float32)
        policy_action, _ = sample_action(state.params.actor, obs, act_key, activation)
        uniform = jax.random.uniform(random_key, policy_action.shape, minval=-1.0, maxval=1.0)
        action = jnp.where(state.total_steps < hyper.learning_starts, uniform, policy_action)
        env_state = self.env.step(state.env_state, to_env_units(action, self.low, self.high))
        reward = env_state.reward.astype(jnp.float32)
        done = env_state.terminated | env_state.truncated
        replay = state.replay
        ptr = replay.ptr
        replay = Replay(
            obs=jax.lax.dynamic_update_slice_in_dim(replay.obs, obs, ptr, 0),
            actions=jax.lax.dynamic_update_slice_in_dim(replay.actions, action, ptr, 0),
            rewards=jax.lax.dynamic_update_slice_in_dim(replay.rewards, reward, ptr, 0),
            terminated=jax.lax.dynamic_update_slice_in_dim(
                replay.terminated, env_state.terminated, ptr, 0
            ),
            next_obs=jax.lax.dynamic_update_slice_in_dim(
                replay.next_obs, env_state.final_obs.astype(jnp.float32), ptr, 0
            ),
            ptr=(ptr + n) % self.shape.buffer_size,
            size=jnp.minimum(replay.size + n, self.shape.buffer_size),
        )
        total_steps = state.total_steps + n

        def learn(carry: Any) -> tuple[Any, dict[str, jax.Array]]:
            keys = jax.random.split(grad_key, self.shape.gradient_steps)
            step = functools.partial(self._gradient_step, replay=replay, hyper=hyper)
            carry, metrics = jax.lax.scan(step, carry, keys)
            return carry, {k: v.mean() for k, v in metrics.items()} | {"learned": jnp.ones(())}

        def wait(carry: Any) -> tuple[Any, dict[str, jax.Array]]:
            zero = jnp.zeros(())
            return carry, {
                "critic_loss": zero,
                "actor_loss": zero,
                "alpha_loss": zero,
                "learned": zero,
            }

        (params, opt_states), metrics = jax.lax.cond(
            total_steps >= hyper.learning_starts, learn, wait, (state.params, state.opt_states)
        )
        new_state = SACState(
            params=params,
            opt_states=opt_states,
            replay=replay,
            env_state=env_state,
            stats=record_step(state.stats, reward, done),
            total_steps=total_steps,
            key=state.key,
        )
        return new_state, metrics

    def _update(self, state: SACState, hyper: SACHyper) -> tuple[SACState, dict[str, jax.Array]]:
        key, steps_key, entropy_key = jax.random.split(state.key, 3)
        step = functools.partial(self._env_step, hyper=hyper)
        state, metrics = jax.lax.scan(
            step, state, jax.random.split(steps_key, self.shape.steps_per_update)
        )
        learned = metrics.pop("learned")
        count = jnp.sum(learned)
        out = {
            k: jnp.where(count > 0, jnp.sum(v * learned) / jnp.maximum(count, 1.0), jnp.nan)
            for k, v in metrics.items()
        }
        out["entropy"] = self.replay_entropy(state.params.actor, state.replay, entropy_key)
        out["ent_coef"] = jnp.exp(state.params.log_alpha)
        out["return"] = mean_recent_return(state.stats)
        out["episodes"] = state.stats.completed
        out["gradient_steps"] = count * self.shape.gradient_steps
        return state._replace(key=key), out

    def replay_entropy(self, actor: Params, replay: Replay, key: jax.Array) -> jax.Array:
        """Mean policy entropy (env units) over one replay batch; NaN while it is empty."""
        idx = jax.random.randint(key, (self.shape.batch_size,), 0, jnp.maximum(replay.size, 1))
        mean, log_std = actor_dist(actor, replay.obs[idx], self.shape.activation)
        entropy = squashed_entropy(mean, log_std, self.log_scale).mean()
        return jnp.where(replay.size > 0, entropy, jnp.nan)


@functools.lru_cache(maxsize=8)
def _cached_sac_program(env: Any, shape: SACShape) -> SACProgram:
    return SACProgram(env, shape)


def sac_program(env: BatchedEnv, shape: SACShape) -> SACProgram:
    """The program for ``(env, shape)``; equal requests share their compiled functions."""
    try:
        return _cached_sac_program(cast(Any, env), shape)
    except TypeError:  # an unhashable env
        return SACProgram(env, shape)
