"""The MinAtar games that gymnax ships, and what each STORI type touches in each.

A :class:`Game` names the gymnax id, the observation channels (for the ``channels`` mask) and
the type-2.1 events: functions ``(key, before, after, reward) -> (state, reward, fired)`` that
rewrite the gymnax state after a plain step (``before`` is the state the step started from).
Each event is a small change of the game's own state, in the spirit of STORI's RAM events on
the ALE: a brick hit that does not count, a car whose speed jumps, an alien wave that drops a
row. They only read and write fields of gymnax's state dataclasses, through ``replace``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp

#: ``(key, before, after, reward) -> (after, reward, fired)``; all jax values, jit-able.
Event = Callable[[jax.Array, Any, Any, jax.Array], tuple[Any, jax.Array, jax.Array]]


@dataclass(frozen=True)
class Game:
    """One MinAtar game: its gymnax id, channel names, events and default event probability."""

    name: str
    gymnax_id: str
    channels: tuple[str, ...]
    #: Named groups of channels the ``channels`` mask can hide (``mode``); the first is the default.
    channel_groups: dict[str, tuple[str, ...]]
    events: dict[str, Event] = field(repr=False)
    #: The default event mode (``-T2.1-v0``) and its per-step probability.
    event_mode: str = ""
    event_p: float = 0.0
    description: str = ""

    def channel_indices(self, group: str) -> tuple[int, ...]:
        return tuple(self.channels.index(c) for c in self.channel_groups[group])


# -- Breakout ---------------------------------------------------------------------------------
def _brick_hit(before: Any, after: Any) -> jax.Array:
    """A brick was knocked out this step (the wall lost a brick without being rebuilt)."""
    return jnp.sum(after.brick_map) < jnp.sum(before.brick_map)


def _block_hit_cancel(keep_reward: bool) -> Event:
    def event(key: jax.Array, before: Any, after: Any, reward: jax.Array) -> Any:
        fired = _brick_hit(before, after)
        after = after.replace(brick_map=jnp.where(fired, before.brick_map, after.brick_map))
        if not keep_reward:
            reward = jnp.where(fired, 0.0, reward)
        return after, reward, fired

    return event


def _regenerate_row(key: jax.Array, before: Any, after: Any, reward: jax.Array) -> Any:
    """One of the wall's three rows (1-3), drawn uniformly, is rebuilt whole."""
    row = jax.random.randint(key, (), 1, 4)
    line = after.brick_map[row]
    fired = jnp.any(line == 0) & (after.ball_y != row)
    rebuilt = after.brick_map.at[row].set(jnp.where(fired, 1.0, line))
    return after.replace(brick_map=rebuilt), reward, fired


# -- Asterix ----------------------------------------------------------------------------------
def _gold_to_enemy(key: jax.Array, before: Any, after: Any, reward: jax.Array) -> Any:
    """One treasure on screen (drawn uniformly among them) turns into an enemy."""
    ents = after.entities  # (8, 5): x, y, direction, is_gold, slot filled
    gold = (ents[:, 4] != 0) & (ents[:, 3] != 0)
    weights = gold.astype(jnp.float32)
    slot = jax.random.choice(key, 8, p=weights / jnp.maximum(weights.sum(), 1.0))
    fired = jnp.any(gold)
    ents = ents.at[slot, 3].set(jnp.where(fired, 0, ents[slot, 3]))
    return after.replace(entities=ents), reward, fired


# -- Freeway ----------------------------------------------------------------------------------
def _speed_jump(key: jax.Array, before: Any, after: Any, reward: jax.Array) -> Any:
    """One car (drawn uniformly) gets a new speed, 1 to 5, in its direction of travel."""
    car_key, speed_key = jax.random.split(key)
    car = jax.random.randint(car_key, (), 0, 8)
    speed = jax.random.randint(speed_key, (), 1, 6)
    cars = after.cars
    direction = jnp.where(cars[car, 3] < 0, -1, 1)
    fired = jnp.abs(cars[car, 3]) != speed
    cars = cars.at[car, 2].set(speed).at[car, 3].set(direction * speed)
    return after.replace(cars=cars.astype(after.cars.dtype)), reward, fired


# -- Space Invaders ---------------------------------------------------------------------------
def _alien_descend(key: jax.Array, before: Any, after: Any, reward: jax.Array) -> Any:
    """The alien wave drops one row (when its lowest row is above the cannon's row's
    neighbour, so the drop alone never ends the game)."""
    aliens = after.alien_map
    rows = jnp.any(aliens != 0, axis=1)
    lowest = jnp.max(jnp.where(rows, jnp.arange(10), -1))
    fired = (lowest >= 0) & (lowest < 7)
    dropped = jnp.roll(aliens, 1, axis=0).at[0].set(0)
    return after.replace(alien_map=jnp.where(fired, dropped, aliens)), reward, fired


# -- Seaquest ---------------------------------------------------------------------------------
def _oxygen_leak(key: jax.Array, before: Any, after: Any, reward: jax.Array) -> Any:
    """Under water, the submarine loses a quarter of a full tank of oxygen (keeping at least 1)."""
    under = after.sub_y > 0
    leak = jnp.maximum(after.oxygen - 50, 1).astype(after.oxygen.dtype)
    fired = under & (after.oxygen > 1)
    return after.replace(oxygen=jnp.where(fired, leak, after.oxygen)), reward, fired


GAMES: dict[str, Game] = {
    g.name: g
    for g in (
        Game(
            "Asterix",
            "Asterix-MinAtar",
            ("player", "enemy", "trail", "gold"),
            {"enemies": ("enemy", "trail"), "gold": ("gold",), "trail": ("trail",)},
            {"gold_to_enemy": _gold_to_enemy},
            "gold_to_enemy",
            0.02,
            "collect gold, avoid enemies (5 actions)",
        ),
        Game(
            "Breakout",
            "Breakout-MinAtar",
            ("paddle", "ball", "trail", "brick"),
            {"ball": ("ball", "trail"), "trail": ("trail",), "bricks": ("brick",)},
            {
                "block_hit_cancel": _block_hit_cancel(keep_reward=True),
                "block_hit_cancel_no_reward": _block_hit_cancel(keep_reward=False),
                "regenerate_block": _regenerate_row,
            },
            "block_hit_cancel_no_reward",
            0.25,
            "break bricks with a ball and paddle (3 actions)",
        ),
        Game(
            "Freeway",
            "Freeway-MinAtar",
            ("chicken", "car", "speed1", "speed2", "speed3", "speed4", "speed5"),
            {
                "speeds": ("speed1", "speed2", "speed3", "speed4", "speed5"),
                "cars": ("car",),
            },
            {"speed_jump": _speed_jump},
            "speed_jump",
            0.05,
            "cross a road of cars (3 actions)",
        ),
        Game(
            "Seaquest",
            "Seaquest-MinAtar",
            (
                "sub_front",
                "sub_back",
                "friendly_bullet",
                "trail",
                "enemy_bullet",
                "enemy_fish",
                "enemy_sub",
                "oxygen_gauge",
                "diver_gauge",
                "diver",
            ),
            {
                "gauges": ("oxygen_gauge", "diver_gauge"),
                "trail": ("trail",),
                "enemies": ("enemy_fish", "enemy_sub", "enemy_bullet"),
            },
            {"oxygen_leak": _oxygen_leak},
            "oxygen_leak",
            0.01,
            "shoot, rescue divers, surface for oxygen (6 actions)",
        ),
        Game(
            "SpaceInvaders",
            "SpaceInvaders-MinAtar",
            ("cannon", "alien", "alien_left", "alien_right", "friendly_bullet", "enemy_bullet"),
            {
                "direction": ("alien_left", "alien_right"),
                "bullets": ("enemy_bullet",),
                "aliens": ("alien", "alien_left", "alien_right"),
            },
            {"alien_descend": _alien_descend},
            "alien_descend",
            0.01,
            "shoot a descending alien wave (4 actions)",
        ),
    )
}


def game(name: str) -> Game:
    """The game called ``name`` (``Breakout``, ...), or a one-line error listing them."""
    try:
        return GAMES[name]
    except KeyError:
        raise ValueError(
            f"MinAtar game {name!r} is unknown; expected one of: {', '.join(GAMES)}"
        ) from None
