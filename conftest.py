"""Doctest collection (``--doctest-modules``) imports every module of the package; without the
``device`` extra (jax, optax, mujoco-mjx) the modules that need it are left out instead of
failing the collection."""

import importlib.util


def _installed(*modules: str) -> bool:
    try:
        return all(importlib.util.find_spec(m) is not None for m in modules)
    except ModuleNotFoundError:  # a parent package (mujoco for mujoco.mjx) is missing
        return False


collect_ignore_glob = (
    []
    if _installed("jax", "optax", "mujoco.mjx")
    else ["entropy_gym/agents/device/*.py", "entropy_gym/envs/control/mjx/*.py"]
)
