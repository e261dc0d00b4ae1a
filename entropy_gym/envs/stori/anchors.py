"""Measured normalisation anchors for the ALE games that DQN Zoo publishes no scores for.

DQN Zoo's table (:mod:`entropy_gym.envs.stori.catalog`) covers 57 games; the other ALE games
would have no ``random`` / ``reference`` score and could not be normalised. For those, this
module measures the uniform random agent on the plain game (type 3.1) under the same protocol as
the table (1-30 no-op starts, 108,000-frame cap, frame skip 4) and stores the result with its
provenance in ``measured_anchors.json`` beside this file, which
registration reads (``catalog.measured_scores``). There is no human score to measure, so the
reference is the random mean plus one standard deviation of its episode returns (plus 1
where every episode scored the same): a normalised score of 1 then reads "one random-agent
standard deviation above random", and the source string of every such id says so.

The command that measures them and writes the file with its provenance is an experiment
driver, above the runner (16 minutes on 2 cores)::

    python -m entropy_gym.experiments.stori_anchors --workers 2
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from entropy_gym.envs.stori.catalog import (
    game_roms,
    random_human_scores,
)

#: Random-agent episodes per game (DQN Zoo averages at least 3).
EPISODES = 10


def games_without_published_scores() -> list[str]:
    """PascalCase names of the ALE games that DQN Zoo's table has no scores for."""
    return [name for name, rom in game_roms().items() if random_human_scores(rom) is None]


def reference_from(mean: float, std: float) -> float:
    """The measured reference score: ``mean + std``, or ``mean + 1`` when ``std`` is 0."""
    return mean + std if std > 0 else mean + 1.0


def measure_random(game: str, episodes: int = EPISODES, seed: int = 0) -> dict[str, Any]:
    """Returns of ``episodes`` seeded random-agent episodes on ``STORI/<game>-T3.1-v0``."""
    from entropy_gym.envs.stori.make import make_stori_env

    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    env = make_stori_env(game, "3.1", obs_mode="grayscale")
    rng = np.random.default_rng(seed)
    returns = []
    frames = []
    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]
    try:
        for episode in range(episodes):
            env.reset(seed=seed * 1_000_003 + episode)
            total, steps, done = 0.0, 0, False
            while not done:
                _, reward, terminated, truncated, _ = env.step(int(rng.integers(n_actions)))
                total += float(reward)
                steps += 1
                done = terminated or truncated
            returns.append(total)
            frames.append(steps * 4)
    finally:
        env.close()
    mean, std = float(np.mean(returns)), float(np.std(returns))
    return {
        "random": mean,
        "std": std,
        "reference": reference_from(mean, std),
        "episodes": episodes,
        "seed": seed,
        "returns": returns,
        "frames": frames,
    }


def _measure_one(args: tuple[str, int, int]) -> tuple[str, dict[str, Any]]:
    game, episodes, seed = args
    return game, measure_random(game, episodes, seed)


def measure_all(
    games: Sequence[str], episodes: int = EPISODES, seed: int = 0, workers: int = 1
) -> dict[str, dict[str, Any]]:
    """``{game: measurement}`` for ``games``, in ``workers`` processes."""
    jobs = [(g, episodes, seed) for g in games]
    if workers <= 1:
        results = [_measure_one(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_measure_one, jobs))
    return dict(sorted(results))
