"""The error every floor raises for input that cannot run.

>>> issubclass(ConfigError, ValueError)
True
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration that cannot run: unknown name, bad value, or a refused combination."""


__all__ = ["ConfigError"]
