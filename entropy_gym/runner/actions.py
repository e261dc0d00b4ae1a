"""Check an agent's decision before the env sees it.

A batch of actions is checked at once with vectorised tests for the common spaces (Discrete,
Box, MultiDiscrete, MultiBinary) and with ``Space.contains`` per env otherwise, so checking
costs microseconds per step. String actions are accepted for envs that parse text replies.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import Decision
from entropy_gym.runner.failure import CellFailure


class InvalidDecision(Exception):
    """The agent's output cannot be stepped; the message says what was wrong."""


def check_decision(
    decision: Any, n: int, space: gym.Space[Any], *, text_ok: bool
) -> tuple[Any, np.ndarray | None]:
    """``(actions, entropy)`` ready to step, or :class:`~entropy_gym.runner.failure.CellFailure`.

    ``actions`` must hold ``n`` entries inside ``space`` (or strings, where ``text_ok``);
    ``entropy`` must be ``None`` or ``n`` finite numbers.
    """
    if not isinstance(decision, Decision):
        raise CellFailure(f"agent.act returned {type(decision).__name__}, expected a Decision")
    try:
        actions = check_actions(decision.actions, n, space, text_ok=text_ok)
        entropy = check_entropy(decision.entropy, n)
    except InvalidDecision as err:
        raise CellFailure(f"agent returned {err}") from None
    return actions, entropy


def check_actions(actions: Any, n: int, space: gym.Space[Any], *, text_ok: bool) -> Any:
    """The batch of actions, checked against ``space`` (see :func:`check_decision`)."""
    if (
        isinstance(actions, np.ndarray)
        and actions.ndim == 1
        and actions.size
        and (
            actions.dtype.kind in "US"
            or (actions.dtype == object and all(isinstance(a, str) for a in actions))
        )
    ):
        actions = [str(a) for a in actions]  # a NumPy array of replies is a list of replies
    if isinstance(actions, (list, tuple)) and actions and all(isinstance(a, str) for a in actions):
        if len(actions) != n:
            raise InvalidDecision(f"{len(actions)} actions for {n} envs")
        if not text_ok:
            raise InvalidDecision(f"text actions for an env whose action space is {space}")
        if isinstance(space, gym.spaces.Text):
            for i, a in enumerate(actions):
                if not space.contains(a):
                    raise InvalidDecision(
                        f"an action outside the action space {space} (env {i}: {a!r})"
                    )
        return list(actions)
    if isinstance(
        space,
        (gym.spaces.Discrete, gym.spaces.MultiDiscrete, gym.spaces.MultiBinary, gym.spaces.Box),
    ):
        arr = np.asarray(actions)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise InvalidDecision(
                f"non-numeric actions of dtype {arr.dtype} for the action space {space}"
            )
        if np.issubdtype(arr.dtype, np.floating) and np.isnan(arr).any():
            raise InvalidDecision(f"a NaN action (env {_first(np.isnan(arr))})")
        shape = (n, *(space.shape or ()))
        if arr.shape != shape:
            raise InvalidDecision(
                f"actions of shape {arr.shape}, expected {shape} for {n} envs of {space}"
            )
        _check_numeric(arr, space)
        return arr
    if len(actions) != n:
        raise InvalidDecision(f"{len(actions)} actions for {n} envs")
    for i, a in enumerate(actions):
        if not space.contains(a):
            raise InvalidDecision(f"an action outside the action space {space} (env {i}: {a!r})")
    return actions


def _check_numeric(arr: np.ndarray, space: gym.Space[Any]) -> None:
    if isinstance(space, gym.spaces.Box):
        bad = ~np.isfinite(arr) | (arr < space.low) | (arr > space.high)
    else:
        if (
            not np.issubdtype(arr.dtype, np.integer)
            and arr.dtype != bool
            and not np.array_equal(arr, np.round(arr))
        ):
            i = _first(arr != np.round(arr))
            raise InvalidDecision(
                f"a non-integer action for {space} (env {i}: {arr[i].tolist()!r})"
            )
        if isinstance(space, gym.spaces.Discrete):
            bad = (arr < space.start) | (arr >= space.start + space.n)
        elif isinstance(space, gym.spaces.MultiDiscrete):
            bad = (arr < space.start) | (arr >= space.start + space.nvec)
        else:  # MultiBinary
            bad = (arr != 0) & (arr != 1)
    if bad.any():
        i = _first(bad)
        raise InvalidDecision(
            f"an action outside the action space {space} (env {i}: {arr[i].tolist()!r})"
        )


def _first(mask: np.ndarray) -> int:
    """Index of the first env whose row of ``mask`` has a True."""
    rows = mask.reshape(mask.shape[0], -1).any(axis=1)
    return int(np.flatnonzero(rows)[0])


def check_entropy(entropy: Any, n: int) -> np.ndarray | None:
    """``None``, or ``n`` finite entropies (nats) as a float array."""
    if entropy is None:
        return None
    try:
        arr = np.asarray(entropy, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidDecision(f"a non-numeric entropy {entropy!r}") from None
    if arr.size != n:
        raise InvalidDecision(f"{arr.size} entropies for {n} envs")
    if not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        what = "a NaN" if np.isnan(arr[i]) else "an infinite"
        raise InvalidDecision(f"{what} entropy (env {i})")
    return arr
