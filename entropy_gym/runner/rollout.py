"""The cell lifecycle, run inside a worker process: build, set up, train, evaluate.

The envs, the task and the evaluation loop are :mod:`entropy_gym.runner.evaluation`'s (the one
loop every caller shares); this module adds what only a cell does: seeding the global
generators, the training phase, timing, and assembling the typed
:class:`~entropy_gym.runner.result.CellResult`. Anything wrong raises
:class:`~entropy_gym.runner.failure.CellFailure` with a one-line reason, which the worker
records as a failed cell.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import BaseAgent
from entropy_gym.agents.registry import agent_config, make_agent
from entropy_gym.core.budget import Budget
from entropy_gym.core.hashing import config_hash
from entropy_gym.runner import provenance
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.envs import make_env
from entropy_gym.runner.evaluation import TaskEnvs, play
from entropy_gym.runner.failure import CellFailure, phase
from entropy_gym.runner.result import AgentInfo, CellResult, EnvInfo, Timing, clean_telemetry
from entropy_gym.runner.vectorization import (
    NATIVE,
    choose_vectorization,
    env_device,
    require_vector_entry_point,
)
from entropy_gym.scoring.entropy import action_dims, max_entropy
from entropy_gym.scoring.entropy_kind import EntropyKind, derive_kind


def seed_globals(seed: int) -> None:
    """Seed the global generators from the cell seed, so that an agent which (against the
    rules) draws from them is still reproducible and independent of what ran before."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def budget_of(cell: Cell) -> Budget:
    """The suite's training budget; an omitted budget means no training (``env_steps=0``)."""
    if not cell.budget:
        return Budget(env_steps=0)
    limits: dict[str, Any] = dict(cell.budget)
    return Budget(**limits)


def run_cell(cell: Cell, device: str) -> CellResult:
    """Run one cell and return its result."""
    started = time.perf_counter()
    seed_globals(cell.seed)
    with phase("building the agent"):
        agent = make_agent(dict(cell.agent_config))
    with phase("making the env"):
        envs = cell_envs(cell, choose_vectorization(cell.vectorization, agent), device)
    with envs:
        env = env_info(envs)
        seed_globals(cell.seed)
        with phase("agent.setup"):
            agent.setup(envs.task, cell.seed, device)
        setup_done = time.perf_counter()
        with phase("agent.train"):
            agent.train(_train_env_factory(cell), budget_of(cell))
        train_done = time.perf_counter()
        evaluation = play(agent, envs, cell.eval_episodes)
        eval_done = time.perf_counter()
        with phase("agent.telemetry"):
            telemetry = clean_telemetry(agent.telemetry())
        config = agent_config(agent)
        kind = reported_kind(agent, config, env)
    timing = Timing(
        setup_s=setup_done - started,
        train_s=train_done - setup_done,
        eval_s=eval_done - train_done,
        total_s=time.perf_counter() - started,
    )
    return CellResult.from_evaluation(
        evaluation,
        telemetry=telemetry,
        timing=timing,
        env=env,
        agent=AgentInfo(
            config=_jsonable(config),
            config_hash=config_hash(config),
            hooks=tuple(sorted(getattr(agent, "hooks", ()))),
            learns=trains(agent) and not budget_of(cell).is_zero,
        ),
        provenance={**provenance.process_provenance(), "device": device, **env_provenance(envs)},
        entropy_kind=kind.to_dict() if kind is not None else None,
    )


def run_seed_group(cells: list[Cell], device: str) -> list[CellResult]:
    """Run a seed group (:mod:`entropy_gym.runner.groups`): one agent per cell, set up with
    its cell's seed, trained together by the agent class's ``train_together``, then each
    evaluated on its own envs. Training time is shared equally among the cells (recorded
    with ``seed_group`` = the group's size in each result's provenance)."""
    started = time.perf_counter()
    agents, envs_list, infos = [], [], []
    try:
        for cell in cells:
            seed_globals(cell.seed)
            with phase("building the agent"):
                agent = make_agent(dict(cell.agent_config))
            with phase("making the env"):
                envs = cell_envs(cell, choose_vectorization(cell.vectorization, agent), device)
            envs_list.append(envs)
            infos.append(env_info(envs))
            seed_globals(cell.seed)
            with phase("agent.setup"):
                agent.setup(envs.task, cell.seed, device)
            agents.append(agent)
        setup_done = time.perf_counter()
        with phase("agent.train"):
            train_together: Any = getattr(type(agents[0]), "train_together", None)
            if train_together is None:
                raise CellFailure(
                    f"agent '{cells[0].agent_config.get('name')}' cannot train seeds together"
                )
            train_together(agents, budget_of(cells[0]))
        train_done = time.perf_counter()
        n = len(cells)
        results = []
        for cell, agent, envs, env in zip(cells, agents, envs_list, infos):
            eval_start = time.perf_counter()
            with envs:
                evaluation = play(agent, envs, cell.eval_episodes)
                prov = env_provenance(envs)
            eval_done = time.perf_counter()
            with phase("agent.telemetry"):
                telemetry = clean_telemetry(agent.telemetry())
            config = agent_config(agent)
            kind = reported_kind(agent, config, env)
            timing = Timing(
                setup_s=(setup_done - started) / n,
                train_s=(train_done - setup_done) / n,
                eval_s=eval_done - eval_start,
                total_s=(train_done - started) / n + eval_done - eval_start,
            )
            results.append(
                CellResult.from_evaluation(
                    evaluation,
                    telemetry=telemetry,
                    timing=timing,
                    env=env,
                    agent=AgentInfo(
                        config=_jsonable(config),
                        config_hash=config_hash(config),
                        hooks=tuple(sorted(getattr(agent, "hooks", ()))),
                        learns=trains(agent) and not budget_of(cell).is_zero,
                    ),
                    provenance={
                        **provenance.process_provenance(),
                        "device": device,
                        **prov,
                        "seed_group": n,
                    },
                    entropy_kind=kind.to_dict() if kind is not None else None,
                )
            )
        return results
    finally:
        for envs in envs_list:
            envs.close()


def trains(agent: Any) -> bool:
    """Whether ``agent`` has a training phase: a :class:`BaseAgent` that overrides ``train``,
    or any other object with one."""
    if isinstance(agent, BaseAgent):
        return type(agent).train is not BaseAgent.train
    return callable(getattr(agent, "train", None))


def reported_kind(agent: Any, config: Mapping[str, Any], env: EnvInfo) -> EntropyKind | None:
    """What the agent's entropies are: its own ``entropy_kind()``, else inferred from its
    config and the env's action space."""
    declared = getattr(agent, "entropy_kind", None)
    if callable(declared):
        with phase("agent.entropy_kind"):
            kind = declared()
        if kind is not None and not isinstance(kind, EntropyKind):
            raise CellFailure(f"agent.entropy_kind() must return an EntropyKind, got {kind!r}")
        return kind
    return derive_kind(config, action_space=env.action_space, family=env.family)


def cell_envs(cell: Cell, vectorization: str, device: str) -> TaskEnvs:
    """The cell's evaluation envs on ``vectorization``; a native env gets ``device`` where its
    vector entry point takes one and the device is not ``cpu``."""
    native_device = None
    if vectorization == NATIVE:
        native_device = env_device(require_vector_entry_point(cell.env_id), device)
    return TaskEnvs(
        cell.env_id,
        cell.env_kwargs,
        num_envs=cell.num_envs,
        seed=cell.seed,
        vectorization=vectorization,
        device=native_device,
    )


def env_info(envs: TaskEnvs) -> EnvInfo:
    """What a result records of the env it was scored on: spec, family, spaces, and the
    action space's maximum entropy and dimensions."""
    space = envs.task.action_space
    return EnvInfo(
        spec=envs.spec_json(),
        family=envs.task.family,
        observation_space=str(envs.task.observation_space),
        action_space=str(space),
        max_entropy=max_entropy(space),
        action_dims=action_dims(space),
    )


def env_provenance(envs: TaskEnvs) -> dict[str, Any]:
    """What the envs ran on: ``env_backend`` (``sync`` or ``native:<class>``), ``env_device``
    (the device a native env was given; ``None``: its default, host backend) and
    ``env_seeding`` (``env_seeds``: reset with the per-env seed list; ``seed``: with the seed)."""
    return {"env_backend": envs.backend, "env_device": envs.device, "env_seeding": envs.seeding}


def _train_env_factory(cell: Cell) -> Any:
    def make_train_env(seed: int) -> gym.Env:
        env = make_env(cell.env_id, dict(cell.env_kwargs))
        env.action_space.seed(int(seed))
        env.observation_space.seed(int(seed))
        return env

    return make_train_env


def _jsonable(value: Any) -> Any:
    """Config values as JSON-ready data (anything else becomes its repr)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return repr(value)


__all__ = ["CellFailure", "phase", "run_cell", "run_seed_group"]
