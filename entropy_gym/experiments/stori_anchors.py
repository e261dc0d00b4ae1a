"""Measure the normalisation anchors of the ALE games that DQN Zoo publishes no scores for, and
write them with their provenance (:mod:`entropy_gym.envs.stori.anchors` says what they are and
how each is measured; registration reads the file it writes)::

    python -m entropy_gym.experiments.stori_anchors --workers 2

16 minutes on 2 cores. The provenance (package version, git state, library versions) is the
runner's, which is why this driver lives above the runner and not beside the envs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from entropy_gym.envs.stori import anchors
from entropy_gym.envs.stori.catalog import MEASURED_PATH, PROTOCOL, REFERENCE_RULE

#: The command this module is run as (recorded in the file it writes).
COMMAND = "python -m entropy_gym.experiments.stori_anchors"


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
        "command": f"{COMMAND} " + " ".join(command),
    }


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Measure random-agent anchors for the ALE games without published scores.",
    )
    parser.add_argument("--games", nargs="+", help="games to measure (default: all without one)")
    parser.add_argument("--episodes", type=int, default=anchors.EPISODES, help="episodes per game")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="processes")
    parser.add_argument("--out", type=Path, default=MEASURED_PATH, help="JSON file to write")
    args = parser.parse_args(argv)
    known = anchors.games_without_published_scores()
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
    measured = anchors.measure_all(games, args.episodes, args.seed, args.workers)
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
