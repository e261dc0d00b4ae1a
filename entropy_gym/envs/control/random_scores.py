"""Measure the random-policy score of every ``Control/`` id, the floor of score normalisation.

    python -m entropy_gym.envs.control.random_scores --episodes 50 --seed 0

writes ``random_scores.json`` beside this module. A score is the mean undiscounted return of
uniformly random actions over ``episodes`` episodes of the registered id with its default
parameters (``TimeLimit`` included); episode ``i`` is reset with seed ``seed + i`` and the
actions come from ``numpy.random.default_rng(seed)``, so a score reproduces exactly.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

OUTPUT = Path(__file__).with_name("random_scores.json")


def measure(env_id: str, episodes: int, seed: int = 0) -> dict[str, float]:
    """Mean and standard deviation of the return of uniform random actions on ``env_id``."""
    import gymnasium as gym

    import entropy_gym  # noqa: F401  (registers the ids)

    env = gym.make(env_id)
    space = env.action_space
    rng = np.random.default_rng(seed)
    returns = []
    for i in range(episodes):
        env.reset(seed=seed + i)
        total, done = 0.0, False
        while not done:
            action = rng.uniform(space.low, space.high).astype(space.dtype)
            _, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    return {"mean": float(np.mean(returns)), "std": float(np.std(returns)), "episodes": episodes}


def main(argv: list[str] | None = None) -> int:
    import gymnasium as gym
    import mujoco

    from entropy_gym.registration import env_cards

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    scores = {}
    for card in env_cards("control"):
        start = time.perf_counter()
        scores[card.id] = measure(card.id, args.episodes, args.seed)
        seconds = time.perf_counter() - start
        print(f"{card.id:36s} {scores[card.id]['mean']:10.2f} +- {scores[card.id]['std']:8.2f}"
              f"  ({seconds:.0f} s)", flush=True)
    document = {
        "command": f"python -m entropy_gym.envs.control.random_scores --episodes {args.episodes} "
        f"--seed {args.seed}",
        "policy": "uniform random actions over the action space",
        "versions": {
            "gymnasium": gym.__version__,
            "mujoco": mujoco.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "scores": scores,
    }
    args.output.write_text(json.dumps(document, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
