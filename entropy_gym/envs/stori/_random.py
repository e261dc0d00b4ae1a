"""Cheap uniform draws from a seeded generator, for per-frame decisions.

A scalar ``Generator.random()`` call costs about a microsecond, which is noticeable when every
emulator frame makes a draw. :class:`Uniforms` draws blocks of numbers and hands them out one
list index at a time; the sequence is the generator's own, so it is reproducible from the seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_BLOCK = 256


class Uniforms:
    """Callable source of uniform floats in [0, 1) from one ``numpy.random.Generator``."""

    __slots__ = ("_buf", "_pos", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []
        self._pos = 0

    def __call__(self) -> float:
        pos = self._pos
        if pos == len(self._buf):
            self._buf = self._rng.random(_BLOCK).tolist()
            pos = 0
        self._pos = pos + 1
        return self._buf[pos]

    def index(self, n: int) -> int:
        """A uniform integer in ``[0, n)``."""
        return min(int(self() * n), n - 1)

    def get_state(self) -> Any:
        """Everything needed to continue the same sequence later."""
        return (self._rng.bit_generator.state, list(self._buf), self._pos)

    def set_state(self, state: Any) -> None:
        """Continue the sequence saved by :meth:`get_state`."""
        bit_state, buf, pos = state
        self._rng.bit_generator.state = bit_state
        self._buf = list(buf)
        self._pos = pos
