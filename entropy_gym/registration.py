"""The env catalog: every id the package registers, with what a leaderboard needs to know about it.

Each family registers its ids through :func:`register_env`, which records an :class:`EnvCard`
and forwards to :func:`gymnasium.register`. ``entropy-gym envs`` and the runner read the cards;
users never need to, they simply ``gym.make`` the id.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym

FAMILIES = ("stori", "stori-minatar", "text-bandit", "tool-task", "reasoning", "control")


@dataclass(frozen=True)
class EnvCard:
    """Static facts about one registered env id.

    ``type`` is the stochasticity type of the STORI taxonomy (``"1"``, ``"2.1"``, ``"2.2"``,
    ``"3.1"``, ``"3.2"``) where the family uses it, else a family-specific variant name.
    ``random_score`` and ``reference_score`` anchor score normalisation
    ``(score - random) / (reference - random)``; ``reference_source`` says where the reference
    comes from. Either may be ``None`` when no documented value exists.
    ``vector_entry_point`` names a native batched implementation that ``gym.make_vec`` uses.
    """

    id: str
    family: str
    type: str
    description: str
    entry_point: str
    game: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    max_episode_steps: int | None = None
    nondeterministic: bool = False
    random_score: float | None = None
    reference_score: float | None = None
    reference_source: str | None = None
    higher_is_better: bool = True
    vector_entry_point: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``entropy-gym envs --json`` prints for this id)."""
        return asdict(self)


_CATALOG: dict[str, EnvCard] = {}
#: Ids of optional families not registered here, with what they need (e.g. an extra).
_UNAVAILABLE: dict[str, str] = {}


def note_unavailable(ids: list[str], reason: str) -> None:
    """Record ``ids`` as not registered in this environment, and why (one line)."""
    _UNAVAILABLE.update(dict.fromkeys(ids, reason))


def register_env(card: EnvCard) -> None:
    """Record ``card`` in the catalog and register its id with Gymnasium."""
    if card.family not in FAMILIES:
        raise ValueError(f"env family {card.family!r} is unknown; expected one of {FAMILIES}")
    _CATALOG[card.id] = card
    if card.id in gym.registry:
        # Re-importing the package (e.g. in a spawned worker) must not warn about overrides.
        del gym.registry[card.id]
    gym.register(
        id=card.id,
        entry_point=card.entry_point,
        kwargs=dict(card.kwargs),
        max_episode_steps=card.max_episode_steps,
        nondeterministic=card.nondeterministic,
        vector_entry_point=card.vector_entry_point,
    )


def env_cards(family: str | None = None) -> list[EnvCard]:
    """All registered cards, optionally of one family, in registration order."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"env family {family!r} is unknown; expected one of {FAMILIES}")
    return [c for c in _CATALOG.values() if family is None or c.family == family]


def env_card(env_id: str) -> EnvCard:
    """The card of ``env_id`` (with or without an ``entropy_gym:`` module prefix)."""
    key = env_id.split(":", 1)[1] if env_id.startswith("entropy_gym:") else env_id
    try:
        return _CATALOG[key]
    except KeyError:
        if key in _UNAVAILABLE:
            raise ValueError(f"env id {key!r} {_UNAVAILABLE[key]}") from None
        raise ValueError(
            f"env id {env_id!r} is not registered by entropy_gym; `entropy-gym envs` lists them"
        ) from None
