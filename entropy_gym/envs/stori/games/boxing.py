"""Boxing: RAM map and STORI modes.

RAM 32/34 and 33/35 are the player's and the enemy's x/y, 18/19 their scores, and 1/2/3 the
colours of the player, the enemy and the ring.
"""

from __future__ import annotations

from entropy_gym.envs.stori.events import RamEvent
from entropy_gym.envs.stori.games import GameModes
from entropy_gym.envs.stori.masks import Fill

PLAYER_X, ENEMY_X, PLAYER_Y, ENEMY_Y = 32, 33, 34, 35
PLAYER_SCORE, ENEMY_SCORE = 18, 19
PLAYER_COLOUR, ENEMY_COLOUR, RING_COLOUR = 1, 2, 3
#: A colour value that draws a sprite in the ring's own colour.
INVISIBLE = 214
RING_GREEN = (110, 156, 66)


class ColorFlip(RamEvent):
    """The boxers' colours (sprites and scores) swap, and stay swapped until the next flip.

    The game recomputes RAM 1/2 during each frame after drawing with them, so the swapped
    colours are written before every frame while the flip lasts.
    """

    name = "color_flip"

    def reset_episode(self) -> None:
        self.flipped = False

    def episode_state(self) -> object:
        return self.flipped

    def set_episode_state(self, state: object) -> None:
        self.flipped = bool(state)

    def _paint(self, swapped: bool) -> None:
        player, enemy = int(self.initial[PLAYER_COLOUR]), int(self.initial[ENEMY_COLOUR])
        if swapped:
            player, enemy = enemy, player
        self.ale.setRAM(PLAYER_COLOUR, player)
        self.ale.setRAM(ENEMY_COLOUR, enemy)

    def before_frame(self, action: int, frame: int) -> int:
        super().before_frame(action, frame)
        if not self.active:
            if self.flipped:
                self.flipped = False
                self._paint(False)
            return action
        if self.chance():
            self.flipped = not self.flipped
            self.fired += 1
            if not self.flipped:
                self._paint(False)
        if self.flipped:
            self._paint(True)
        return action


class HitCancel(RamEvent):
    """A punch that scores (for either boxer) is undone: the score byte reverts, reward 0.

    ALE computes rewards from the score in RAM against its own copy of the last score, so after
    a revert it reports the opposite of the cancelled reward on the next frame; that amount is
    added back then, and a cancelled punch is worth exactly 0.
    """

    name = "hit_cancel"
    reads_prev = True

    def reset_episode(self) -> None:
        self.owed = 0

    def episode_state(self) -> object:
        return self.owed

    def set_episode_state(self, state: object) -> None:
        self.owed = int(state)

    def after_frame(self, action: int, reward: int, frame: int) -> int:
        reward += self.owed
        self.owed = 0
        if not self.active:
            return reward
        now, prev = self.read(), self.prev
        player_scored = now[PLAYER_SCORE] != prev[PLAYER_SCORE]
        enemy_scored = now[ENEMY_SCORE] != prev[ENEMY_SCORE]
        if player_scored == enemy_scored or not self.chance():
            return reward
        address = PLAYER_SCORE if player_scored else ENEMY_SCORE
        self.ale.setRAM(address, int(prev[address]))
        self.owed = reward
        self.fired += 1
        return 0


class Displace(RamEvent):
    """Each boxer is moved to the other's starting position."""

    name = "displace"

    def before_frame(self, action: int, frame: int) -> int:
        super().before_frame(action, frame)
        if self.active and self.chance():
            start = self.initial
            self.ale.setRAM(PLAYER_X, int(start[ENEMY_X]))
            self.ale.setRAM(PLAYER_Y, int(start[ENEMY_Y]))
            self.ale.setRAM(ENEMY_X, int(start[PLAYER_X]))
            self.ale.setRAM(ENEMY_Y, int(start[PLAYER_Y]))
            self.fired += 1
        return action


_RING = Fill(32, 127, 36, 176, RING_GREEN)
_RING_LEFT = Fill(32, 80, 36, 176, RING_GREEN)
_RING_RIGHT = Fill(81, 127, 36, 176, RING_GREEN)
_ENEMY_SCORE = Fill(87, 134, 1, 16, RING_GREEN)
_PLAYER_SCORE = Fill(33, 69, 1, 16, RING_GREEN)
_CLOCK = Fill(57, 97, 14, 27, RING_GREEN)

MODES = GameModes(
    events={"color_flip": ColorFlip, "hit_cancel": HitCancel, "displace": Displace},
    blackouts={
        "all": (_RING, _RING_LEFT, _RING_RIGHT, _ENEMY_SCORE, _PLAYER_SCORE, _CLOCK),
        "ring_left": (_RING_LEFT,),
        "ring_right": (_RING_RIGHT,),
        "ring": (_RING,),
        "enemy_score": (_ENEMY_SCORE,),
        "player_score": (_PLAYER_SCORE,),
        "scores": (_ENEMY_SCORE, _PLAYER_SCORE),
        "clock": (_CLOCK,),
        "scores_clock": (_ENEMY_SCORE, _PLAYER_SCORE, _CLOCK),
    },
    ram_hides={
        "ring": lambda ram: ((RING_COLOUR, INVISIBLE),),
        "enemy": lambda ram: ((ENEMY_COLOUR, INVISIBLE),),
        "player": lambda ram: ((PLAYER_COLOUR, INVISIBLE),),
    },
)
