"""The runner's defaults, defined once: where results are stored and published, and which
backends and devices exist. Cheap to import (the CLI reads it to build its parser)."""

from __future__ import annotations

import os
from pathlib import Path

#: Backends of :func:`~entropy_gym.runner.backends.make_backend`; the first is the default.
BACKENDS = ("local", "ray")
#: Devices a run may ask for; ``auto`` is ``cuda`` when torch sees a GPU, else ``cpu``.
DEVICES = ("auto", "cpu", "cuda")
#: The result store when neither ``--store`` nor ``$ENTROPY_GYM_STORE`` names one.
DEFAULT_STORE = Path("runs") / "results.sqlite"
#: Where leaderboards are published (one folder per suite, and the site): the committed boards,
#: written only by ``--publish``.
DEFAULT_LEADERBOARDS = Path("leaderboards")
#: Where a user's runs write their boards unless asked to ``--publish``.
WORKING_LEADERBOARDS = Path("runs") / "leaderboards"
#: The suite file.
DEFAULT_SUITE_FILE = "benchmarks.yaml"


def default_store_path() -> Path:
    """``$ENTROPY_GYM_STORE`` or :data:`DEFAULT_STORE`."""
    return Path(os.environ.get("ENTROPY_GYM_STORE", DEFAULT_STORE))
