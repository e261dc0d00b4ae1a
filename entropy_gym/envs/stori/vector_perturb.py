"""STORI types 1 and 3.2 (pixel masks) for a batch, drawing what single envs draw.

Each class makes, per row, the draws of its single-env counterpart in the same order:
:class:`BatchedSubstitution` those of ``actions._Substitution`` (a coin, then the replacement,
per frame or at the first frame of a step), :class:`BatchedMasking` those of the mask coins of
``masks.ObservationMask`` (per observed frame before pooling, or per observation), reusing the
game's own :class:`~entropy_gym.envs.stori.masks.PixelMask` to draw and paint.
"""

from __future__ import annotations

import numpy as np

from entropy_gym.envs.stori.vector_config import Masking, Substitution
from entropy_gym.envs.stori.vector_random import UniformStreams


class BatchedSubstitution:
    """Type 1 on a batch: call :meth:`frame_actions` once per emulator frame of a step."""

    def __init__(self, spec: Substitution, streams: UniformStreams) -> None:
        self.spec = spec
        self.streams = streams
        self._choices = np.asarray(spec.choices, dtype=np.int64)
        self._sub: np.ndarray | None = None
        self.replaced: np.ndarray | None = None

    def frame_actions(
        self, actions: np.ndarray, frame: int, active: np.ndarray, frames: int = 1
    ) -> np.ndarray:
        """The actions to emulate from ``frame`` (0 = first of the step) for ``frames`` frames
        (more than one only with ``per="step"``) for rows ``active``; counts the replaced frames
        of the step in :attr:`replaced`."""
        if frame == 0:
            self.replaced = np.zeros(len(actions), dtype=np.int64)
        if frame == 0 or not self.spec.per_step:
            hit = active & (self.streams.draw(active) < self.spec.p)
            picks = self._choices[self.streams.index(len(self._choices), hit)]
            self._sub = np.where(hit, picks, -1)
        assert self._sub is not None and self.replaced is not None
        replaced = self._sub >= 0
        self.replaced += replaced * frames
        return np.where(replaced, self._sub, actions)


class BatchedMasking:
    """Type 3.2 by pixels on a batch (frames of shape ``(rows, H, W[, 3])``, painted in place)."""

    def __init__(self, spec: Masking, streams: UniformStreams) -> None:
        self.spec = spec
        self.streams = streams

    @property
    def per_frame(self) -> bool:
        return self.spec.per_frame

    def paint(self, frames: np.ndarray, active: np.ndarray) -> np.ndarray:
        """Flip each ``active`` row's coin for ``frames`` and paint the hits; returns them."""
        hit = active & (self.streams.draw(active) < self.spec.p)
        mask = self.spec.mask
        for row in np.flatnonzero(hit):
            params = mask.draw(self.streams.row(int(row)), frames[row])  # type: ignore[arg-type]
            mask.paint(frames[row], params)
        return hit
