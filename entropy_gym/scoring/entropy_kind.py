"""What a cell's entropy is: its kind, of which distribution, and how it was computed.

A number in nats means different things for different policies, and boards never average
different ones (:func:`column_key`). Each cell records an :class:`EntropyKind`:

* ``kind``: ``discrete`` (Shannon entropy of a distribution over a finite set of actions:
  game actions, bandit arms, admissible tool calls; between 0 and ``log n``), ``continuous``
  (differential entropy of a density over a ``Box`` of actions, summed over dimensions; can
  be negative, and is at most the log-volume of the box), ``token`` (the mean Shannon entropy
  of an LM's next-token distribution over the tokens of a generated reply, nats per token),
  or ``reply`` (an agent-defined entropy of a text reply).
* ``distribution``: ``executed`` when evaluation acts on draws from the distribution whose
  entropy is reported (so it is the entropy of the executed evaluation policy), ``policy``
  when evaluation is deterministic (the mean or greedy action is executed, an entropy of 0)
  and the number is the entropy of the policy the agent samples from in training, measured
  at the evaluation states.
* ``basis``: exactly what was computed, e.g. ``exact``, or for PPO on a ``Box`` the Gaussian
  truncated to the action box, an estimate of the clipped distribution it executes.

The agent says what it reports (:meth:`entropy_gym.agents.base.BaseAgent.entropy_kind`);
cells stored before that existed get the kind :func:`derive_kind` infers from the stored env
(action space, or catalog family) and the agent's name and config, so that committed boards
can be rebuilt without running again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DISCRETE, CONTINUOUS, TOKEN, REPLY = "discrete", "continuous", "token", "reply"
EXECUTED, POLICY = "executed", "policy"

EXACT = "exact"
#: PPO-family Gaussians on a Box as reported before the truncated form existed.
PRE_CLIP = "Gaussian before clipping to the action box (not the executed distribution)"
TRUNCATED = "Gaussian truncated to the action box (estimate of the clipped distribution)"
SQUASHED = "tanh-squashed Gaussian in action units (Gauss-Hermite quadrature)"

#: Agents whose ``Box`` policy is a Gaussian whose draws are clipped to the box.
CLIPPED_GAUSSIAN_AGENTS = frozenset({"ppo", "a2c", "trpo", "recurrent_ppo"})
#: Agents whose ``Box`` policy is a tanh-squashed Gaussian.
SQUASHED_AGENTS = frozenset({"sac", "tqc", "crossq", "jax_sac"})
#: Built-in agents that train on a budget (the rest decide in context or not at all).
LEARNING_AGENTS = frozenset(
    {"ppo", "a2c", "trpo", "recurrent_ppo", "dqn", "qrdqn", "sac", "tqc", "crossq", "td3"}
    | {"jax_ppo", "jax_sac", "llm_grpo", "minatar_ppo", "minatar_dqn"}
)
#: Basis of built-in agents whose entropy is not computed exactly.
_BASES = {
    "thompson": "plug-in estimate from posterior draws",
    "llm_grpo": "mean exact next-token entropy over each reply",
    "jax_ppo": PRE_CLIP,
    "dqn": "exact, of the epsilon-greedy mixture",
    "qrdqn": "exact, of the epsilon-greedy mixture",
    "minatar_dqn": "exact, of the epsilon-greedy mixture",
}
#: What the families' ids act on, for stored results that kept no action space.
_FAMILY_KINDS = {
    "stori": DISCRETE,
    "stori-minatar": DISCRETE,
    "control": CONTINUOUS,
    "text-bandit": DISCRETE,  # arm labels
    "tool-task": DISCRETE,  # admissible calls
    "reasoning": TOKEN,
}


@dataclass(frozen=True)
class EntropyKind:
    """What a cell's reported entropy is (module docstring)."""

    kind: str
    distribution: str = EXECUTED
    basis: str = EXACT

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "distribution": self.distribution, "basis": self.basis}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EntropyKind:
        """Read a stored kind; ``ValueError`` names what is malformed."""
        if not isinstance(data, Mapping) or data.get("kind") not in KINDS:
            raise ValueError(f"entropy kind must be one of {', '.join(KINDS)}, got {data!r}")
        if data.get("distribution", EXECUTED) not in (EXECUTED, POLICY):
            raise ValueError(
                f"entropy distribution must be {EXECUTED} or {POLICY}, got {data['distribution']!r}"
            )
        return cls(
            str(data["kind"]),
            str(data.get("distribution", EXECUTED)),
            str(data.get("basis", EXACT)),
        )


KINDS = (DISCRETE, CONTINUOUS, TOKEN, REPLY)


def space_kind(action_space: str | None, family: str | None) -> str | None:
    """The kind an action space implies (its ``str``, as stored), else the family's."""
    if action_space:
        head = action_space.split("(", 1)[0]
        if head in ("Discrete", "MultiDiscrete", "MultiBinary"):
            return DISCRETE
        if head == "Box":
            return CONTINUOUS
        if head == "Text":
            return DISCRETE if family in ("text-bandit", "tool-task") else REPLY
    return _FAMILY_KINDS.get(family or "")


def agent_name(config: Mapping[str, Any]) -> str:
    return str(config.get("name") or "")


def derive_kind(
    config: Mapping[str, Any],
    *,
    action_space: str | None = None,
    family: str | None = None,
    legacy: bool = False,
) -> EntropyKind | None:
    """The entropy kind of a built-in agent (by name and config) on an env known by its
    stored action space or its family; ``legacy`` for cells stored before agents declared
    theirs (PPO's Gaussian was then reported before clipping). ``None`` when unknown."""
    name = agent_name(config)
    distribution = POLICY if config.get("deterministic") is True else EXECUTED
    if name == "llm_grpo":
        return EntropyKind(TOKEN, distribution, _BASES[name])
    kind = space_kind(action_space, family)
    if kind is None:
        return None
    basis = _BASES.get(name, EXACT)
    if kind == CONTINUOUS:
        if name in CLIPPED_GAUSSIAN_AGENTS:
            basis = PRE_CLIP if legacy else TRUNCATED
        elif name in SQUASHED_AGENTS:
            basis = SQUASHED
        elif name == "random":
            basis = "exact, uniform over the action box"
    return EntropyKind(kind, distribution, basis)


def column_key(kind: EntropyKind | Mapping[str, Any] | None) -> str | None:
    """The board column a kind belongs to: ``<kind>/<distribution>``. Only entropies with
    the same key are ever averaged."""
    if kind is None:
        return None
    if isinstance(kind, Mapping):
        kind = EntropyKind.from_dict(kind)
    return f"{kind.kind}/{kind.distribution}"


_KIND_TEXT = {
    DISCRETE: ("H", "Shannon entropy over discrete actions"),
    CONTINUOUS: ("h", "differential entropy of the continuous action density"),
    TOKEN: ("H/token", "mean Shannon entropy of the next-token distribution per generated token"),
    REPLY: ("H reply", "entropy of the text reply distribution, as the agent defines it"),
}
_DISTRIBUTION_TEXT = {
    EXECUTED: ("sampled", "of the distribution evaluation actions are drawn from"),
    POLICY: (
        "policy; eval deterministic",
        "of the policy sampled in training, at the evaluation states; evaluation executes "
        "its mean or greedy action (an executed entropy of 0)",
    ),
}


def column_header(key: str) -> str:
    """A column's header, with its unit: ``H sampled (nats)``."""
    kind, distribution = key.split("/", 1)
    symbol = _KIND_TEXT.get(kind, (kind, ""))[0]
    which = _DISTRIBUTION_TEXT.get(distribution, (distribution, ""))[0]
    return f"{symbol} {which} (nats)"


def column_meaning(key: str) -> str:
    """What a column holds, in words (its header gives the symbol and unit)."""
    kind, distribution = key.split("/", 1)
    return (
        f"{_KIND_TEXT.get(kind, (kind, kind))[1]}, "
        f"{_DISTRIBUTION_TEXT.get(distribution, (distribution, distribution))[1]}"
    )


#: The largest Shannon entropy of a distribution over at most 2**64 outcomes (nats): the bound
#: of a discrete entropy whose action count is not known.
DISCRETE_CAP = 64 * math.log(2.0)
#: A token entropy is at most ``log(vocabulary)``; no vocabulary has 2**24 tokens.
TOKEN_CAP = 24 * math.log(2.0)
#: Differential entropy per action dimension, either sign (a Gaussian's sd would have to be
#: below 1e-43 or above 1e43 to leave it).
CONTINUOUS_CAP_PER_DIM = 100.0
#: A reply entropy or an entropy of unknown kind, either sign.
GENERIC_CAP = 1e5
#: Rounding allowed at the bounds of a discrete or token entropy.
TOLERANCE = 1e-6


def entropy_bounds(
    kind: str | None, *, max_entropy: float | None = None, action_dims: int = 1
) -> tuple[float, float]:
    """``(lowest, highest)`` value an entropy of ``kind`` can take, in nats: ``[0, log n]``
    for a discrete one over ``n`` actions (``max_entropy``; :data:`DISCRETE_CAP` when ``n`` is
    unknown), ``[0, log V]`` for a token one (:data:`TOKEN_CAP`), ``±100`` nats per action
    dimension for a continuous one, and ``[0, 1e5]`` (reply) or ``±1e5`` (unknown) otherwise.
    A stored entropy outside them is a broken result, not a score."""
    if kind == DISCRETE:
        top = max_entropy if max_entropy is not None and math.isfinite(max_entropy) else None
        return -TOLERANCE, (DISCRETE_CAP if top is None else top) + TOLERANCE
    if kind == TOKEN:
        return -TOLERANCE, TOKEN_CAP + TOLERANCE
    if kind == CONTINUOUS:
        cap = CONTINUOUS_CAP_PER_DIM * max(1, int(action_dims))
        return -cap, cap
    if kind == REPLY:
        return -TOLERANCE, GENERIC_CAP
    return -GENERIC_CAP, GENERIC_CAP
