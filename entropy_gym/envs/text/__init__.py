"""Text environments for LLM agents: observations are prompts, actions are indices or replies.

Each kind of task lives in its own sub-package with its own ``register()`` (``bandits`` for
``TextBandit/``, ``tools`` for ``ToolTask/`` and the ScienceWorld adapter, ``reasoning`` for
``Reasoning/``); :func:`register`
calls them all when ``entropy_gym`` is imported.
"""

from __future__ import annotations


def register() -> None:
    """Register every text env id (``TextBandit/...``, ``ToolTask/...``, ``Reasoning/...``)."""
    from entropy_gym.envs.text.bandits import register as register_bandits
    from entropy_gym.envs.text.reasoning import register as register_reasoning
    from entropy_gym.envs.text.tools import register as register_tools

    register_bandits()
    register_tools()
    register_reasoning()
