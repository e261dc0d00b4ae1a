"""Text environments: multi-turn tool tasks (``ToolTask/``)."""

from __future__ import annotations


def register() -> None:
    """Register the text families' ids (called once on ``import entropy_gym``)."""
    from entropy_gym.envs.text.tools import register as register_tools

    register_tools()
