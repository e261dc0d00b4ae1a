"""A DQN on a MinAtar STORI config, one seed's training chunk as a pure function.

The MinAtar paper's baseline (Young & Tian 2019: the conv-16 / dense-128 network, a replay
memory, a target network, epsilon-greedy exploration), run on ``num_envs`` envs at once: each
vector step adds ``num_envs`` transitions and is followed by one gradient step on a uniformly
sampled minibatch (Huber loss, Adam, gradient-norm clipping); the target network is copied
every ``target_interval`` gradient steps. The replay memory is a ring of ``buffer_steps``
vector steps per env (observations stored as uint8); a sampled transition's next observation
is the next slot of the same env, so a time-limit cut counts as an episode end.

:func:`seed_programs` vmaps :meth:`Program.chunk` (``steps_per_chunk`` vector steps) over
seeds, as :mod:`.ppo` does.
"""

from __future__ import annotations

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
from entropy_gym.agents.minatar.networks import HIDDEN, head, init_head, init_torso, torso
from entropy_gym.agents.minatar.seeds import over_seeds


@dataclass(frozen=True)
class Shape:
    num_envs: int
    buffer_steps: int
    batch_size: int
    steps_per_chunk: int
    target_interval: int
    learning_starts: int
    double: bool


class Hyper(NamedTuple):
    """Per-chunk values, one per seed."""

    learning_rate: Any
    epsilon: Any
    gamma: Any
    max_grad_norm: Any


class Buffer(NamedTuple):
    obs: jax.Array  # (buffer_steps, num_envs, *obs_shape) uint8
    actions: jax.Array  # (buffer_steps, num_envs) int32
    rewards: jax.Array  # (buffer_steps, num_envs) float32
    dones: jax.Array  # (buffer_steps, num_envs) bool
    pos: jax.Array  # () int32: next slot
    size: jax.Array  # () int32: filled slots


class State(NamedTuple):
    params: Any
    target: Any
    opt_state: Any
    buffer: Buffer
    env_state: Any
    obs: jax.Array
    stats: EpisodeStats
    grad_steps: jax.Array
    env_steps: jax.Array
    key: jax.Array


OPTIMIZER = optax.scale_by_adam(eps=1.5e-4)


def init_params(
    key: jax.Array, obs_shape: tuple[int, ...], num_actions: int, hidden: tuple[int, ...] = ()
) -> dict[str, Any]:
    torso_key, q_key = jax.random.split(key)
    width = hidden[-1] if hidden else HIDDEN
    return {
        "torso": init_torso(torso_key, obs_shape, hidden),
        "q": init_head(q_key, num_actions, 1.0, width),
    }


def q_values(params: dict[str, Any], obs: jax.Array) -> jax.Array:
    return head(params["q"], torso(params["torso"], obs))


def greedy_entropy(q: jax.Array, epsilon: jax.Array) -> jax.Array:
    """Entropy (nats) of the epsilon-greedy distribution over ``q``'s actions (ties: first)."""
    n = q.shape[-1]
    p_other = epsilon / n
    p_best = 1.0 - epsilon + p_other
    h_other = jnp.where(p_other > 0, -p_other * jnp.log(jnp.maximum(p_other, 1e-30)), 0.0)
    return -p_best * jnp.log(p_best) + (n - 1) * h_other + jnp.zeros(q.shape[:-1])


class Program:
    def __init__(self, env: Any, shape: Shape) -> None:
        self.env, self.shape = env, shape

    def init(self, params: Any, key: jax.Array) -> State:
        env_key, key = jax.random.split(key)
        n = self.shape.num_envs
        obs, env_state = jax.vmap(self.env.reset)(jax.random.split(env_key, n))
        steps = self.shape.buffer_steps
        buffer = Buffer(
            obs=jnp.zeros((steps, n, *self.env.obs_shape), jnp.uint8),
            actions=jnp.zeros((steps, n), jnp.int32),
            rewards=jnp.zeros((steps, n), jnp.float32),
            dones=jnp.zeros((steps, n), bool),
            pos=jnp.zeros((), jnp.int32),
            size=jnp.zeros((), jnp.int32),
        )
        return State(
            params=params,
            target=params,
            opt_state=OPTIMIZER.init(params),
            buffer=buffer,
            env_state=env_state,
            obs=obs,
            stats=init_episode_stats(n),
            grad_steps=jnp.zeros((), jnp.int32),
            env_steps=jnp.zeros((), jnp.int32),
            key=key,
        )

    def _loss(self, params: Any, target: Any, batch: Any, hyper: Hyper) -> jax.Array:
        obs, actions, rewards, dones, next_obs = batch
        q = jnp.take_along_axis(q_values(params, obs), actions[:, None], axis=1)[:, 0]
        next_target = q_values(target, next_obs)
        if self.shape.double:
            best = jnp.argmax(q_values(params, next_obs), axis=1)
        else:
            best = jnp.argmax(next_target, axis=1)
        bootstrap = jnp.take_along_axis(next_target, best[:, None], axis=1)[:, 0]
        y = rewards + hyper.gamma * (1.0 - dones.astype(jnp.float32)) * bootstrap
        return jnp.mean(optax.huber_loss(q, jax.lax.stop_gradient(y)))

    def _sample(self, buffer: Buffer, key: jax.Array) -> Any:
        """Transitions ``(obs, action, reward, done, next_obs)`` whose next slot is written."""
        t_key, e_key = jax.random.split(key)
        b, steps = self.shape.batch_size, self.shape.buffer_steps
        # Slots older than the newest one (whose successor is not written yet).
        age = jax.random.randint(t_key, (b,), 1, jnp.maximum(buffer.size, 2))
        t = (buffer.pos - 1 - age) % steps
        env = jax.random.randint(e_key, (b,), 0, self.shape.num_envs)
        nxt = (t + 1) % steps
        return (
            buffer.obs[t, env].astype(jnp.float32),
            buffer.actions[t, env],
            buffer.rewards[t, env],
            buffer.dones[t, env],
            buffer.obs[nxt, env].astype(jnp.float32),
        )

    def chunk(self, state: State, hyper: Hyper) -> tuple[State, dict[str, jax.Array]]:
        shape = self.shape
        grad_fn = jax.value_and_grad(self._loss)

        def step(state: State, _: None) -> tuple[State, tuple[jax.Array, jax.Array]]:
            key, act_key, explore_key, env_key, sample_key = jax.random.split(state.key, 5)
            n = shape.num_envs
            q = q_values(state.params, state.obs)
            greedy = jnp.argmax(q, axis=1)
            random_action = jax.random.randint(act_key, (n,), 0, q.shape[1])
            explore = jax.random.uniform(explore_key, (n,)) < hyper.epsilon
            action = jnp.where(explore, random_action, greedy)
            next_obs, env_state, reward, terminated, truncated, _ = jax.vmap(
                self.env.autoreset_step
            )(jax.random.split(env_key, n), state.env_state, action)
            done = terminated | truncated
            buf = state.buffer
            pos = buf.pos
            buf = Buffer(
                obs=buf.obs.at[pos].set(state.obs.astype(jnp.uint8)),
                actions=buf.actions.at[pos].set(action),
                rewards=buf.rewards.at[pos].set(reward),
                dones=buf.dones.at[pos].set(done),
                pos=(pos + 1) % shape.buffer_steps,
                size=jnp.minimum(buf.size + 1, shape.buffer_steps),
            )
            env_steps = state.env_steps + n
            learn = (env_steps >= shape.learning_starts) & (buf.size > 2)
            loss, grads = grad_fn(state.params, state.target, self._sample(buf, sample_key), hyper)
            scale = jnp.minimum(1.0, hyper.max_grad_norm / (optax.tree.norm(grads) + 1e-6))
            updates, opt_state = OPTIMIZER.update(
                jax.tree.map(lambda g: g * scale, grads), state.opt_state, state.params
            )
            params = jax.tree.map(lambda p, u: p - hyper.learning_rate * u, state.params, updates)
            pick = lambda a, b: jax.tree.map(lambda x, y: jnp.where(learn, x, y), a, b)  # noqa: E731
            params, opt_state = pick(params, state.params), pick(opt_state, state.opt_state)
            grad_steps = state.grad_steps + learn.astype(jnp.int32)
            copy = learn & (grad_steps % shape.target_interval == 0)
            target = jax.tree.map(lambda p, t: jnp.where(copy, p, t), params, state.target)
            state = State(
                params=params,
                target=target,
                opt_state=opt_state,
                buffer=buf,
                env_state=env_state,
                obs=next_obs,
                stats=record_step(state.stats, reward, done),
                grad_steps=grad_steps,
                env_steps=env_steps,
                key=key,
            )
            return state, (jnp.where(learn, loss, jnp.nan), jnp.mean(jnp.max(q, axis=1)))

        state, (losses, q_means) = jax.lax.scan(step, state, None, length=shape.steps_per_chunk)
        metrics = {
            "loss": jnp.nanmean(losses),
            "q_mean": jnp.mean(q_means),
            "return": mean_recent_return(state.stats),
            "episodes": state.stats.completed,
            "gradient_steps": state.grad_steps,
        }
        return state, metrics


@dataclass
class SeedPrograms:
    program: Program
    init: Any
    chunk: Any
    act: Any


_CACHE: dict[Any, SeedPrograms] = {}


def seed_programs(env: Any, shape: Shape) -> SeedPrograms:
    """The seed-vmapped, jitted ``init`` and ``chunk`` (cached per process)."""
    if (env, shape) not in _CACHE:
        program = Program(env, shape)

        def act(
            params: Any, obs: jax.Array, key: jax.Array, epsilon: jax.Array
        ) -> tuple[jax.Array, jax.Array]:
            q = q_values(params, obs)
            act_key, explore_key = jax.random.split(key)
            random_action = jax.random.randint(act_key, (obs.shape[0],), 0, q.shape[1])
            explore = jax.random.uniform(explore_key, (obs.shape[0],)) < epsilon
            return jnp.where(explore, random_action, jnp.argmax(q, axis=1)), greedy_entropy(
                q, epsilon
            )

        _CACHE[(env, shape)] = SeedPrograms(
            program=program,
            init=jax.jit(over_seeds(program.init)),
            chunk=jax.jit(over_seeds(program.chunk)),
            act=jax.jit(act),
        )
    return _CACHE[(env, shape)]
