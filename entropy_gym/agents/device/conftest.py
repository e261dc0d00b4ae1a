"""Doctest collection (``--doctest-modules``) imports every module here; without jax or optax
installed, leave them out instead of failing the collection."""

import importlib.util

collect_ignore_glob = [] if all(importlib.util.find_spec(m) for m in ("jax", "optax")) else ["*.py"]
