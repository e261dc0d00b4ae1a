"""Resolve and build any Gymnasium id the runner is given: this package's, Gymnasium's own, or
a plugin's (``ALE/...`` from ale-py, or ``module:Namespace/Name-vN``)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import gymnasium as gym

from entropy_gym.core.errors import ConfigError

#: Namespaces whose ids a plugin package registers on import.
PLUGIN_NAMESPACES: dict[str, str] = {"ALE": "ale_py"}

#: Families whose envs accept a free-text reply as an action, whatever their action space.
TEXT_FAMILIES = frozenset({"text-bandit", "tool-task", "reasoning"})


def resolve_env_id(env_id: str) -> gym.envs.registration.EnvSpec:
    """The registered spec of ``env_id``, importing the package or plugin that registers it."""
    import entropy_gym  # noqa: F401  (registers this package's ids)

    name = env_id
    if ":" in env_id:
        module, name = env_id.split(":", 1)
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise ConfigError(
                f"env id {env_id!r}: cannot import module {module!r} ({err})"
            ) from None
    namespace = name.split("/", 1)[0] if "/" in name else None
    if namespace in PLUGIN_NAMESPACES and name not in gym.registry:
        plugin = PLUGIN_NAMESPACES[namespace]
        try:
            gym.register_envs(importlib.import_module(plugin))
        except ImportError:
            raise ConfigError(f"env id {env_id!r} needs the package {plugin!r}") from None
    try:
        return gym.spec(name)
    except gym.error.Error as err:
        raise ConfigError(
            f"unknown env id {env_id!r} ({err}); `entropy-gym envs` lists this package's ids"
        ) from None


def make_env(env_id: str, kwargs: Mapping[str, Any] | None = None) -> gym.Env:
    """``gym.make(env_id, **kwargs)`` after resolving the id (see :func:`resolve_env_id`)."""
    spec = resolve_env_id(env_id)
    return gym.make(spec.id, **dict(kwargs or {}))


def env_family(env_id: str) -> str | None:
    """The catalog family of ``env_id``, or ``None`` for ids this package does not register."""
    from entropy_gym.registration import env_card

    try:
        return env_card(env_id.split(":", 1)[1] if ":" in env_id else env_id).family
    except ValueError:
        return None


def accepts_text(
    env_id: str, observation_space: gym.Space[Any], action_space: gym.Space[Any]
) -> bool:
    """Whether the env takes string actions: a ``Text`` action or observation space, or a text
    family of the catalog (text envs parse replies and flag the ones that do not parse)."""
    if isinstance(action_space, gym.spaces.Text) or isinstance(observation_space, gym.spaces.Text):
        return True
    return env_family(env_id) in TEXT_FAMILIES


def spec_json(env: gym.Env) -> str | None:
    """``env.spec`` as JSON where Gymnasium can serialise it (provenance), else ``None``."""
    spec = getattr(env, "spec", None)
    if spec is None:
        return None
    try:
        return str(spec.to_json())
    except Exception:  # kwargs that JSON cannot hold (callables, objects)
        return None


def registered_spec_json(env_id: str, kwargs: Mapping[str, Any]) -> str | None:
    """The registered spec of ``env_id`` with ``kwargs`` merged into its own, as JSON where
    Gymnasium can serialise it (the provenance of a native vector env), else ``None``."""
    spec = resolve_env_id(env_id)
    try:
        return str(replace(spec, kwargs={**spec.kwargs, **dict(kwargs)}).to_json())
    except Exception:  # kwargs that JSON cannot hold (callables, objects)
        return None
