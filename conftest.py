"""Doctest collection (``--doctest-modules``) imports every module of the package; without the
``device`` extra (jax, optax, mujoco-mjx) or the ``trl`` extra the modules that need them are
left out instead of failing the collection."""

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
# The verl plugin registers on import from environment variables (and needs verl); the TRL
# trainer subclasses TRL's (and needs trl).
collect_ignore_glob += ["entropy_gym/integrations/verl_plugin.py"]
if not _installed("trl"):
    collect_ignore_glob += ["entropy_gym/integrations/trl_trainer.py"]
