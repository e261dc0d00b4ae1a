"""Build agents and interventions from plain config, names, or user classes.

Config is flat: ``{"name": "ppo", "learning_rate": 3e-4, "interventions": [{"name":
"entropy_target", "target": 0.5}]}``. A name is a built-in (``entropy-gym agents`` lists them),
a ``module:Class`` import path, or a ``path/to/file.py:Class`` file reference.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from entropy_gym.agents.base import Agent
from entropy_gym.agents.interventions.base import Intervention
from entropy_gym.core.errors import ConfigError
from entropy_gym.core.hashing import config_hash as config_hash

#: Built-in agents: name -> "module:Class". Imported lazily so that listing stays cheap.
BUILTIN_AGENTS: dict[str, str] = {
    "random": "entropy_gym.agents.classic.random:RandomAgent",
    # tool tasks (ToolTask/, ScienceWorld/)
    "tool_oracle": "entropy_gym.agents.tools.oracle:ToolOracleAgent",
    "random_admissible": "entropy_gym.agents.tools.random_admissible:RandomAdmissibleAgent",
    # Stable-Baselines3 / sb3-contrib (entropy_gym.agents.sb3)
    "ppo": "entropy_gym.agents.sb3.agents:PPOAgent",
    "a2c": "entropy_gym.agents.sb3.agents:A2CAgent",
    "trpo": "entropy_gym.agents.sb3.agents:TRPOAgent",
    "recurrent_ppo": "entropy_gym.agents.sb3.agents:RecurrentPPOAgent",
    "dqn": "entropy_gym.agents.sb3.agents:DQNAgent",
    "qrdqn": "entropy_gym.agents.sb3.agents:QRDQNAgent",
    "sac": "entropy_gym.agents.sb3.agents:SACAgent",
    "tqc": "entropy_gym.agents.sb3.agents:TQCAgent",
    "crossq": "entropy_gym.agents.sb3.agents:CrossQAgent",
    "td3": "entropy_gym.agents.sb3.agents:TD3Agent",
    # JAX agents trained end to end on the device, on batched MJX envs (entropy_gym.agents.device)
    "jax_ppo": "entropy_gym.agents.device.agents:JaxPPOAgent",
    "jax_sac": "entropy_gym.agents.device.agents:JaxSACAgent",
    # JAX agents trained under jit on the STORI/MinAtar-* ids, seeds batched (agents.minatar)
    "minatar_ppo": "entropy_gym.agents.minatar.agents:MinAtarPPOAgent",
    "minatar_dqn": "entropy_gym.agents.minatar.agents:MinAtarDQNAgent",
    # text bandits: classic algorithms and the local LLM agent
    "greedy": "entropy_gym.agents.classic.greedy:GreedyAgent",
    "epsilon_greedy": "entropy_gym.agents.classic.greedy:EpsilonGreedyAgent",
    "ucb1": "entropy_gym.agents.classic.ucb:UCB1Agent",
    "thompson": "entropy_gym.agents.classic.thompson:ThompsonAgent",
    "llm_bandit": "entropy_gym.agents.llm.bandit_agent:LLMBanditAgent",
    # tool tasks: the local LLM scoring admissible calls
    "llm_tool": "entropy_gym.agents.llm.tool_agent:LLMToolAgent",
    # RL fine-tuning of the local LLM on text envs (token-level hooks)
    "llm_grpo": "entropy_gym.agents.llm.rl.agent:GRPOAgent",
}

#: Built-in interventions: name -> "module:Class".
BUILTIN_INTERVENTIONS: dict[str, str] = {
    "temperature": "entropy_gym.agents.interventions.temperature:Temperature",
    # Entropy interventions for the SB3 agents
    "entropy_bonus": "entropy_gym.agents.interventions.entropy_bonus:EntropyBonus",
    "entropy_target": "entropy_gym.agents.interventions.entropy_target:EntropyTarget",
    "entropy_target_temperature": "entropy_gym.agents.interventions.entropy_target:EntropyTargetTemperature",
    "sac_temperature": "entropy_gym.agents.interventions.sac_temperature:SACTemperature",
    "clip_cov": "entropy_gym.agents.interventions.clip_cov:ClipCov",
    "kl_cov": "entropy_gym.agents.interventions.kl_cov:KLCov",
    "epsilon_schedule": "entropy_gym.agents.interventions.epsilon_schedule:EpsilonSchedule",
    "east": "entropy_gym.agents.interventions.east:EAST",
    # Token-level interventions for the LLM trainer (llm_grpo)
    "clip_higher": "entropy_gym.agents.interventions.clip_higher:ClipHigher",
    "forking_tokens": "entropy_gym.agents.interventions.forking_tokens:ForkingTokens",
    "steer": "entropy_gym.agents.interventions.steer:Steer",
    "lp_reg": "entropy_gym.agents.interventions.lp_reg:LpReg",
    "empg": "entropy_gym.agents.interventions.empg:EMPG",
    "epo": "entropy_gym.agents.interventions.epo:EPO",
}


def register_agent(name: str, target: str) -> None:
    """Make ``name`` resolve to ``target`` ("module:Class") in :func:`make_agent`."""
    BUILTIN_AGENTS[name] = target


def register_intervention(name: str, target: str) -> None:
    """Make ``name`` resolve to ``target`` ("module:Class") in :func:`make_intervention`."""
    BUILTIN_INTERVENTIONS[name] = target


def load_object(ref: str) -> Any:
    """Import ``module:attr`` or ``path/to/file.py:attr`` and return the attribute."""
    if ":" not in ref:
        raise ConfigError(f"reference {ref!r} must look like 'module:Class' or 'file.py:Class'")
    where, attr = ref.rsplit(":", 1)
    if where.endswith(".py"):
        path = Path(where).expanduser().resolve()
        module_name = f"entropy_gym_user_{hashlib.sha1(str(path).encode()).hexdigest()[:12]}"
        module = sys.modules.get(module_name)  # a sandboxed agent's module is loaded already
        if module is None and not path.is_file():
            raise ConfigError(f"agent file {where!r} does not exist")
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except Exception:
                del sys.modules[module_name]
                raise
    else:
        try:
            module = importlib.import_module(where)
        except ModuleNotFoundError as err:
            raise ConfigError(f"cannot import module {where!r} for {ref!r}: {err}") from err
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigError(f"{where!r} has no attribute {attr!r}") from None


def _resolve(name: str, table: Mapping[str, str], kind: str) -> Any:
    if name in table:
        return load_object(table[name])
    if ":" in name:
        return load_object(name)
    known = ", ".join(sorted(table)) or "none"
    raise ConfigError(f"unknown {kind} {name!r}; expected one of: {known} (or 'file.py:Class')")


def _split(spec: str | Mapping[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    if isinstance(spec, str):
        return spec, {}
    if isinstance(spec, Mapping):
        if "name" not in spec:
            raise ConfigError(f"{kind} config {dict(spec)!r} needs a 'name' key")
        params = {k: v for k, v in spec.items() if k != "name"}
        return str(spec["name"]), params
    raise ConfigError(f"{kind} config must be a name or a mapping with 'name', got {spec!r}")


def make_intervention(spec: str | Mapping[str, Any] | Intervention) -> Intervention:
    """An intervention from a name, a ``{"name": ..., **params}`` mapping, or an instance."""
    if isinstance(spec, Intervention):
        return spec
    name, params = _split(spec, "intervention")
    cls = _resolve(name, BUILTIN_INTERVENTIONS, "intervention")
    if not (isinstance(cls, type) and issubclass(cls, Intervention)):
        raise ConfigError(f"{name!r} is not an Intervention subclass")
    try:
        return cls(**params)
    except TypeError as err:
        raise ConfigError(f"intervention {name!r}: {_explain(cls, err)}") from err


def make_agent(
    spec: str | Mapping[str, Any] | type | Any,
    interventions: Sequence[str | Mapping[str, Any] | Intervention] | None = None,
    **kwargs: Any,
) -> Agent:
    """An agent with its interventions attached.

    ``spec`` is a built-in name, a config mapping (``{"name": ..., "interventions": [...],
    **kwargs}``), an agent class, or an instance. Unknown names, bad parameters and refused
    hook combinations raise :class:`ConfigError` before anything runs.

    >>> agent = make_agent("ppo", interventions=[{"name": "entropy_bonus", "coef": 0.01}])
    >>> agent.name, sorted(agent.hooks), [iv.name for iv in agent.interventions]
    ('ppo', ['advantages', 'ent_coef', 'logits', 'loss'], ['entropy_bonus'])
    >>> make_agent("a2c", interventions=["clip_cov"])
    Traceback (most recent call last):
    ...
    entropy_gym.core.errors.ConfigError: intervention 'clip_cov' needs hook(s) loss but agent 'a2c' offers: advantages, ent_coef, logits
    """
    if isinstance(spec, Mapping):
        name, params = _split(spec, "agent")
        spec_ivs = params.pop("interventions", None) or []
        params.update(kwargs)
        cls = _resolve(name, BUILTIN_AGENTS, "agent")
        ivs = list(spec_ivs) + list(interventions or [])
    elif isinstance(spec, str):
        cls = _resolve(spec, BUILTIN_AGENTS, "agent")
        params, ivs = dict(kwargs), list(interventions or [])
    elif isinstance(spec, type):
        cls, params, ivs = spec, dict(kwargs), list(interventions or [])
    else:
        agent = spec
        for iv in interventions or []:
            agent.attach(make_intervention(iv))
        return cast(Agent, agent)
    if not isinstance(cls, type):
        raise ConfigError(f"{cls!r} is not an agent class")
    try:
        agent = cls(**params)
    except TypeError as err:
        raise ConfigError(
            f"agent {getattr(cls, 'name', cls.__name__)!r}: {_explain(cls, err)}"
        ) from err
    for iv in ivs:
        agent.attach(make_intervention(iv))
    return cast(Agent, agent)


def _explain(cls: type, err: TypeError) -> str:
    """``err`` from building ``cls``; an unknown keyword becomes ``unknown parameter 'x'; did
    you mean 'y'? (it accepts: ...)``, from the parameters ``cls.__init__`` names."""
    match = re.search(r"unexpected keyword argument '(\w+)'", str(err))
    if match is None:
        return str(err)
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return str(err)
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
        return str(err)
    accepted = sorted(p.name for p in params if p.kind in kinds)
    key = match.group(1)
    if not accepted:
        return f"unknown parameter '{key}' (it takes none)"
    close = difflib.get_close_matches(key, accepted, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown parameter '{key}'{hint} (it accepts: {', '.join(accepted)})"


def agent_config(agent: Any) -> dict[str, Any]:
    """Plain config of an agent and its interventions (what provenance records)."""
    cls = type(agent)
    name = getattr(agent, "name", cls.__name__)
    builtin = BUILTIN_AGENTS.get(name) == f"{cls.__module__}:{cls.__qualname__}"
    return {
        "name": name if builtin else f"{cls.__module__}:{cls.__qualname__}",
        **dict(getattr(agent, "config", {})),
        "interventions": [iv.config() for iv in getattr(agent, "interventions", [])],
    }


def describe_agents() -> list[dict[str, Any]]:
    """Every built-in agent with the hooks it offers (``entropy-gym agents``)."""
    rows = []
    for name in sorted(BUILTIN_AGENTS):
        cls = load_object(BUILTIN_AGENTS[name])
        rows.append(
            {
                "name": name,
                "hooks": sorted(cls.hooks),
                "description": getattr(cls, "description", ""),
            }
        )
    return rows


def describe_interventions() -> list[dict[str, Any]]:
    """Every built-in intervention with the hooks it needs (``entropy-gym agents``)."""
    rows = []
    for name in sorted(BUILTIN_INTERVENTIONS):
        cls = load_object(BUILTIN_INTERVENTIONS[name])
        rows.append(
            {
                "name": name,
                "requires": sorted(cls.requires),
                "description": getattr(cls, "description", ""),
            }
        )
    return rows
