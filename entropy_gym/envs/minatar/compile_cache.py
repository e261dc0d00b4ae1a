"""jax's persistent compilation cache for the MinAtar envs and agents.

A board runs hundreds of cell processes whose programs repeat (every agent evaluates on the
same env programs; PPO with and without an entropy intervention trains with the same one), and
a compilation costs seconds to a minute on a small CPU. The first use of a MinAtar env in a
process turns jax's on-disk cache on, in ``~/.cache/entropy_gym/jax`` (or
``$ENTROPY_GYM_JAX_CACHE``; set it to ``off`` to leave jax's settings alone). A cached program
is the same compiled code, so results do not change.
"""

from __future__ import annotations

import os
from pathlib import Path

_DONE = False


def enable() -> None:
    """Turn the cache on once per process, unless the user configured jax's own."""
    global _DONE
    if _DONE:
        return
    _DONE = True
    where = os.environ.get("ENTROPY_GYM_JAX_CACHE", "")
    if where.lower() == "off":
        return
    import jax

    if jax.config.jax_compilation_cache_dir:
        return
    path = Path(where) if where else Path.home() / ".cache" / "entropy_gym" / "jax"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
