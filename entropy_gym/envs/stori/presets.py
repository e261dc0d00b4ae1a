"""The registered STORI ids: the paper's presets and the game-independent variants.

Pure data (no emulator import), read by ``register()`` at package import. Each id maps to the
complete keyword arguments of :func:`entropy_gym.envs.stori.make.make_stori_env`, so the catalog
and every leaderboard row record exactly what was run.

Presets follow STORI's ``Exp_configs.json`` (ARY2260/stori). Game-independent defaults: type 1
uses the paper's ``p=0.3`` per frame; the crop mask hides the left half with ``p=0.75`` (the
paper's Breakout T3.2B); concept drift switches suddenly after 300 agent steps (the paper's
Breakout and Boxing T2.2) to one of those two.
"""

from __future__ import annotations

from typing import Any

#: Paper presets, per game: id suffix -> kwargs (besides ``game``).
PAPER_PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "Breakout": {
        "T1": {"type": "1", "p": 0.3, "per": "frame"},
        "T2.1": {"type": "2.1", "mode": "block_hit_cancel_no_reward", "p": 0.25, "per": "frame"},
        "T2.2": {
            "type": "2.2", "drift": "sudden", "threshold": 300,
            "secondary": "3.2", "mask": "blackout", "mode": "ball_top_bottom", "p": 1.0, "per": "frame",
        },
        "T3.1": {"type": "3.1"},
        "T3.2A": {"type": "3.2", "mask": "blackout", "mode": "ball_top_bottom", "p": 1.0, "per": "frame"},
        "T3.2B": {"type": "3.2", "mask": "crop", "mode": "left", "p": 0.75, "per": "frame"},
        "T3.2C": {"type": "3.2", "mask": "crop", "mode": "torch", "p": 1.0, "per": "frame"},
    },
    "Boxing": {
        "T1": {"type": "1", "p": 0.3, "per": "frame"},
        "T2.1": {"type": "2.1", "mode": "color_flip", "p": 0.001, "per": "frame"},
        "T2.2": {
            "type": "2.2", "drift": "sudden", "threshold": 300,
            "secondary": "3.2", "mask": "ram", "mode": "enemy", "p": 0.7, "per": "frame",
        },
        "T3.1": {"type": "3.1"},
        "T3.2A": {"type": "3.2", "mask": "blackout", "mode": "scores_clock", "p": 1.0, "per": "frame"},
        "T3.2B": {"type": "3.2", "mask": "crop", "mode": "right", "p": 0.75, "per": "frame"},
        "T3.2C": {"type": "3.2", "mask": "ram", "mode": "enemy", "p": 0.7, "per": "frame"},
    },
    "Gopher": {
        "T1": {"type": "1", "p": 0.3, "per": "frame"},
        "T2.1": {"type": "2.1", "mode": "fill_cancel_no_reward", "p": 0.3, "per": "frame"},
        "T2.2": {
            "type": "2.2", "drift": "cyclic", "threshold": 600,
            "secondary": "3.2", "mask": "blackout", "mode": "underground_offset", "p": 1.0, "per": "frame",
        },
        "T3.1": {"type": "3.1"},
        "T3.2": {"type": "3.2", "mask": "blackout", "mode": "underground_offset", "p": 1.0, "per": "frame"},
    },
    "BankHeist": {
        "T1": {"type": "1", "p": 0.3, "per": "frame", "random_actions": 10},
        "T2.1": {"type": "2.1", "mode": "city_switch", "p": 0.001, "per": "frame"},
        "T2.2": {
            "type": "2.2", "drift": "cyclic", "threshold": 600,
            "secondary": "3.2", "mask": "ram", "mode": "city_blocks", "p": 0.75, "per": "frame",
        },
        "T3.1": {"type": "3.1"},
        "T3.2": {"type": "3.2", "mask": "ram", "mode": "city_blocks", "p": 0.75, "per": "frame"},
    },
}  # fmt: skip

#: Variants registered for every ALE game (a paper preset of the same name wins).
GENERIC: dict[str, dict[str, Any]] = {
    "T1": {"type": "1", "p": 0.3, "per": "frame"},
    "T2.2-to-T1": {
        "type": "2.2", "drift": "sudden", "threshold": 300, "secondary": "1", "p": 0.3, "per": "frame",
    },
    "T2.2-to-crop": {
        "type": "2.2", "drift": "sudden", "threshold": 300,
        "secondary": "3.2", "mask": "crop", "mode": "left", "p": 0.75, "per": "frame",
    },
    "T3.1": {"type": "3.1"},
    "T3.2-crop": {"type": "3.2", "mask": "crop", "mode": "left", "p": 0.75, "per": "frame"},
}  # fmt: skip

#: Defaults of :func:`make_stori_env` for parameters a caller leaves out.
DEFAULT_P = {"1": 0.3, "crop": 0.75, "torch": 1.0, "blackout": 1.0, "ram": 0.75}
DEFAULT_EVENT = {
    "Breakout": ("block_hit_cancel_no_reward", 0.25),
    "Boxing": ("color_flip", 0.001),
    "Gopher": ("fill_cancel_no_reward", 0.3),
    "BankHeist": ("city_switch", 0.001),
}
#: The mode of a mask kind when none is given: the paper's, where the paper used that kind.
DEFAULT_MASK_MODE = {
    ("crop", None): "left",
    ("blackout", "Breakout"): "ball_top_bottom",
    ("blackout", "Boxing"): "scores_clock",
    ("blackout", "Gopher"): "underground_offset",
    ("ram", "Boxing"): "enemy",
    ("ram", "BankHeist"): "city_blocks",
}
DEFAULT_DRIFT = {"drift": "sudden", "threshold": 300, "secondary": "1"}


def variants(game: str) -> dict[str, dict[str, Any]]:
    """``{id suffix: kwargs}`` of every registered id of ``game`` (a PascalCase ALE name)."""
    out = {suffix: dict(kwargs) for suffix, kwargs in GENERIC.items()}
    out.update({suffix: dict(kwargs) for suffix, kwargs in PAPER_PRESETS.get(game, {}).items()})
    return dict(sorted(out.items()))


def _perturbation(kwargs: dict[str, Any], kind: str) -> str:
    if kind == "1":
        subset = (
            f", first {kwargs['random_actions']} actions" if kwargs.get("random_actions") else ""
        )
        return (
            f"random action substitution p={kwargs['p']} per {kwargs.get('per', 'frame')}{subset}"
        )
    if kind == "2.1":
        return f"RAM event {kwargs['mode']} p={kwargs['p']} per {kwargs.get('per', 'frame')}"
    return (
        f"{kwargs['mask']} mask {kwargs['mode']} p={kwargs['p']} per {kwargs.get('per', 'frame')}"
    )


def describe(game: str, kwargs: dict[str, Any]) -> str:
    """The one-line catalog description of an id's kwargs."""
    kind = kwargs["type"]
    if kind == "3.1":
        return f"{game}, type 3.1: the plain game (pixels, no perturbation)"
    if kind == "2.2":
        when = (
            f"after {kwargs['threshold']} steps"
            if kwargs["drift"] == "sudden"
            else f"every {kwargs['threshold']} steps"
        )
        return (
            f"{game}, type 2.2: {kwargs['drift']} concept drift {when} to type "
            f"{kwargs['secondary']} ({_perturbation(kwargs, kwargs['secondary'])})"
        )
    return f"{game}, type {kind}: {_perturbation(kwargs, kind)}"
