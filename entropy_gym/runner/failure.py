"""How a cell fails: :class:`CellFailure` carries a one-line reason, and :func:`phase` turns
anything a step of the cell raises into one."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager


class CellFailure(Exception):
    """A cell that cannot finish; ``reason`` is one line, ``detail`` a traceback if any."""

    def __init__(
        self, reason: str, detail: str | None = None, *, out_of_memory: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason, self.detail, self.out_of_memory = reason, detail, out_of_memory


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Turn any exception raised by ``name`` (e.g. ``agent.act``) into a :class:`CellFailure`."""
    try:
        yield
    except CellFailure:
        raise
    except MemoryError:
        raise CellFailure(
            f"{name} ran out of memory (MemoryError)", traceback.format_exc(), out_of_memory=True
        ) from None
    except Exception as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else ""
        reason = f"{name} raised {type(err).__name__}" + (f": {message}" if message else "")
        raise CellFailure(reason, traceback.format_exc()) from None
