"""Provenance: what produced a result, recorded with every stored cell: the package and its
git commit, library versions, and the lock file's sha256 with any installed version that
differs from it (:mod:`entropy_gym.runner.lock`).

Versions are read from package metadata (no imports), and everything that cannot change
within a process is computed once, so the per-cell cost is a dict copy.
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from entropy_gym.runner.lock import lock_state

#: Distributions whose versions every row records, where installed.
LIBRARIES = (
    "numpy",
    "gymnasium",
    "ale-py",
    "torch",
    "stable-baselines3",
    "sb3-contrib",
    "transformers",
    "mujoco",
    "rliable",
    "ray",
)


@functools.lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Installed versions of :data:`LIBRARIES` (missing ones are left out)."""
    versions = {}
    for dist in LIBRARIES:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


#: Paths whose uncommitted changes make a result "dirty" (code and suite definitions; not,
#: say, the leaderboards a run writes).
SOURCE_PATHS = ("entropy_gym", "benchmarks.yaml", "pyproject.toml", "requirements/lock.txt")


@functools.lru_cache(maxsize=1)
def git_state() -> dict[str, Any]:
    """Commit and dirty flag of the source tree the package was imported from (``None`` for
    an installed wheel, or where git is missing). Dirty means uncommitted changes, tracked or
    new, under :data:`SOURCE_PATHS`."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return {"commit": None, "dirty": None}

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", "-C", str(root), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--", *SOURCE_PATHS)
    return {"commit": commit, "dirty": None if status is None else bool(status)}


@functools.lru_cache(maxsize=1)
def host_info() -> dict[str, Any]:
    """Where a cell ran."""
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "executable": sys.executable,
    }


def process_provenance() -> dict[str, Any]:
    """Everything about the running process that a row records (a fresh dict)."""
    from entropy_gym import __version__

    torch = sys.modules.get("torch")
    return {
        "package_version": __version__,
        "git": dict(git_state()),
        "libraries": dict(library_versions()),
        "lock": lock_state(),
        **host_info(),
        **({"threads": int(torch.get_num_threads())} if torch is not None else {}),
    }


def warm() -> None:
    """Fill the caches (called once in the process that forks cell workers)."""
    library_versions()
    lock_state()
    git_state()
    host_info()
