"""STORI type 2.1: action-independent random events, done by rewriting the game's RAM.

Each game defines its event modes as :class:`RamEvent` subclasses (``games/<game>.py``);
:class:`RandomEvents` plugs one into the env's frame loop. Events act per emulator frame: a RAM
write made after a frame shows from the next frame on.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from entropy_gym.envs.stori._random import Uniforms
from entropy_gym.envs.stori.actions import check_per, check_probability
from entropy_gym.envs.stori.atari import FramePart, StoriAtariEnv, stori_base


class RamEvent(FramePart):
    """One event mode of one game: watches RAM frame by frame and, by chance, rewrites it.

    :meth:`chance` is the event's coin: with ``per="frame"`` it is a fresh draw with
    probability ``p`` each time a frame meets the event's condition; with ``per="step"`` one
    draw is made at the first frame of each agent step and, if it succeeds, the event takes
    effect on the first frame of that step that meets its condition (at most once per step).
    Subclasses set ``reads_prev`` to get the RAM before each frame in ``self.prev``, call
    :meth:`read` for the RAM after it, count each frame the event takes effect in ``fired``, and
    return the (possibly changed) reward from ``after_frame``. ``self.initial`` is the RAM right
    after the game reset, before the no-op starts (as a concept-drift secondary: the RAM when
    the drift switched it on, see :meth:`switch_on`).
    """

    #: The mode name, set by each subclass.
    name = ""
    #: Whether ``self.prev`` must hold the RAM before each frame.
    reads_prev = False

    def __init__(self, env: StoriAtariEnv, p: float, per_step: bool) -> None:
        self.ale = env.ale
        self.env = env
        self.p = p
        self.per_step = per_step
        self.active = True
        self.fired = 0
        self.prev = np.zeros(128, dtype=np.uint8)
        self.now = np.zeros(128, dtype=np.uint8)
        self.initial = np.zeros(128, dtype=np.uint8)
        self._uniform: Uniforms | None = None
        self._step_hit = False

    # Subclasses extend these two instead of on_reset / get_state.
    def reset_episode(self) -> None:
        """Clear per-episode memory (e.g. "at most once per episode" flags)."""

    def episode_state(self) -> Any:
        """Per-episode memory, for full-state snapshots."""
        return None

    def set_episode_state(self, state: Any) -> None:
        """Restore what :meth:`episode_state` returned."""

    def seed_rng(self, rng: np.random.Generator) -> None:
        self._uniform = Uniforms(rng)

    def on_reset(self, ram: np.ndarray) -> None:
        self.initial[:] = ram
        self.fired = 0
        self.reset_episode()

    def switch_on(self) -> None:
        """Concept drift turned the event on mid-episode: start afresh from the RAM now, as
        STORI does by building the secondary concept's wrapper at the switch (``initial`` is
        then the RAM at the switch and per-episode memory starts empty)."""
        self.ale.getRAM(self.initial)
        self._step_hit = False
        self.reset_episode()

    def chance(self) -> bool:
        """The event's coin for this frame (see the class docstring); call it last, just
        before the event takes effect."""
        if not self.per_step:
            return self._uniform() < self.p
        hit, self._step_hit = self._step_hit, False
        return hit

    def uniform(self) -> float:
        """A uniform draw from the event's generator (for the event's own choices)."""
        return self._uniform()

    def read(self) -> np.ndarray:
        """The RAM now (after the frame), in a reused buffer."""
        self.ale.getRAM(self.now)
        return self.now

    def before_frame(self, action: int, frame: int) -> int:
        if frame == 0:
            self.fired = 0
            if self.per_step and self.active:
                self._step_hit = self._uniform() < self.p
        if self.reads_prev and self.active:
            self.ale.getRAM(self.prev)
        return action

    def get_state(self) -> Any:
        return (
            self._uniform.get_state() if self._uniform else None,
            self._step_hit,
            self.fired,
            self.initial.copy(),
            self.episode_state(),
        )

    def set_state(self, state: Any) -> None:
        uniform, self._step_hit, self.fired, initial, episode = state
        if uniform is not None:
            self._uniform.set_state(uniform)
        self.initial[:] = initial
        self.set_episode_state(episode)


class RandomEvents(gym.Wrapper):
    """Type 2.1: a game's random RAM event, e.g. Breakout's block-hit cancel.

    ``event`` is a :class:`RamEvent` subclass of the wrapped game (see ``games/``). On each step
    ``info["event"]`` is the mode's name if it took effect on any frame of the step (else
    ``""``) and ``info["event_frames"]`` the number of frames it did. Events never act during
    no-op starts.
    """

    def __init__(
        self,
        env: gym.Env,
        event: type[RamEvent],
        p: float,
        *,
        per: str = "frame",
        active: bool = True,
    ) -> None:
        super().__init__(env)
        base = stori_base(env)
        self._event = event(base, check_probability(p), check_per(per))
        self._event.active = active
        base.add_part(self._event)

    @property
    def active(self) -> bool:
        """Whether the event can happen (concept drift toggles this)."""
        return self._event.active

    @active.setter
    def active(self, value: bool) -> None:
        if value and not self._event.active:
            self._event.switch_on()
        self._event.active = value

    @property
    def event(self) -> RamEvent:
        """The event mode in the frame loop."""
        return self._event

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        info["event"] = ""
        info["event_frames"] = 0
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        fired = self._event.fired
        info["event"] = self._event.name if fired else ""
        info["event_frames"] = fired
        return obs, reward, terminated, truncated, info
