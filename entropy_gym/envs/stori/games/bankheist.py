"""BankHeist: RAM map and STORI modes.

RAM 0 counts cities (the city is its value mod 4), RAM 12 is the dropped dynamite, RAM 86 the
fuel gauge (0 full, 25 empty), RAM 24-26 the three building slots (253 bank, 254 police car,
255 nothing), RAM 8/28 the robber's car, RAM 66/68 the city blocks and RAM 69 the background.
"""

from __future__ import annotations

from entropy_gym.envs.stori.events import RamEvent
from entropy_gym.envs.stori.games import GameModes
from entropy_gym.envs.stori.masks import Fill

CITY, BOMB, FUEL = 0, 12, 86
SLOTS = (24, 25, 26)
BANK, POLICE, EMPTY = 253, 254, 255
HALF_TANK = 12  # 25 // 2
#: Background colours that blend the city blocks into the walls, per city.
BLEND = {0: 30, 1: 190, 2: 46, 3: 126}


class BombDud(RamEvent):
    """Dropped dynamite is a dud: a change of the dynamite byte away from its reset value is
    reverted.

    As in STORI, "a change" compares with the byte the game itself wrote on the frame before
    (the RAM before any revert), so a revert holds until the game moves the byte on.
    """

    name = "bomb_dud"

    def reset_episode(self) -> None:
        self.last: int | None = None  # the game's own byte after the last frame

    def episode_state(self) -> object:
        return self.last

    def set_episode_state(self, state: object) -> None:
        self.last = state  # type: ignore[assignment]

    def before_frame(self, action: int, frame: int) -> int:
        if self.active and self.last is None:
            self.last = int(self.ale.getRAM()[BOMB])
        return super().before_frame(action, frame)

    def after_frame(self, action: int, reward: int, frame: int) -> int:
        if not self.active:
            return reward
        now = int(self.read()[BOMB])
        last, self.last = self.last, now
        if now != self.initial[BOMB] and now != last and self.chance():
            self.ale.setRAM(BOMB, last)
            self.fired += 1
        return reward


class FuelLeak(RamEvent):
    """The tank suddenly drops to half (if fuller): at most one chance per city per episode."""

    name = "fuel_leak"

    def reset_episode(self) -> None:
        self.leaked: set[int] = set()

    def episode_state(self) -> object:
        return frozenset(self.leaked)

    def set_episode_state(self, state: object) -> None:
        self.leaked = set(state)

    def after_frame(self, action: int, reward: int, frame: int) -> int:
        if not self.active:
            return reward
        now = self.read()
        city = int(now[CITY]) % 4
        if city in self.leaked or not self.chance():
            return reward
        self.leaked.add(city)
        if now[FUEL] < HALF_TANK:
            self.ale.setRAM(FUEL, HALF_TANK)
            self.fired += 1
        return reward


class CitySwitch(RamEvent):
    """The robber is teleported to another city (one of the other three, uniformly); the city
    count keeps its progress."""

    name = "city_switch"

    def after_frame(self, action: int, reward: int, frame: int) -> int:
        if not self.active or not self.chance():
            return reward
        count = int(self.read()[CITY])
        city = count % 4
        others = [c for c in range(4) if c != city]
        self.ale.setRAM(CITY, count - city + others[self._uniform.index(3)])
        self.fired += 1
        return reward


class BankEmpty(RamEvent):
    """A robbed bank was empty: the frame where a bank slot turns into something else pays 0."""

    name = "bank_empty"
    reads_prev = True

    def after_frame(self, action: int, reward: int, frame: int) -> int:
        if not self.active:
            return reward
        now, prev = self.read(), self.prev
        if any(prev[s] == BANK and now[s] != BANK for s in SLOTS) and self.chance():
            self.fired += 1
            return 0
        return reward


def _hide_slots(kind: int):
    def writes(ram):
        return tuple((s, EMPTY) for s in SLOTS if ram[s] == kind)

    return writes


_WALL_TOP = Fill(12, 147, 37, 44)
_WALL_LEFT = Fill(12, 15, 37, 177)
_WALL_BOTTOM = Fill(12, 147, 173, 177)
_WALL_RIGHT = Fill(144, 147, 37, 177)
_WALLS = (_WALL_TOP, _WALL_LEFT, _WALL_BOTTOM, _WALL_RIGHT)
_FUEL = Fill(12, 73, 11, 36, (0, 0, 148))
_LIVES = Fill(78, 147, 11, 36, (0, 0, 148))
_SCORE = Fill(12, 147, 178, 186, (162, 98, 33))

MODES = GameModes(
    events={
        "bomb_dud": BombDud,
        "fuel_leak": FuelLeak,
        "city_switch": CitySwitch,
        "bank_empty": BankEmpty,
    },
    blackouts={
        "all": (*_WALLS, _FUEL, _LIVES, _SCORE),
        "walls": _WALLS,
        "wall_top": (_WALL_TOP,),
        "wall_left": (_WALL_LEFT,),
        "wall_bottom": (_WALL_BOTTOM,),
        "wall_right": (_WALL_RIGHT,),
        "walls_left_right": (_WALL_LEFT, _WALL_RIGHT),
        "fuel": (_FUEL,),
        "lives": (_LIVES,),
        "score": (_SCORE,),
    },
    ram_hides={
        "car": lambda ram: ((8, 155), (28, 12)),
        "fuel": lambda ram: ((FUEL, 0),),
        "city_blocks": lambda ram: ((66, 0), (68, 0)),
        "blend_blocks": lambda ram: ((69, BLEND[int(ram[CITY]) % 4]),),
        "banks": _hide_slots(BANK),
        "police": _hide_slots(POLICE),
    },
    # Random substitutions use the first 10 actions (moves, FIRE once): a uniform draw over
    # all 18 would drop dynamite half the time.
    random_actions=10,
)
