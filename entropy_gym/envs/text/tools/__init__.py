"""Multi-turn tool-use tasks (``ToolTask/``): generated worlds, tools, an exact-answer check.

See ``docs/tool-tasks.md``. Public pieces: :class:`~entropy_gym.envs.text.tools.env.ToolTaskEnv`,
the call syntax (:mod:`~entropy_gym.envs.text.tools.calls`) and the conversation format
(:mod:`~entropy_gym.envs.text.tools.transcript`).
"""

from entropy_gym.envs.text.tools.catalog import register

__all__ = ["register"]
