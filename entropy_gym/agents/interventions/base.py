"""The base class of entropy interventions, with one typed method per hook.

An intervention names the hooks it needs in ``requires``; an agent names the hooks it offers
in ``hooks``. :meth:`entropy_gym.agents.base.BaseAgent.attach` refuses a mismatch, or an
intervention that overrides none of a required hook's methods, before anything runs. Once
attached, the agent calls the hook methods below (:mod:`entropy_gym.agents.hooks` lists them
in call order); what each agent family passes is documented on the family (SB3, LLM, classic).
Every hook method's default leaves the value unchanged (returns ``None``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from entropy_gym.agents.hooks import HOOKS, SETUP_METHODS

if TYPE_CHECKING:
    import numpy as np


class Intervention:
    """Changes an agent's entropy at declared hooks.

    Subclasses set ``name``, ``requires`` and ``description``, take their parameters as keyword
    arguments (so a YAML mapping can build them), validate them in ``__init__`` with a
    :class:`~entropy_gym.core.errors.ConfigError` that names the parameter, and override the
    methods of the hooks they require.
    """

    name: ClassVar[str] = "intervention"
    requires: ClassVar[frozenset[str]] = frozenset()
    description: ClassVar[str] = ""

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = dict(params)
        self.agent: Any = None

    def bind(self, agent: Any) -> None:
        """Called once when attached; keep a reference to the agent (may refuse by raising)."""
        self.agent = agent

    # -- hook methods (see entropy_gym.agents.hooks.HOOKS for when each is called) -----------------
    def on_sb3_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """Set-up (``ent_coef``, ``schedule``): the library constructor arguments, once."""
        return None

    def on_rollout_plan(self, plan: Any) -> Any | None:
        """``rollout_plan``: the :class:`~entropy_gym.agents.llm.rl.batch.RolloutPlan` of an update."""
        return None

    def activation_hooks(self, agent: Any) -> list[Any]:
        """``activations``: register forward hooks; return their handles (removed after the pass)."""
        return []

    def on_logits(self, logits: Any) -> Any | None:
        """``logits``: action logits ``(batch, n_actions)`` before sampling."""
        return None

    def on_schedule(self, progress: float, values: dict[str, float]) -> dict[str, float] | None:
        """``schedule``: parameters that follow training ``progress`` in [0, 1]."""
        return None

    def on_advantages(self, advantages: np.ndarray, rollout: Any) -> np.ndarray | None:
        """``advantages``: the update's advantages, before it uses them."""
        return None

    def on_token_advantages(self, advantages: Any, rollout: Any) -> Any | None:
        """``token_advantages``: ``(rows, length)`` per-token advantages of an LLM update."""
        return None

    def on_loss(self, batch: Any) -> Any | None:
        """``loss``: the per-sample policy-gradient loss of a minibatch."""
        return None

    def on_ent_coef(self, coef: float, entropy: float) -> float | None:
        """``ent_coef``: the entropy coefficient or temperature before a gradient step."""
        return None

    # -- introspection -------------------------------------------------------------------------
    @classmethod
    def overrides(cls, method: str) -> bool:
        """Whether this class defines its own ``method`` (not the base class's no-op)."""
        if method not in _HOOK_METHODS:
            raise ValueError(
                f"{method!r} is not a hook method; expected one of: {', '.join(_HOOK_METHODS)}"
            )
        return getattr(cls, method) is not getattr(Intervention, method)

    @classmethod
    def implements(cls, hook: str) -> bool:
        """Whether this class overrides at least one method of ``hook``."""
        return any(cls.overrides(m) for m in HOOKS[hook].methods)

    def telemetry(self) -> dict[str, float]:
        """The intervention's own signals for the latest update (e.g. a covariance statistic)."""
        return {}

    def config(self) -> dict[str, Any]:
        """Plain config that rebuilds this intervention: ``{"name": ..., **params}``."""
        return {"name": self.name, **self.params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


#: Every hook method an agent may call, in :data:`~entropy_gym.agents.hooks.HOOKS` order.
_HOOK_METHODS = tuple(
    dict.fromkeys([*SETUP_METHODS, *(m for h in HOOKS.values() for m in h.methods)])
)
