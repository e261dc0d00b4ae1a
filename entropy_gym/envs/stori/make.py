"""Build a STORI env from a game, a type and its parameters (the entry point of every id)."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import gymnasium as gym

from entropy_gym.envs.stori.actions import RandomActions, check_probability
from entropy_gym.envs.stori.atari import StoriAtariEnv
from entropy_gym.envs.stori.catalog import resolve_game
from entropy_gym.envs.stori.drift import SCHEDULES, ConceptDrift
from entropy_gym.envs.stori.events import RandomEvents
from entropy_gym.envs.stori.games import GAMES_WITH_MODES, game_modes, resolve_mode
from entropy_gym.envs.stori.masks import (
    Blackout,
    Crop,
    ObservationMask,
    RamHiding,
    check_timing,
)
from entropy_gym.envs.stori.preprocessing import Atari84
from entropy_gym.envs.stori.presets import (
    DEFAULT_DRIFT,
    DEFAULT_EVENT,
    DEFAULT_MASK_MODE,
    DEFAULT_P,
)

TYPES = ("1", "2.1", "2.2", "3.1", "3.2")
SECONDARY_TYPES = ("1", "2.1", "3.2")
MASKS = ("crop", "blackout", "ram")
OBS_MODES = ("rgb", "grayscale", "atari84")

#: The stochasticity parameters each type reads; 2.2 reads its own plus its secondary's.
TYPE_PARAMS: dict[str, tuple[str, ...]] = {
    "1": ("p", "per", "random_actions"),
    "2.1": ("p", "per", "mode"),
    "3.1": (),
    "3.2": ("p", "per", "mask", "mode"),
}
DRIFT_PARAMS = ("secondary", "drift", "threshold")


def make_stori_env(
    game: str,
    type: str = "3.1",
    *,
    p: float | None = None,
    per: str | None = None,
    mode: str | int | None = None,
    mask: str | None = None,
    random_actions: int | Sequence[int] | None = None,
    secondary: str | None = None,
    drift: str | None = None,
    threshold: int | None = None,
    frame_skip: int = 4,
    max_pool: bool = True,
    noop_max: int = 30,
    max_episode_frames: int | None = 108_000,
    obs_mode: str = "rgb",
    full_action_space: bool = False,
    repeat_action_probability: float = 0.0,
    render_mode: str | None = None,
    frameskip: int | None = None,
    obs_type: str | None = None,
    **unknown: Any,
) -> gym.Env:
    """A STORI env: ``game`` under stochasticity ``type``.

    >>> import gymnasium as gym
    >>> env = gym.make("STORI/Breakout-T1-v0")       # type 1: replaced actions, p=0.3 per frame
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape, env.action_space
    ((210, 160, 3), Discrete(4))
    >>> obs, reward, terminated, truncated, info = env.step(1)
    >>> sorted(k for k in info if k.startswith("action_"))
    ['action_replaced', 'action_replaced_frames']
    >>> gym.make("STORI/Breakout-T1-v0", obs_mode="atari84").reset(seed=0)[0].shape
    (4, 84, 84)

    Stochasticity parameters (``None`` takes the default; one that the type does not read is an
    error):

    * type ``"1"``: ``p`` (0.3), ``per`` (``"frame"`` or ``"step"``), ``random_actions`` (the
      first n actions, or a list of action indices, to draw replacements from; default all,
      BankHeist 10).
    * type ``"2.1"``: ``mode`` (a game's RAM event, by name or STORI number), ``p``, ``per``.
      Defaults are the paper's setting of each game.
    * type ``"3.2"``: ``mask`` (``"crop"``, ``"blackout"``, ``"ram"``), ``mode`` (crop:
      ``"left"``; blackout and ram: the paper's mode where it used that mask, else required),
      ``p`` (crop halves 0.75; torch and blackout 1.0; ram 0.75) and ``per``: ``"frame"``
      (STORI's timing: a coin per emulator frame, before max-pooling) or ``"observation"`` (one
      coin per observation, after pooling).
    * type ``"2.2"``: ``secondary`` (``"1"``, ``"2.1"`` or ``"3.2"``, default ``"1"``), ``drift``
      (``"sudden"`` or ``"cyclic"``), ``threshold`` (agent steps, 300), and the secondary
      type's own parameters.

    Agent set-up: ``frame_skip`` (4) with ``max_pool`` of the last two frames, ``noop_max`` (30)
    no-op starts, truncation after ``max_episode_frames`` (108,000) emulator frames, and
    ``obs_mode``: ``"rgb"`` (210, 160, 3), ``"grayscale"`` (210, 160) or ``"atari84"``, the
    standard (4, 84, 84) stack of 84 x 84 grayscale frames. ``repeat_action_probability``
    turns on ALE's sticky actions (0 here, as in STORI; 0.25 is ALE v5's default).

    ALE v5's keyword names are accepted as synonyms: ``frameskip`` for ``frame_skip`` and
    ``obs_type`` (``"rgb"``, ``"grayscale"``) for ``obs_mode``.
    """
    if unknown:
        name = sorted(unknown)[0]
        hints = {"max_num_frames_per_episode": "max_episode_frames", "mode": "mode (STORI's)"}
        import difflib

        close = difflib.get_close_matches(name, _KWARGS, n=1)
        hint = hints.get(name) or (close[0] if close else None)
        raise TypeError(
            f"STORI env got an unexpected keyword argument {name!r}"
            + (f"; did you mean {hint!r}?" if hint else f"; it accepts: {', '.join(_KWARGS)}")
        )
    if frameskip is not None:
        if frame_skip != 4 and frame_skip != frameskip:
            raise ValueError(f"frameskip={frameskip} and frame_skip={frame_skip} disagree")
        frame_skip = frameskip
    if obs_type is not None:
        if obs_type not in ("rgb", "grayscale"):
            raise ValueError(
                f"obs_type {obs_type!r} is not supported; expected 'rgb' or 'grayscale' (or "
                "obs_mode='atari84' for the 84 x 84 stack; RAM observations are not offered)"
            )
        if obs_mode != "rgb" and obs_mode != obs_type:
            raise ValueError(f"obs_type={obs_type!r} and obs_mode={obs_mode!r} disagree")
        obs_mode = obs_type
    kind = str(type)
    if kind not in TYPES:
        raise ValueError(f"STORI type {type!r} is unknown; expected one of {TYPES}")
    if obs_mode not in OBS_MODES:
        raise ValueError(f"obs_mode {obs_mode!r} is unknown; expected one of {OBS_MODES}")
    name, _ = resolve_game(game)
    params = {
        "p": p, "per": per, "mode": mode, "mask": mask, "random_actions": random_actions,
        "secondary": secondary, "drift": drift, "threshold": threshold,
    }  # fmt: skip
    given = {key for key, value in params.items() if value is not None}

    perturbation = kind
    if kind == "2.2":
        perturbation = str(secondary) if secondary is not None else DEFAULT_DRIFT["secondary"]
        if perturbation == "2.2":
            raise ValueError(
                "secondary type '2.2' is not allowed: concept drift cannot drift into itself"
            )
        if perturbation == "3.1":
            raise ValueError("secondary type '3.1' is not allowed: the plain game is concept 1")
        if perturbation not in SECONDARY_TYPES:
            raise ValueError(
                f"secondary type {secondary!r} is unknown; expected one of {SECONDARY_TYPES}"
            )
    accepted = TYPE_PARAMS[perturbation] + (DRIFT_PARAMS if kind == "2.2" else ())
    stray = sorted(given - set(accepted))
    if stray:
        what = f"type {kind!r}" + (f" with secondary {perturbation!r}" if kind == "2.2" else "")
        raise ValueError(
            f"parameter(s) {', '.join(stray)} do not apply to {what}; it accepts: {', '.join(accepted) or 'none'}"
        )

    env: gym.Env = StoriAtariEnv(
        name,
        frame_skip=frame_skip,
        max_pool=max_pool,
        noop_max=noop_max,
        max_episode_frames=max_episode_frames,
        obs_type="rgb" if obs_mode == "rgb" else "grayscale",
        full_action_space=full_action_space,
        repeat_action_probability=repeat_action_probability,
        render_mode=render_mode,
    )
    try:
        env, switch = _perturb(env, name, perturbation, params, active=kind != "2.2")
        if kind == "2.2":
            schedule = drift if drift is not None else DEFAULT_DRIFT["drift"]
            steps = threshold if threshold is not None else DEFAULT_DRIFT["threshold"]
            if schedule not in SCHEDULES:
                raise ValueError(f"drift {drift!r} is unknown; expected one of {SCHEDULES}")
            env = ConceptDrift(env, switch, steps, schedule)
        if obs_mode == "atari84":
            env = Atari84(env)
    except BaseException:
        env.close()
        raise
    return env


#: The keyword arguments a STORI id accepts (for the did-you-mean of a misspelt one).
_KWARGS = tuple(
    name for name in inspect.signature(make_stori_env).parameters if name not in ("game", "unknown")
)


def _perturb(
    env: gym.Env, game: str, kind: str, params: dict[str, Any], active: bool
) -> tuple[gym.Env, Any]:
    """Wrap ``env`` in the wrapper of type ``kind``; return it and the switch for drift."""
    if kind == "3.1":
        return env, None
    modes = game_modes(game)
    p = params["p"]
    if kind == "1":
        choices = params["random_actions"]
        wrapper = RandomActions(
            env,
            check_probability(p if p is not None else DEFAULT_P["1"]),
            per=params["per"] or "frame",
            choices=choices if choices is not None else modes.random_actions,
            active=active,
        )
        return wrapper, wrapper
    if kind == "2.1":
        if not modes.events:
            raise ValueError(
                f"{game} has no type-2.1 RAM events; games with events: {', '.join(GAMES_WITH_MODES)}"
            )
        default_mode, default_p = DEFAULT_EVENT[game]
        event = resolve_mode(modes.events, params["mode"] or default_mode, "event", game)
        wrapper = RandomEvents(
            env,
            modes.events[event],
            check_probability(p if p is not None else default_p),
            per=params["per"] or "frame",
            active=active,
        )
        return wrapper, wrapper
    # kind == "3.2"
    mask = params["mask"] or "crop"
    if mask not in MASKS:
        raise ValueError(f"mask {mask!r} is unknown; expected one of {MASKS}")
    table: dict[str, Any] = {
        "crop": {side: side for side in Crop.MODES},
        "blackout": modes.blackouts,
        "ram": modes.ram_hides,
    }[mask]
    if not table:
        kinds = "RAM-hiding" if mask == "ram" else "blackout"
        raise ValueError(
            f"{game} has no {kinds} modes; games with them: {', '.join(GAMES_WITH_MODES)}"
        )
    mode = params["mode"]
    if mode is None:
        mode = DEFAULT_MASK_MODE.get((mask, None if mask == "crop" else game))
        if mode is None:
            listed = ", ".join(f"{name} ({i})" for i, name in enumerate(table, 1))
            raise ValueError(f"mask {mask!r} needs a mode for {game}; expected one of: {listed}")
    name = resolve_mode(table, mode, mask, game)
    if p is None:
        p = DEFAULT_P["torch" if name == "torch" else mask]
    p = check_probability(p)
    per = check_timing(params["per"] or "frame")
    if mask == "ram":
        wrapper = RamHiding(env, table[name], p, per=per, active=active)
    else:
        height, width = env.observation_space.shape[:2]
        pixels = Crop(name, height, width) if mask == "crop" else Blackout(table[name])
        wrapper = ObservationMask(env, pixels, p, per=per, active=active)
    return wrapper, wrapper
