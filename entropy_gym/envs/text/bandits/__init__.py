"""Multi-armed bandits told in text (``TextBandit/`` ids), for in-context LLM agents and
classic bandit algorithms.

Every id accepts the :class:`~entropy_gym.envs.text.bandits.spec.BanditSpec` fields as kwargs
(``horizon``, ``num_arms``, ``framing``, ``history``, ``hint``, ``means``...), e.g.
``gym.make("entropy_gym:TextBandit/Bernoulli-K5-hard-v0", history="summary")``.
``gym.make_vec`` gives the native batched form (numpy, or torch with ``device=``).

The envs are random by design but draw only from the generator seeded by ``reset(seed=...)``,
so they are registered as deterministic: Gymnasium's checker verifies that a seed fixes the
trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from entropy_gym.registration import EnvCard, register_env

ENTRY_POINT = "entropy_gym.envs.text.bandits.env:TextBanditEnv"
VECTOR_ENTRY_POINT = "entropy_gym.envs.text.bandits.vector:TextBanditVectorEnv"

#: E[max of 5 iid Normal(0, 1)]: the expected best mean of a Gaussian K=5 instance.
_E_MAX_NORMAL_5 = 1.1629644736405196


@dataclass(frozen=True)
class _Variant:
    name: str
    type: str
    description: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    per_step_random: float = 0.0
    per_step_best: float = 0.0


_HORIZON = 100

VARIANTS = (
    _Variant(
        "Bernoulli-K5-easy-v0",
        "easy",
        "5 Bernoulli arms, best 0.75 vs 0.25 (gap 0.5), 100 steps",
        dict(num_arms=5, horizon=_HORIZON, reward="bernoulli", gap=0.5),
        per_step_random=0.35,
        per_step_best=0.75,
    ),
    _Variant(
        "Bernoulli-K5-hard-v0",
        "hard",
        "5 Bernoulli arms, best 0.6 vs 0.4 (gap 0.2), 100 steps",
        dict(num_arms=5, horizon=_HORIZON, reward="bernoulli", gap=0.2),
        per_step_random=0.44,
        per_step_best=0.6,
    ),
    _Variant(
        "Gaussian-K5-v0",
        "gaussian",
        "5 Gaussian arms, means ~ N(0,1), reward noise sd 1, 100 steps",
        dict(num_arms=5, horizon=_HORIZON, reward="gaussian", mean_std=1.0, noise_std=1.0),
        per_step_random=0.0,
        per_step_best=_E_MAX_NORMAL_5,
    ),
    _Variant(
        "Bernoulli-K5-switching-v0",
        "switching",
        "non-stationary: 5 Bernoulli arms (gap 0.5); the best arm moves w.p. 0.02 per step",
        dict(num_arms=5, horizon=_HORIZON, reward="bernoulli", gap=0.5, switch_prob=0.02),
        per_step_random=0.35,
        per_step_best=0.75,
    ),
)


def register() -> None:
    """Register every ``TextBandit/`` id in the env catalog and with Gymnasium."""
    for v in VARIANTS:
        register_env(
            EnvCard(
                id=f"TextBandit/{v.name}",
                family="text-bandit",
                type=v.type,
                description=v.description,
                entry_point=ENTRY_POINT,
                vector_entry_point=VECTOR_ENTRY_POINT,
                kwargs=dict(v.kwargs),
                random_score=v.per_step_random * _HORIZON,
                reference_score=v.per_step_best * _HORIZON,
                reference_source=(
                    "expected return of an oracle that always pulls the best arm (horizon x "
                    "expected best mean), for the registered horizon"
                ),
            )
        )
