"""Entropy interventions. Each module holds one intervention; the registry names them."""

from entropy_gym.agents.interventions.base import Intervention

__all__ = ["Intervention"]
