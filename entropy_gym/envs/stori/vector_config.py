"""What a batched STORI env runs, read off a single env built from the same keyword arguments.

:func:`batched_setup` builds the single env with :func:`make_stori_env` (so every parameter is
validated and defaulted exactly as for ``gym.make``), reads its wrappers, closes it, and refuses
the types that need what ALE's vector env does not expose (RAM reads and writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from entropy_gym.envs.stori.actions import RandomActions
from entropy_gym.envs.stori.atari import StoriAtariEnv
from entropy_gym.envs.stori.drift import ConceptDrift
from entropy_gym.envs.stori.events import RandomEvents
from entropy_gym.envs.stori.masks import ObservationMask, PixelMask, RamHiding
from entropy_gym.envs.stori.preprocessing import Atari84

SYNC_HINT = 'use vectorization_mode="sync"'


@dataclass(frozen=True)
class Substitution:
    """Type 1: replace the action by one of ``choices`` with probability ``p``."""

    p: float
    per_step: bool
    choices: tuple[int, ...]


@dataclass(frozen=True)
class Masking:
    """Type 3.2 by pixels: paint ``mask`` with probability ``p`` per frame or observation."""

    mask: PixelMask
    p: float
    per_frame: bool


@dataclass(frozen=True)
class Drift:
    """Type 2.2: the secondary concept is on from step ``threshold`` (or every other block)."""

    threshold: int
    schedule: str

    def secondary_on(self, steps: np.ndarray) -> np.ndarray:
        """Whether concept 2 holds for each row's 0-based step count ``steps``."""
        if self.schedule == "sudden":
            return steps >= self.threshold
        return (steps // self.threshold) % 2 == 1


@dataclass(frozen=True)
class BatchedSetup:
    """Everything the batch needs from the single env of the same kwargs."""

    game: str
    rom: str
    frame_skip: int
    pooled: bool
    noop_max: int
    max_frames: int | None
    rgb: bool
    atari84: tuple[int, int] | None  # (size, stack)
    full_action_space: bool
    sticky: float
    num_actions: int
    frame_space: gym.spaces.Box
    observation_space: gym.spaces.Box
    perturbation: Substitution | Masking | None
    drift: Drift | None


def batched_setup(**kwargs: Any) -> BatchedSetup:
    """The setup of a batch of ``make_stori_env(**kwargs)`` envs, or a one-line ``ValueError``
    for what the batched emulator cannot do."""
    from entropy_gym.envs.stori.make import make_stori_env

    render_mode = kwargs.get("render_mode")
    if render_mode is not None:
        raise ValueError(
            f"render_mode={render_mode!r} is not supported batched (ALE's vector env keeps no "
            f"per-env screen to render); {SYNC_HINT}"
        )
    env = make_stori_env(**kwargs)
    try:
        return _read(env, bool(kwargs.get("full_action_space", False)))
    finally:
        env.close()


def _read(env: gym.Env, full_action_space: bool) -> BatchedSetup:
    perturbation: Substitution | Masking | None = None
    drift = None
    atari84 = None
    layer: Any = env
    while isinstance(layer, gym.Wrapper):
        if isinstance(layer, RandomEvents):
            raise ValueError(
                f"STORI type 2.1 (event {layer.event.name!r}) is not supported batched: it reads "
                f"and rewrites RAM every frame and ALE's vector env exposes no RAM; {SYNC_HINT}"
            )
        if isinstance(layer, RamHiding):
            raise ValueError(
                "STORI mask 'ram' is not supported batched: it re-renders frames with RAM "
                f"rewritten and ALE's vector env exposes no RAM or saved states; {SYNC_HINT}"
            )
        if isinstance(layer, RandomActions):
            part = layer._part
            perturbation = Substitution(part.p, part.per_step, part.choices)
        elif isinstance(layer, ObservationMask):
            perturbation = Masking(layer.mask, layer.p, layer.per == "frame")
        elif isinstance(layer, ConceptDrift):
            drift = Drift(layer.threshold, layer.schedule)
        elif isinstance(layer, Atari84):
            atari84 = (layer.observation_space.shape[1], layer.observation_space.shape[0])
        layer = layer.env
    base = layer
    assert isinstance(base, StoriAtariEnv)
    frame_space = base.observation_space
    assert isinstance(frame_space, gym.spaces.Box)
    space = env.observation_space
    assert isinstance(space, gym.spaces.Box)
    return BatchedSetup(
        game=base.game,
        rom=base.rom,
        frame_skip=base.frame_skip,
        pooled=base._pooled,
        noop_max=base._noop_max,
        max_frames=base._max_frames,
        rgb=base._rgb,
        atari84=atari84,
        full_action_space=full_action_space,
        sticky=base._sticky_p,
        num_actions=len(base.action_set),
        frame_space=frame_space,
        observation_space=space,
        perturbation=perturbation,
        drift=drift,
    )
