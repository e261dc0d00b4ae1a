"""Fixtures of the STORI tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stori.helpers import Closing


@pytest.fixture
def make() -> Iterator[Closing]:
    """``make(game, type, **kwargs)``: a STORI env that is closed when the test ends."""
    maker = Closing()
    yield maker
    maker.close()
