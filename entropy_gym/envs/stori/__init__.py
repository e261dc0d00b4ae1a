"""STORI stochastic Atari: ALE games under the five stochasticity types of STORI.

Types: 1 random action substitution, 2.1 random events through the game's RAM, 2.2 concept
drift, 3.1 the plain game, 3.2 missing state variables (masked pixels or hidden sprites). Ids are
``STORI/<Game>-T<type>[...]-v0``; ``entropy-gym envs --family stori`` lists them and
``docs/stori.md`` explains them. :func:`register` only records ids: nothing heavy is imported
until an env is made.
"""

from __future__ import annotations

ENTRY_POINT = "entropy_gym.envs.stori.make:make_stori_env"
#: ``gym.make_vec``'s native batch (ALE's C++ vector env); imported only when one is made.
VECTOR_ENTRY_POINT = "entropy_gym.envs.stori.vector:make_stori_vector_env"


def register() -> None:
    """Register the paper presets of the four STORI games and the game-independent variants of
    every ALE game (those that ``ALE/<Game>-v5`` exists for), anchored by DQN Zoo's published
    scores where they exist and by the measured random agent (:mod:`.anchors`) elsewhere."""
    from entropy_gym.envs.stori.catalog import (
        HUMAN_RANDOM_SOURCE,
        game_roms,
        measured_scores,
        measured_source,
        random_human_scores,
    )
    from entropy_gym.envs.stori.presets import describe, variants
    from entropy_gym.registration import EnvCard, register_env

    try:
        games = game_roms()
    except ModuleNotFoundError:
        return  # ale-py is absent: no STORI ids
    for game, rom in games.items():
        scores, source = random_human_scores(rom), HUMAN_RANDOM_SOURCE
        if scores is None:
            scores = measured_scores(game)
            source = measured_source(game) if scores else None
        for suffix, kwargs in variants(game).items():
            register_env(
                EnvCard(
                    id=f"STORI/{game}-{suffix}-v0",
                    family="stori",
                    type=kwargs["type"],
                    description=describe(game, kwargs),
                    entry_point=ENTRY_POINT,
                    vector_entry_point=VECTOR_ENTRY_POINT,
                    game=game,
                    kwargs={"game": game, **kwargs},
                    random_score=scores[0] if scores else None,
                    reference_score=scores[1] if scores else None,
                    reference_source=source,
                )
            )
