"""STORI on miniature Atari: the MinAtar games that gymnax ships, under the five STORI types.

Ids are ``STORI/MinAtar-<Game>-T<type>[...]-v0`` (family ``stori-minatar``); the parameters,
defaults and ``info`` keys are the ALE STORI ids' where MinAtar has the thing
(``docs/stori.md``, "MinAtar"). :func:`register` only records ids; gymnax (the ``minatar``
extra) is imported when an env is made.
"""

from __future__ import annotations

from typing import Any

ENTRY_POINT = "entropy_gym.envs.minatar.make:make_minatar_env"
VECTOR_ENTRY_POINT = "entropy_gym.envs.minatar.make:make_minatar_vector_env"
#: The variants every game gets: id suffix -> kwargs (besides ``game``).
VARIANTS: dict[str, dict[str, Any]] = {
    "T1": {"type": "1"},
    "T2.1": {"type": "2.1"},
    "T2.2": {"type": "2.2", "secondary": "2.1"},
    "T2.2-to-T1": {"type": "2.2", "secondary": "1"},
    "T2.2-to-crop": {"type": "2.2", "secondary": "3.2"},
    "T3.1": {"type": "3.1"},
    "T3.2": {"type": "3.2"},
    "T3.2-channels": {"type": "3.2", "mask": "channels"},
}


#: What registering a game takes, without jax: its default type-2.1 event and probability and
#: its default channel group (:data:`~.games.GAMES` holds the events themselves, and a test holds
#: the two equal). So ``import entropy_gym`` works where the ``minatar`` extra is not installed.
CATALOG: dict[str, tuple[str, float, str]] = {
    "Asterix": ("gold_to_enemy", 0.02, "enemies"),
    "Breakout": ("block_hit_cancel_no_reward", 0.25, "ball"),
    "Freeway": ("speed_jump", 0.05, "speeds"),
    "Seaquest": ("oxygen_leak", 0.01, "gauges"),
    "SpaceInvaders": ("alien_descend", 0.01, "direction"),
}


def describe(game: str, kwargs: dict[str, Any]) -> str:
    event_mode, event_p, channel_group = CATALOG[game]
    type_ = kwargs["type"]
    text = {
        "1": "random action substitution (p=0.3 per step)",
        "2.1": f"random event '{event_mode}' (p={event_p} per step)",
        "3.1": "the plain game",
        "3.2": (
            "channels hidden: " + channel_group
            if kwargs.get("mask") == "channels"
            else "left half hidden (p=0.75)"
        ),
    }
    if type_ == "2.2":
        second = {"1": "type 1", "2.1": "its type-2.1 event", "3.2": "the left-half crop"}
        return f"MinAtar {game}: sudden drift after 100 steps to {second[kwargs['secondary']]}"
    return f"MinAtar {game}: {text[type_]}"


def register() -> None:
    """Register every variant of every game in :data:`CATALOG` (no jax imported)."""
    from entropy_gym.envs.minatar.anchors import ANCHOR_SOURCE, anchor_scores
    from entropy_gym.registration import EnvCard, register_env

    for game in CATALOG:
        scores = anchor_scores(game)
        for suffix, kwargs in VARIANTS.items():
            register_env(
                EnvCard(
                    id=f"STORI/MinAtar-{game}-{suffix}-v0",
                    family="stori-minatar",
                    type=kwargs["type"],
                    description=describe(game, kwargs),
                    entry_point=ENTRY_POINT,
                    vector_entry_point=VECTOR_ENTRY_POINT,
                    game=f"MinAtar-{game}",
                    kwargs={"game": game, **kwargs},
                    random_score=scores[0] if scores else None,
                    reference_score=scores[1] if scores else None,
                    reference_source=ANCHOR_SOURCE if scores else None,
                )
            )
