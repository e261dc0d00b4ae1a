"""entropy-gym: a Gymnasium benchmark suite for entropy and exploration under uncertainty.

Importing the package registers every env id (``STORI/``, ``TextBandit/``, ``ToolTask/``,
``Control/``) with Gymnasium; nothing heavy is imported here. ``gym.make("entropy_gym:<id>")``
imports it for you.
"""

from entropy_gym.envs import register_all as _register_all

__version__ = "0.1.0"

_register_all()

__all__ = ["__version__"]
