"""What the device agents pass to interventions at the ``loss`` and ``advantages`` hooks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class DeviceLossBatch:
    """One ``jax_ppo`` minibatch as its policy loss is formed, inside the jitted update.

    Every array is a ``jax.Array`` (a tracer: ``on_loss`` runs while jax traces the update,
    once per compilation, not once per minibatch) of shape ``(minibatch,)``; ``log_prob``,
    ``ratio``, ``entropy`` and ``pg_loss`` carry gradients, the rest are constants.

    A sample is one action: ``log_prob`` / ``old_log_prob`` of the (unclipped) Gaussian draw
    under the current / rollout policy, ``ratio = exp(log_prob - old_log_prob)``,
    ``advantages`` (normalised per minibatch when ``normalize_advantage``), ``clip_range`` (a
    0-d array), ``clipped`` (bool: the clipped branch of the surrogate is active),
    ``entropy`` (per-sample exact Gaussian entropy, nats), ``pg_loss`` (PPO's clipped
    surrogate ``max(-A r, -A clip(r, 1 - eps, 1 + eps))``, or what an earlier intervention
    returned) and ``key`` (a jax PRNG key for random choices, fresh per minibatch).
    Return a ``(minibatch,)`` array built with ``jnp``/array operations; the update minimises
    ``pg_loss.mean() + ent_coef * (-entropy.mean()) + vf_coef * value_loss``.
    """

    log_prob: Any
    old_log_prob: Any
    ratio: Any
    advantages: Any
    clip_range: Any
    clipped: Any
    entropy: Any
    pg_loss: Any
    key: Any


@dataclass
class HostRollout:
    """One ``jax_ppo`` rollout copied to the host for ``advantages`` interventions.

    numpy arrays with leading shape ``(n_steps, num_envs)``, named as SB3's rollout buffer:
    ``observations``, ``actions`` (the Gaussian draws, before clipping to the bounds),
    ``rewards`` (with the bootstrapped value of truncated episodes added, as SB3 does),
    ``values``, ``log_probs``, ``episode_starts`` and ``returns`` (GAE value targets, fixed).
    """

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    values: np.ndarray
    log_probs: np.ndarray
    episode_starts: np.ndarray
    returns: np.ndarray
