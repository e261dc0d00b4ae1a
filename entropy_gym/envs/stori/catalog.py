"""The ALE games, their names, and the per-game normalisation scores (published or measured).

The game list is read from the ROM checksum file inside the installed ``ale_py`` package without
importing it (importing ``ale_py`` loads the emulator, and registration must stay cheap). It
mirrors ``ale_py.registration.register_v5_envs``: every ROM except the four that have no
single-player mode, i.e. exactly the games with an ``ALE/<Game>-v5`` id.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

#: ROMs that ale-py ships but registers no ``ALE/<Game>-v5`` id for (multiplayer only).
MULTIPLAYER_ONLY = frozenset({"combat", "joust", "maze_craze", "warlords"})

#: Human and random scores per ROM id: ``{rom: (random, human)}``. Source: DQN Zoo,
#: ``dqn_zoo/atari_data.py`` (google-deepmind/dqn_zoo): returns averaged over at least 3
#: episodes, each starting with 1-30 no-op actions, capped at 108,000 frames. They are scores of
#: the unperturbed games; STORI types are normalised against the same anchors.
HUMAN_RANDOM_SOURCE = (
    "DQN Zoo (google-deepmind/dqn_zoo, dqn_zoo/atari_data.py): random and professional human "
    "tester scores, 1-30 no-op starts, 108k-frame cap; unperturbed game"
)
_RANDOM_HUMAN: dict[str, tuple[float, float]] = {
    "alien": (227.8, 7127.7),
    "amidar": (5.8, 1719.5),
    "assault": (222.4, 742.0),
    "asterix": (210.0, 8503.3),
    "asteroids": (719.1, 47388.7),
    "atlantis": (12850.0, 29028.1),
    "bank_heist": (14.2, 753.1),
    "battle_zone": (2360.0, 37187.5),
    "beam_rider": (363.9, 16926.5),
    "berzerk": (123.7, 2630.4),
    "bowling": (23.1, 160.7),
    "boxing": (0.1, 12.1),
    "breakout": (1.7, 30.5),
    "centipede": (2090.9, 12017.0),
    "chopper_command": (811.0, 7387.8),
    "crazy_climber": (10780.5, 35829.4),
    "defender": (2874.5, 18688.9),
    "demon_attack": (152.1, 1971.0),
    "double_dunk": (-18.6, -16.4),
    "enduro": (0.0, 860.5),
    "fishing_derby": (-91.7, -38.7),
    "freeway": (0.0, 29.6),
    "frostbite": (65.2, 4334.7),
    "gopher": (257.6, 2412.5),
    "gravitar": (173.0, 3351.4),
    "hero": (1027.0, 30826.4),
    "ice_hockey": (-11.2, 0.9),
    "jamesbond": (29.0, 302.8),
    "kangaroo": (52.0, 3035.0),
    "krull": (1598.0, 2665.5),
    "kung_fu_master": (258.5, 22736.3),
    "montezuma_revenge": (0.0, 4753.3),
    "ms_pacman": (307.3, 6951.6),
    "name_this_game": (2292.3, 8049.0),
    "phoenix": (761.4, 7242.6),
    "pitfall": (-229.4, 6463.7),
    "pong": (-20.7, 14.6),
    "private_eye": (24.9, 69571.3),
    "qbert": (163.9, 13455.0),
    "riverraid": (1338.5, 17118.0),
    "road_runner": (11.5, 7845.0),
    "robotank": (2.2, 11.9),
    "seaquest": (68.4, 42054.7),
    "skiing": (-17098.1, -4336.9),
    "solaris": (1236.3, 12326.7),
    "space_invaders": (148.0, 1668.7),
    "star_gunner": (664.0, 10250.0),
    "surround": (-10.0, 6.5),
    "tennis": (-23.8, -8.3),
    "time_pilot": (3568.0, 5229.2),
    "tutankham": (11.4, 167.6),
    "up_n_down": (533.4, 11693.2),
    "venture": (0.0, 1187.5),
    "video_pinball": (16256.9, 17667.9),
    "wizard_of_wor": (563.5, 4756.5),
    "yars_revenge": (3092.9, 54576.9),
    "zaxxon": (32.5, 9173.3),
}


#: Measured anchors of the games the table lacks, written by :mod:`.anchors`.
MEASURED_PATH = Path(__file__).with_name("measured_anchors.json")
PROTOCOL = (
    "uniform random agent on the plain game (type 3.1), 1-30 no-op starts, 108,000-frame cap, "
    "frame skip 4, sticky actions off"
)
REFERENCE_RULE = "random mean + 1 std of its episode returns (+1 where the std is 0)"


def rom_to_name(rom: str) -> str:
    """ALE's PascalCase game name of a snake_case ROM id (``bank_heist`` -> ``BankHeist``)."""
    return rom.title().replace("_", "")


def _ale_package_dir() -> Path:
    spec = importlib.util.find_spec("ale_py")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("ale_py is not installed; STORI envs need `pip install ale-py`")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.lru_cache(maxsize=1)
def game_roms() -> dict[str, str]:
    """``{Name: rom_id}`` for every game with an ``ALE/<Name>-v5`` id, sorted by name."""
    with open(_ale_package_dir() / "roms" / "md5.json") as f:
        roms = [key.split(".")[0] for key in json.load(f)]
    games = {rom_to_name(r): r for r in roms if r not in MULTIPLAYER_ONLY}
    return dict(sorted(games.items()))


def resolve_game(game: str) -> tuple[str, str]:
    """``(Name, rom_id)`` of ``game`` given as a name (``BankHeist``) or ROM id (``bank_heist``)."""
    games = game_roms()
    if game in games:
        return game, games[game]
    by_rom = {rom: name for name, rom in games.items()}
    if game in by_rom:
        return by_rom[game], game
    raise ValueError(f"unknown game {game!r}; expected one of: {', '.join(games)}")


def random_human_scores(rom: str) -> tuple[float, float] | None:
    """``(random, human)`` score of a ROM id from DQN Zoo's table, or ``None`` if not listed."""
    return _RANDOM_HUMAN.get(rom)


@functools.lru_cache(maxsize=1)
def load_measured(path: Path = MEASURED_PATH) -> dict[str, Any]:
    """The stored measurement file (``{"games": {}}`` where it does not exist)."""
    if not path.exists():
        return {"games": {}}
    with open(path) as f:
        data: dict[str, Any] = json.load(f)
    return data


def measured_scores(game: str) -> tuple[float, float] | None:
    """``(random, reference)`` of a PascalCase game from the stored file, or ``None``."""
    entry = load_measured()["games"].get(game)
    return None if entry is None else (entry["random"], entry["reference"])


def measured_source(game: str) -> str:
    """The ``reference_source`` string of a game's measured anchors."""
    entry = load_measured()["games"][game]
    prov = load_measured()["provenance"]
    return (
        f"measured: {PROTOCOL}; {entry['episodes']} episodes, random {entry['random']:.4g} "
        f"(std {entry['std']:.4g}); reference = {REFERENCE_RULE}; DQN Zoo publishes no score "
        f"for this game (entropy-gym {prov['package_version']}, ale-py "
        f"{prov['libraries'].get('ale-py', '?')}, {prov['date']})"
    )
