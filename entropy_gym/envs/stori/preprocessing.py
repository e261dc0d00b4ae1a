"""The standard 84 x 84 grayscale frame stack, applied to what the STORI masks left visible.

Gymnasium's ``AtariPreprocessing`` reads frames straight from the emulator and would bypass the
type 3.2 masks; here the pooled, masked grayscale frame the env returns is what gets resized
(``cv2.INTER_AREA``) and stacked, so a masked region stays masked at 84 x 84.
"""

from __future__ import annotations

from typing import Any

import cv2
import gymnasium as gym
import numpy as np
from gymnasium import spaces

from entropy_gym.envs.stori.atari import FramePart, stori_base


class _Stack(FramePart):
    """The frame stack, kept with the env's frame parts for full-state snapshots."""

    def __init__(self, frames: np.ndarray) -> None:
        self.frames = frames

    def get_state(self) -> Any:
        return self.frames.copy()

    def set_state(self, state: Any) -> None:
        self.frames[:] = state


class Atari84(gym.Wrapper):
    """Resize grayscale frames to ``size`` x ``size`` and stack the last ``stack`` of them.

    Observations are uint8 of shape ``(stack, size, size)``, channels first, as SB3's
    ``CnnPolicy`` and CleanRL's Atari agents expect. After a reset the stack holds ``stack``
    copies of the first frame.
    """

    def __init__(self, env: gym.Env, size: int = 84, stack: int = 4) -> None:
        super().__init__(env)
        space = env.observation_space
        if not isinstance(space, spaces.Box) or len(space.shape) != 2:
            raise ValueError(
                f"Atari84 needs grayscale (H, W) frames, got observation space {space}"
            )
        self._size = size
        self._frames = np.zeros((stack, size, size), dtype=np.uint8)
        self.observation_space = spaces.Box(0, 255, shape=self._frames.shape, dtype=np.uint8)
        stori_base(env).add_part(_Stack(self._frames))

    def _resize(self, frame: np.ndarray) -> np.ndarray:
        return cv2.resize(frame, (self._size, self._size), interpolation=cv2.INTER_AREA)

    def reset(self, **kwargs: Any) -> tuple[np.ndarray, dict[str, Any]]:
        frame, info = self.env.reset(**kwargs)
        self._frames[:] = self._resize(frame)
        return self._frames.copy(), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        frame, reward, terminated, truncated, info = self.env.step(action)
        self._frames[:-1] = self._frames[1:]
        self._frames[-1] = self._resize(frame)
        return self._frames.copy(), reward, terminated, truncated, info
