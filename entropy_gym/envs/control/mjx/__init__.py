"""The ``Control/`` ids batched on MJX (MuJoCo in JAX): a functional env for jitted trainers and
a Gymnasium ``VectorEnv`` for ``gym.make_vec(..., vectorization_mode="vector_entry_point")``.

.. code-block:: python

    from entropy_gym.envs.control.mjx import make_mjx_env

    env = make_mjx_env("Control/Hopper-T1-v0", num_envs=1024)
    state = jax.jit(env.reset)(jax.random.PRNGKey(0))
    state = jax.jit(env.step)(state, actions)      # actions: (1024, env.action_size)

Importing this package imports jax and mujoco-mjx (``pip install 'entropy-gym[device]'``);
registering the ids does not. See docs/control.md, "Batched on MJX".
"""

from __future__ import annotations

try:
    import jax  # noqa: F401

    from entropy_gym.envs.control.mjx.quiet_import import mjx  # noqa: F401
except ImportError as err:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"the MJX backend of the Control/ ids needs jax and mujoco-mjx ({err}): "
        "pip install 'entropy-gym[device]', or use gym.make_vec(..., vectorization_mode='sync')"
    ) from None

from entropy_gym.envs.control.mjx.env import MjxControlEnv
from entropy_gym.envs.control.mjx.factory import BACKENDS, MJX_TASKS, make_mjx_env
from entropy_gym.envs.control.mjx.state import MjxState

__all__ = ["BACKENDS", "MJX_TASKS", "MjxControlEnv", "MjxState", "make_mjx_env"]
