"""Keyword arguments of a ``STORI/MinAtar-*`` id -> a checked :class:`MinAtarStori`.

The parameter names, meanings and defaults are the ALE STORI ids' (``docs/stori.md``), where
MinAtar has the thing: ``type``, ``p``, ``per``, ``random_actions``, ``mode``, ``mask``,
``secondary``, ``drift``, ``threshold``; plus ``max_episode_steps``. MinAtar has one frame per
step, so ``per`` takes the ALE values but they all mean "per agent step". A parameter the type
does not read, or one of the ALE's that MinAtar has no counterpart for, is a one-line error.
"""

from __future__ import annotations

from typing import Any

from entropy_gym.envs.minatar.functional import (
    CROPS,
    DRIFTS,
    MASKS,
    SECONDARIES,
    MinAtarStori,
    Perturbation,
)
from entropy_gym.envs.minatar.games import game

TYPES = ("1", "2.1", "2.2", "3.1", "3.2")
#: ``per`` values per perturbation (all the same with one frame per step).
PER = {"1": ("frame", "step"), "2.1": ("frame", "step"), "3.2": ("frame", "observation")}
#: What each type reads (2.2 also reads its secondary's).
READS = {
    "1": {"p", "per", "random_actions"},
    "2.1": {"p", "per", "mode"},
    "3.1": set(),
    "3.2": {"p", "per", "mode", "mask"},
    "2.2": {"secondary", "drift", "threshold"},
}
COMMON = {"game", "type", "max_episode_steps"}
#: ALE-only parameters, refused with a reason.
ALE_ONLY = (
    "frame_skip",
    "frameskip",
    "max_pool",
    "noop_max",
    "max_episode_frames",
    "obs_mode",
    "obs_type",
    "full_action_space",
    "repeat_action_probability",
)
DEFAULT_THRESHOLD = 100
TYPE1_P = 0.3
CROP_P = 0.75


def build_config(game_name: str, type: str = "3.1", **params: Any) -> MinAtarStori:
    """The functional env for ``game_name`` under ``type`` with ``params`` (checked)."""
    spec = game(game_name)
    type = str(type)
    if type not in TYPES:
        raise ValueError(f"STORI type {type!r} is unknown; expected one of: {', '.join(TYPES)}")
    for name in params:
        if name in ALE_ONLY:
            raise ValueError(
                f"parameter {name!r} exists for the ALE ids only: MinAtar has one frame per "
                "step and a fixed 10x10 observation"
            )
    secondary = str(params.get("secondary", "1"))
    allowed = set(COMMON) | READS[type]
    if type == "2.2":
        if secondary not in SECONDARIES:
            raise ValueError(
                f"secondary {secondary!r} is unknown; expected one of: {', '.join(SECONDARIES)}"
            )
        allowed |= READS[secondary]
    extra = sorted(set(params) - allowed - {"game", "type"})
    if extra:
        raise TypeError(
            f"parameter(s) {', '.join(map(repr, extra))} are not read by STORI type {type} on "
            f"MinAtar (it reads: {', '.join(sorted(allowed - {'game', 'type'})) or 'nothing'})"
        )
    kind = secondary if type == "2.2" else type
    perturbation = _perturbation(spec.name, kind, params) if kind in PER else Perturbation()
    drift, threshold = "sudden", DEFAULT_THRESHOLD
    if type == "2.2":
        drift = str(params.get("drift", "sudden"))
        if drift not in DRIFTS:
            raise ValueError(f"drift {drift!r} is unknown; expected one of: {', '.join(DRIFTS)}")
        threshold = params.get("threshold", DEFAULT_THRESHOLD)
        if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
            raise ValueError(f"threshold must be an integer >= 1 (agent steps), got {threshold!r}")
    limit = params.get("max_episode_steps")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ValueError(f"max_episode_steps must be an integer >= 1, got {limit!r}")
    return MinAtarStori.build(
        spec.name,
        type,
        kind=kind if type == "2.2" else "",
        perturbation=perturbation,
        drift=drift,
        threshold=threshold,
        max_episode_steps=limit,
    )


def _perturbation(game_name: str, kind: str, params: dict[str, Any]) -> Perturbation:
    spec = game(game_name)
    per = str(params.get("per", "frame"))
    if per not in PER[kind]:
        raise ValueError(
            f"per {per!r} is not one of {', '.join(PER[kind])} for type {kind} (MinAtar has one "
            "frame per step: they mean the same)"
        )
    if kind == "1":
        p = _probability(params.get("p", TYPE1_P))
        n = params.get("random_actions", 0)
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"random_actions must be an integer >= 0 (0: all), got {n!r}")
        return Perturbation(p=p, random_actions=n)
    if kind == "2.1":
        mode = str(params.get("mode", spec.event_mode))
        if mode not in spec.events:
            raise ValueError(
                f"event mode {mode!r} is unknown for MinAtar {game_name}; expected one of: "
                f"{', '.join(spec.events)}"
            )
        p = _probability(params.get("p", spec.event_p if mode == spec.event_mode else 0.05))
        return Perturbation(p=p, mode=mode)
    mask = str(params.get("mask", "crop"))
    if mask not in MASKS:
        raise ValueError(f"mask {mask!r} is unknown; expected one of: {', '.join(MASKS)}")
    if mask == "crop":
        mode = str(params.get("mode", "left"))
        if mode not in CROPS:
            raise ValueError(f"crop mode {mode!r} is unknown; expected one of: {', '.join(CROPS)}")
        p = _probability(params.get("p", 1.0 if mode == "torch" else CROP_P))
        return Perturbation(p=p, mode=mode, mask=mask)
    groups = spec.channel_groups
    mode = str(params.get("mode", next(iter(groups))))
    if mode not in groups:
        raise ValueError(
            f"channel group {mode!r} is unknown for MinAtar {game_name}; expected one of: "
            f"{', '.join(groups)}"
        )
    p = _probability(params.get("p", 1.0))
    return Perturbation(p=p, mode=mode, mask=mask, channels=spec.channel_indices(mode))


def _probability(p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    return float(p)


def make_minatar_env(game: str, type: str = "3.1", **params: Any) -> Any:
    """``gym.make``'s entry point: the Gymnasium env of ``game`` under ``type``."""
    from entropy_gym.envs.minatar.env import MinAtarStoriEnv

    render_mode = params.pop("render_mode", None)
    return MinAtarStoriEnv(build_config(game, type, **params), render_mode=render_mode)


def make_minatar_vector_env(game: str, type: str = "3.1", num_envs: int = 1, **params: Any) -> Any:
    """``gym.make_vec``'s ``vector_entry_point``: ``num_envs`` rows stepped as one jitted,
    vmapped call."""
    from entropy_gym.envs.minatar.vector import MinAtarStoriVectorEnv

    autoreset_mode = params.pop("autoreset_mode", None)
    params.pop("render_mode", None)
    return MinAtarStoriVectorEnv(
        build_config(game, type, **params), num_envs, autoreset_mode=autoreset_mode
    )
