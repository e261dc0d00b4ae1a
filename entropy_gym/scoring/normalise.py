"""Score normalisation against per-env random and reference scores.

``normalised = (score - random) / (reference - random)``: 0 is the uniform random agent, 1 the
reference (human scores for Atari, a documented reference elsewhere). Anchors come from the
suite entry when it gives them, else from the env catalog (:func:`entropy_gym.registration.env_card`).
An env without anchors is scored raw, and the leaderboard says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Anchors:
    """Normalisation anchors of one env; ``origin`` is ``suite``, ``catalog`` or ``None`` (raw)."""

    random: float | None = None
    reference: float | None = None
    source: str | None = None
    origin: str | None = None
    higher_is_better: bool = True

    @property
    def normalised(self) -> bool:
        return (
            self.random is not None and self.reference is not None and self.reference != self.random
        )

    def apply(self, score: float) -> float:
        """The normalised score, or the raw score (sign-flipped where lower is better)."""
        if self.normalised:
            return (score - self.random) / (self.reference - self.random)  # type: ignore[operator]
        return score if self.higher_is_better else -score

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "normalised": self.normalised}


def anchors_for(
    env_id: str,
    random_score: float | None = None,
    reference_score: float | None = None,
    reference_source: str | None = None,
) -> Anchors:
    """Anchors for ``env_id``: the given ones, else the catalog's, else none (raw scores)."""
    from entropy_gym.registration import env_card

    try:
        card = env_card(env_id.split(":", 1)[1] if ":" in env_id else env_id)
    except ValueError:
        card = None
    higher = card.higher_is_better if card is not None else True
    if random_score is not None and reference_score is not None:
        return Anchors(random_score, reference_score, reference_source, "suite", higher)
    if (
        card is not None
        and card.random_score is not None
        and card.reference_score is not None
        and card.random_score != card.reference_score
    ):
        return Anchors(
            card.random_score, card.reference_score, card.reference_source, "catalog", higher
        )
    return Anchors(higher_is_better=higher)
