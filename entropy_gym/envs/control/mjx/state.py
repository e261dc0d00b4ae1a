"""The state of a batch of MJX control envs: one pytree that ``reset`` returns and ``step``
maps to the next."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
from mujoco import mjx


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class MjxState:
    """Every array has the batch (``num_envs``) as its leading axis.

    ``obs``, ``reward``, ``terminated``, ``truncated`` and ``info`` describe the step just taken
    (``reward`` 0 and flags ``False`` after ``reset``); where an episode ended, ``obs`` is
    already the first observation of the next one and ``final_obs`` the last of the ended one
    (``final_obs == obs`` elsewhere). ``reset_info`` is the info of the reset that envs which
    ended this step went through. ``t`` counts the steps into the current episode; ``key`` holds
    each env's PRNG key; ``data`` is the physics and ``extra`` the stochasticity type's own
    state (e.g. the push in progress).
    """

    data: mjx.Data
    obs: jax.Array
    reward: jax.Array
    terminated: jax.Array
    truncated: jax.Array
    final_obs: jax.Array
    t: jax.Array
    key: jax.Array
    info: dict[str, jax.Array]
    reset_info: dict[str, jax.Array]
    extra: dict[str, jax.Array]

    def replace(self, **changes: Any) -> MjxState:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)
