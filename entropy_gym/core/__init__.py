"""The ground floor: what every other part of entropy-gym builds on, importing none of them.

:class:`ConfigError` (:mod:`~entropy_gym.core.errors`), :func:`config_hash`
(:mod:`~entropy_gym.core.hashing`), :class:`Budget` and :class:`BudgetTracker`
(:mod:`~entropy_gym.core.budget`), the loss payload every trainer shares
(:class:`PolicyLossBatch`, :mod:`~entropy_gym.core.payloads`), the one device parser
(:class:`Device`, :mod:`~entropy_gym.core.device`) and the training-progress lines
(:mod:`~entropy_gym.core.progress`). docs/architecture.md has the floors and what may import
what; ``make lint`` checks it.
"""

from entropy_gym.core.budget import Budget, BudgetTracker
from entropy_gym.core.device import Device, jax_device
from entropy_gym.core.errors import ConfigError
from entropy_gym.core.hashing import config_hash
from entropy_gym.core.payloads import PolicyLossBatch

__all__ = [
    "Budget",
    "BudgetTracker",
    "ConfigError",
    "Device",
    "PolicyLossBatch",
    "config_hash",
    "jax_device",
]
