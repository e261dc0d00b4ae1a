"""Episode returns of a batched env, tracked on the device inside the training scan."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

#: Completed episodes the reported mean return is taken over (SB3's ``ep_info_buffer``).
WINDOW = 100


class EpisodeStats(NamedTuple):
    """Running return per env, the returns of the last ``WINDOW`` episodes, and counts."""

    running: jax.Array  # (num_envs,) float32
    recent: jax.Array  # (WINDOW,) float32
    completed: jax.Array  # () int32, episodes ended so far


def init_episode_stats(num_envs: int) -> EpisodeStats:
    return EpisodeStats(
        running=jnp.zeros((num_envs,), jnp.float32),
        recent=jnp.zeros((WINDOW,), jnp.float32),
        completed=jnp.zeros((), jnp.int32),
    )


def record_step(stats: EpisodeStats, reward: jax.Array, done: jax.Array) -> EpisodeStats:
    """Add one vector step's rewards; the envs in ``done`` file their episode's return."""
    total = stats.running + reward.astype(jnp.float32)
    rank = jnp.cumsum(done.astype(jnp.int32)) - 1
    slot = (stats.completed + rank) % WINDOW
    keep = done & (rank < WINDOW)
    recent = stats.recent.at[jnp.where(keep, slot, WINDOW)].set(total, mode="drop")
    return EpisodeStats(
        running=jnp.where(done, 0.0, total),
        recent=recent,
        completed=stats.completed + jnp.sum(done, dtype=jnp.int32),
    )


def mean_recent_return(stats: EpisodeStats) -> jax.Array:
    """Mean return of the last ``WINDOW`` completed episodes (NaN before the first ends)."""
    n = jnp.minimum(stats.completed, WINDOW)
    return jnp.where(n > 0, jnp.sum(stats.recent) / jnp.maximum(n, 1), jnp.nan)
