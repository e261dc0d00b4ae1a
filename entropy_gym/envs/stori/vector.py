"""STORI envs stepped as one batch by ALE's C++ vector env (``ale_py.vector_env.AtariVectorEnv``).

The native ``gym.make_vec`` form of the STORI ids (``vectorization_mode="vector_entry_point"``).
ALE's vector env runs every emulator in C++ threads but exposes no RAM, no saved states and no
screen between the frames of a frame skip. Where a perturbation acts per emulator frame (type 1
``per="frame"``, masks ``per="frame"``) it is run one frame per call and this class does the
frame skip and the max-pooling; otherwise ALE runs the whole frame skip and pools the last two
frames itself (the same max). Either way it runs at full resolution, without reward clipping,
fire reset or truncation, and this class does the rest as
:class:`~entropy_gym.envs.stori.atari.StoriAtariEnv` and its wrappers do: type 1, the pixel
masks of 3.2, concept drift (2.2), the 108k-frame truncation and the 84 x 84 stack. Types that
read or write RAM (2.1, the ``ram`` mask) are refused.

Row ``i`` reset with seed ``s`` draws its perturbations exactly as a single env reset with ``s``
(see :mod:`.vector_random`). What differs from single envs (``docs/stori.md``, "Batched"):

* no-op starts are drawn by ALE's C++ generator (seeded by the same ``s``), uniform in
  ``[0, noop_max]`` frames instead of ``[1, noop_max]``;
* the emulator frame at which the game ends is not returned by ALE's vector env (it stops before
  grabbing the screen), so a terminating step observes the frame before it in its place;
* sticky actions (``repeat_action_probability``) are ALE's own, from ALE's generator.

Autoreset: ``NEXT_STEP`` (default), ``SAME_STEP`` (``final_obs`` / ``final_info`` laid out as in
``SyncVectorEnv``) and ``DISABLED`` (reset ended rows with ``options={"reset_mask": ...}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import cv2
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from entropy_gym.envs.stori.vector_config import (
    SYNC_HINT,
    BatchedSetup,
    Masking,
    Substitution,
    batched_setup,
)
from entropy_gym.envs.stori.vector_perturb import BatchedMasking, BatchedSubstitution
from entropy_gym.envs.stori.vector_random import UniformStreams

#: ALE's vector env truncates after this many frames; the batch truncates itself instead.
_NEVER = 2**30
#: Seeds ALE's vector env accepts (C ints); larger seeds are reduced modulo this.
_SEED_RANGE = 2**31


def make_stori_vector_env(
    num_envs: int = 1,
    *,
    autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
    num_threads: int = 0,
    **kwargs: Any,
) -> StoriVectorEnv:
    """The vector entry point of every STORI id: ``num_envs`` copies of
    ``make_stori_env(**kwargs)`` on ALE's C++ vector env, ``num_threads`` worker threads (0:
    ALE's default). Unsupported types and parameters are a one-line ``ValueError``."""
    if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
    return StoriVectorEnv(batched_setup(**kwargs), int(num_envs), autoreset_mode, num_threads)


class StoriVectorEnv(VectorEnv):
    """A batch of one STORI configuration (see the module docstring); build it with
    ``gym.make_vec(id, num_envs, vectorization_mode="vector_entry_point")``."""

    #: This family reports no ``info["episode_metrics"]``.
    EPISODE_METRICS: ClassVar[tuple[str, ...]] = ()

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        setup: BatchedSetup,
        num_envs: int,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        num_threads: int = 0,
    ) -> None:
        from ale_py.vector_env import AtariVectorEnv

        self.setup = setup
        self.num_envs = num_envs
        self.autoreset_mode = _autoreset_mode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.render_mode = None
        height, width = setup.frame_space.shape[:2]
        noops = setup.noop_max + 1 if setup.noop_max else 0  # ALE draws [0, noop_max)
        # Per-frame perturbations need each frame; otherwise ALE runs the whole frame skip (and
        # the pooling, which is the same max of the last two frames) in one call.
        spec = setup.perturbation
        per_frame = (isinstance(spec, Substitution) and not spec.per_step) or (
            isinstance(spec, Masking) and spec.per_frame
        )
        self._frames_per_call = 1 if per_frame else setup.frame_skip
        pooled_in_ale = setup.pooled and self._frames_per_call > 1
        self.ale: Any = AtariVectorEnv(
            setup.rom,
            num_envs,
            num_threads=num_threads,
            max_num_frames_per_episode=_NEVER,
            repeat_action_probability=setup.sticky,
            full_action_space=setup.full_action_space,
            autoreset_mode=AutoresetMode.NEXT_STEP,
            img_height=height,
            img_width=width,
            grayscale=not setup.rgb,
            stack_num=1,
            frameskip=self._frames_per_call,
            maxpool=pooled_in_ale,
            noop_max=noops,
            episodic_life=False,
            life_loss_info=False,
            reward_clipping=False,
            use_fire_reset=False,
        )
        if self.ale.single_action_space.n != setup.num_actions:
            raise RuntimeError(
                f"ALE's vector env has {self.ale.single_action_space.n} actions for "
                f"{setup.game}, the single env {setup.num_actions}; {SYNC_HINT}"
            )
        self.single_observation_space = setup.observation_space
        self.single_action_space = self.ale.single_action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)

        self._streams = UniformStreams(num_envs)
        self._substitution = (
            BatchedSubstitution(spec, self._streams) if isinstance(spec, Substitution) else None
        )
        self._masking = BatchedMasking(spec, self._streams) if isinstance(spec, Masking) else None
        self._steps = np.zeros(num_envs, dtype=np.int64)
        self._stack: np.ndarray | None = None
        if setup.atari84 is not None:
            size, depth = setup.atari84
            self._stack = np.zeros((num_envs, depth, size, size), dtype=np.uint8)
        self._obs = np.zeros(self.observation_space.shape, dtype=np.uint8)
        self._needs_reset = np.zeros(num_envs, dtype=bool)
        self._started = False

    # ------------------------------------------------------------------ gym API
    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every row (or those of ``options["reset_mask"]``); ``seed`` is an int (row
        ``i`` gets ``seed + i``, as in ``SyncVectorEnv``) or one seed per row."""
        n = self.num_envs
        mask = None if options is None else options.get("reset_mask")
        if mask is None:
            rows = np.ones(n, dtype=bool)
        else:
            rows = np.asarray(mask, dtype=bool)
            if rows.shape != (n,):
                raise ValueError(f"reset_mask must have shape ({n},), got {rows.shape}")
            if not self._started and not rows.all():
                raise ValueError("the first reset() must reset every env (reset_mask all True)")
        seeds = _seeds(seed, n)
        if seeds is None and not self._started:
            seeds = [None] * n
        self._started = True
        obs, info = self._reset_rows(rows, seeds)
        self._obs = obs
        self._needs_reset[rows] = False
        return obs.copy(), _masked(info, rows)

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        if self.autoreset_mode == AutoresetMode.DISABLED and self._needs_reset.any():
            raise RuntimeError(
                "some envs ended their episode; reset them with options={'reset_mask': ...}"
            )
        chosen = self._read_actions(actions)
        resetting = self._needs_reset.copy()
        obs, reward, terminated, truncated, info = self._play(chosen, ~resetting)
        n = self.num_envs
        everyone = np.ones(n, dtype=bool)
        if resetting.any():  # NEXT_STEP: these rows reset instead of stepping
            reset_obs, reset_info = self._reset_rows(resetting, None)
            obs[resetting] = reset_obs[resetting]
            info = _merge(info, reset_info, resetting)
            reward[resetting] = 0.0
        vector_info = _masked(info, everyone)
        if "noops" in info:
            vector_info["_noops"] = resetting.copy()
        done = terminated | truncated
        if self.autoreset_mode == AutoresetMode.SAME_STEP and done.any():
            final_obs = np.full(n, None, dtype=object)
            for row in np.flatnonzero(done):
                final_obs[row] = obs[row].copy()
            final_info = _masked({k: v for k, v in info.items() if k != "noops"}, done)
            reset_obs, reset_info = self._reset_rows(done, None)
            obs[done] = reset_obs[done]
            vector_info = _masked(_merge(info, reset_info, done), everyone)
            vector_info["_noops"] = done.copy()
            vector_info.update(
                final_obs=final_obs,
                _final_obs=done.copy(),
                final_info=final_info,
                _final_info=done.copy(),
            )
            self._needs_reset[:] = False
        else:
            self._needs_reset = done.copy()
        self._obs = obs
        return obs.copy(), reward, terminated, truncated, vector_info

    def close_extras(self, **kwargs: Any) -> None:
        self.ale = None  # the C++ vector env stops its threads when freed

    # ------------------------------------------------------------------ one agent step
    def _play(
        self, chosen: np.ndarray, stepping: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """One agent step of the rows ``stepping`` (the others are emulated and discarded)."""
        setup = self.setup
        n, k = self.num_envs, setup.frame_skip
        first_seen = k - (2 if setup.pooled else 1)
        concept = np.ones(n, dtype=np.int64)
        active = stepping.copy()
        if setup.drift is not None:
            on = setup.drift.secondary_on(self._steps)
            concept[on] = 2
            active &= on
            self._steps[stepping] += 1
        reward = np.zeros(n, dtype=np.float64)
        ended = ~stepping  # rows whose game is over: later frames are not theirs
        game_over = np.zeros(n, dtype=bool)
        screen = np.zeros((n, *setup.frame_space.shape), dtype=np.uint8)
        counters = np.zeros((3, n), dtype=np.int64)
        seen: list[np.ndarray] = []
        per_call = self._frames_per_call
        for frame in range(0, k, per_call):
            actions = chosen
            if self._substitution is not None:
                actions = self._substitution.frame_actions(chosen, frame, active, per_call)
            frames, r, term, _, ale_info = self.ale.step(actions)
            live = ~ended
            reward += np.where(live, r, 0)
            if frame + per_call - 1 >= first_seen:
                screen[live] = frames[live, 0]
                seen.append(screen.copy())
            elif (term & live).any():
                screen[term & live] = frames[term & live, 0]
            counters[:, live] = _counters(ale_info)[:, live]
            game_over |= term & live
            ended |= term
        info: dict[str, np.ndarray] = {
            "lives": counters[0],
            "episode_frame_number": counters[1],
            "frame_number": counters[2],
        }
        obs = self._observe(seen, active, info)
        if self._substitution is not None:
            replaced = self._substitution.replaced
            assert replaced is not None
            info["action_replaced"] = replaced > 0
            info["action_replaced_frames"] = replaced
        if setup.drift is not None:
            info["concept"] = concept
        terminated = game_over & stepping
        truncated = np.zeros(n, dtype=bool)
        if setup.max_frames is not None:
            truncated = stepping & ~terminated & (counters[1] >= setup.max_frames)
        return obs, reward, terminated, truncated, info

    def _observe(
        self, seen: list[np.ndarray], active: np.ndarray, info: dict[str, np.ndarray]
    ) -> np.ndarray:
        """The observations of the observed frames ``seen`` (oldest first), masked and pooled
        as :class:`StoriAtariEnv` and its wrappers do, and pushed onto the stack."""
        masking = self._masking
        if masking is not None and masking.per_frame:
            hits = sum(masking.paint(frame, active).astype(np.int64) for frame in seen)
            _flag(info, np.asarray(hits, dtype=np.int64))
        frame = seen[-1]
        if len(seen) == 2:
            np.maximum(frame, seen[0], out=frame)
        if masking is not None and not masking.per_frame:
            _flag(info, masking.paint(frame, active).astype(np.int64))
        if self._stack is None:
            return frame
        stack = self._stack
        stack[:, :-1] = stack[:, 1:]
        stack[:, -1] = self._resize(frame)
        return stack.copy()

    def _resize(self, frames: np.ndarray) -> np.ndarray:
        size = self._stack.shape[-1] if self._stack is not None else 0
        return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames])

    # ------------------------------------------------------------------ resets
    def _reset_rows(
        self, rows: np.ndarray, seeds: list[int | None] | None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Reset ``rows`` (seeding them with their ``seeds`` entries where given); returns the
        whole batch's observations and reset infos, valid in ``rows``."""
        index = np.flatnonzero(rows)
        ale_seeds = np.full(len(index), -1, dtype=np.int64)
        if seeds is not None:
            picked = [seeds[i] for i in index]
            self._streams.seed(index.tolist(), picked)
            ale_seeds[:] = [-1 if s is None else int(s) % _SEED_RANGE for s in picked]
        frames, ale_info = self.ale.reset(seed=ale_seeds, options={"reset_mask": rows.copy()})
        self._steps[rows] = 0
        counters = _counters(ale_info)
        info: dict[str, np.ndarray] = {
            "lives": counters[0],
            "episode_frame_number": counters[1],
            "frame_number": counters[2],
            "noops": counters[1].copy(),
        }
        frame = frames[:, 0].copy()
        masking = self._masking
        # Concept drift starts every episode with the secondary concept off.
        active = rows & (self.setup.drift is None)
        if masking is not None:
            _flag(info, masking.paint(frame, active).astype(np.int64))
        if self._substitution is not None:
            info["action_replaced"] = np.zeros(self.num_envs, dtype=bool)
            info["action_replaced_frames"] = np.zeros(self.num_envs, dtype=np.int64)
        if self.setup.drift is not None:
            info["concept"] = np.ones(self.num_envs, dtype=np.int64)
        if self._stack is None:
            obs = self._obs.copy()
            obs[rows] = frame[rows]
            return obs, info
        self._stack[rows] = self._resize(frame[rows])[:, None]
        return self._stack.copy(), info

    # ------------------------------------------------------------------ helpers
    def _read_actions(self, actions: Any) -> np.ndarray:
        n, space = self.num_envs, self.single_action_space
        array = np.asarray(actions)
        if array.shape != (n,) or array.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be {n} integer indices of {space}, got {array.dtype} array of "
                f"shape {array.shape}"
            )
        bad = (array < 0) | (array >= space.n)
        if bad.any():
            raise ValueError(f"action {array[bad][0]} is outside the action space {space}")
        return array.astype(np.int64)


def _counters(ale_info: dict[str, np.ndarray]) -> np.ndarray:
    """``(lives, episode_frame_number, frame_number)`` rows of ALE's vector info."""
    return np.stack(
        [ale_info["lives"], ale_info["episode_frame_number"], ale_info["frame_number"]]
    ).astype(np.int64)


def _flag(info: dict[str, np.ndarray], frames: np.ndarray) -> None:
    info["masked_frames"] = frames
    info["masked"] = frames > 0


def _merge(
    info: dict[str, np.ndarray], other: dict[str, np.ndarray], rows: np.ndarray
) -> dict[str, np.ndarray]:
    """``info`` with ``other``'s values in ``rows`` (keys only ``other`` has: zeros elsewhere)."""
    out = {key: value.copy() for key, value in info.items()}
    for key, value in other.items():
        if key not in out:
            out[key] = np.zeros_like(value)
        out[key][rows] = value[rows]
    return out


def _masked(info: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, Any]:
    """A vector info: each key with its ``_key`` mask ``rows``, zeros outside them."""
    out: dict[str, Any] = {}
    for key, value in info.items():
        out[key] = np.where(rows, value, np.zeros_like(value))
        out[f"_{key}"] = rows.copy()
    return out


def _seeds(seed: int | Sequence[int | None] | None, n: int) -> list[int | None] | None:
    if seed is None:
        return None
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return [int(seed) + i for i in range(n)]
    seeds = list(seed)
    if len(seeds) != n:
        raise ValueError(f"seed must be an int or a list of {n} seeds, got {len(seeds)} seeds")
    return [None if s is None else int(s) for s in seeds]


def _autoreset_mode(value: AutoresetMode | str) -> AutoresetMode:
    """An ``AutoresetMode`` from itself or its value (``"SameStep"``)."""
    try:
        return AutoresetMode(value)
    except ValueError:
        raise ValueError(
            f"autoreset_mode {value!r} is unknown; expected one of {[m.value for m in AutoresetMode]}"
        ) from None
