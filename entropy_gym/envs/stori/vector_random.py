"""Per-env uniform streams for a batch: env ``i`` draws exactly what a single STORI env would.

A single env seeded ``s`` gives its perturbation a ``Generator(PCG64(SeedSequence(s).spawn(1)[0]))``
and reads it through :class:`~entropy_gym.envs.stori._random.Uniforms` (blocks of 256 floats,
handed out in order). :class:`UniformStreams` keeps one such generator and block per row and
draws for many rows at once, so row ``i`` of a batch seeded ``s_i`` makes the same random
decisions as a single env seeded ``s_i`` that sees the same frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from entropy_gym.envs.stori._random import _BLOCK


def perturbation_rng(seed: int | None) -> np.random.Generator:
    """The generator a single STORI env seeded ``seed`` gives its perturbation (the first part
    it spawns a generator for)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed).spawn(1)[0]))


class UniformStreams:
    """One stream of uniform floats in [0, 1) per row, drawn for many rows at once."""

    def __init__(self, rows: int) -> None:
        self._rngs: list[np.random.Generator | None] = [None] * rows
        self._buf = np.zeros((rows, _BLOCK), dtype=np.float64)
        self._pos = np.full(rows, _BLOCK, dtype=np.int64)

    def seed(self, rows: Sequence[int], seeds: Sequence[int | None]) -> None:
        """Restart the streams of ``rows``, as single envs reset with ``seeds`` would."""
        for row, seed in zip(rows, seeds):
            self._rngs[row] = perturbation_rng(seed)
            self._pos[row] = _BLOCK

    def draw(self, mask: np.ndarray) -> np.ndarray:
        """One draw for each row where ``mask`` holds (``inf`` elsewhere)."""
        out = np.full(len(self._pos), np.inf)
        rows = np.flatnonzero(mask)
        if rows.size:
            self._refill(rows[self._pos[rows] == _BLOCK])
            out[rows] = self._buf[rows, self._pos[rows]]
            self._pos[rows] += 1
        return out

    def index(self, n: int, mask: np.ndarray) -> np.ndarray:
        """A uniform integer in ``[0, n)`` for each row where ``mask`` holds (0 elsewhere)."""
        u = self.draw(mask)
        return np.where(mask, np.minimum((np.where(mask, u, 0.0) * n).astype(np.int64), n - 1), 0)

    def row(self, row: int) -> RowUniforms:
        """Row ``row`` as a :class:`Uniforms`-like source (for a mask's own ``draw``)."""
        return RowUniforms(self, row)

    def one(self, row: int) -> float:
        """One draw from row ``row``."""
        if self._pos[row] == _BLOCK:
            self._refill(np.array([row]))
        value = float(self._buf[row, self._pos[row]])
        self._pos[row] += 1
        return value

    def _refill(self, rows: np.ndarray) -> None:
        for row in rows:
            rng = self._rngs[row]
            if rng is None:
                raise RuntimeError("the batch was stepped before reset()")
            self._buf[row] = rng.random(_BLOCK)
            self._pos[row] = 0


class RowUniforms:
    """The stream of one row, with the call and ``index`` interface of ``Uniforms``."""

    __slots__ = ("_row", "_streams")

    def __init__(self, streams: UniformStreams, row: int) -> None:
        self._streams = streams
        self._row = row

    def __call__(self) -> float:
        return self._streams.one(self._row)

    def index(self, n: int) -> int:
        """A uniform integer in ``[0, n)``."""
        return min(int(self() * n), n - 1)
