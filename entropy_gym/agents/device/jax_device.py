"""Which jax device an agent's ``device`` string ("cpu", "cuda", "cuda:1") names: the one device
parser of :mod:`entropy_gym.core.device`, under the name the agents have used."""

from __future__ import annotations

from typing import Any

from entropy_gym.core.device import jax_device


def resolve_device(device: str, who: str) -> Any:
    """The ``jax.Device`` for ``device``; a one-line :class:`ConfigError`, starting with
    ``who`` (e.g. ``"agent 'jax_ppo'"``), when jax has no such backend or index."""
    return jax_device(device, who)
