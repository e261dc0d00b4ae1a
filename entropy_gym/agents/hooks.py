"""The hooks: the places where an intervention may change an agent's entropy.

An agent declares the hooks it offers (``Agent.hooks``); an intervention declares the ones it
needs (``Intervention.requires``) and overrides the methods of :class:`Hook` ``methods`` that
:class:`~entropy_gym.agents.interventions.base.Intervention` declares with no-op defaults. At a
hook the agent calls, for every attached intervention that requires it and in attachment
order, the hook's method; a method that returns ``None`` leaves the value as it was.

:data:`HOOKS` lists them in **call order**: within one training update an agent that offers
several calls them in this order (``sb3_kwargs``-style set-up happens once, before the first).

Adding a hook is two edits: a :class:`Hook` entry here and a method with a no-op default on
``Intervention``; ``tests/test_hooks.py`` checks that they agree, and the table in
``docs/agents.md`` is generated from this one (``python -m entropy_gym.agents.hooks_doc
docs/agents.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Hook:
    """One hook: its name, the ``Intervention`` methods an agent calls there, when, and what
    crosses it."""

    name: str
    methods: tuple[str, ...]
    when: str
    contract: str


HOOKS: dict[str, Hook] = {
    h.name: h
    for h in (
        Hook(
            "rollout_plan",
            ("on_rollout_plan",),
            "every update, before sampling",
            "on_rollout_plan(plan) -> plan: the RolloutPlan (groups, group size, reply length, "
            "branch turn) of the update's sampling",
        ),
        Hook(
            "activations",
            ("activation_hooks",),
            "around every forward pass of a decision",
            "activation_hooks(agent) -> handles: register torch forward hooks on "
            "agent.activation_module(layer) (e.g. add a steering vector); the agent removes the "
            "returned handles after the pass",
        ),
        Hook(
            "logits",
            ("on_logits",),
            "every decision, before sampling",
            "on_logits(logits) -> logits: categorical action logits (batch, n_actions), torch or "
            "numpy; the action is sampled from, and the reported entropy is of, softmax(result)",
        ),
        Hook(
            "schedule",
            ("on_schedule", "on_sb3_kwargs"),
            "after every training env step",
            "on_schedule(progress, values) -> values: parameters that follow training progress in "
            "[0, 1] (epsilon, coefficients)",
        ),
        Hook(
            "advantages",
            ("on_advantages",),
            "every update, after advantages are computed",
            "on_advantages(advantages, rollout) -> advantages: same shape; value targets are "
            "already fixed",
        ),
        Hook(
            "token_advantages",
            ("on_token_advantages",),
            "every update, after the group-normalised advantages",
            "on_token_advantages(advantages, rollout) -> advantages: (rows, length) per generated "
            "token, with the TokenRollout's turn, sample and group ids and sampling entropies",
        ),
        Hook(
            "loss",
            ("on_loss",),
            "every minibatch, before the loss is reduced",
            "on_loss(batch) -> per-sample loss: the policy-gradient loss of a minibatch (extra "
            "terms, per-sample weights or masks); a sample is an action (SB3) or a generated "
            "token (llm_grpo, whose TokenLossBatch adds logits, reference log-probs, ids and "
            "the aggregation mask)",
        ),
        Hook(
            "ent_coef",
            ("on_ent_coef", "on_sb3_kwargs"),
            "before every gradient step",
            "on_ent_coef(coef, entropy) -> coef: the entropy coefficient or temperature (PPO/A2C "
            "ent_coef, SAC alpha), given the measured policy entropy",
        ),
    )
}

#: Called once in set-up, before a library model is built, by agents that wrap one (SB3):
#: ``on_sb3_kwargs(kwargs) -> kwargs`` sets the knobs the library owns (``ent_coef``,
#: ``target_entropy``, ``exploration_*``). It counts towards ``ent_coef`` and ``schedule``.
SETUP_METHODS = ("on_sb3_kwargs",)


def hook_table() -> str:
    """The Markdown table of :data:`HOOKS` (what ``docs/agents.md`` shows)."""
    lines = ["| order | hook | methods | when | contract |", "|---:|---|---|---|---|"]
    for order, hook in enumerate(HOOKS.values(), start=1):
        methods = ", ".join(f"`{m}`" for m in hook.methods)
        lines.append(f"| {order} | `{hook.name}` | {methods} | {hook.when} | {hook.contract} |")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- hook-table:begin -->", "<!-- hook-table:end -->"


def with_hook_table(document: str) -> str:
    """``document`` with the text between the hook-table markers replaced by :func:`hook_table`."""
    head, sep, rest = document.partition(BEGIN)
    if not sep or END not in rest:
        raise ValueError(f"the document has no {BEGIN} ... {END} markers")
    return f"{head}{BEGIN}\n{hook_table()}{END}{rest.split(END, 1)[1]}"


def chain_advantages(
    interventions: Sequence[Any],
    advantages: np.ndarray,
    rollout: Any,
    store: Callable[[np.ndarray], None] | None = None,
) -> np.ndarray:
    """The ``advantages`` hook of an action-level agent: each intervention's
    ``on_advantages(advantages, rollout)`` in order, its result (float32, same shape, else a
    one-line ``ValueError``) passed to the next and given to ``store`` (where the agent keeps
    them in ``rollout``); ``None`` leaves them as they were."""
    shape = advantages.shape
    for iv in interventions:
        out = iv.on_advantages(advantages, rollout)
        if out is None:
            continue
        out = np.asarray(out, dtype=np.float32)
        if out.shape != shape:
            raise ValueError(
                f"intervention '{iv.name}' returned advantages of shape {out.shape}, "
                f"expected {shape}"
            )
        advantages = out
        if store is not None:
            store(out)
    return advantages
