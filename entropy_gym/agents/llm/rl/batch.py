"""What the LLM trainer passes at its hooks.

``rollout_plan``: a :class:`RolloutPlan` before each update's sampling.
``token_advantages``: the ``(rows, length)`` advantages with the :class:`TokenRollout` they
belong to (turn boundaries, sample and group ids, sampling entropies).
``loss``: a :class:`TokenLossBatch`, the per-token policy-gradient loss of a minibatch with
everything an intervention reads (flattened over the minibatch's generated tokens).

Kept free of heavy imports; the tensors are ``torch.Tensor`` at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from entropy_gym.core.payloads import PolicyLossBatch

if TYPE_CHECKING:  # pragma: no cover
    import torch


@dataclass(frozen=True)
class RolloutPlan:
    """How one update samples: ``groups`` prompts (single-turn) or env seeds (multi-turn),
    ``group_size`` samples of each (the group of group-normalised advantages), replies of at
    most ``max_new_tokens`` tokens. ``branch_turn`` (multi-turn envs that can save their
    state): the members of a group share the first ``branch_turn`` turns of one episode and
    branch after them; ``None`` plays every member from the reset."""

    groups: int
    group_size: int
    max_new_tokens: int
    branch_turn: int | None = None

    def __post_init__(self) -> None:
        from entropy_gym.core.errors import ConfigError

        for name in ("groups", "group_size", "max_new_tokens"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"rollout plan {name} must be an integer >= 1, got {value!r}")
        if self.branch_turn is not None and (
            isinstance(self.branch_turn, bool)
            or not isinstance(self.branch_turn, int)
            or self.branch_turn < 1
        ):
            raise ConfigError(
                f"rollout plan branch_turn must be null or an integer >= 1, got {self.branch_turn!r}"
            )

    def with_(self, **changes: Any) -> RolloutPlan:
        """A copy with ``changes`` (validated)."""
        return replace(self, **changes)


@dataclass
class Turn:
    """One agent reply: the tokens it saw (``prompt``), the tokens it generated (``reply``,
    the stop token included when it stopped), and per generated token the log-probability and
    the full-vocabulary entropy (nats) of the distribution it was sampled from."""

    prompt: list[int]
    reply: list[int]
    logprobs: list[float]
    entropies: list[float]
    text: str = ""


@dataclass
class Trajectory:
    """One sample of a group: a whole episode, every turn of it, and its return; ``answer``
    and ``solved`` as :mod:`~entropy_gym.agents.llm.rl.answers` reads them (``None`` where
    the env tells nothing of the kind)."""

    group: int
    turns: list[Turn] = field(default_factory=list)
    reward: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)
    answer: str | None = None
    solved: bool | None = None

    @property
    def tokens(self) -> int:
        return sum(len(t.reply) for t in self.turns)


@dataclass
class TokenRollout:
    """An update's trajectories packed for the forward pass: one row per (sample, turn), the
    turn's prompt then its reply, right-padded to ``length``.

    ``input_ids``, ``attention_mask`` and ``response_mask`` are ``(rows, length)``;
    ``response_mask`` marks the agent's generated tokens (env text and padding are False).
    ``row_sample``, ``row_turn`` and ``row_group`` are ``(rows,)``: which sample (index into
    ``rewards``), which turn of it, which group. ``rewards`` and ``sample_group`` are
    ``(samples,)``. ``sampling_logprobs`` and ``sampling_entropy`` are ``(rows, length)``, the
    values at sampling time (0 off the response). ``old_logprobs`` and ``ref_logprobs`` are
    filled by the trainer before the update (``ref_logprobs`` only with a KL term or an
    intervention that reads it).
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    response_mask: torch.Tensor
    row_sample: torch.Tensor
    row_turn: torch.Tensor
    row_group: torch.Tensor
    rewards: torch.Tensor
    sample_group: torch.Tensor
    sampling_logprobs: torch.Tensor
    sampling_entropy: torch.Tensor
    old_logprobs: torch.Tensor | None = None
    ref_logprobs: torch.Tensor | None = None

    @property
    def num_samples(self) -> int:
        return int(self.rewards.shape[0])

    @property
    def num_rows(self) -> int:
        return int(self.input_ids.shape[0])


@dataclass
class TokenLossBatch(PolicyLossBatch):
    """A minibatch's per-token policy-gradient loss at the ``loss`` hook of the LLM trainer.

    The fields of :class:`~entropy_gym.core.payloads.PolicyLossBatch` (so interventions
    written for it act per token here), every tensor ``(tokens,)`` over the minibatch's
    generated tokens: ``log_prob``, ``ratio``, ``entropy`` (exact, full vocabulary) and
    ``pg_loss`` carry gradients; ``clipped`` marks tokens whose clipped branch is active.
    The token fields: ``logits`` ``(tokens, vocab)`` of the current policy (with gradient);
    ``ref_log_prob`` (``None`` without a reference model); ``sample_index``, ``turn_index``,
    ``group_index`` and ``token_index`` (position in its reply); ``clip_range_high`` (the
    upper clip, equal to ``clip_range`` unless clip-higher changed it); ``progress`` in [0, 1].

    ``loss_mask`` (bool) is the set of tokens the update aggregates over; an intervention may
    narrow it (e.g. to forking tokens) and the trainer aggregates ``pg_loss`` over it.
    """

    logits: torch.Tensor | None = None
    ref_log_prob: torch.Tensor | None = None
    sample_index: torch.Tensor | None = None
    turn_index: torch.Tensor | None = None
    group_index: torch.Tensor | None = None
    token_index: torch.Tensor | None = None
    loss_mask: torch.Tensor | None = None
    clip_range_high: float = 0.2
    progress: float = 0.0
    num_samples: int = 0
