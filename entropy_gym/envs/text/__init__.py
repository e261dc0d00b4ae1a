"""Text environments for LLM agents: observations are prompts, actions are indices or replies.

Each kind of task lives in its own sub-package with its own ``register()``; :func:`register`
calls them all when ``entropy_gym`` is imported.
"""

from __future__ import annotations

from entropy_gym.envs.text import bandits


def register() -> None:
    """Register every text env id (``TextBandit/...``)."""
    bandits.register()
