"""How much of the time a type-3.2 preset hides what it hides, under either mask timing.

The figures of the table in ``docs/stori.md``::

    python -m entropy_gym.envs.stori.mask_stats            # every preset, both timings

A mask never changes the game, so a masked env, its plain twin (type 3.1) and its twin masked
with ``p=1`` follow one trajectory from the same seed and actions. Per observation:

* fixed masks and RAM hiding: the observation counts as *masked* when it differs from the plain
  one on at least half of the pixels where the ``p=1`` twin differs (steps where the ``p=1`` twin
  shows nothing hidden are left out). A black crop half seen through a max-pool with an unmasked
  frame is therefore *not* masked; a black sprite hidden on one of the two pooled frames is.
* the torch (its disc moves at random, so there is no fixed ``p=1`` picture): the fraction of
  the plain observation's non-black pixels that the mask turns black.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from entropy_gym.envs.stori.make import make_stori_env
from entropy_gym.envs.stori.masks import MASK_TIMINGS

#: Agent set-up keys of an id's kwargs, shared by the three twins.
_SETUP = ("frame_skip", "max_pool", "noop_max", "max_episode_frames", "full_action_space")
_MASK = ("p", "per", "mask", "mode")


@dataclass(frozen=True)
class MaskStat:
    """One preset's figure under one timing."""

    env_id: str
    per: str
    measure: str
    value: float
    observations: int


def mask_kwargs(env_id: str) -> tuple[str, dict[str, Any]]:
    """``(game, kwargs of a type-3.2 env)``: the id's mask (for type 2.2, its secondary mask)."""
    kwargs = dict(gym.spec(env_id).kwargs)
    game = kwargs.pop("game")
    kind = str(kwargs.get("type"))
    if kind == "2.2" and kwargs.get("secondary") == "3.2":
        kind = "3.2"
    if kind != "3.2":
        raise ValueError(f"{env_id} has no type-3.2 mask; expected a type 3.2 id or a 2.2 into 3.2")
    out = {key: kwargs[key] for key in _SETUP if key in kwargs}
    out.update({key: kwargs[key] for key in _MASK if key in kwargs})
    return game, out


def is_torch(kwargs: dict[str, Any]) -> bool:
    return kwargs.get("mask") == "crop" and kwargs.get("mode") == "torch"


def measure(env_id: str, per: str, *, steps: int = 500, seed: int = 0) -> MaskStat:
    """The preset's masked figure over ``steps`` seeded random-action steps (see the module)."""
    if per not in MASK_TIMINGS:
        raise ValueError(f"mask timing per={per!r} is unknown; expected one of {MASK_TIMINGS}")
    game, kwargs = mask_kwargs(env_id)
    setup = {key: kwargs[key] for key in _SETUP if key in kwargs}
    torch = is_torch(kwargs)
    envs = [
        make_stori_env(game, "3.2", **{**kwargs, "per": per}),
        make_stori_env(game, "3.1", **setup),
    ]
    if not torch:
        envs.append(make_stori_env(game, "3.2", **{**kwargs, "per": per, "p": 1.0}))
    try:
        values = _run(envs, steps, seed, torch)
    finally:
        for env in envs:
            env.close()
    name = "pixels blacked out" if torch else "observations masked"
    return MaskStat(env_id, per, name, float(np.mean(values)) if values else 0.0, len(values))


def _run(envs: list[gym.Env], steps: int, seed: int, torch: bool) -> list[float]:
    rng = np.random.default_rng(seed)
    n = int(envs[0].action_space.n)
    episode = seed
    frames = [env.reset(seed=episode)[0] for env in envs]
    values: list[float] = []
    for _ in range(steps):
        action = int(rng.integers(n))
        results = [env.step(action) for env in envs]
        frames = [r[0] for r in results]
        value = (_blacked if torch else _masked)(*frames)
        if value is not None:
            values.append(value)
        if results[1][2] or results[1][3]:
            episode += 1
            frames = [env.reset(seed=episode)[0] for env in envs]
    return values


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    diff = a != b
    return diff.any(axis=-1) if diff.ndim == 3 else diff


def _masked(obs: np.ndarray, plain: np.ndarray, full: np.ndarray) -> float | None:
    hidden = _changed(full, plain)
    total = int(hidden.sum())
    if not total:
        return None
    return float((_changed(obs, plain) & hidden).sum() >= total / 2)


def _blacked(obs: np.ndarray, plain: np.ndarray) -> float | None:
    lit = plain.any(axis=-1) if plain.ndim == 3 else plain > 0
    if not lit.any():
        return None
    dark = ~obs.any(axis=-1) if obs.ndim == 3 else obs == 0
    return float((dark & lit).sum() / lit.sum())


def preset_ids() -> list[str]:
    """Every registered STORI paper preset with a type-3.2 mask (its own or its drift's)."""
    from entropy_gym.envs.stori.presets import PAPER_PRESETS

    out = []
    for game, presets in PAPER_PRESETS.items():
        for suffix, kwargs in presets.items():
            if kwargs["type"] == "3.2" or kwargs.get("secondary") == "3.2":
                out.append(f"STORI/{game}-{suffix}-v0")
    return out


def main() -> None:
    import entropy_gym  # noqa: F401  (registers the ids)

    print("| preset | measure | per frame (STORI) | per observation |")
    print("|---|---|---|---|")
    for env_id in preset_ids():
        frame, obs = (measure(env_id, per) for per in MASK_TIMINGS)
        print(
            f"| `{env_id}` | {frame.measure} | {frame.value:.3f} | {obs.value:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
