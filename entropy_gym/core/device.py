"""Devices named by strings, parsed in one place.

A device reaches the package as a string in three places: the runner's ``--device`` (exactly
``auto``, ``cpu`` or ``cuda``; ``auto`` is resolved by the runner), an agent's or an MJX env's
``device`` (``cpu``, ``cuda`` or ``gpu``, any case, with an optional ``:N`` index), and the
runner's choice of what device a batched env is given (none where the device is ``cpu``).
Each reads it through :meth:`Device.parse`, which keeps the words and messages of each, and
:func:`jax_device` finds the ``jax.Device`` a string names.

>>> Device.parse("cuda:1")
Device(kind='cuda', index=1)
>>> str(Device.parse(" GPU ")), Device.parse("cpu").is_cpu
('cuda', True)
>>> Device.parse("auto", choices=("auto", "cpu", "cuda"))
Device(kind='auto', index=None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from entropy_gym.core.errors import ConfigError

DeviceKind = Literal["auto", "cpu", "cuda"]


@dataclass(frozen=True)
class Device:
    """A parsed device: ``cpu``, ``cuda`` (index ``None`` for the default one) or ``auto``
    (``cuda`` where one is present, else ``cpu``; only the runner's ``--device`` takes it)."""

    kind: DeviceKind
    index: int | None = None

    @property
    def is_cpu(self) -> bool:
        """Whether this is the host CPU."""
        return self.kind == "cpu"

    def __str__(self) -> str:
        return self.kind if self.index is None else f"{self.kind}:{self.index}"

    @classmethod
    def parse(
        cls, text: str, who: str | None = None, *, choices: Sequence[str] | None = None
    ) -> Device:
        """The device ``text`` names: ``cpu``, ``cuda`` or ``gpu`` (any case, spaces around it
        ignored) with an optional ``:N`` index; a one-line :class:`ConfigError`, starting with
        ``who`` where given, otherwise. With ``choices`` (the runner's ``--device``), ``text``
        must be exactly one of them, ``auto`` among them."""
        prefix = f"{who}: " if who else ""
        if choices is not None:
            if text not in choices:
                raise ConfigError(
                    f"{prefix}unknown device {text!r}; expected one of: {', '.join(choices)}"
                )
            if text == "auto":
                return cls("auto")
        name, _, index_text = text.partition(":")
        name = name.strip().lower()
        if name not in ("cpu", "cuda", "gpu"):
            raise ConfigError(f"{prefix}device {text!r} is unknown; expected cpu or cuda[:N]")
        kind: DeviceKind = "cpu" if name == "cpu" else "cuda"
        try:
            index = int(index_text) if index_text else None
        except ValueError:
            raise ConfigError(f"{prefix}device {text!r} has a bad index") from None
        return cls(kind, index)


def jax_device(text: str, who: str) -> Any:
    """The ``jax.Device`` that ``text`` names (:meth:`Device.parse`); a one-line
    :class:`ConfigError`, starting with ``who`` (e.g. ``"agent 'jax_ppo'"``), when the string
    is not a device or jax has no such backend or index."""
    import jax

    device = Device.parse(text, who)
    backend = "cpu" if device.is_cpu else "gpu"
    try:
        devices = jax.devices(backend)
    except RuntimeError:
        have = ", ".join(sorted({d.platform for d in jax.devices()}))
        raise ConfigError(
            f"{who}: device {text!r} needs a GPU jax backend "
            f"(pip install 'jax[cuda12]'), but this jax has only: {have}"
        ) from None
    index = 0 if device.index is None else device.index
    if not 0 <= index < len(devices):
        raise ConfigError(
            f"{who}: device {text!r} does not exist; jax sees {len(devices)} {backend} device(s)"
        )
    return devices[index]


__all__ = ["Device", "DeviceKind", "jax_device"]
