"""Multi-layer perceptrons as plain parameter pytrees (lists of ``{"w", "b"}`` dicts)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

Params = list[dict[str, jax.Array]]

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "elu": jax.nn.elu,
    "silu": jax.nn.silu,
    "gelu": jax.nn.gelu,
}


def init_mlp(
    key: jax.Array,
    sizes: Sequence[int],
    hidden_scale: float | None = math.sqrt(2.0),
    output_scale: float | None = 1.0,
) -> Params:
    """Weights for layers ``sizes[0] -> ... -> sizes[-1]`` and zero biases.

    A scale gives orthogonal weights of that gain (SB3's on-policy init); ``None`` gives
    torch's default ``Linear`` init, uniform in ``+-1/sqrt(fan_in)`` (SB3's off-policy init).
    """
    layers: Params = []
    keys = jax.random.split(key, len(sizes) - 1)
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        scale = output_scale if i == len(sizes) - 2 else hidden_scale
        if scale is None:
            bound = 1.0 / math.sqrt(fan_in)
            w = jax.random.uniform(keys[i], (fan_in, fan_out), jnp.float32, -bound, bound)
        else:
            w = jax.nn.initializers.orthogonal(scale)(keys[i], (fan_in, fan_out), jnp.float32)
        layers.append({"w": w, "b": jnp.zeros((fan_out,), jnp.float32)})
    return layers


def apply_mlp(params: Params, x: jax.Array, activation: str) -> jax.Array:
    """The network's output at ``x`` (activation after every layer but the last)."""
    act = ACTIVATIONS[activation]
    for layer in params[:-1]:
        x = act(x @ layer["w"] + layer["b"])
    last = params[-1]
    out: jax.Array = x @ last["w"] + last["b"]
    return out


def count_params(params: Any) -> int:
    """Number of scalars in a parameter pytree."""
    return int(sum(leaf.size for leaf in jax.tree_util.tree_leaves(params)))
