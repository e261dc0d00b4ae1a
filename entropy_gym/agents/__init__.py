"""Agents, entropy interventions, and the registry that builds them from config."""

from entropy_gym.agents.base import Agent, BaseAgent, Decision, StepBatch, TaskSpec
from entropy_gym.agents.hooks import HOOKS, Hook
from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.agents.registry import make_agent, make_intervention
from entropy_gym.core.budget import Budget
from entropy_gym.core.errors import ConfigError

__all__ = [
    "HOOKS",
    "Agent",
    "BaseAgent",
    "Budget",
    "ConfigError",
    "Decision",
    "Hook",
    "Intervention",
    "StepBatch",
    "TaskSpec",
    "make_agent",
    "make_intervention",
]
