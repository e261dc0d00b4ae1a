"""STORI type 3.2: partially observed games (state variables missing from the picture).

Two kinds of masks, each with a coin of probability ``p`` and one of two timings (``per``):

* ``per="frame"`` (STORI's own, the default): the coin is flipped, and the torch's centre
  drawn, for each emulator frame that enters the observation, and each is masked before the two
  are max-pooled. What the agent sees then depends on the picture: a black half survives the
  pooling only if both frames were masked (``p**2``), the torch lights the union of two discs,
  a black sprite hidden on either frame is gone, a white one only if hidden on both.
* ``per="observation"``: one coin per observation, applied to the pooled frame the agent
  receives, so ``p`` is the probability that the agent sees the mask.

Without pooling (``frame_skip=1`` or ``max_pool=False``) the two timings are the same. The
kinds:

* :class:`ObservationMask` paints pixels: the halves and the "torch" of :class:`Crop` (every
  game), or a game's :class:`Blackout` rectangles, filled with black or with the colour of the
  background they cover. On grayscale frames the fill is ALE's luminance of that colour, so a
  masked pixel equals what ALE shows for the colour.
* :class:`RamHiding` makes the game draw itself without a sprite: both pooled frames of the step
  are emulated a second time from their real starting state with a few RAM bytes rewritten,
  their screens are kept, and the real frames then run unchanged. The agent sees the *current*
  frame with the sprite missing and the game never notices. A reset observation is re-rendered
  from its last no-op frame; with ``noop_max=0`` there is no frame to re-render and it shows
  unmasked (``info["masked"]`` is then False).

``info["masked"]`` is True when the mask hid something on at least one observed frame, and
``info["masked_frames"]`` counts those frames (0 to 2; at most 1 with ``per="observation"``
or without pooling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import gymnasium as gym
import numpy as np

from entropy_gym.envs.stori._random import Uniforms
from entropy_gym.envs.stori.actions import check_probability
from entropy_gym.envs.stori.atari import FrameMask, FramePart, HideWrites, stori_base
from entropy_gym.envs.stori.palette import gray_of

BLACK = (0, 0, 0)
#: When a mask's coin is flipped: per emulator frame before pooling, or per observation.
MASK_TIMINGS = ("frame", "observation")


def check_timing(per: str) -> str:
    """``per`` if it is a mask timing, else a ``ValueError`` naming the accepted ones."""
    if per not in MASK_TIMINGS:
        raise ValueError(f"mask timing per={per!r} is unknown; expected one of {MASK_TIMINGS}")
    return per


@dataclass(frozen=True)
class Fill:
    """A rectangle of the 210 x 160 screen, bounds inclusive, painted with ``colour`` (RGB)."""

    x_min: int
    x_max: int
    y_min: int
    y_max: int
    colour: tuple[int, int, int] = BLACK

    def compiled(self) -> tuple[tuple[slice, slice], np.ndarray, int]:
        """``(region, rgb block, gray)`` ready for repeated painting.

        The RGB fill is a whole pre-painted block: copying it is ~15x faster than broadcasting
        a 3-value colour into the region.
        """
        region = (slice(self.y_min, self.y_max + 1), slice(self.x_min, self.x_max + 1))
        shape = (self.y_max + 1 - self.y_min, self.x_max + 1 - self.x_min, 3)
        block = np.full(shape, self.colour, dtype=np.uint8)
        block.flags.writeable = False
        return region, block, gray_of(self.colour)


class PixelMask:
    """A mask painted onto observation frames. ``draw`` returns the random parameters of one
    application (``None`` for fixed masks) so that :meth:`paint` can repeat it exactly."""

    def draw(self, uniform: Uniforms, frame: np.ndarray) -> Any:
        return None

    def paint(self, frame: np.ndarray, params: Any) -> None:
        raise NotImplementedError


class Blackout(PixelMask):
    """Fixed rectangles painted in their fill colours, in order."""

    def __init__(self, fills: tuple[Fill, ...]) -> None:
        self.fills = fills
        self._compiled = [fill.compiled() for fill in fills]

    def paint(self, frame: np.ndarray, params: Any) -> None:
        rgb = frame.ndim == 3
        for region, block, gray in self._compiled:
            frame[region] = block if rgb else gray


class Crop(PixelMask):
    """STORI's crop modes: black out one half of the screen, or all but a torch-lit circle.

    The torch is a circle of radius 75 pixels around a centre drawn uniformly over the screen
    for each masked observation; everything farther than 75 pixels from it turns black.
    """

    MODES = ("left", "right", "top", "bottom", "torch")
    TORCH_RADIUS = 75

    def __init__(self, side: str, height: int = 210, width: int = 160) -> None:
        if side not in self.MODES:
            raise ValueError(f"crop mode {side!r} is unknown; expected one of {self.MODES}")
        self.side = side
        if side == "torch":
            # A lit disc (255 inside, 0 outside) centred in a (2H-1, 2W-1) canvas: the window of
            # the screen's size whose centre pixel sits at the torch centre is a slice, and the
            # mask is one bitwise AND with it. The RGB canvas repeats the disc per channel: an
            # elementwise AND is far faster than one that broadcasts a strided window.
            ys, xs = np.ogrid[-(height - 1) : height, -(width - 1) : width]
            self._lit = np.where(ys * ys + xs * xs <= self.TORCH_RADIUS**2, 255, 0).astype(np.uint8)
            self._lit_rgb = np.repeat(self._lit[..., None], 3, axis=2)

    def draw(self, uniform: Uniforms, frame: np.ndarray) -> Any:
        if self.side != "torch":
            return None
        height, width = frame.shape[:2]
        return uniform.index(height), uniform.index(width)

    def paint(self, frame: np.ndarray, params: Any) -> None:
        height, width = frame.shape[:2]
        if self.side == "left":
            frame[:, : width // 2] = 0
        elif self.side == "right":
            frame[:, width // 2 :] = 0
        elif self.side == "top":
            frame[: height // 2] = 0
        elif self.side == "bottom":
            frame[height // 2 :] = 0
        else:
            cy, cx = params
            canvas = self._lit_rgb if frame.ndim == 3 else self._lit
            lit = canvas[height - 1 - cy : 2 * height - 1 - cy, width - 1 - cx : 2 * width - 1 - cx]
            cv2.bitwise_and(frame, lit, dst=frame)


class _Coin(FramePart):
    """The seeded coin (and last draw) of a mask wrapper, kept with the env's frame parts."""

    def __init__(self) -> None:
        self.uniform: Uniforms | None = None
        self.masked = False
        self.params: Any = None

    def seed_rng(self, rng: np.random.Generator) -> None:
        self.uniform = Uniforms(rng)

    def get_state(self) -> Any:
        return (self.uniform.get_state() if self.uniform else None, self.masked, self.params)

    def set_state(self, state: Any) -> None:
        uniform, self.masked, self.params = state
        if uniform is not None:
            self.uniform.set_state(uniform)


class _FrameCoin(_Coin, FrameMask):
    """The coin of a pixel mask with ``per="frame"``: flipped on each observed frame."""

    def __init__(self, wrapper: ObservationMask) -> None:
        super().__init__()
        self.wrapper = wrapper

    def draw(self, frame: np.ndarray) -> tuple[bool, Any]:
        wrapper = self.wrapper
        if not wrapper.active or self.uniform() >= wrapper.p:
            return False, None
        return True, wrapper.mask.draw(self.uniform, frame)

    def paint(self, frame: np.ndarray, params: Any) -> None:
        self.wrapper.mask.paint(frame, params)


class ObservationMask(gym.Wrapper):
    """Type 3.2 by pixels: with probability ``p`` per frame or per observation (``per``), paint
    ``mask`` (see the module docstring)."""

    def __init__(
        self,
        env: gym.Env,
        mask: PixelMask,
        p: float,
        *,
        per: str = "frame",
        active: bool = True,
    ) -> None:
        super().__init__(env)
        self.mask = mask
        self.p = check_probability(p)
        self.per = check_timing(per)
        self.active = active
        base = stori_base(env)
        self._base = base
        if self.per == "frame":
            self._coin: _Coin = _FrameCoin(self)
            base.add_frame_mask(self._coin)
        else:
            self._coin = _Coin()
        base.add_part(self._coin)

    @property
    def last_draw(self) -> Any:
        """The random parameters of the last mask painted (the torch's ``(y, x)`` centre); with
        ``per="frame"``, a tuple of them, one per masked frame of the last observation."""
        if self.per == "frame":
            return tuple(params for frame in self._frame_draws() for _, params in frame)
        return self._coin.params

    def _frame_draws(self) -> list[tuple[tuple[FrameMask, Any], ...]]:
        coin = self._coin
        return [tuple(d for d in frame if d[0] is coin) for frame in self._base.frame_draws]

    def _apply(self, obs: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        if self.per == "frame":
            frames = sum(1 for frame in self._frame_draws() if frame)
        else:
            coin = self._coin
            coin.masked = self.active and coin.uniform() < self.p
            if coin.masked:
                coin.params = self.mask.draw(coin.uniform, obs)
                self.mask.paint(obs, coin.params)
            frames = int(coin.masked)
        _flag(info, frames)
        return obs

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        return self._apply(obs, info), info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self._apply(obs, info), reward, terminated, truncated, info

    def render(self) -> Any:
        """The frame of the last observation with the same mask (the same torch) on it."""
        frame = self.env.render()
        if frame is not None and self.per == "observation" and self._coin.masked:
            self.mask.paint(frame, self._coin.params)
        return frame


def _flag(info: dict[str, Any], frames: int) -> None:
    """Record that ``frames`` observed frames were masked (on top of an inner mask's count)."""
    info["masked_frames"] = max(frames, info.get("masked_frames", 0))
    info["masked"] = info["masked_frames"] > 0


class _HidingCoin(_Coin):
    """Decides before the frames run, including at reset (before the no-ops), and counts the
    observed frames on which something was hidden."""

    def __init__(self, wrapper: RamHiding) -> None:
        super().__init__()
        self.wrapper = wrapper
        self.hidden_frames = 0

    def on_reset(self, ram: np.ndarray) -> None:
        self.wrapper._decide()

    def writes(self, ram: np.ndarray) -> Sequence[tuple[int, int]]:
        """The hiding writes for one observed frame (flipping its coin with ``per="frame"``)."""
        wrapper = self.wrapper
        if wrapper.per == "frame" and self.uniform() >= wrapper.p:
            return ()
        edits = wrapper.writes(ram)
        if edits:
            self.hidden_frames += 1
        return edits


class RamHiding(gym.Wrapper):
    """Type 3.2 by RAM: with probability ``p`` per frame or per observation (``per``), render
    the observation without a sprite.

    ``writes`` maps the RAM before a frame to the ``(address, value)`` writes that hide the
    sprite (an empty list when there is nothing to hide). See the module docstring.
    """

    def __init__(
        self,
        env: gym.Env,
        writes: HideWrites,
        p: float,
        *,
        per: str = "frame",
        active: bool = True,
    ) -> None:
        super().__init__(env)
        self.writes = writes
        self.p = check_probability(p)
        self.per = check_timing(per)
        self.active = active
        self._base = stori_base(env)
        self._coin = _HidingCoin(self)
        self._base.add_part(self._coin)

    def _decide(self) -> None:
        coin = self._coin
        coin.hidden_frames = 0
        if self.per == "frame":
            coin.masked = self.active
        else:
            coin.masked = self.active and coin.uniform() < self.p
        if coin.masked:
            self._base.request_hidden_render(coin.writes)

    def _done(self, info: dict[str, Any]) -> None:
        self._base.cancel_hidden_render(self._coin.writes)
        _flag(info, self._coin.hidden_frames)

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        # The decision is made inside the base reset (on_reset), once the generators are seeded.
        try:
            obs, info = self.env.reset(**kwargs)
        except BaseException:
            self._base.cancel_hidden_render(self._coin.writes)
            raise
        self._done(info)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        self._decide()
        try:
            obs, reward, terminated, truncated, info = self.env.step(action)
        except BaseException:
            self._base.cancel_hidden_render(self._coin.writes)
            raise
        self._done(info)
        return obs, reward, terminated, truncated, info
