"""Per-game STORI modes: the RAM events (type 2.1), blackout rectangles and RAM-hiding modes
(type 3.2), and restricted random-action sets (type 1) of Breakout, Boxing, Gopher and
BankHeist.

RAM addresses, rectangles and colours are those of the STORI reference implementation
(ARY2260/stori, ``stori/atari_envs/*.py``); modes keep STORI's order, so a mode may be given by
name or by STORI's number (``"2"`` is the second mode). Every other ALE game has the
game-independent modes only (crop masks, and any action set for type 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from entropy_gym.envs.stori.atari import HideWrites
from entropy_gym.envs.stori.events import RamEvent
from entropy_gym.envs.stori.masks import Fill


@dataclass(frozen=True)
class GameModes:
    """What one game offers beyond the game-independent types, in STORI's mode order."""

    events: dict[str, type[RamEvent]] = field(default_factory=dict)
    blackouts: dict[str, tuple[Fill, ...]] = field(default_factory=dict)
    ram_hides: dict[str, HideWrites] = field(default_factory=dict)
    #: Type 1 draws replacements from the first ``random_actions`` actions (None: all).
    random_actions: int | None = None


def game_modes(game: str) -> GameModes:
    """The modes of ``game`` (a PascalCase ALE name); empty for games without specific modes."""
    from entropy_gym.envs.stori.games import bankheist, boxing, breakout, gopher

    table = {
        "Breakout": breakout.MODES,
        "Boxing": boxing.MODES,
        "Gopher": gopher.MODES,
        "BankHeist": bankheist.MODES,
    }
    return table.get(game, GameModes())


#: Games with their own modes, for error messages.
GAMES_WITH_MODES = ("Breakout", "Boxing", "Gopher", "BankHeist")


def resolve_mode(modes: dict[str, object], mode: str | int, what: str, game: str) -> str:
    """The name of ``mode`` in ``modes`` (by name or STORI's 1-based number), or a ValueError."""
    names = list(modes)
    key = str(mode)
    if key in modes:
        return key
    if key.isdigit() and 1 <= int(key) <= len(names):
        return names[int(key) - 1]
    listed = ", ".join(f"{name} ({i})" for i, name in enumerate(names, 1))
    raise ValueError(f"{what} mode {mode!r} is unknown for {game}; expected one of: {listed}")
