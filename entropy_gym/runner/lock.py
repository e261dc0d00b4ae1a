"""The lock file: the exact versions the set-up installs, so that a board's numbers can be
reproduced with the libraries that produced them.

``requirements/lock.txt`` is a pip constraints file (``pip install -c requirements/lock.txt``)
that pins every distribution ``entropy-gym[all,dev]`` pulls in, entropy-gym itself excluded.
torch is pinned to PyTorch's CPU build on Linux (``torch==X+cpu``: the local version label
exists only on PyTorch's CPU index, https://download.pytorch.org/whl/cpu, so no resolver can
substitute PyPI's CUDA build for it) and to the plain release elsewhere (PyPI's macOS and
Windows wheels are CPU builds, and PyTorch publishes no ``+cpu`` label for macOS).

``make lock`` writes it from the installed environment (:func:`write_lock`); provenance
records its sha256 and any installed version that differs from it (:func:`lock_state`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: The lock file, relative to the source tree's root.
LOCK_FILE = "requirements/lock.txt"
#: PyTorch's index of CPU builds, where the ``+cpu`` wheels come from.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
#: What the set-up installs: the project with these extras.
PROJECT, EXTRAS = "entropy-gym", ("all", "dev")
#: Installed versions that differ from the lock, as recorded in provenance (at most this many).
MAX_DIFFERENCES = 20


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them (``Jinja2`` -> ``jinja2``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(project: str = PROJECT, extras: Iterable[str] = EXTRAS) -> dict[str, str]:
    """``{name: version}`` of every installed distribution that ``project[extras]`` requires,
    directly or not (``project`` itself left out), read from installed metadata."""
    from packaging.requirements import Requirement

    env = {"python_version": f"{sys.version_info.major}.{sys.version_info.minor}"}
    pins: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(normalise(project), frozenset(extras))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, wanted = todo.pop()
        if (name, wanted) in seen:
            continue
        seen.add((name, wanted))
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an optional dependency of a dependency that is not installed
        if name != normalise(project):
            pins[name] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is not None and not any(
                req.marker.evaluate({**env, "extra": extra}) for extra in (wanted or {""})
            ):
                continue
            todo.append((normalise(req.name), frozenset(req.extras)))
    return dict(sorted(pins.items()))


def torch_lines(version: str) -> list[str]:
    """The lock's two torch lines for ``version`` (e.g. ``2.13.0+cpu``): the CPU build on
    Linux, the plain release on other systems."""
    release = version.split("+", 1)[0]
    return [
        f'torch=={release}+cpu ; sys_platform == "linux"',
        f'torch=={release} ; sys_platform != "linux"',
    ]


def render_lock(pins: Mapping[str, str]) -> str:
    """The lock file's text for ``pins`` (``{name: version}``)."""
    lines = [
        "# Exact versions of everything `pip install -e .[all,dev]` installs (entropy-gym itself",
        "# excluded), as a pip constraints file: `pip install -c requirements/lock.txt ...`.",
        "# Written by `make lock` from the installed environment; do not edit by hand.",
        "# torch: PyTorch's CPU build on Linux, from its CPU index (add",
        f"# `--extra-index-url {TORCH_CPU_INDEX}`); the plain release elsewhere.",
        f"# Checked on Python {sys.version_info.major}.{sys.version_info.minor}, Linux x86_64.",
    ]
    for name, version in pins.items():
        lines += torch_lines(version) if name == "torch" else [f"{name}=={version}"]
    return "\n".join(lines) + "\n"


def write_lock(path: Path) -> dict[str, str]:
    """Write the lock of the installed environment to ``path``; returns its pins."""
    pins = closure()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_lock(pins))
    return pins


def read_lock(text: str) -> dict[str, str]:
    """``{name: version}`` that a lock file's text pins on this machine (lines whose marker
    does not apply here are left out; so are markers that cannot be evaluated without
    ``packaging``)."""
    pins: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or "==" not in line:
            continue
        spec, _, marker = line.partition(";")
        if marker.strip() and not _marker_applies(marker.strip()):
            continue
        name, _, version = spec.partition("==")
        pins[normalise(name.strip())] = version.strip()
    return pins


def _marker_applies(marker: str) -> bool:
    try:
        from packaging.markers import Marker
    except ImportError:
        return False
    return bool(Marker(marker).evaluate())


def source_root() -> Path:
    """The source tree this package was imported from (where the lock file lives)."""
    return Path(__file__).resolve().parents[2]


def installed_versions() -> dict[str, str]:
    """``{name: version}`` of every installed distribution, the first found on ``sys.path``
    winning as for imports. Read from the ``name-version.dist-info`` folder names (a scan of
    a few folders, where parsing every METADATA file takes a tenth of a second)."""
    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.endswith(".dist-info"):
                name, _, version = folder[: -len(".dist-info")].partition("-")
                if version:
                    versions.setdefault(normalise(name), version)
    return versions


@functools.lru_cache(maxsize=1)
def lock_state() -> dict[str, Any] | None:
    """What provenance records about the lock: its path, sha256 and the installed versions
    that differ from it (``None`` where the package was not imported from a source tree with
    a lock file, e.g. an installed wheel)."""
    path = source_root() / LOCK_FILE
    try:
        data = path.read_bytes()
    except OSError:
        return None
    installed = installed_versions()
    differs = [
        f"{name} {installed[name]} (locked {locked})"
        for name, locked in read_lock(data.decode("utf-8", "replace")).items()
        # a name not installed is an extra not in use: nothing of it can affect a result
        if name in installed and installed[name] != locked
    ]
    return {
        "file": LOCK_FILE,
        "sha256": hashlib.sha256(data).hexdigest(),
        "matches": not differs,
        "differs": differs[:MAX_DIFFERENCES],
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m entropy_gym.runner.lock [PATH]``: write the lock (``make lock``)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else source_root() / LOCK_FILE
    pins = write_lock(path)
    print(f"{path}: {len(pins)} distributions pinned")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
