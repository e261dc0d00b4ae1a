"""Breakout: RAM map and STORI modes.

RAM 0-35 is the wall, one bit per brick segment; RAM 99/101 hold the ball's x/y.
"""

from __future__ import annotations

import numpy as np

from entropy_gym.envs.stori.events import RamEvent
from entropy_gym.envs.stori.games import GameModes
from entropy_gym.envs.stori.masks import Fill

WALL = 36
BALL_X, BALL_Y = 99, 101


def _bits(ram: np.ndarray) -> int:
    return int.from_bytes(ram[:WALL].tobytes(), "little")


class BlockHitCancel(RamEvent):
    """Bricks knocked out on a frame come back (the ball has already bounced); the points stay.

    Only bits that were cleared this frame are restored, so a new wall appearing at the next
    level is left alone. The on-screen score is not reverted.
    """

    name = "block_hit_cancel"
    reads_prev = True
    zero_reward = False

    def after_frame(self, action: int, reward: int, frame: int) -> int:
        if not self.active:
            return reward
        now = self.read()
        if now[:WALL].tobytes() == self.prev[:WALL].tobytes():
            return reward
        after = _bits(now)
        knocked_out = _bits(self.prev) & ~after
        if not knocked_out or not self.chance():
            return reward
        restored = (after | knocked_out).to_bytes(WALL, "little")
        for i in range(WALL):
            if restored[i] != now[i]:
                self.ale.setRAM(i, restored[i])
        self.fired += 1
        return 0 if self.zero_reward else reward


class BlockHitCancelNoReward(BlockHitCancel):
    """As :class:`BlockHitCancel`, and the frame's reward is cancelled too."""

    name = "block_hit_cancel_no_reward"
    zero_reward = True


class RegenerateBlock(RamEvent):
    """A wall byte that differs from the reset wall goes back to its reset value (its bricks
    regrow), chosen uniformly among such bytes."""

    name = "regenerate_block"

    def reset_episode(self) -> None:
        self._wall = self.initial[:WALL].tobytes()

    def set_episode_state(self, state: object) -> None:
        self.reset_episode()

    def after_frame(self, action: int, reward: int, frame: int) -> int:
        if not self.active:
            return reward
        now = self.read()
        if now[:WALL].tobytes() == self._wall or not self.chance():
            return reward
        changed = np.flatnonzero(now[:WALL] != self.initial[:WALL])
        i = int(changed[self._uniform.index(len(changed))])
        self.ale.setRAM(i, int(self.initial[i]))
        self.fired += 1
        return reward


_BLOCKS = Fill(8, 151, 57, 92)
_PADDLE = Fill(7, 152, 189, 195)
_SCORE = Fill(2, 158, 3, 16)
_BALL_TOP = Fill(8, 151, 105, 130)
_BALL_MIDDLE = Fill(8, 151, 131, 156)
_BALL_BOTTOM = Fill(8, 151, 157, 182)

# The bricks spell "NUS" while rendered (STORI marks this mode as experimental).
_NUS_PATTERN = {
    0: 62, 1: 61, 2: 60, 3: 62, 5: 60, 6: 240, 7: 127, 8: 120, 9: 112, 10: 119, 11: 120,
    12: 0, 13: 240, 14: 240, 15: 240, 16: 240, 17: 240, 18: 57, 19: 218, 20: 219, 21: 219,
    22: 219, 23: 219, 24: 239, 25: 239, 26: 238, 27: 237, 28: 235, 29: 231,
}  # fmt: skip
_NUS_WRITES = tuple(_NUS_PATTERN.items())
# The ball below the bottom of the screen. (STORI writes x = y = 0, which still draws the
# ball at the left edge on some frames.)
_NO_BALL = ((BALL_Y, 255),)

MODES = GameModes(
    events={
        "block_hit_cancel": BlockHitCancel,
        "block_hit_cancel_no_reward": BlockHitCancelNoReward,
        "regenerate_block": RegenerateBlock,
    },
    blackouts={
        "all": (_BLOCKS, _PADDLE, _SCORE, _BALL_TOP, _BALL_MIDDLE, _BALL_BOTTOM),
        "blocks": (_BLOCKS,),
        "paddle": (_PADDLE,),
        "score": (_SCORE,),
        "ball_top": (_BALL_TOP,),
        "ball_middle": (_BALL_MIDDLE,),
        "ball_bottom": (_BALL_BOTTOM,),
        "blocks_paddle": (_BLOCKS, _PADDLE),
        "blocks_score": (_BLOCKS, _SCORE),
        "ball_top_bottom": (_BALL_TOP, _BALL_BOTTOM),
        "ball_all": (_BALL_TOP, _BALL_MIDDLE, _BALL_BOTTOM),
    },
    ram_hides={
        "nus_pattern": lambda ram: _NUS_WRITES,
        "ball": lambda ram: _NO_BALL,
    },
)
