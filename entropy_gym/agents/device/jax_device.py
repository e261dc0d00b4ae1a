"""Which jax device an agent's ``device`` string ("cpu", "cuda", "cuda:1") names."""

from __future__ import annotations

from typing import Any

from entropy_gym.agents.base import ConfigError


def resolve_device(device: str, who: str) -> Any:
    """The ``jax.Device`` for ``device``; a one-line :class:`ConfigError`, starting with
    ``who`` (e.g. ``"agent 'jax_ppo'"``), when jax has no such backend or index."""
    import jax

    kind, _, index_text = device.partition(":")
    kind = kind.strip().lower()
    if kind not in ("cpu", "cuda", "gpu"):
        raise ConfigError(f"{who}: device {device!r} is unknown; expected cpu or cuda[:N]")
    backend = "cpu" if kind == "cpu" else "gpu"
    try:
        devices = jax.devices(backend)
    except RuntimeError:
        have = ", ".join(sorted({d.platform for d in jax.devices()}))
        raise ConfigError(
            f"{who}: device {device!r} needs a GPU jax backend "
            f"(pip install 'jax[cuda12]'), but this jax has only: {have}"
        ) from None
    try:
        index = int(index_text) if index_text else 0
    except ValueError:
        raise ConfigError(f"{who}: device {device!r} has a bad index") from None
    if not 0 <= index < len(devices):
        raise ConfigError(
            f"{who}: device {device!r} does not exist; jax sees {len(devices)} {backend} device(s)"
        )
    return devices[index]
