"""Diagonal Gaussian and tanh-squashed Gaussian policies in jnp: log-probabilities and
entropies in nats, the same quantities :mod:`entropy_gym.agents.sb3.sampling` reports.

The squashed Gaussian's entropy has no closed form: ``H(a) = H(u) + sum_d E[log(1 -
tanh(u_d)^2)] + log_scale`` with the expectation by 64-node Gauss-Hermite quadrature and
``log_scale = sum log((high - low) / 2)`` for the rescaling to the action bounds.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
HALF_LOG_2PI_E = 0.5 * math.log(2.0 * math.pi * math.e)

_nodes, _weights = np.polynomial.hermite.hermgauss(64)
#: ``E[f(z)] ~= sum_i w_i f(node_i)`` for ``z ~ N(0, 1)``.
HERMITE_NODES = (np.sqrt(2.0) * _nodes).astype(np.float32)
HERMITE_WEIGHTS = (_weights / np.sqrt(np.pi)).astype(np.float32)


def gaussian_log_prob(x: jax.Array, mean: jax.Array, log_std: jax.Array) -> jax.Array:
    """Log-density of a diagonal Gaussian, summed over the last axis."""
    z = (x - mean) * jnp.exp(-log_std)
    return jnp.sum(-0.5 * z * z - log_std - HALF_LOG_2PI, axis=-1)


def gaussian_entropy(log_std: jax.Array) -> jax.Array:
    """Exact entropy of a diagonal Gaussian, summed over the last axis."""
    return jnp.sum(HALF_LOG_2PI_E + log_std, axis=-1)


def log_tanh_jacobian(u: jax.Array) -> jax.Array:
    """``log(1 - tanh(u)^2)``, computed stably as ``2 (log 2 - u - softplus(-2u))``."""
    return 2.0 * (math.log(2.0) - u - jax.nn.softplus(-2.0 * u))


def squashed_log_prob(u: jax.Array, mean: jax.Array, log_std: jax.Array) -> jax.Array:
    """Log-density of ``tanh(u)`` (in [-1, 1] units) for a pre-squash draw ``u``."""
    return gaussian_log_prob(u, mean, log_std) - jnp.sum(log_tanh_jacobian(u), axis=-1)


def squashed_entropy(
    mean: jax.Array, log_std: jax.Array, log_scale: float | jax.Array
) -> jax.Array:
    """Entropy of ``tanh(N(mean, exp(log_std)))`` rescaled by ``exp(log_scale)``, per row."""
    u = mean[..., None] + jnp.exp(log_std)[..., None] * jnp.asarray(HERMITE_NODES)
    jacobian = jnp.sum(log_tanh_jacobian(u) * jnp.asarray(HERMITE_WEIGHTS), axis=(-1, -2))
    return gaussian_entropy(log_std) + jacobian + log_scale
