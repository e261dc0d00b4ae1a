"""Fit an EAST steering vector from an LLM agent's own interaction with envs.

The agent plays ``episodes`` episodes unsteered in every variant (each env id under each set
of env kwargs); at every decision it reports the exact entropy of its action distribution and
the residual stream after ``layer`` at the answer position.
:func:`~entropy_gym.agents.interventions.east.east_direction` turns those into the vector,
centring the activations per variant (formula in :mod:`entropy_gym.agents.interventions.east`).
``entropy-gym east fit`` is the command-line front end. The agent plays through the runner's
evaluation loop, which is why the fit lives above the runner and not beside the agents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from entropy_gym.agents.base import Decision
from entropy_gym.agents.interventions.east import (
    DEFAULT_LAYER,
    FORMULA,
    FORMULA_VERSION,
    SteeringVector,
    east_direction,
)
from entropy_gym.agents.llm.bandit_agent import LLMBanditAgent
from entropy_gym.core.errors import ConfigError
from entropy_gym.runner.evaluation import Evaluation, evaluate
from entropy_gym.runner.provenance import git_state


def _as_list(value: Any, what: str) -> list[Any]:
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, Mapping)):
        items = list(value)
        if not items:
            raise ConfigError(f"{what} is an empty list; give at least one")
        return items
    return [value]


def fit_variants(
    env_ids: str | Sequence[str],
    env_kwargs: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """Every ``(env id, kwargs)`` pair a fit plays, env ids outermost."""
    ids = _as_list(env_ids, "env ids")
    for env_id in ids:
        if not isinstance(env_id, str) or not env_id:
            raise ConfigError(f"env id {env_id!r} must be a non-empty string")
    kwargs = [dict(k) for k in _as_list(env_kwargs or {}, "env_kwargs")]
    return [(env_id, dict(k)) for env_id in ids for k in kwargs]


@dataclass(frozen=True)
class FitSamples:
    """What a fit records at every counted decision (entropy, activation, variant index), and
    the evaluation of each variant."""

    entropies: np.ndarray
    activations: np.ndarray
    groups: np.ndarray
    evaluations: tuple[Evaluation, ...]


def collect_samples(
    agent: LLMBanditAgent,
    variants: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    episodes: int,
    num_envs: int,
    seed: int,
    device: str,
) -> FitSamples:
    """Play ``episodes`` episodes of each variant (variant ``k`` with seed ``seed + k``) through
    :func:`~entropy_gym.runner.evaluation.evaluate`, recording each counted decision's entropy
    and activation (``agent.capture_layer`` must be set)."""
    entropies: list[np.ndarray] = []
    activations: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    evaluations = []
    for index, (variant_id, variant_kwargs) in enumerate(variants):

        def record(decision: Decision, step: Any, counted: np.ndarray, index: int = index) -> None:
            entropies.append(np.asarray(decision.entropy)[counted])
            activations.append(np.asarray(decision.info["activations"])[counted])
            groups.append(np.full(int(counted.sum()), index))

        evaluations.append(
            evaluate(
                agent,
                variant_id,
                variant_kwargs,
                episodes=episodes,
                seed=seed + index,
                num_envs=num_envs,
                device=device,
                on_step=record,
            )
        )
    return FitSamples(
        np.concatenate(entropies),
        np.concatenate(activations),
        np.concatenate(groups),
        tuple(evaluations),
    )


def fit_east_vector(
    name: str,
    env_id: str | Sequence[str],
    env_kwargs: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    *,
    layer: int = DEFAULT_LAYER,
    episodes: int = 8,
    num_envs: int = 4,
    seed: int = 0,
    device: str = "cpu",
    agent_kwargs: Mapping[str, Any] | None = None,
) -> SteeringVector:
    """Run an unsteered ``llm_bandit`` agent and fit the EAST vector at ``layer``.

    ``env_id`` may be a list of ids and ``env_kwargs`` a list of kwargs: the agent then plays
    ``episodes`` episodes of each id under each kwargs (variant ``k`` with seed ``seed + k``),
    and the vector is fitted on them all, centred per variant.
    """
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ConfigError(f"vector name {name!r} must be letters, digits, '-', '_' or '.'")
    variants = fit_variants(env_id, env_kwargs)
    ids = list(dict.fromkeys(v[0] for v in variants))
    kwargs_list = [k for i, k in variants if i == ids[0]]
    agent = LLMBanditAgent(**dict(agent_kwargs or {}))
    agent.capture_layer = layer
    if agent.lm is None:
        # Fail on a bad layer before any decision is spent.
        from entropy_gym.agents.llm.lm import LanguageModel

        LanguageModel.load(agent.model_name, device).layer(layer)
    samples = collect_samples(
        agent, variants, episodes=episodes, num_envs=num_envs, seed=seed, device=device
    )
    played = sum(len(e.episodes) for e in samples.evaluations)
    h_values, acts = samples.entropies, samples.activations
    u, reference_norm = east_direction(h_values, acts, samples.groups)
    norm = float(np.linalg.norm(u))
    lm = agent.language_model
    provenance = {
        "formula_version": FORMULA_VERSION,
        "formula": FORMULA,
        "model_id": lm.source.model_id,
        "model_sha256": lm.source.sha256,
        "layer": layer,
        "position": "answer position (last token before the label)",
        "env_id": ids[0] if len(ids) == 1 else ids,
        "env_kwargs": kwargs_list[0] if len(kwargs_list) == 1 else kwargs_list,
        "variants": [
            {"env_id": i, "env_kwargs": k, "seed": seed + n} for n, (i, k) in enumerate(variants)
        ],
        "seed": seed,
        "seeds": [seed + i for i in range(len(variants))],
        "num_envs": num_envs,
        "episodes_per_variant": episodes,
        "episodes": played,
        "num_prompts": int(h_values.shape[0]),
        "agent": {"name": agent.name, **agent.config},
        "entropy_mean": float(h_values.mean()),
        "entropy_std": float(h_values.std()),
        "u_norm": norm,
        "reference_norm": reference_norm,
        "device": device,
        "package_version": _package_version(),
        "git_commit": git_state()["commit"],
        "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return SteeringVector(
        name=name,
        layer=layer,
        direction=(u / norm).astype(np.float32),
        reference_norm=reference_norm,
        model_id=lm.source.model_id,
        provenance=provenance,
    )


def _package_version() -> str:
    from entropy_gym import __version__

    return __version__
