"""Seeds as a batch dimension: one compiled program runs a per-seed function for N seeds.

``jax.vmap`` would turn each seed's matrix products into one batched product, which XLA may
evaluate in another order than the single product of a seed trained alone, so the numbers
would differ in the last bits. :func:`over_seeds` uses ``jax.lax.map`` instead: the seeds run
one after the other inside the same compiled program, each through exactly the computation
of a run alone, so a seed's result does not depend on the group it ran in (tested bit for
bit). What the group saves is the compilation and the process: one program, compiled once,
trains every seed of a group, instead of one compilation per seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax


def over_seeds(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` applied to each seed's slice of every argument (leading axis), results stacked."""

    def mapped(*args: Any) -> Any:
        return jax.lax.map(lambda xs: fn(*xs), args)

    return mapped
