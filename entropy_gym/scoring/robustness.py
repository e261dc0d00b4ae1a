"""STORI robustness: how much of its plain-game performance an agent keeps under each
stochasticity type.

For a game whose plain variant (type ``3.1``) is in the suite, the robustness under type ``T``
is ``score_T / score_3.1``, where each score is the agent's mean over seeds of the normalised
score ((return - random) / (reference - random), anchored on the game's random and reference
scores), i.e. the fraction of its above-random plain performance it keeps. Game and type come
from the env catalog (``EnvCard.game``, ``EnvCard.type``). A ratio is undefined (``None``) when
the plain score is not above random (``<= 0``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

PLAIN_TYPE = "3.1"


def type_order(kind: str) -> tuple[float, str]:
    """Sort key of a stochasticity type: by its number (``2.2`` before ``3.1``)."""
    try:
        return float(kind), kind
    except ValueError:
        return math.inf, kind


def robustness(
    task_scores: Mapping[str, float], task_game_type: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    """``{"games": {game: {type: ratio}}, "by_type": {type: mean ratio over games}}`` for one
    agent, from its mean score per task and each task's ``(game, type)``."""
    plain: dict[str, float] = {}
    for task, (game, kind) in task_game_type.items():
        if kind == PLAIN_TYPE and task in task_scores:
            plain[game] = task_scores[task]
    # Several tasks of one game may share a type (e.g. the 3.2 variants A/B/C): average them.
    typed: dict[str, dict[str, list[float]]] = {}
    for task, (game, kind) in sorted(task_game_type.items()):
        if game not in plain or kind == PLAIN_TYPE or task not in task_scores:
            continue
        typed.setdefault(game, {}).setdefault(kind, []).append(task_scores[task])
    games: dict[str, dict[str, float | None]] = {}
    for game, kinds in typed.items():
        base = plain[game]
        games[game] = {k: (sum(v) / len(v)) / base if base > 0 else None for k, v in kinds.items()}
    by_type: dict[str, list[float]] = {}
    for ratios in games.values():
        for kind, ratio in ratios.items():
            if ratio is not None:
                by_type.setdefault(kind, []).append(ratio)
    return {
        "games": games,
        "by_type": {k: sum(v) / len(v) for k, v in sorted(by_type.items())},
    }


#: The stochasticity types of the taxonomy (STORI's and Control's ids use these). A copy, so
#: that scoring imports no env package; a test keeps it equal to both families' lists.
TAXONOMY_TYPES = ("1", "2.1", "2.2", "3.1", "3.2")


def stori_tasks(env_ids: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """``{task name: (game, type)}`` for the suite's catalog envs whose type is one of the
    stochasticity taxonomy's (STORI, Control); a text task's difficulty is not a type."""
    from entropy_gym.registration import env_card

    out = {}
    for task, env_id in env_ids.items():
        try:
            card = env_card(env_id.split(":", 1)[1] if ":" in env_id else env_id)
        except ValueError:
            continue
        if card.game and str(card.type) in TAXONOMY_TYPES:
            out[task] = (card.game, str(card.type))
    return out
