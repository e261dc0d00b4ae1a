"""The emulator underneath every STORI env.

:class:`StoriAtariEnv` is ALE with sticky actions off (unless asked for), one agent step of ``frame_skip`` emulator
frames, max-pooling of the last two frames, no-op starts and the 108k-frame truncation: the
standard agent-ready Atari set-up, and STORI's type 3.1 as it stands. The stochastic types are
wrappers that plug :class:`FramePart` objects into its frame loop, so a per-frame perturbation
costs a method call per frame rather than a Gymnasium step (a screen conversion and an info
dict) per frame.

Seeded resets are exact and cheap: the ROM is loaded once (~0.2 s), the state right after the
first ``reset_game()`` is kept (``pristine``), and every seeded reset restores it (~0.1 ms). The
trajectory that follows is bit-identical to that of a freshly made ``ALE/<Game>-v5`` (with
``frameskip=1, repeat_action_probability=0``). Five games keep emulator state that a saved state
does not hold; for them a ``reset_game()`` (~10 ms) precedes the restore, which makes them exact
too (verified for every game after varied play). With sticky actions off ALE's own seed does not
influence any game, so one emulator serves every seed. Unseeded resets call ``reset_game()``,
as ALE does.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from entropy_gym.envs.display import has_display
from entropy_gym.envs.stori.catalog import resolve_game
from entropy_gym.envs.stori.palette import PaletteResolver

#: A request to render observed frames with some RAM bytes rewritten: given the RAM before the
#: frame, return the ``(address, value)`` writes that hide what should not be seen.
HideWrites = Callable[[np.ndarray], Sequence[tuple[int, int]]]

OBS_TYPES = ("rgb", "grayscale")

#: ROMs whose restored state differs from a fresh load unless ``reset_game()`` runs first.
HIDDEN_STATE_ROMS = frozenset({"amidar", "koolaid", "qbert", "tetris", "trondead"})
_EIGHT = np.arange(8)


class FramePart:
    """A piece of a STORI type that runs inside :class:`StoriAtariEnv`'s frame loop.

    Subclasses override only the hooks they need; the env calls a hook only if it is overridden.
    ``frame`` is the index of the emulator frame within the current agent step (0 is the first),
    which is what ``per="step"`` perturbations key on. Actions are indices into the env's
    action set.
    """

    def seed_rng(self, rng: np.random.Generator) -> None:
        """Receive this part's own generator; called on every seeding of the env."""

    def on_reset(self, ram: np.ndarray) -> None:
        """The game was just reset (``ram`` is its initial RAM); no-op starts follow."""

    def before_frame(self, action: int, frame: int) -> int:
        """Return the action to emulate this frame (type 1 substitutes it)."""
        return action

    def after_frame(self, action: int, reward: int, frame: int) -> int:
        """Inspect or rewrite RAM after the frame; return the frame's reward (type 2.1)."""
        return reward

    def get_state(self) -> Any:
        """Internal state (counters, generator) for :meth:`StoriAtariEnv.clone_full_state`."""
        return None

    def set_state(self, state: Any) -> None:
        """Restore what :meth:`get_state` returned."""


class FrameMask:
    """A mask painted on each observed emulator frame before pooling (STORI's own timing).

    :meth:`draw` is called once per observed frame, in frame order, and decides whether that
    frame is masked: it returns ``(True, params)`` with the random parameters of the mask (the
    torch's centre) or ``(False, None)``. :meth:`paint` paints a frame with ``params``.
    """

    def draw(self, frame: np.ndarray) -> tuple[bool, Any]:
        raise NotImplementedError

    def paint(self, frame: np.ndarray, params: Any) -> None:
        raise NotImplementedError


def _overrides(part: FramePart, name: str) -> bool:
    return getattr(type(part), name) is not getattr(FramePart, name)


@dataclass(frozen=True)
class FullState:
    """Everything needed to branch an episode: emulator, generators, counters, last frames."""

    ale: Any
    np_random: Any
    parts: tuple[Any, ...]
    frames: tuple[np.ndarray, np.ndarray, bool, bool, tuple[Any, ...]]
    sticky: tuple[Any, Any] = (None, None)


@dataclass(frozen=True)
class Screens:
    """The screen of the pristine state, in every form the env reads (a saved state holds no
    screen: after a restore, ALE's screen is that of whatever frame it emulated last)."""

    index: np.ndarray
    rgb: np.ndarray
    gray: np.ndarray

    @classmethod
    def grab(cls, ale: Any) -> Screens:
        screens = cls(ale.getScreen(), ale.getScreenRGB(), ale.getScreenGrayscale())
        for array in (screens.index, screens.rgb, screens.gray):
            array.flags.writeable = False
        return screens


class _EmulatorPool:
    """Emulators of closed envs, kept per ROM: making another env of a game skips the ROM load.

    Loading a ROM takes ~0.2 s. A recycled emulator comes with the pristine state of its load;
    the env's seeded resets restore it, so it behaves exactly like a fresh one.
    """

    def __init__(self, per_rom: int = 4) -> None:
        self._free: dict[str, list[tuple[Any, Any, Screens]]] = defaultdict(list)
        self._lock = threading.Lock()
        self._per_rom = per_rom

    def acquire(self, rom: str) -> tuple[Any, Any, Screens]:
        with self._lock:
            if self._free[rom]:
                return self._free[rom].pop()
        import ale_py
        from ale_py import roms

        ale = ale_py.ALEInterface()
        ale.setLoggerMode(ale_py.LoggerMode.Error)
        ale.setFloat("repeat_action_probability", 0.0)
        ale.loadROM(roms.get_rom_path(rom))
        ale.reset_game()
        return ale, ale.cloneState(include_rng=True), Screens.grab(ale)

    def release(self, rom: str, ale: Any, pristine: Any, screens: Screens) -> None:
        with self._lock:
            if len(self._free[rom]) < self._per_rom:
                self._free[rom].append((ale, pristine, screens))


_POOL = _EmulatorPool()


class StoriAtariEnv(gym.Env):
    """An ALE game as an agent-ready Gymnasium env, and the host of the STORI frame parts.

    Args:
        game: ALE game name (``"Breakout"``) or ROM id (``"breakout"``).
        frame_skip: emulator frames per agent step; the action repeats on each.
        max_pool: observe the pixel-wise maximum of the last two frames of a step (removes
            sprite flicker); ignored when ``frame_skip`` is 1. Reset observations are the frame
            after the no-ops.
        noop_max: after each reset, emulate a uniform number of NOOP frames in ``[1, noop_max]``
            drawn from the env's seeded generator (0 disables).
        max_episode_frames: truncate once the episode has run this many emulator frames (no-ops
            included), ALE's v5 default of 30 minutes; ``None`` never truncates.
        obs_type: ``"rgb"`` (210, 160, 3) or ``"grayscale"`` (210, 160), both uint8.
        full_action_space: use ALE's 18 legal actions instead of the game's minimal set.
        repeat_action_probability: ALE's sticky actions: on each emulated frame, with this
            probability the previous frame's action runs instead of the new one (after any
            type-1 substitution; drawn from the env's seeded generator). 0 disables.
        render_mode: ``None`` or ``"rgb_array"`` (the RGB frame of the last observation).
    """

    #: This family reports no ``info["episode_metrics"]``.
    EPISODE_METRICS: ClassVar[tuple[str, ...]] = ()

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 60}

    def __init__(
        self,
        game: str,
        *,
        frame_skip: int = 4,
        max_pool: bool = True,
        noop_max: int = 30,
        max_episode_frames: int | None = 108_000,
        obs_type: str = "rgb",
        full_action_space: bool = False,
        repeat_action_probability: float = 0.0,
        render_mode: str | None = None,
    ) -> None:
        sticky = repeat_action_probability
        if isinstance(sticky, bool) or not isinstance(sticky, (int, float)) or not 0 <= sticky <= 1:
            raise ValueError(
                f"repeat_action_probability must be a number in [0, 1], got {sticky!r}"
            )
        if not isinstance(frame_skip, (int, np.integer)) or frame_skip < 1:
            raise ValueError(f"frame_skip must be an integer >= 1, got {frame_skip!r}")
        if not isinstance(noop_max, (int, np.integer)) or noop_max < 0:
            raise ValueError(f"noop_max must be an integer >= 0, got {noop_max!r}")
        if max_episode_frames is not None and max_episode_frames < 1:
            raise ValueError(f"max_episode_frames must be >= 1 or None, got {max_episode_frames!r}")
        if obs_type not in OBS_TYPES:
            raise ValueError(f"obs_type {obs_type!r} is unknown; expected one of {OBS_TYPES}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(
                f"render_mode {render_mode!r} is unknown; expected None, 'human' or 'rgb_array'"
            )
        self._window: Any = None
        if render_mode == "human":
            self._window = HumanWindow(f"{game} (entropy-gym)")
        self.game, self.rom = resolve_game(game)
        self.render_mode = render_mode
        self.metadata = {**self.metadata, "render_fps": 60 // int(frame_skip) or 1}
        self._frame_skip = int(frame_skip)
        self._pooled = bool(max_pool) and self._frame_skip > 1
        self._first_seen = self._frame_skip - (2 if self._pooled else 1)
        # The index screen of the last frame serves pooling and render(); skip it otherwise.
        self._index_needed = self._pooled or render_mode is not None
        self._noop_max = int(noop_max)
        self._max_frames = max_episode_frames
        self._rgb = obs_type == "rgb"

        self.ale, self._pristine, self._pristine_screens = _POOL.acquire(self.rom)
        actions = (
            self.ale.getLegalActionSet() if full_action_space else self.ale.getMinimalActionSet()
        )
        self._action_set = tuple(actions)
        self.action_space = spaces.Discrete(len(self._action_set))
        height, width = self.ale.getScreenDims()
        shape = (height, width, 3) if self._rgb else (height, width)
        self.observation_space = spaces.Box(0, 255, shape=shape, dtype=np.uint8)

        # Index screens of the observed frames (for pooling and render), a scratch mask, and the
        # full conversion of the first observed frame while the palette is not yet known.
        self._idx_prev = np.zeros((height, width), dtype=np.uint8)
        self._idx_last = np.zeros((height, width), dtype=np.uint8)
        # Eight pixels per uint64 word: finding the changed words of two index screens is ~8x
        # cheaper than finding the changed pixels (210 x 160 is a multiple of 8).
        self._words_prev = self._idx_prev.reshape(-1).view(np.uint64)
        self._words_last = self._idx_last.reshape(-1).view(np.uint64)
        self._full_prev = np.zeros(shape, dtype=np.uint8)
        # The converted frame to observe instead of the screen (a RAM-hidden or pristine one).
        self._hidden_last: np.ndarray | None = None
        self._last_pooled = False
        self._palette = PaletteResolver()

        self._sticky_p = float(sticky)
        self._sticky: Any = None  # the sticky-action coin, seeded with the env
        self._last_ale_action: Any = None
        self._parts: list[FramePart] = []
        self._before: list[FramePart] = []
        self._after: list[FramePart] = []
        self._seed_root: np.random.SeedSequence | None = None
        self._hide: list[HideWrites] = []
        self.last_obs_hidden = False
        self._frame_masks: list[FrameMask] = []
        # Per observed frame of the last observation (oldest first): the (mask, params) painted.
        self._frame_draws: tuple[tuple[tuple[FrameMask, Any], ...], ...] = ()

    # ------------------------------------------------------------------ parts
    def add_part(self, part: FramePart) -> None:
        """Plug ``part`` into the frame loop; parts run in the order they were added."""
        self._parts.append(part)
        if _overrides(part, "before_frame"):
            self._before.append(part)
        if _overrides(part, "after_frame"):
            self._after.append(part)
        if self._seed_root is not None:
            part.seed_rng(self._spawn_rng())

    def add_frame_mask(self, mask: FrameMask) -> None:
        """Paint ``mask`` on each observed frame before pooling (see :class:`FrameMask`)."""
        self._frame_masks.append(mask)

    @property
    def frame_draws(self) -> tuple[tuple[tuple[FrameMask, Any], ...], ...]:
        """The frame masks painted on the observed frames of the last observation, oldest
        frame first: per frame, the ``(mask, params)`` pairs that were painted."""
        return self._frame_draws

    def request_hidden_render(self, writes: HideWrites) -> None:
        """Render the observed frames of the coming step (or reset) with ``writes`` applied.

        Each observed frame is emulated twice from the same state: once with the RAM writes,
        whose screen is kept, and once for real. The game never sees the writes. The request
        holds until :meth:`cancel_hidden_render`; requests of several masks combine.
        """
        self._hide.append(writes)

    def cancel_hidden_render(self, writes: HideWrites) -> None:
        """Withdraw a request made with :meth:`request_hidden_render`."""
        if writes in self._hide:
            self._hide.remove(writes)

    @property
    def frame_skip(self) -> int:
        """Emulator frames per agent step."""
        return self._frame_skip

    @property
    def action_set(self) -> tuple[Any, ...]:
        """The ALE actions behind the action indices."""
        return self._action_set

    @property
    def _frameskip(self) -> int:
        """ALE's ``AtariEnv`` name of :attr:`frame_skip` (Gymnasium's ``AtariPreprocessing``
        reads it)."""
        return self._frame_skip

    def get_action_meanings(self) -> list[str]:
        """ALE's names of the actions behind the indices (``["NOOP", "FIRE", ...]``)."""
        return [action.name for action in self._action_set]

    def _spawn_rng(self) -> np.random.Generator:
        assert self._seed_root is not None
        return np.random.Generator(np.random.PCG64(self._seed_root.spawn(1)[0]))

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        ale = self.ale
        if ale is None:
            raise RuntimeError("the env is closed")
        if seed is not None or self._seed_root is None:
            self._seed_root = np.random.SeedSequence(seed)
            for part in self._parts:
                part.seed_rng(self._spawn_rng())
            if self._sticky_p:
                from entropy_gym.envs.stori._random import Uniforms

                self._sticky = Uniforms(self._spawn_rng())
        # Without no-op starts nothing is emulated after the restore, and a saved state holds
        # no screen: a reset_game() first leaves ALE's own screen (which wrappers such as
        # AtariPreprocessing read) that of a fresh reset, not of the last frame played.
        if seed is None or self.rom in HIDDEN_STATE_ROMS or not self._noop_max:
            ale.reset_game()
        if seed is not None:
            ale.restoreState(self._pristine)
        ram = ale.getRAM()
        for part in self._parts:
            part.on_reset(ram)

        noops = int(self.np_random.integers(1, self._noop_max + 1)) if self._noop_max else 0
        hide = self._hide
        self._hidden_last = None
        noop = self._action_set[0]
        self._last_ale_action = noop  # ALE's sticky action starts as NOOP after a reset
        for i in range(noops):
            if hide and i == noops - 1:
                self._render_hidden(noop, hide, last=True)
            ale.act(noop)
            if ale.game_over():
                ale.reset_game()
        self.last_obs_hidden = bool(hide) and noops > 0
        if seed is not None and not noops:
            # No frame ran since the restore: show the pristine state's own screen.
            screens = self._pristine_screens
            self._idx_last[:] = screens.index
            self._hidden_last = (screens.rgb if self._rgb else screens.gray).copy()
        obs = self._observe(pooled=False)
        info = self._info()
        info["noops"] = noops
        if self._window is not None:
            self._window.show(self._frame())
        return obs, info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        ale = self.ale
        if ale is None:
            raise RuntimeError("the env is closed")
        a = action if type(action) is int else action_index(action, self.action_space)
        if not 0 <= a < len(self._action_set):
            raise ValueError(f"action {action!r} is outside the action space {self.action_space}")
        act = ale.act
        action_set = self._action_set
        before, after = self._before, self._after
        hide = self._hide or None
        k, seen = self._frame_skip, self._first_seen
        sticky, sticky_p = self._sticky, self._sticky_p
        self._hidden_last = None
        reward = 0
        for f in range(k):
            fa = a
            for part in before:
                fa = part.before_frame(fa, f)
            ale_action = action_set[fa]
            if sticky is not None:
                if sticky() < sticky_p:
                    ale_action = self._last_ale_action
                self._last_ale_action = ale_action
            if f < seen:
                r = act(ale_action)
            elif hide is not None:
                hidden = self._render_hidden(ale_action, hide, last=f == k - 1)
                r = act(ale_action)
                if not hidden and f < k - 1:
                    self._grab_prev()
            else:
                r = act(ale_action)
                if f < k - 1:
                    self._grab_prev()
            for part in after:
                r = part.after_frame(fa, r, f)
            reward += r
        self.last_obs_hidden = hide is not None
        obs = self._observe(pooled=self._pooled)
        terminated = ale.game_over()
        info = self._info()
        truncated = (
            not terminated
            and self._max_frames is not None
            and info["episode_frame_number"] >= self._max_frames
        )
        if self._window is not None:
            self._window.show(self._frame())
        return obs, float(reward), terminated, truncated, info

    def render(self) -> np.ndarray | None:
        """``rgb_array``: the RGB frame behind the last observation (pooled, RAM-hidden and
        per-frame masked if it was). ``human`` shows that frame in a window on every step."""
        if self.render_mode == "human":
            self._window.show(self._frame())
            return None
        if self.render_mode != "rgb_array":
            return None
        return self._frame()

    def _frame(self) -> np.ndarray:
        palette = self._palette.palette
        if palette is None:
            return self.ale.getScreenRGB()
        screens = (self._idx_prev, self._idx_last) if self._last_pooled else (self._idx_last,)
        frames = [np.take(palette.rgb, screen, axis=0) for screen in screens]
        # The masks painted on each observed frame, oldest first (none without frame masks).
        for frame, painted in zip(frames, self._frame_draws or [()] * len(frames)):
            for mask, params in painted:
                mask.paint(frame, params)
        frame = frames[-1]
        if self._last_pooled:
            np.maximum(frame, frames[0], out=frame)
        return frame

    def close(self) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None
        if self.ale is not None:
            _POOL.release(self.rom, self.ale, self._pristine, self._pristine_screens)
            self.ale = None
        super().close()

    # ------------------------------------------------------------------ frames
    def _grab_prev(self) -> None:
        """Keep the frame before the last one of a pooled step."""
        self.ale.getScreen(self._idx_prev)
        if self._palette.palette is None:
            self._convert(self._full_prev)

    def _convert(self, out: np.ndarray | None = None) -> np.ndarray:
        """ALE's conversion of the current screen (RGB or grayscale), into ``out`` if given."""
        grab = self.ale.getScreenRGB if self._rgb else self.ale.getScreenGrayscale
        if out is None:
            return grab()
        grab(out)
        return out

    def _render_hidden(self, ale_action: Any, writes: list[HideWrites], last: bool) -> bool:
        """Emulate the coming frame with ``writes`` applied, keep its screen, restore the state.

        Returns False when there is nothing to hide, in which case the real frame is the
        observed one.
        """
        ale = self.ale
        ram = ale.getRAM()
        edits = [edit for hide in writes for edit in hide(ram)]
        if not edits:
            return False
        # ALE's generator only decides sticky actions, which are off: leaving it out halves the
        # cost of the snapshot and cannot change the game.
        state = ale.cloneState()
        for address, value in edits:
            ale.setRAM(address, value)
        ale.act(ale_action)
        if last:
            ale.getScreen(self._idx_last)
            self._hidden_last = self._convert()
        else:
            self._grab_prev()
        ale.restoreState(state)
        return True

    def _observe(self, pooled: bool) -> np.ndarray:
        """The observation after the last frame: pooled with the kept frame if ``pooled``."""
        if self._frame_masks:
            return self._observe_frame_masked(pooled)
        palette = self._palette.palette
        if self._hidden_last is not None:
            frame = self._hidden_last
        else:
            if self._index_needed or palette is None:
                self.ale.getScreen(self._idx_last)
            frame = self._convert()
        self._last_pooled = pooled
        if palette is None:
            self._palette.observe(self._idx_last, frame)
            if pooled:
                np.maximum(frame, self._full_prev, out=frame)
            return frame
        if pooled:
            words = np.flatnonzero(self._words_prev != self._words_last)
            if words.size:
                # Every pixel of a changed word; equal pixels are left as they are by the max.
                changed = (words[:, None] * 8 + _EIGHT).reshape(-1)
                before = self._idx_prev.reshape(-1)[changed]
                if self._rgb:
                    flat = frame.reshape(-1, 3)
                    flat[changed] = np.maximum(flat[changed], palette.rgb[before])
                else:
                    flat = frame.reshape(-1)
                    flat[changed] = np.maximum(flat[changed], palette.gray[before])
        return frame

    def _observe_frame_masked(self, pooled: bool) -> np.ndarray:
        """:meth:`_observe` with the frame masks painted on each observed frame, then pooled."""
        palette = self._palette.palette
        if self._hidden_last is not None:
            last = self._hidden_last
        else:
            self.ale.getScreen(self._idx_last)
            last = self._convert()
        self._last_pooled = pooled
        if palette is None:
            self._palette.observe(self._idx_last, last)
        frames = [last]
        if pooled:
            if palette is None:
                prev = self._full_prev.copy()
            else:
                # np.take: ~4x faster than fancy indexing for a palette lookup.
                prev = np.take(palette.rgb if self._rgb else palette.gray, self._idx_prev, axis=0)
            frames.insert(0, prev)
        draws = []
        for frame in frames:
            painted = []
            for mask in self._frame_masks:
                hit, params = mask.draw(frame)
                if hit:
                    mask.paint(frame, params)
                    painted.append((mask, params))
            draws.append(tuple(painted))
        self._frame_draws = tuple(draws)
        if pooled:
            np.maximum(last, frames[0], out=last)
        return last

    def _info(self) -> dict[str, Any]:
        ale = self.ale
        return {
            "lives": ale.lives(),
            "episode_frame_number": ale.getEpisodeFrameNumber(),
            "frame_number": ale.getFrameNumber(),
        }

    # ------------------------------------------------------------------ branching
    def clone_full_state(self) -> FullState:
        """Snapshot the emulator and every part's generator and counters (for tree search)."""
        return FullState(
            ale=self.ale.cloneState(include_rng=True),
            np_random=self.np_random.bit_generator.state,
            parts=tuple(part.get_state() for part in self._parts),
            frames=(
                self._idx_prev.copy(),
                self._idx_last.copy(),
                self._last_pooled,
                self.last_obs_hidden,
                self._frame_draws,
            ),
            sticky=(
                self._sticky.get_state() if self._sticky is not None else None,
                self._last_ale_action,
            ),
        )

    def restore_full_state(self, state: FullState) -> None:
        """Return to a snapshot taken by :meth:`clone_full_state` on this env."""
        if len(state.parts) != len(self._parts):
            raise ValueError("the state was cloned from an env with different STORI wrappers")
        self.ale.restoreState(state.ale)
        self.np_random.bit_generator.state = state.np_random
        for part, part_state in zip(self._parts, state.parts):
            part.set_state(part_state)
        idx_prev, idx_last, self._last_pooled, self.last_obs_hidden, self._frame_draws = (
            state.frames
        )
        sticky_state, self._last_ale_action = state.sticky
        if sticky_state is not None and self._sticky is not None:
            self._sticky.set_state(sticky_state)
        self._idx_prev[:] = idx_prev
        self._idx_last[:] = idx_last


class HumanWindow:
    """A pygame window that shows RGB frames, three times their size (``render_mode="human"``).
    pygame comes with the ``video`` extra. Without a display it draws off-screen (SDL's
    ``offscreen`` driver, unless ``SDL_VIDEODRIVER`` says otherwise), which SDL would fall back
    to anyway after printing ``XDG_RUNTIME_DIR is invalid``; pygame's import banner is off."""

    SCALE = 3

    def __init__(self, title: str) -> None:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        try:
            import pygame
        except ImportError:
            raise gym.error.DependencyNotInstalled(
                "render_mode='human' needs pygame: pip install 'entropy-gym[video]'"
            ) from None
        self._pygame = pygame
        self._title = title
        self._screen: Any = None

    def show(self, frame: np.ndarray) -> None:
        pygame = self._pygame
        height, width = frame.shape[:2]
        if self._screen is None:
            if has_display() or "SDL_VIDEODRIVER" in os.environ:
                pygame.display.init()
            else:
                os.environ["SDL_VIDEODRIVER"] = "offscreen"
                try:
                    pygame.display.init()
                finally:
                    del os.environ["SDL_VIDEODRIVER"]
            pygame.display.set_caption(self._title)
            self._screen = pygame.display.set_mode((width * self.SCALE, height * self.SCALE))
        surface = pygame.surfarray.make_surface(np.ascontiguousarray(frame.swapaxes(0, 1)))
        self._screen.blit(pygame.transform.scale(surface, self._screen.get_size()), (0, 0))
        pygame.event.pump()
        pygame.display.flip()

    @property
    def size(self) -> tuple[int, int] | None:
        return None if self._screen is None else tuple(self._screen.get_size())

    def close(self) -> None:
        if self._screen is not None:
            self._pygame.display.quit()
            self._screen = None


def action_index(action: Any, space: spaces.Discrete) -> int:
    """``action`` as an index of ``space``: an integer (Python or NumPy, or a 0-d integer
    array) or an integral float; anything else is a ``TypeError`` or ``ValueError`` naming the
    action and the space."""
    if isinstance(action, np.ndarray):
        if action.ndim != 0:
            raise ValueError(
                f"action of shape {action.shape}; expected one integer index of {space}"
            )
        action = action[()]
    if isinstance(action, (bool, np.bool_)):
        raise TypeError(f"action {action!r} is a bool; expected an integer index of {space}")
    if isinstance(action, (int, np.integer)):
        return int(action)
    if isinstance(action, (float, np.floating)):
        if not np.isfinite(action) or action != int(action):
            raise ValueError(f"action {action!r} is not an integer; expected an index of {space}")
        return int(action)
    raise TypeError(
        f"action of type {type(action).__name__} ({action!r:.40}); expected an integer index "
        f"of {space}"
    )


def stori_base(env: gym.Env) -> StoriAtariEnv:
    """The :class:`StoriAtariEnv` under ``env``'s wrappers, or a ``TypeError`` naming ``env``."""
    base = env.unwrapped
    if not isinstance(base, StoriAtariEnv):
        raise TypeError(
            f"STORI wrappers need a StoriAtariEnv underneath, got {type(base).__name__}"
        )
    return base
