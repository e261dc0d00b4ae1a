"""EAST, entropic activation steering: push an LLM agent's residual stream toward the
representations it has when it is uncertain about its action.

**The vector** (formula version ``east-v2``). From the agent's own interaction, collect at
every decision ``i`` the exact entropy ``H_i`` of its action distribution and the residual
stream ``h_i`` after decoder layer ``L`` at the answer position (the last token before the
label). Decision ``i`` was played in variant ``v(i)``: one env id with one set of env kwargs
(framing, history mode...) of the fit. With ``m_v`` the mean of ``h_j`` over the decisions
``j`` of variant ``v``::

    u = sum_i H_i * (h_i - m_{v(i)}) / sum_i H_i

the entropy-weighted mean of the activations centred *per variant*. Within a variant it points
from the average representation toward those of high-entropy decisions; centring per variant
keeps the differences between framings and history modes (which dominate the raw activations)
out of the direction. With a single variant it is the ``east-v1`` formula (global centring,
``cov(H, h) / mean(H)``). The file stores the unit direction ``d = u / ||u||`` and the
reference norm ``r``, the median over the collected prompts of ``||h_i||`` (the last-token
norm: the first token of a prompt is an attention sink whose norm is orders of magnitude
larger, so means over tokens would mislead).

**Steering.** During each forward pass of the agent, a hook on layer ``L`` adds
``beta * r * d`` to the layer's output at the last position of each pass
(``positions="last"``, the default: the answer position, where the vector was measured) or at
every position (``positions="all"``). ``beta`` is thus in units of the typical residual norm
there: useful values are well below 1 (around 0.1 for SmolLM2-135M; near 1 the model leaves
the label tokens).

**Files.** A vector is a JSON file ``<name>.json`` holding the direction, ``r``, the layer and
its provenance (model id and sha256, env ids and kwargs variants, seeds, number of prompts,
formula version). ``east-v1`` files still load: steering uses only ``d``, ``r`` and the layer,
which mean the same in both versions. Names resolve first in the user directory
``$ENTROPY_GYM_CACHE/east`` (default ``~/.cache/entropy_gym/east``), where
``entropy-gym east fit`` writes, then among the vectors shipped in
``entropy_gym/agents/llm/east_vectors/``; a path to a ``.json`` file also works.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.core.errors import ConfigError

FORMULA_VERSION = "east-v2"
FORMULA = (
    "u = sum_i H_i (h_i - mean_{j in v(i)} h_j) / sum_i H_i, v(i) the env id x env_kwargs "
    "variant of decision i; direction = u / ||u||; reference_norm = median_i ||h_i||; "
    "steering adds beta * reference_norm * direction"
)
#: Vector file formats this version loads (v1 differs only in how the direction was fitted).
READABLE_FORMATS = ("east-v1", FORMULA_VERSION)
POSITIONS = ("last", "all")
#: The layer ``entropy-gym east fit`` reads and steers by default (SmolLM2-135M has 30).
DEFAULT_LAYER = 24
BUNDLED_DIR = Path(__file__).resolve().parent.parent / "llm" / "east_vectors"


def user_vector_dir() -> Path:
    """Where ``entropy-gym east fit`` saves vectors by default."""
    from entropy_gym.agents.llm.model import cache_dir

    return cache_dir() / "east"


def vector_dirs() -> list[Path]:
    """Directories searched for vector names, in order."""
    return [user_vector_dir(), BUNDLED_DIR]


@dataclass
class SteeringVector:
    """A fitted EAST vector and where it came from."""

    name: str
    layer: int
    direction: np.ndarray  # unit norm, float32, (hidden,)
    reference_norm: float
    model_id: str
    provenance: dict[str, Any] = field(default_factory=dict)

    def steering(self, beta: float) -> np.ndarray:
        """The vector added to the residual stream at strength ``beta``."""
        return (beta * self.reference_norm * self.direction).astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMULA_VERSION,
            "formula": FORMULA,
            "name": self.name,
            "layer": self.layer,
            "model_id": self.model_id,
            "reference_norm": self.reference_norm,
            "provenance": self.provenance,
            "direction": [float(x) for x in self.direction.astype(np.float32)],
        }

    def save(self, path: Path) -> Path:
        """Write the JSON file (parents created); returns ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")
        return path

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str) -> SteeringVector:
        if data.get("format") not in READABLE_FORMATS:
            raise ConfigError(
                f"EAST vector {source} has format {data.get('format')!r}; expected one of "
                f"{', '.join(READABLE_FORMATS)}"
            )
        direction = np.asarray(data["direction"], dtype=np.float32)
        return cls(
            name=data["name"],
            layer=int(data["layer"]),
            direction=direction,
            reference_norm=float(data["reference_norm"]),
            model_id=data["model_id"],
            provenance=dict(data.get("provenance", {})),
        )


def available_vectors() -> dict[str, Path]:
    """Every vector name that resolves, with its file (user vectors shadow shipped ones)."""
    found: dict[str, Path] = {}
    for directory in reversed(vector_dirs()):
        if directory.is_dir():
            for path in sorted(directory.glob("*.json")):
                found[path.stem] = path
    return dict(sorted(found.items()))


def vector_path(name: str) -> Path:
    """The file of vector ``name`` (a name or a path to a ``.json`` file)."""
    if name.endswith(".json"):
        path = Path(name).expanduser()
        if not path.is_file():
            raise ConfigError(f"EAST vector file {name!r} does not exist")
        return path
    for directory in vector_dirs():
        path = directory / f"{name}.json"
        if path.is_file():
            return path
    known = ", ".join(available_vectors()) or "none"
    raise ConfigError(
        f"EAST vector {name!r} not found in {', '.join(str(d) for d in vector_dirs())}; "
        f"available: {known} (fit one with `entropy-gym east fit`)"
    )


def load_vector(name: str) -> SteeringVector:
    """Load vector ``name`` (see :func:`vector_path`)."""
    path = vector_path(name)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ConfigError(f"cannot read EAST vector {path}: {err}") from err
    return SteeringVector.from_json(data, str(path))


def east_direction(
    entropies: np.ndarray, activations: np.ndarray, groups: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """``(u, r)`` of the module docstring from ``H`` ``(n,)``, ``h`` ``(n, hidden)`` and each
    decision's variant ``groups`` ``(n,)`` (any labels; ``None``: one variant)."""
    h = np.asarray(activations, dtype=np.float64)
    weights = np.asarray(entropies, dtype=np.float64)
    if h.ndim != 2 or weights.shape != (h.shape[0],) or h.shape[0] < 2:
        raise ValueError("need at least 2 decisions: entropies (n,) and activations (n, hidden)")
    if not weights.sum() > 0:
        raise ValueError("every recorded decision had zero entropy; nothing to steer toward")
    labels = np.zeros(h.shape[0], dtype=int) if groups is None else np.asarray(groups)
    if labels.shape != weights.shape:
        raise ValueError(f"groups must have shape ({h.shape[0]},), got {labels.shape}")
    centred = np.empty_like(h)
    for label in np.unique(labels):
        rows = labels == label
        centred[rows] = h[rows] - h[rows].mean(axis=0)
    u = (weights[:, None] * centred).sum(axis=0) / weights.sum()
    r = float(np.median(np.linalg.norm(h, axis=1)))
    return u, r


class EAST(Intervention):
    """Add ``beta * r * d`` (a fitted EAST vector) to the residual stream at its layer."""

    name: ClassVar[str] = "east"
    requires: ClassVar[frozenset[str]] = frozenset({"activations"})
    description: ClassVar[str] = "entropic activation steering: add beta x a fitted vector"

    def __init__(self, vector: str, beta: float = 0.1, positions: str = "last") -> None:
        if not (isinstance(beta, (int, float)) and math.isfinite(beta)):
            raise ConfigError(f"east beta must be a finite number, got {beta!r}")
        if positions not in POSITIONS:
            raise ConfigError(
                f"east positions {positions!r} is unknown; expected one of {POSITIONS}"
            )
        super().__init__(vector=vector, beta=float(beta), positions=positions)
        self.vector = load_vector(vector)
        self.beta = float(beta)
        self.positions = positions
        self._added: Any = None

    def activation_hooks(self, agent: Any) -> list[Any]:
        """Register the steering hook on the agent's layer; returns the handle to remove."""
        import torch

        lm = getattr(agent, "lm", None)
        model_id = getattr(getattr(lm, "source", None), "model_id", None)
        if model_id is not None and model_id != self.vector.model_id:
            raise ConfigError(
                f"EAST vector {self.vector.name!r} was fitted on model {self.vector.model_id}, "
                f"but the agent runs {model_id}"
            )
        module = agent.activation_module(self.vector.layer)
        if self._added is None or self._added.device != torch.device(agent.device):
            self._added = torch.as_tensor(self.vector.steering(self.beta), device=agent.device)
        added, last_only = self._added, self.positions == "last"

        def hook(module: Any, args: Any, output: Any) -> Any:
            hidden = output[0] if isinstance(output, tuple) else output
            if added.shape[-1] != hidden.shape[-1]:
                raise ConfigError(
                    f"EAST vector {self.vector.name!r} has size {added.shape[-1]}, but layer "
                    f"{self.vector.layer} outputs size {hidden.shape[-1]}"
                )
            if last_only:
                steered = hidden.clone()
                steered[:, -1, :] += added.to(hidden.dtype)
            else:
                steered = hidden + added.to(hidden.dtype)
            return (steered, *output[1:]) if isinstance(output, tuple) else steered

        return [module.register_forward_hook(hook)]

    def telemetry(self) -> dict[str, float]:
        return {"beta": self.beta}
