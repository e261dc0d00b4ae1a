"""Measure the random-policy score of every ``Control/`` id, the floor of score normalisation.

    python -m entropy_gym.experiments.control_random_scores --episodes 50 --seed 0

writes ``random_scores.json`` in :mod:`entropy_gym.envs.control`, which registration reads
(:func:`entropy_gym.envs.control.load_random_scores`). A score is the mean undiscounted return of
the ``random`` agent (uniform actions) over ``episodes`` episodes of the registered id with its
default parameters (``TimeLimit`` included), measured by
:func:`entropy_gym.runner.evaluation.evaluate` on one env with ``seed``: the envs, seeds and
episode rule of a runner cell, so a score reproduces exactly and means what a board's random
row means. It plays agents through the runner, which is why this driver lives above the runner
and not beside the envs.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from entropy_gym.envs import control

OUTPUT = Path(control.__file__).with_name("random_scores.json")


def measure(env_id: str, episodes: int, seed: int = 0) -> dict[str, float]:
    """Mean and standard deviation of the ``random`` agent's return on ``env_id``."""
    from entropy_gym.agents.classic.random import RandomAgent
    from entropy_gym.runner.evaluation import evaluate

    returns = evaluate(RandomAgent(), env_id, episodes=episodes, seed=seed).returns
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
        print(
            f"{card.id:36s} {scores[card.id]['mean']:10.2f} +- {scores[card.id]['std']:8.2f}"
            f"  ({seconds:.0f} s)",
            flush=True,
        )
    document = {
        "command": "python -m entropy_gym.experiments.control_random_scores "
        f"--episodes {args.episodes} "
        f"--seed {args.seed}",
        "policy": "the random agent (uniform actions over the action space), one env, "
        "entropy_gym.runner.evaluation.evaluate",
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
