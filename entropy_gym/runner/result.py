"""A finished cell's result, typed: built once in the cell process, checked, stored as JSON and
read back by the leaderboard and scoring.

:meth:`CellResult.to_dict` is the stored form (the ``result`` column of the store);
:meth:`CellResult.from_dict` reads it back and refuses anything malformed with
:class:`InvalidResult`, so the leaderboard never sees a half-formed row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from entropy_gym.scoring.entropy_kind import EntropyKind, entropy_bounds, space_kind

if TYPE_CHECKING:
    from entropy_gym.runner.evaluation import Evaluation

#: Decision indices kept in the entropy-vs-decision-index trajectory.
MAX_TRAJECTORY = 1024
#: The largest magnitude a stored return, metric or timing may have: no env of the package
#: comes near it, and sums and means of such numbers stay finite.
MAX_ABS = 1e15


class InvalidResult(ValueError):
    """A result that cannot be stored: the message says what is wrong with it."""


@dataclass(frozen=True)
class EntropySummary:
    """Action entropy over a cell's counted decisions: the mean, each episode's mean and
    variance, and the entropy-vs-decision-index trajectory (the mean over episodes of the
    entropy at decision ``t``, for ``t <`` :data:`MAX_TRAJECTORY`, with its episode counts)."""

    mean: float
    decisions: int
    episode_mean: list[float | None]
    episode_var: list[float | None]
    by_step: list[float]
    by_step_count: list[int]

    @classmethod
    def of(cls, per_episode: Sequence[Sequence[float]]) -> EntropySummary | None:
        """The summary of per-episode entropy sequences; ``None`` when there is no entropy."""
        if not any(per_episode):
            return None
        flat = np.concatenate([np.asarray(e, dtype=np.float64) for e in per_episode if e])
        longest = min(max(len(e) for e in per_episode), MAX_TRAJECTORY)
        sums = np.zeros(longest)
        counts = np.zeros(longest, dtype=np.int64)
        for e in per_episode:
            head = np.asarray(e[:longest], dtype=np.float64)
            sums[: len(head)] += head
            counts[: len(head)] += 1
        return cls(
            mean=float(flat.mean()),
            decisions=int(flat.size),
            episode_mean=[float(np.mean(e)) if e else None for e in per_episode],
            episode_var=[float(np.var(e)) if e else None for e in per_episode],
            by_step=(sums / np.maximum(counts, 1)).tolist(),
            by_step_count=counts.tolist(),
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def check(self, bounds: tuple[float, float]) -> None:
        """Raise :class:`InvalidResult` unless every entropy lies in ``bounds`` (and every
        variance in what such values allow)."""
        low, high = bounds
        values: list[tuple[str, Any]] = [("entropy mean", self.mean)]
        values += [("episode entropy mean", v) for v in self.episode_mean if v is not None]
        values += [("entropy at a decision index", v) for v in self.by_step]
        for what, value in values:
            if not _finite(value) or not low <= value <= high:
                raise InvalidResult(
                    f"{what} {value!r} is outside the bounds of its kind [{low:.6g}, {high:.6g}]"
                )
        widest = (high - low) ** 2
        for value in self.episode_var:
            if value is not None and (not _finite(value) or not -1e-9 <= value <= widest):
                raise InvalidResult(f"episode entropy variance {value!r} is out of range")
        if self.decisions < 0 or any(c < 0 for c in self.by_step_count):
            raise InvalidResult("negative entropy decision counts")


@dataclass(frozen=True)
class EnvInfo:
    """What the cell's env was: its spec (JSON, where Gymnasium can serialise it), catalog
    family, spaces, and the facts entropy scoring needs (maximum entropy, action dims)."""

    spec: str | None = None
    family: str | None = None
    observation_space: str | None = None
    action_space: str | None = None
    max_entropy: float | None = None
    action_dims: int = 1

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AgentInfo:
    """The agent as built: its plain config (interventions included), its hash and hooks,
    and whether it trained (``learns``: it has a training phase and the cell a non-zero
    budget; ``None`` in results stored before this was recorded)."""

    config: Mapping[str, Any] = field(default_factory=dict)
    config_hash: str | None = None
    hooks: tuple[str, ...] = ()
    learns: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "config": dict(self.config),
            "config_hash": self.config_hash,
            "hooks": list(self.hooks),
        }
        if self.learns is not None:
            out["learns"] = self.learns
        return out


@dataclass(frozen=True)
class Timing:
    """Seconds spent in the cell's phases."""

    setup_s: float = 0.0
    train_s: float = 0.0
    eval_s: float = 0.0
    total_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CellResult:
    """Everything a finished cell reports. ``returns``, ``lengths`` and ``episode_metrics``
    hold one entry per counted episode; ``metrics`` are the episode metrics' means;
    ``telemetry`` is the agent's per-update records (non-finite values as ``None``);
    ``entropy_kind`` says what the entropies are
    (:class:`~entropy_gym.scoring.entropy_kind.EntropyKind` as a dict; ``None`` when the agent
    did not say, and in results stored before it was recorded)."""

    returns: list[float]
    lengths: list[int]
    metrics: dict[str, float] = field(default_factory=dict)
    episode_metrics: dict[str, list[float | None]] = field(default_factory=dict)
    entropy: EntropySummary | None = None
    telemetry: list[dict[str, float | None]] = field(default_factory=list)
    timing: Timing = field(default_factory=Timing)
    env: EnvInfo = field(default_factory=EnvInfo)
    agent: AgentInfo = field(default_factory=AgentInfo)
    provenance: dict[str, Any] = field(default_factory=dict)
    entropy_kind: dict[str, str] | None = None

    @property
    def mean_return(self) -> float:
        """Mean evaluation return (episodes averaged first): the cell's raw score."""
        return math.fsum(self.returns) / len(self.returns)

    @classmethod
    def from_evaluation(cls, evaluation: Evaluation, **rest: Any) -> CellResult:
        """A result from the counted episodes of :func:`~entropy_gym.runner.evaluation.play`;
        ``rest`` gives the other fields."""
        episodes = evaluation.episodes
        returns = [e.total_return for e in episodes]
        if not all(math.isfinite(r) for r in returns):
            from entropy_gym.runner.failure import CellFailure

            raise CellFailure("env returned a non-finite reward (episode return is NaN or inf)")
        _check_reported_entropies(episodes, rest.get("env"), rest.get("entropy_kind"))
        names = sorted({k for e in episodes for k in e.metrics})
        per_episode = {k: [e.metrics.get(k) for e in episodes] for k in names}
        means = {
            k: float(np.mean([v for v in vals if v is not None])) for k, vals in per_episode.items()
        }
        return cls(
            returns=returns,
            lengths=[e.length for e in episodes],
            metrics=means,
            episode_metrics=per_episode,
            entropy=EntropySummary.of([list(e.entropy) for e in episodes]),
            **rest,
        )

    # -- the stored form ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out = {
            "returns": list(self.returns),
            "lengths": list(self.lengths),
            "metrics": dict(self.metrics),
            "episode_metrics": {k: list(v) for k, v in self.episode_metrics.items()},
            "entropy": self.entropy.to_dict() if self.entropy is not None else None,
            "telemetry": [dict(r) for r in self.telemetry],
            "timing": self.timing.to_dict(),
            "env": self.env.to_dict(),
            "agent": self.agent.to_dict(),
            "provenance": dict(self.provenance),
        }
        if self.entropy_kind is not None:
            out["entropy_kind"] = dict(self.entropy_kind)
        return out

    @classmethod
    def from_dict(cls, data: Any) -> CellResult:
        """Read a stored result; :class:`InvalidResult` says what is malformed."""
        if not isinstance(data, Mapping):
            raise InvalidResult(f"expected a mapping, got {type(data).__name__}")
        returns, lengths = data.get("returns"), data.get("lengths")
        if not isinstance(returns, list) or not all(_finite(r) for r in returns):
            raise InvalidResult("episode returns must be a list of finite numbers")
        if not isinstance(lengths, list) or not all(
            isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in lengths
        ):
            raise InvalidResult("episode lengths must be a list of positive integers")
        metrics = data.get("metrics") or {}
        if not isinstance(metrics, Mapping) or not all(
            isinstance(k, str) and _finite(v) for k, v in metrics.items()
        ):
            raise InvalidResult("episode metrics must map names to finite numbers")
        telemetry = data.get("telemetry") or []
        if not isinstance(telemetry, list) or not all(
            isinstance(r, Mapping)
            and all(isinstance(k, str) and (v is None or _finite(v)) for k, v in r.items())
            for r in telemetry
        ):
            raise InvalidResult("telemetry must be a list of {str: float} records")
        provenance = data.get("provenance")
        if not isinstance(provenance, Mapping):
            raise InvalidResult("provenance is missing")
        kind = data.get("entropy_kind")
        if kind is not None:
            try:
                kind = EntropyKind.from_dict(kind).to_dict()
            except ValueError as err:
                raise InvalidResult(str(err)) from None
        try:
            entropy = data.get("entropy")
            result = cls(
                returns=[float(r) for r in returns],
                lengths=[int(x) for x in lengths],
                metrics={k: float(v) for k, v in metrics.items()},
                episode_metrics={
                    str(k): list(v) for k, v in (data.get("episode_metrics") or {}).items()
                },
                entropy=_entropy_from(entropy),
                telemetry=[
                    {k: (None if v is None else float(v)) for k, v in r.items()} for r in telemetry
                ],
                timing=Timing(**(data.get("timing") or {})),
                env=EnvInfo(**(data.get("env") or {})),
                agent=AgentInfo(
                    **{
                        **(data.get("agent") or {}),
                        "hooks": tuple((data.get("agent") or {}).get("hooks") or ()),
                    }
                ),
                provenance=dict(provenance),
                entropy_kind=kind,
            )
        except (TypeError, ValueError, OverflowError) as err:
            raise InvalidResult(f"malformed result ({err})") from None
        result.check_ranges()
        return result

    def check_ranges(self) -> None:
        """Raise :class:`InvalidResult` unless every number is in its range: returns, metrics
        and timings finite and at most :data:`MAX_ABS` in size, lengths positive, and every
        entropy within the bounds of its kind
        (:func:`~entropy_gym.scoring.entropy_kind.entropy_bounds`)."""
        for what, values in (
            ("episode return", self.returns),
            ("episode metric", list(self.metrics.values())),
            ("episode metric", [v for vs in self.episode_metrics.values() for v in vs]),
            ("timing", list(self.timing.to_dict().values())),
        ):
            for value in values:
                if value is None and what == "episode metric":
                    continue
                if not _finite(value) or abs(float(value)) > MAX_ABS:  # type: ignore[arg-type]
                    raise InvalidResult(
                        f"{what} {value!r} is not a finite number of at most {MAX_ABS:g}"
                    )
        if any(x > MAX_ABS for x in self.lengths):
            raise InvalidResult(f"an episode length above {MAX_ABS:g}")
        if self.entropy is not None:
            self.entropy.check(self.entropy_bounds())

    def entropy_bounds(self) -> tuple[float, float]:
        """The range the cell's entropies must lie in (its kind's; the stored env's action
        space or family gives the kind where the result did not record one)."""
        kind = (self.entropy_kind or {}).get("kind") or space_kind(
            self.env.action_space, self.env.family
        )
        return entropy_bounds(
            kind, max_entropy=self.env.max_entropy, action_dims=int(self.env.action_dims or 1)
        )

    def check(self, eval_episodes: int) -> None:
        """Raise :class:`InvalidResult` unless the result holds ``eval_episodes`` episodes."""
        n = eval_episodes
        if len(self.returns) != n:
            raise InvalidResult(f"expected {n} episode returns, got {len(self.returns)}")
        if len(self.lengths) != n:
            raise InvalidResult(f"expected {n} positive integer episode lengths")
        if self.entropy is not None and len(self.entropy.episode_mean) != n:
            raise InvalidResult(f"expected {n} per-episode entropy means")


def _check_reported_entropies(episodes: Sequence[Any], env: Any, kind: Any) -> None:
    """Fail the cell if a decision's reported entropy is outside its kind's bounds (before
    any mean of them can overflow)."""
    from entropy_gym.runner.failure import CellFailure

    values = [v for e in episodes for v in e.entropy]
    if not values:
        return
    env = env if isinstance(env, EnvInfo) else EnvInfo()
    probe = CellResult(returns=[0.0], lengths=[1], env=env, entropy_kind=kind)
    low, high = probe.entropy_bounds()
    worst = max(values, key=lambda v: max(low - v, v - high))
    if not low <= worst <= high:
        what = (kind or {}).get("kind") or "its kind"
        raise CellFailure(
            f"the agent reported an entropy of {worst:.6g} nats, outside the bounds of "
            f"{what} entropies on {env.action_space} [{low:.6g}, {high:.6g}]"
        )


def _entropy_from(data: Any) -> EntropySummary | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or not _finite(data.get("mean")):
        raise InvalidResult("the entropy summary must have a finite mean")
    return EntropySummary(
        mean=float(data["mean"]),
        decisions=int(data.get("decisions") or 0),
        episode_mean=[None if v is None else float(v) for v in data.get("episode_mean") or []],
        episode_var=[None if v is None else float(v) for v in data.get("episode_var") or []],
        by_step=[float(v) for v in data.get("by_step") or []],
        by_step_count=[int(v) for v in data.get("by_step_count") or []],
    )


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def clean_telemetry(records: Any) -> list[dict[str, float | None]]:
    """An agent's telemetry as ``[{str: float}]``; non-finite values become ``None`` (JSON has
    no NaN). Anything else is a :class:`~entropy_gym.runner.failure.CellFailure`."""
    from entropy_gym.runner.failure import CellFailure

    if records is None:
        return []
    try:
        out = []
        for record in records:
            row: dict[str, float | None] = {}
            for key, value in dict(record).items():
                v = float(value)
                row[str(key)] = v if math.isfinite(v) else None
            out.append(row)
    except (TypeError, ValueError) as err:
        raise CellFailure(
            f"agent.telemetry() must return a list of {{str: float}} records ({err})"
        ) from None
    return out


__all__ = [
    "AgentInfo",
    "CellResult",
    "EntropySummary",
    "EnvInfo",
    "InvalidResult",
    "Timing",
    "clean_telemetry",
]
