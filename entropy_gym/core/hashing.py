"""Config hashing: the short, stable name of an agent's configuration that cells, stores and
provenance key on.

>>> config_hash({"name": "ppo", "lr": 3e-4}) == config_hash({"lr": 3e-4, "name": "ppo"})
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def config_hash(config: Mapping[str, Any]) -> str:
    """A short, stable hash of a JSON-serialisable config (key order does not matter)."""
    text = json.dumps(config, sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


__all__ = ["config_hash"]
