"""Environment families. Each sub-package exposes ``register()``, called once on import."""

from __future__ import annotations

import importlib

#: Sub-packages whose ``register()`` adds ids to the catalog, in listing order.
FAMILY_MODULES = (
    "entropy_gym.envs.stori",
    "entropy_gym.envs.minatar",
    "entropy_gym.envs.text",
    "entropy_gym.envs.control",
)


def register_all() -> None:
    """Register every family's ids; a family whose module is absent is skipped."""
    for name in FAMILY_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:
                continue
            raise
        module.register()
