"""The base class of entropy interventions.

An intervention names the hooks it needs in ``requires``; an agent names the hooks it offers
in ``hooks``. :meth:`entropy_gym.agents.base.BaseAgent.attach` refuses a mismatch before
anything runs. Once attached, the agent calls the intervention at its hooks; what each hook
passes is documented on the agent family that offers it (SB3, LLM, classic).
"""

from __future__ import annotations

from typing import Any, ClassVar


class Intervention:
    """Changes an agent's entropy at declared hooks.

    Subclasses set ``name``, ``requires`` and ``description``, take their parameters as keyword
    arguments (so a YAML mapping can build them), validate them in ``__init__`` with a
    :class:`~entropy_gym.agents.base.ConfigError` that names the parameter, and override the
    callbacks of the hooks they require.
    """

    name: ClassVar[str] = "intervention"
    requires: ClassVar[frozenset[str]] = frozenset()
    description: ClassVar[str] = ""

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = dict(params)
        self.agent: Any = None

    def bind(self, agent: Any) -> None:
        """Called once when attached; keep a reference to the agent."""
        self.agent = agent

    def telemetry(self) -> dict[str, float]:
        """The intervention's own signals for the latest update (e.g. a covariance statistic)."""
        return {}

    def config(self) -> dict[str, Any]:
        """Plain config that rebuilds this intervention: ``{"name": ..., **params}``."""
        return {"name": self.name, **self.params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"
