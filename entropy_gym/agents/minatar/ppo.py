"""Categorical PPO on a MinAtar STORI config, one seed's update as a pure function.

:func:`make_program` returns the jitted, seed-vmapped ``init`` and ``update`` (or ``collect``
and ``learn`` when an ``advantages`` intervention needs the host between them): every array
of the training state and of :class:`Hyper` has the seeds as its leading axis, so one
compiled program trains N seeds, and each seed's numbers are those of training it alone
(tests/test_minatar_agents.py checks it bit for bit).

One update: ``n_steps`` steps of ``num_envs`` envs (the functional env's ``autoreset_step``),
GAE, then ``n_epochs`` passes of ``n_minibatches`` shuffled minibatches of the clipped
surrogate with an entropy bonus, a value loss and global gradient-norm clipping, under Adam.
An episode cut by the time limit counts as ended (no bootstrap from its last observation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax  # type: ignore[import-untyped]

from entropy_gym.agents.device.episodes import (
    EpisodeStats,
    init_episode_stats,
    mean_recent_return,
    record_step,
)
from entropy_gym.agents.device.payloads import DeviceLossBatch
from entropy_gym.agents.minatar.networks import HIDDEN, head, init_head, init_torso, torso
from entropy_gym.agents.minatar.seeds import over_seeds

OPTIMIZER = optax.scale_by_adam(eps=1e-5)


@dataclass(frozen=True)
class Shape:
    """What fixes the compiled program (changing one recompiles)."""

    num_envs: int
    n_steps: int
    n_epochs: int
    n_minibatches: int
    normalize_advantage: bool


class Hyper(NamedTuple):
    """Per-update values, one per seed (arrays of shape ``(seeds,)``)."""

    learning_rate: Any
    ent_coef: Any
    clip_range: Any
    vf_coef: Any
    max_grad_norm: Any
    gamma: Any
    gae_lambda: Any


class State(NamedTuple):
    params: Any
    opt_state: Any
    env_state: Any
    obs: jax.Array
    stats: EpisodeStats
    key: jax.Array


class Rollout(NamedTuple):
    obs: jax.Array
    actions: jax.Array
    rewards: jax.Array
    values: jax.Array
    log_probs: jax.Array
    dones: jax.Array
    advantages: jax.Array
    returns: jax.Array


def init_params(
    key: jax.Array, obs_shape: tuple[int, ...], num_actions: int, hidden: tuple[int, ...] = ()
) -> dict[str, Any]:
    """A shared torso (:mod:`.networks`) with policy and value heads."""
    torso_key, pi_key, v_key = jax.random.split(key, 3)
    width = hidden[-1] if hidden else HIDDEN
    return {
        "torso": init_torso(torso_key, obs_shape, hidden),
        "pi": init_head(pi_key, num_actions, 0.01, width),
        "v": init_head(v_key, 1, 1.0, width),
    }


def forward(params: dict[str, Any], obs: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Log-probabilities ``(batch, actions)`` and values ``(batch,)``."""
    features = torso(params["torso"], obs)
    logits = head(params["pi"], features)
    return jax.nn.log_softmax(logits), head(params["v"], features)[:, 0]


def entropy_of(log_p: jax.Array) -> jax.Array:
    return -jnp.sum(jnp.exp(log_p) * log_p, axis=-1)


class Program:
    """The pure per-seed functions of one (env config, shape, loss interventions)."""

    def __init__(self, env: Any, shape: Shape, loss_hooks: tuple[Any, ...]) -> None:
        self.env, self.shape, self.loss_hooks = env, shape, loss_hooks
        self.batch_size = shape.n_steps * shape.num_envs
        self.minibatch_size = self.batch_size // shape.n_minibatches

    def init(self, params: Any, key: jax.Array) -> State:
        env_key, key = jax.random.split(key)
        obs, env_state = jax.vmap(self.env.reset)(jax.random.split(env_key, self.shape.num_envs))
        return State(
            params=params,
            opt_state=OPTIMIZER.init(params),
            env_state=env_state,
            obs=obs,
            stats=init_episode_stats(self.shape.num_envs),
            key=key,
        )

    def collect(self, state: State, hyper: Hyper) -> tuple[State, Rollout]:
        params = state.params

        def step(carry: Any, _: None) -> tuple[Any, Any]:
            env_state, obs, stats, key = carry
            key, act_key, env_key = jax.random.split(key, 3)
            log_p, value = forward(params, obs)
            action = jax.random.categorical(act_key, log_p)
            chosen = jnp.take_along_axis(log_p, action[:, None], axis=1)[:, 0]
            keys = jax.random.split(env_key, self.shape.num_envs)
            next_obs, env_state, reward, terminated, truncated, _ = jax.vmap(
                self.env.autoreset_step
            )(keys, env_state, action)
            done = terminated | truncated
            stats = record_step(stats, reward, done)
            return (env_state, next_obs, stats, key), (obs, action, reward, value, chosen, done)

        carry = (state.env_state, state.obs, state.stats, state.key)
        (env_state, obs, stats, key), traj = jax.lax.scan(
            step, carry, None, length=self.shape.n_steps
        )
        observations, actions, rewards, values, log_probs, dones = traj
        _, last_value = forward(params, obs)
        advantages = gae(rewards, values, dones, last_value, hyper)
        rollout = Rollout(
            observations,
            actions,
            rewards,
            values,
            log_probs,
            dones,
            advantages,
            advantages + values,
        )
        return state._replace(env_state=env_state, obs=obs, stats=stats, key=key), rollout

    def loss(
        self, params: Any, mb: dict[str, jax.Array], hyper: Hyper, key: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        log_p, value = forward(params, mb["obs"])
        log_prob = jnp.take_along_axis(log_p, mb["actions"][:, None], axis=1)[:, 0]
        entropy = entropy_of(log_p)
        advantages = mb["advantages"]
        if self.shape.normalize_advantage and self.minibatch_size > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        ratio = jnp.exp(log_prob - mb["log_probs"])
        surrogate = -advantages * ratio
        clipped = -advantages * jnp.clip(ratio, 1.0 - hyper.clip_range, 1.0 + hyper.clip_range)
        pg_loss = jnp.maximum(surrogate, clipped)
        if self.loss_hooks:
            batch = DeviceLossBatch(
                log_prob=log_prob,
                old_log_prob=mb["log_probs"],
                ratio=ratio,
                advantages=advantages,
                clip_range=hyper.clip_range,
                clipped=clipped > surrogate,
                entropy=entropy,
                pg_loss=pg_loss,
                key=key,
            )
            for iv in self.loss_hooks:
                out = iv.on_loss(batch)
                if out is not None:
                    batch.pg_loss = out
            pg_loss = batch.pg_loss
        policy_loss = pg_loss.mean()
        value_loss = 0.5 * jnp.mean((mb["returns"] - value) ** 2)
        entropy_mean = entropy.mean()
        total = policy_loss - hyper.ent_coef * entropy_mean + hyper.vf_coef * value_loss
        log_ratio = log_prob - mb["log_probs"]
        return total, {
            "entropy": entropy_mean,
            "policy_loss": policy_loss,
            "value_loss": value_loss,
            "clip_fraction": jnp.mean(jnp.abs(ratio - 1.0) > hyper.clip_range),
            "approx_kl": jnp.mean(jnp.exp(log_ratio) - 1.0 - log_ratio),
        }

    def learn(
        self, state: State, rollout: Rollout, hyper: Hyper
    ) -> tuple[State, dict[str, jax.Array]]:
        flat = {
            "obs": rollout.obs,
            "actions": rollout.actions,
            "log_probs": rollout.log_probs,
            "advantages": rollout.advantages,
            "returns": rollout.returns,
        }
        flat = {k: v.reshape(self.batch_size, *v.shape[2:]) for k, v in flat.items()}
        grad_fn = jax.value_and_grad(self.loss, has_aux=True)
        n_mb, mb_size = self.shape.n_minibatches, self.minibatch_size

        def minibatch(carry: Any, xs: Any) -> tuple[Any, Any]:
            params, opt_state = carry
            mb, key = xs
            (_, metrics), grads = grad_fn(params, mb, hyper, key)
            scale = jnp.minimum(1.0, hyper.max_grad_norm / (optax.tree.norm(grads) + 1e-6))
            grads = jax.tree.map(lambda g: g * scale, grads)
            updates, opt_state = OPTIMIZER.update(grads, opt_state, params)
            params = jax.tree.map(lambda p, u: p - hyper.learning_rate * u, params, updates)
            return (params, opt_state), metrics

        def epoch(carry: Any, key: jax.Array) -> tuple[Any, Any]:
            order_key, hook_key = jax.random.split(key)
            order = jax.random.permutation(order_key, self.batch_size)[: n_mb * mb_size]
            mbs = {k: v[order].reshape(n_mb, mb_size, *v.shape[1:]) for k, v in flat.items()}
            return jax.lax.scan(minibatch, carry, (mbs, jax.random.split(hook_key, n_mb)))

        key, epoch_key = jax.random.split(state.key)
        (params, opt_state), metrics = jax.lax.scan(
            epoch, (state.params, state.opt_state), jax.random.split(epoch_key, self.shape.n_epochs)
        )
        out = {k: v.mean() for k, v in metrics.items()}
        out["return"] = mean_recent_return(state.stats)
        out["episodes"] = state.stats.completed
        return state._replace(params=params, opt_state=opt_state, key=key), out

    def update(self, state: State, hyper: Hyper) -> tuple[State, dict[str, jax.Array]]:
        state, rollout = self.collect(state, hyper)
        return self.learn(state, rollout, hyper)


def gae(
    rewards: jax.Array, values: jax.Array, dones: jax.Array, last_value: jax.Array, hyper: Hyper
) -> jax.Array:
    """Generalised advantage estimates, ``(n_steps, num_envs)``."""
    next_values = jnp.concatenate([values[1:], last_value[None]], axis=0)
    live = 1.0 - dones.astype(jnp.float32)
    deltas = rewards + hyper.gamma * next_values * live - values

    def back(running: jax.Array, xs: Any) -> tuple[jax.Array, jax.Array]:
        delta, alive = xs
        running = delta + hyper.gamma * hyper.gae_lambda * alive * running
        return running, running

    _, advantages = jax.lax.scan(back, jnp.zeros_like(last_value), (deltas, live), reverse=True)
    return advantages


@dataclass
class SeedPrograms:
    """The seed-vmapped, jitted functions of a :class:`Program`."""

    program: Program
    init: Any
    update: Any
    collect: Any
    learn: Any
    act: Any


_CACHE: dict[Any, SeedPrograms] = {}


def seed_programs(env: Any, shape: Shape, loss_hooks: Sequence[Any] = ()) -> SeedPrograms:
    """The compiled programs for ``(env, shape, loss_hooks)`` (cached per process)."""
    cache_key = (env, shape, tuple(id(h) for h in loss_hooks))
    if cache_key not in _CACHE:
        program = Program(env, shape, tuple(loss_hooks))

        def act(params: Any, obs: jax.Array, key: jax.Array) -> tuple[jax.Array, jax.Array]:
            log_p, _ = forward(params, obs)
            return jax.random.categorical(key, log_p), entropy_of(log_p)

        _CACHE[cache_key] = SeedPrograms(
            program=program,
            init=jax.jit(over_seeds(program.init)),
            update=jax.jit(over_seeds(program.update)),
            collect=jax.jit(over_seeds(program.collect)),
            learn=jax.jit(over_seeds(program.learn)),
            act=jax.jit(act),
        )
    return _CACHE[cache_key]
