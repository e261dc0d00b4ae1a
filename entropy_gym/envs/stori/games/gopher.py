"""Gopher: RAM map and STORI modes.

RAM 0-23 is the underground (4 rows x 6 bytes, a set bit is tunnel), RAM 31 the farmer's x,
RAM 52 the carrots (bit 2 left, bit 1 middle, bit 0 right; the game ends with none left) and
RAM 92 the seed's height (128 when there is none).
"""

from __future__ import annotations

from entropy_gym.envs.stori.atari import StoriAtariEnv
from entropy_gym.envs.stori.events import RamEvent
from entropy_gym.envs.stori.games import GameModes
from entropy_gym.envs.stori.masks import Fill

UNDERGROUND = 24
CARROTS = 52
SEED_Y = 92
NO_SEED = 128
CARROT_LEFT, CARROT_MIDDLE, CARROT_RIGHT = 4, 2, 1
#: Carrot removal waits this many frames into the episode (the game's opening).
CARROT_DELAY_FRAMES = 238


def _bits(ram, n: int) -> int:
    return int.from_bytes(ram[:n].tobytes(), "little")


class FillCancel(RamEvent):
    """Holes the farmer fills stay open: on frames with a FIRE action (the shovel), tunnel
    bits cleared by the fill are set again. The gopher's own digging is left alone."""

    name = "fill_cancel"
    zero_reward = False

    def __init__(self, env: StoriAtariEnv, p: float, per_step: bool) -> None:
        super().__init__(env, p, per_step)
        self._shovel = frozenset(i for i, a in enumerate(env.action_set) if "FIRE" in a.name)

    def before_frame(self, action: int, frame: int) -> int:
        super().before_frame(action, frame)
        if self.active and action in self._shovel:
            self.ale.getRAM(self.prev)
        return action

    def after_frame(self, action: int, reward: int, frame: int) -> int:
        if not self.active or action not in self._shovel:
            return reward
        now = self.read()
        if now[:UNDERGROUND].tobytes() == self.prev[:UNDERGROUND].tobytes():
            return reward
        after = _bits(now, UNDERGROUND)
        filled = _bits(self.prev, UNDERGROUND) & ~after
        if not filled or not self.chance():
            return reward
        reopened = (after | filled).to_bytes(UNDERGROUND, "little")
        for i in range(UNDERGROUND):
            if reopened[i] != now[i]:
                self.ale.setRAM(i, reopened[i])
        self.fired += 1
        return 0 if self.zero_reward else reward


class FillCancelNoReward(FillCancel):
    """As :class:`FillCancel`, and the frame's reward (the fill's points) is cancelled too."""

    name = "fill_cancel_no_reward"
    zero_reward = True


class RemoveCarrot(RamEvent):
    """Once per episode, after the opening, one visible carrot (chosen uniformly) dies.

    Only while at least two carrots are visible, so the event never ends the game; while fewer
    are visible it waits.
    """

    name = "remove_carrot"

    def reset_episode(self) -> None:
        self.done = False

    def episode_state(self) -> object:
        return self.done

    def set_episode_state(self, state: object) -> None:
        self.done = bool(state)

    def after_frame(self, action: int, reward: int, frame: int) -> int:
        if self.done or not self.active:
            return reward
        if self.ale.getEpisodeFrameNumber() < CARROT_DELAY_FRAMES:
            return reward
        carrots = int(self.read()[CARROTS])
        visible = [bit for bit in (CARROT_LEFT, CARROT_MIDDLE, CARROT_RIGHT) if carrots & bit]
        if len(visible) < 2 or not self.chance():
            return reward
        self.ale.setRAM(CARROTS, carrots & ~visible[self._uniform.index(len(visible))])
        self.done = True
        self.fired += 1
        return reward


def _hide_carrots(bits: int):
    def writes(ram):
        carrots = int(ram[CARROTS])
        return ((CARROTS, carrots & ~bits),) if carrots & bits else ()

    return writes


def _hide_seed(ram):
    return ((SEED_Y, NO_SEED),) if ram[SEED_Y] != NO_SEED else ()


_ATTACK_COLOURS = ((101, 209, 174), (117, 231, 194), (132, 252, 212))
_ATTACK_ROWS = ((146, 150), (151, 155), (156, 160))
_ATTACK_LEFT = tuple(Fill(0, 59, y0, y1, c) for (y0, y1), c in zip(_ATTACK_ROWS, _ATTACK_COLOURS))
_ATTACK_RIGHT = tuple(
    Fill(100, 159, y0, y1, c) for (y0, y1), c in zip(_ATTACK_ROWS, _ATTACK_COLOURS)
)
_SOIL = (187, 159, 71)
_DUG = (223, 183, 85)
_UNDERGROUND = (161, 200)
_UNDERGROUND_OFFSET = (164, 200)
_ROWS = ((161, 168), (168, 176), (176, 182), (183, 194))


def _band(rows: tuple[int, int], colour=(0, 0, 0)) -> Fill:
    return Fill(0, 159, rows[0], rows[1], colour)


_FARMER = _band((87, 145))
_FARMER_BELOW_NOSE = _band((104, 145))
_DUCK = _band((26, 56))
_SCORE = _band((0, 25))

MODES = GameModes(
    events={
        "fill_cancel": FillCancel,
        "fill_cancel_no_reward": FillCancelNoReward,
        "remove_carrot": RemoveCarrot,
    },
    blackouts={
        "all": (
            _band(_UNDERGROUND, _SOIL),
            _band(_UNDERGROUND_OFFSET, _SOIL),
            *(_band(rows, _SOIL) for rows in _ROWS),
            _FARMER_BELOW_NOSE,
            _FARMER,
            _DUCK,
            _SCORE,
            *_ATTACK_LEFT,
            *_ATTACK_RIGHT,
        ),
        "attack": _ATTACK_LEFT + _ATTACK_RIGHT,
        "attack_left": _ATTACK_LEFT,
        "attack_right": _ATTACK_RIGHT,
        "underground": (_band(_UNDERGROUND, _SOIL),),
        "underground_offset": (_band(_UNDERGROUND_OFFSET, _SOIL),),
        "row0": (_band(_ROWS[0], _SOIL),),
        "row0_dug": (_band(_ROWS[0], _DUG),),
        "row1": (_band(_ROWS[1], _SOIL),),
        "row1_dug": (_band(_ROWS[1], _DUG),),
        "row2": (_band(_ROWS[2], _SOIL),),
        "row2_dug": (_band(_ROWS[2], _DUG),),
        "row3": (_band(_ROWS[3], _SOIL),),
        "row3_dug": (_band(_ROWS[3], _DUG),),
        "farmer": (_FARMER,),
        "farmer_below_nose": (_FARMER_BELOW_NOSE,),
        "duck": (_DUCK,),
        "score": (_SCORE,),
    },
    ram_hides={
        "carrot_left": _hide_carrots(CARROT_LEFT),
        "carrot_middle": _hide_carrots(CARROT_MIDDLE),
        "carrot_right": _hide_carrots(CARROT_RIGHT),
        "carrots": _hide_carrots(CARROT_LEFT | CARROT_MIDDLE | CARROT_RIGHT),
        "seed": _hide_seed,
    },
)
