"""Fit an EAST steering vector from an LLM agent's own interaction with an env.

The agent plays ``episodes`` episodes unsteered; at every decision it reports the exact
entropy of its action distribution and the residual stream after ``layer`` at the answer
position. :func:`~entropy_gym.agents.interventions.east.east_direction` turns those into the
vector (formula in :mod:`entropy_gym.agents.interventions.east`). ``entropy-gym east fit``
is the command-line front end.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from entropy_gym.agents.base import ConfigError, Decision
from entropy_gym.agents.interventions.east import (
    FORMULA,
    FORMULA_VERSION,
    SteeringVector,
    east_direction,
)
from entropy_gym.agents.llm.bandit_agent import LLMBanditAgent
from entropy_gym.agents.rollout import rollout


def fit_east_vector(
    name: str,
    env_id: str,
    env_kwargs: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    *,
    layer: int = 15,
    episodes: int = 8,
    num_envs: int = 4,
    seed: int = 0,
    device: str = "cpu",
    agent_kwargs: Mapping[str, Any] | None = None,
) -> SteeringVector:
    """Run an unsteered ``llm_bandit`` agent and fit the EAST vector at ``layer``.

    ``env_kwargs`` may be a list of kwargs: the agent then plays ``episodes`` episodes of each
    variant (e.g. several framings and history modes), and the vector is fitted on them all.
    """
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ConfigError(f"vector name {name!r} must be letters, digits, '-', '_' or '.'")
    if isinstance(env_kwargs, Sequence) and not isinstance(env_kwargs, (str, bytes)):
        variants = [dict(v) for v in env_kwargs]
        if not variants:
            raise ConfigError("env_kwargs is an empty list; give at least one variant")
    else:
        variants = [dict(env_kwargs or {})]
    agent = LLMBanditAgent(**dict(agent_kwargs or {}))
    agent.capture_layer = layer
    entropies: list[np.ndarray] = []
    activations: list[np.ndarray] = []

    def record(obs: Any, decision: Decision) -> None:
        entropies.append(np.asarray(decision.entropy))
        activations.append(np.asarray(decision.info["activations"]))

    if agent.lm is None:
        # Fail on a bad layer before any decision is spent.
        from entropy_gym.agents.llm.lm import LanguageModel

        LanguageModel.load(agent.model_name, device).layer(layer)
    played = 0
    for index, variant in enumerate(variants):
        result = rollout(agent, env_id, variant, num_envs=num_envs, episodes=episodes,
                         seed=seed + index, device=device, on_decision=record)
        played += len(result.returns)
    h_values = np.concatenate(entropies)
    acts = np.concatenate(activations)
    u, reference_norm = east_direction(h_values, acts)
    norm = float(np.linalg.norm(u))
    lm = agent.lm
    provenance = {
        "formula_version": FORMULA_VERSION,
        "formula": FORMULA,
        "model_id": lm.source.model_id,
        "model_sha256": lm.source.sha256,
        "layer": layer,
        "position": "answer position (last token before the label)",
        "env_id": env_id,
        "env_kwargs": variants[0] if len(variants) == 1 else variants,
        "seed": seed,
        "seeds": [seed + i for i in range(len(variants))],
        "num_envs": num_envs,
        "episodes": played,
        "num_prompts": int(h_values.shape[0]),
        "agent": {"name": agent.name, **agent.config},
        "entropy_mean": float(h_values.mean()),
        "entropy_std": float(h_values.std()),
        "u_norm": norm,
        "reference_norm": reference_norm,
        "device": device,
        "package_version": _package_version(),
        "git_commit": _git_commit(),
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


def _git_commit() -> str | None:
    """The commit of the source tree this package runs from, when it is a git checkout."""
    root = Path(__file__).resolve().parents[3]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
