"""The pure functional form of the MinAtar STORI envs: ``reset`` and ``step`` on an explicit
state and PRNG key, jit- and vmap-able, with no hidden state.

:class:`MinAtarStori` is a frozen (hashable) description of one configuration: the game and
the STORI type with its parameters. Its methods are pure functions of their arguments::

    env = MinAtarStori.build("Breakout", "1", p=0.3)
    obs, state = env.reset(key)
    obs, state, reward, terminated, truncated, info = env.step(key, state, action)

``step`` does not reset: after ``terminated | truncated`` call ``reset`` (or use
:meth:`MinAtarStori.autoreset_step`, which does it where the episode ended and keeps the
last observation in ``info["final_obs"]``). The Gymnasium forms (:mod:`.env`, :mod:`.vector`)
and the jitted trainers all run these functions, so they see the same trajectories.

One gymnax step is one MinAtar frame (there is no frame skip), so every probability is per
agent step. Per step, the key is split four ways: the game's own draws, the type-1
substitution, the type-2.1 event and the type-3.2 mask.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from entropy_gym.envs.minatar.games import Game, game

#: The crop modes of the type-3.2 ``crop`` mask: half the grid, or all but a disc.
CROPS = ("left", "right", "top", "bottom", "torch")
#: Cells within this distance (in cells) of the torch's centre stay visible.
TORCH_RADIUS = 3.0
MASKS = ("crop", "channels")
DRIFTS = ("sudden", "cyclic")
SECONDARIES = ("1", "2.1", "3.2")


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class StoriState:
    """The state of one env: gymnax's game state and the step count of the episode (which
    the time limit and the concept drift read)."""

    game: Any
    t: jax.Array


@dataclass(frozen=True)
class Perturbation:
    """The parameters of one STORI perturbation (type 1, 2.1 or 3.2); ``p=0`` is off."""

    p: float = 0.0
    #: Type 1: replacements are drawn from the first ``random_actions`` actions.
    random_actions: int = 0
    #: Type 2.1: the event's name; type 3.2: the crop side or the channel group.
    mode: str = ""
    #: Type 3.2: ``crop`` or ``channels``.
    mask: str = ""
    #: Type 3.2, ``channels``: the channel indices hidden.
    channels: tuple[int, ...] = ()


@dataclass(frozen=True)
class MinAtarStori:
    """One MinAtar game under one STORI type (see the module docstring)."""

    game_name: str
    type: str
    #: The perturbation of the type (types 1, 2.1, 3.2), or the drift's secondary (type 2.2).
    kind: str = ""
    perturbation: Perturbation = Perturbation()
    drift: str = "sudden"
    threshold: int = 100
    max_episode_steps: int = 1000
    num_actions: int = 0
    obs_shape: tuple[int, ...] = ()

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        game_name: str,
        type: str,
        *,
        kind: str = "",
        perturbation: Perturbation = Perturbation(),
        drift: str = "sudden",
        threshold: int = 100,
        max_episode_steps: int | None = None,
    ) -> MinAtarStori:
        """A configuration; checked values come from :func:`entropy_gym.envs.minatar.make`."""
        spec = game(game_name)
        gx = _gymnax_env(spec.gymnax_id)
        limit = int(gx.default_params.max_steps_in_episode)
        return cls(
            game_name=game_name,
            type=type,
            kind=kind,
            perturbation=perturbation,
            drift=drift,
            threshold=threshold,
            max_episode_steps=limit if max_episode_steps is None else int(max_episode_steps),
            num_actions=int(gx.num_actions),
            obs_shape=tuple(int(n) for n in gx.obs_shape),
        )

    @property
    def spec(self) -> Game:
        return game(self.game_name)

    @property
    def gymnax(self) -> Any:
        return _gymnax_env(self.spec.gymnax_id)

    @property
    def params(self) -> Any:
        """gymnax's parameters; its own time limit is lifted (``max_episode_steps`` rules)."""
        return self.gymnax.default_params.replace(max_steps_in_episode=2**30)

    # -- the functional API ------------------------------------------------------------------
    def reset(self, key: jax.Array) -> tuple[jax.Array, StoriState]:
        """The first observation and state of an episode."""
        game_key, mask_key = jax.random.split(key)
        obs, game_state = self.gymnax.reset_env(game_key, self.params)
        state = StoriState(game=_strong(game_state), t=jnp.zeros((), jnp.int32))
        obs, _ = self._mask(mask_key, obs, self._active(jnp.zeros((), jnp.int32)))
        return obs, state

    def step(
        self, key: jax.Array, state: StoriState, action: jax.Array
    ) -> tuple[jax.Array, StoriState, jax.Array, jax.Array, jax.Array, dict[str, jax.Array]]:
        """One agent step: ``(obs, state, reward, terminated, truncated, info)``.

        ``info``: ``action_replaced`` / ``action_replaced_frames`` (type 1), ``event`` (bool
        here; the Gymnasium form gives the mode's name) / ``event_frames`` (2.1), ``concept``
        (2.2), ``masked`` / ``masked_frames`` (3.2), each only where the type has it, and
        ``executed_action``.
        """
        game_key, action_key, event_key, mask_key = jax.random.split(key, 4)
        active = self._active(state.t)
        action = jnp.asarray(action, jnp.int32)
        executed, replaced = self._replace_action(action_key, action, active)
        before = state.game
        _, after, reward, terminated, _ = self.gymnax.step_env(
            game_key, before, executed, self.params
        )
        reward = reward.astype(jnp.float32)
        after, reward, fired = self._event(event_key, before, after, reward, active)
        obs = self.gymnax.get_obs(after, self.params)
        obs, masked = self._mask(mask_key, obs, active)
        t = state.t + 1
        terminated = jnp.asarray(terminated, bool)
        truncated = (t >= self.max_episode_steps) & ~terminated
        info = self._info(replaced, fired, masked, active, executed)
        return obs, StoriState(game=_strong(after), t=t), reward, terminated, truncated, info

    def autoreset_step(
        self, key: jax.Array, state: StoriState, action: jax.Array
    ) -> tuple[jax.Array, StoriState, jax.Array, jax.Array, jax.Array, dict[str, jax.Array]]:
        """:meth:`step`, then a reset where the episode ended: ``obs`` and ``state`` are the
        new episode's, ``info["final_obs"]`` the ended one's last observation."""
        step_key, reset_key = jax.random.split(key)
        obs, next_state, reward, terminated, truncated, info = self.step(step_key, state, action)
        reset_obs, reset_state = self.reset(reset_key)
        done = terminated | truncated
        pick = lambda a, b: jax.tree.map(lambda x, y: jnp.where(done, x, y), a, b)  # noqa: E731
        info = {**info, "final_obs": obs}
        return (
            pick(reset_obs, obs),
            pick(reset_state, next_state),
            reward,
            terminated,
            truncated,
            info,
        )

    # -- the types ---------------------------------------------------------------------------
    def _active(self, t: jax.Array) -> jax.Array:
        """Whether the perturbation acts on the step with index ``t`` (0 after a reset):
        always for types 1, 2.1, 3.2; for 2.2 while the secondary concept is on."""
        if self.type != "2.2":
            return jnp.ones((), bool)
        if self.drift == "sudden":
            return t >= self.threshold
        return (t // self.threshold) % 2 == 1

    @property
    def _perturbs(self) -> str:
        """The perturbation this config applies: ``"1"``, ``"2.1"``, ``"3.2"`` or ``""``."""
        return self.kind if self.type == "2.2" else self.type

    def _replace_action(
        self, key: jax.Array, action: jax.Array, active: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        if self._perturbs != "1":
            return action, jnp.zeros((), bool)
        pert = self.perturbation
        coin_key, draw_key = jax.random.split(key)
        n = pert.random_actions or self.num_actions
        replaced = active & (jax.random.uniform(coin_key) < pert.p)
        random_action = jax.random.randint(draw_key, (), 0, n)
        return jnp.where(replaced, random_action, action), replaced

    def _event(
        self, key: jax.Array, before: Any, after: Any, reward: jax.Array, active: jax.Array
    ) -> tuple[Any, jax.Array, jax.Array]:
        if self._perturbs != "2.1":
            return after, reward, jnp.zeros((), bool)
        pert = self.perturbation
        coin_key, event_key = jax.random.split(key)
        coin = active & (jax.random.uniform(coin_key) < pert.p)
        changed, new_reward, fired = self.spec.events[pert.mode](event_key, before, after, reward)
        fired = coin & fired
        after = jax.tree.map(lambda x, y: jnp.where(fired, x, y), changed, after)
        return after, jnp.where(fired, new_reward, reward), fired

    def _mask(
        self, key: jax.Array, obs: jax.Array, active: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        if self._perturbs != "3.2":
            return obs, jnp.zeros((), bool)
        pert = self.perturbation
        coin_key, centre_key = jax.random.split(key)
        masked = active & (jax.random.uniform(coin_key) < pert.p)
        keep = self._keep(centre_key, obs.shape)
        return jnp.where(masked, obs * keep, obs), masked

    def _keep(self, key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
        """1 where the mask leaves the observation, 0 where it hides it (broadcasts)."""
        pert = self.perturbation
        rows, cols, n_channels = shape
        if pert.mask == "channels":
            hidden = jnp.zeros((n_channels,), bool).at[jnp.asarray(pert.channels)].set(True)
            return (~hidden).astype(jnp.float32)[None, None, :]
        r = jnp.arange(rows)[:, None]
        c = jnp.arange(cols)[None, :]
        if pert.mode == "left":
            keep = c >= cols // 2
        elif pert.mode == "right":
            keep = c < cols // 2
        elif pert.mode == "top":
            keep = r >= rows // 2
        elif pert.mode == "bottom":
            keep = r < rows // 2
        else:  # torch: a disc around a centre drawn uniformly over the grid
            centre = jax.random.uniform(key, (2,)) * jnp.array([rows - 1, cols - 1])
            keep = (r - centre[0]) ** 2 + (c - centre[1]) ** 2 <= TORCH_RADIUS**2
        return jnp.broadcast_to(keep, (rows, cols)).astype(jnp.float32)[:, :, None]

    def _info(
        self,
        replaced: jax.Array,
        fired: jax.Array,
        masked: jax.Array,
        active: jax.Array,
        executed: jax.Array,
    ) -> dict[str, jax.Array]:
        info: dict[str, jax.Array] = {"executed_action": executed}
        kind = self._perturbs
        if kind == "1":
            info["action_replaced"] = replaced
            info["action_replaced_frames"] = replaced.astype(jnp.int32)
        elif kind == "2.1":
            info["event"] = fired
            info["event_frames"] = fired.astype(jnp.int32)
        elif kind == "3.2":
            info["masked"] = masked
            info["masked_frames"] = masked.astype(jnp.int32)
        if self.type == "2.2":
            info["concept"] = jnp.where(active, 2, 1).astype(jnp.int32)
        return info

    def info_keys(self) -> tuple[str, ...]:
        """The keys :meth:`step`'s ``info`` has for this configuration."""
        keys = ["executed_action"]
        keys += {
            "1": ["action_replaced", "action_replaced_frames"],
            "2.1": ["event", "event_frames"],
            "3.2": ["masked", "masked_frames"],
        }.get(self._perturbs, [])
        if self.type == "2.2":
            keys.append("concept")
        return tuple(keys)


def _strong(tree: Any) -> Any:
    """``tree`` with every leaf a strongly typed array of its own dtype: gymnax builds some
    state fields from Python scalars, and ``lax.scan`` needs the same types in and out."""
    return jax.tree.map(lambda x: jnp.asarray(x, dtype=jnp.asarray(x).dtype), tree)


_GYMNAX: dict[str, Any] = {}


def _gymnax_env(gymnax_id: str) -> Any:
    """gymnax's env object for ``gymnax_id`` (one per process; gymnax envs are stateless)."""
    if gymnax_id not in _GYMNAX:
        from entropy_gym.envs.minatar import compile_cache

        compile_cache.enable()
        try:
            import gymnax
        except ModuleNotFoundError:
            raise ModuleNotFoundError(
                "the STORI/MinAtar-* ids need gymnax: pip install 'entropy-gym[minatar]' and "
                "then gymnax==1.0.1 with --no-deps (see docs/stori.md)"
            ) from None
        env, _ = gymnax.make(gymnax_id)
        _GYMNAX[gymnax_id] = env
    return _GYMNAX[gymnax_id]
