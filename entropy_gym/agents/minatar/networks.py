"""The MinAtar network (Young & Tian 2019): one 3x3 convolution with 16 filters, a 128-unit
dense layer, and linear heads; or, with ``hidden`` widths, a plain MLP on the flattened grid
(several times cheaper on a CPU). Parameters are plain pytrees."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

FILTERS = 16
HIDDEN = 128


def init_torso(
    key: jax.Array, obs_shape: tuple[int, ...], hidden: tuple[int, ...] = ()
) -> dict[str, Any]:
    """Orthogonal (gain sqrt 2) weights, zero biases: the conv torso, or an MLP of ``hidden``."""
    rows, cols, channels = obs_shape
    if hidden:
        sizes = [rows * cols * channels, *hidden]
        keys = jax.random.split(key, len(hidden))
        ortho = jax.nn.initializers.orthogonal(math.sqrt(2.0))
        return {
            "mlp": [
                {"w": ortho(k, (a, b), jnp.float32), "b": jnp.zeros((b,), jnp.float32)}
                for k, a, b in zip(keys, sizes[:-1], sizes[1:])
            ]
        }
    conv_key, dense_key = jax.random.split(key)
    ortho = jax.nn.initializers.orthogonal(math.sqrt(2.0))
    return {
        "conv_w": ortho(conv_key, (3, 3, channels, FILTERS), jnp.float32),
        "conv_b": jnp.zeros((FILTERS,), jnp.float32),
        "dense_w": ortho(dense_key, (rows * cols * FILTERS, HIDDEN), jnp.float32),
        "dense_b": jnp.zeros((HIDDEN,), jnp.float32),
    }


def init_head(key: jax.Array, size: int, scale: float, width: int = HIDDEN) -> dict[str, jax.Array]:
    w = jax.nn.initializers.orthogonal(scale)(key, (width, size), jnp.float32)
    return {"w": w, "b": jnp.zeros((size,), jnp.float32)}


def torso(params: dict[str, Any], obs: jax.Array) -> jax.Array:
    """Features ``(batch, width)`` of observations ``(batch, rows, cols, channels)``."""
    if "mlp" in params:
        x = obs.reshape(obs.shape[0], -1)
        for layer in params["mlp"]:
            x = jax.nn.relu(x @ layer["w"] + layer["b"])
        return x
    x = jax.nn.relu(patches(obs) @ params["conv_w"].reshape(-1, FILTERS) + params["conv_b"])
    x = x.reshape(x.shape[0], -1)
    return jax.nn.relu(x @ params["dense_w"] + params["dense_b"])


def patches(obs: jax.Array) -> jax.Array:
    """The 3x3 neighbourhood of every cell (zero padded), ``(batch, rows, cols, 9 * channels)``
    in ``(dy, dx, channel)`` order: a convolution as one matrix product, which stays a plain
    batched product when the seeds are vmapped (a vmapped ``conv_general_dilated`` becomes a
    grouped convolution, slow on CPUs)."""
    _, rows, cols, _ = obs.shape
    padded = jnp.pad(obs, ((0, 0), (1, 1), (1, 1), (0, 0)))
    return jnp.concatenate(
        [padded[:, dy : dy + rows, dx : dx + cols, :] for dy in range(3) for dx in range(3)],
        axis=-1,
    )


def head(params: dict[str, jax.Array], features: jax.Array) -> jax.Array:
    out: jax.Array = features @ params["w"] + params["b"]
    return out
