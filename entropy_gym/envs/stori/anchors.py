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

Re-measure with one command (16 minutes on 2 cores)::

    python -m entropy_gym.envs.stori.anchors --workers 2
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from entropy_gym.envs.stori.catalog import (
    MEASURED_PATH,
    PROTOCOL,
    REFERENCE_RULE,
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


def _provenance(command: Sequence[str]) -> dict[str, Any]:
    """What produced a measurement: no host names or local paths (the file is committed)."""
    from entropy_gym import __version__
    from entropy_gym.runner.provenance import git_state, library_versions

    libraries = library_versions()
    return {
        "package_version": __version__,
        "git": dict(git_state()),
        "libraries": {k: libraries[k] for k in ("ale-py", "gymnasium", "numpy") if k in libraries},
        "python": platform.python_version(),
        "platform": platform.system() + "-" + platform.machine(),
        "date": datetime.date.today().isoformat(),
        "command": "python -m entropy_gym.envs.stori.anchors " + " ".join(command),
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


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="python -m entropy_gym.envs.stori.anchors",
        description="Measure random-agent anchors for the ALE games without published scores.",
    )
    parser.add_argument("--games", nargs="+", help="games to measure (default: all without one)")
    parser.add_argument("--episodes", type=int, default=EPISODES, help="episodes per game")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="processes")
    parser.add_argument("--out", type=Path, default=MEASURED_PATH, help="JSON file to write")
    args = parser.parse_args(argv)
    known = games_without_published_scores()
    games = args.games or known
    unknown = [g for g in games if g not in known]
    if unknown:
        parser.error(
            f"no anchors to measure for {', '.join(unknown)}: expected ALE games without a "
            f"published score ({', '.join(known)})"
        )
    if args.episodes < 1 or args.workers < 1:
        parser.error("--episodes and --workers must be at least 1")
    recorded = [f"--episodes={args.episodes}", f"--seed={args.seed}"]
    if args.games:
        recorded.insert(0, "--games " + " ".join(games))
    provenance = _provenance(recorded)  # before the run: a change made meanwhile is not hidden
    measured = measure_all(games, args.episodes, args.seed, args.workers)
    data = {
        "protocol": PROTOCOL,
        "reference_rule": REFERENCE_RULE,
        "provenance": provenance,
        "games": measured,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    for game, entry in measured.items():
        print(f"{game}: random {entry['random']:.4g} std {entry['std']:.4g}")
    print(f"wrote {len(measured)} games to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
