"""Fixtures of the runner tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.runner.helpers import write_suite


@pytest.fixture
def suite_file(tmp_path: Path):
    """``suite_file(name, **body)`` writes a one-suite benchmarks.yaml and returns its path."""

    def make(name: str = "t", **body: Any) -> Path:
        return write_suite(tmp_path / "benchmarks.yaml", name, **body)

    return make
