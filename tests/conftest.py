"""Shared fixtures and skip rules."""

from __future__ import annotations

import os

import pytest

# Keep BLAS/torch from oversubscribing the 2-core CI machine when tests run in parallel.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests under tests/benchmarks only run with --benchmark-only or -m benchmark."""
    for item in items:
        if "benchmarks" in item.path.parts:
            item.add_marker(pytest.mark.benchmark_suite)


@pytest.fixture(scope="session")
def lm():
    """The default model, loaded once for the session (skipped with the install command when
    the model wheel is absent)."""
    from tests.text_bandits.conftest import llm_skip_reason

    reason = llm_skip_reason()
    if reason:
        pytest.skip(reason)
    from entropy_gym.agents.llm.lm import LanguageModel

    return LanguageModel.load()
