"""Normalisation anchors of the ``STORI/MinAtar-*`` ids, measured here.

MinAtar has no human scores, so each game is anchored the way the ALE games without
published scores are (:mod:`entropy_gym.envs.stori.anchors`): ``random_score`` is the mean
return of the uniform random policy on the plain game, and ``reference_score`` that mean plus
one standard deviation of the random returns. A normalised score of 1 therefore means "one
random-agent standard deviation above random", not human level.

``python -m entropy_gym.envs.minatar.anchors`` re-measures them (100 seeded episodes per game
under jit, about a minute on 2 cores) and writes ``measured_anchors.json`` beside this file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ANCHOR_FILE = Path(__file__).with_name("measured_anchors.json")
ANCHOR_SOURCE = (
    "measured: uniform random policy on the plain MinAtar game (100 episodes); reference = "
    "random mean + 1 std (entropy_gym.envs.minatar.anchors)"
)


def anchor_scores(game: str) -> tuple[float, float] | None:
    """``(random, reference)`` of ``game`` from the committed measurement, if any."""
    try:
        data = json.loads(ANCHOR_FILE.read_text())
    except FileNotFoundError:
        return None
    row = data.get("games", {}).get(game)
    return None if row is None else (float(row["random"]), float(row["reference"]))


def random_returns(game: str, episodes: int, seed: int = 0) -> list[float]:
    """Returns of ``episodes`` random-policy episodes of the plain ``game`` (seeded)."""
    import jax
    import jax.numpy as jnp

    from entropy_gym.envs.minatar.make import build_config

    env = build_config(game, "3.1")

    def episode(key: jax.Array) -> jax.Array:
        reset_key, key = jax.random.split(key)
        _, state = env.reset(reset_key)

        def cond(carry: tuple) -> jax.Array:
            return ~carry[3]

        def body(carry: tuple) -> tuple:
            state, key, total, _ = carry
            key, act_key, step_key = jax.random.split(key, 3)
            action = jax.random.randint(act_key, (), 0, env.num_actions)
            _, state, reward, terminated, truncated, _ = env.step(step_key, state, action)
            return state, key, total + reward, terminated | truncated

        _, _, total, _ = jax.lax.while_loop(
            cond, body, (state, key, jnp.zeros(()), jnp.zeros((), bool))
        )
        return total

    keys = jax.random.split(jax.random.PRNGKey(seed), episodes)
    return [float(x) for x in jax.jit(jax.vmap(episode))(keys)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--out", type=Path, default=ANCHOR_FILE)
    args = parser.parse_args(argv)
    import numpy as np

    from entropy_gym.envs.minatar.games import GAMES

    games = {}
    for game in GAMES:
        returns = np.array(random_returns(game, args.episodes))
        std = float(returns.std(ddof=1))
        games[game] = {
            "random": round(float(returns.mean()), 4),
            "reference": round(float(returns.mean()) + (std if std > 0 else 1.0), 4),
            "std": round(std, 4),
            "episodes": args.episodes,
        }
        print(game, games[game])
    args.out.write_text(json.dumps({"source": ANCHOR_SOURCE, "games": games}, indent=1) + "\n")


if __name__ == "__main__":
    main()
