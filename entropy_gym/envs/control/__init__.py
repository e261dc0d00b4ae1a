"""MuJoCo control under the STORI stochasticity taxonomy: ``Control/<Task>-T<type>-v0``.

Six Gymnasium MuJoCo v5 tasks (InvertedPendulum, HalfCheetah, Hopper, Walker2d, Ant, Humanoid)
times five types:

=====  ===============================  ==============================================
type   what changes                     env class (module)
=====  ===============================  ==============================================
1      the executed action              ``ActionCorruptionEnv`` (action_corruption)
2.1    random pushes / state jolts      ``RandomEventsEnv`` (random_events)
2.2    the physics, at a step threshold ``ConceptDriftEnv`` (concept_drift)
3.1    nothing (the plain task)         ``ControlEnv`` (base)
3.2    hidden observation dims          ``PartialObservationEnv`` (partial_observation)
=====  ===============================  ==============================================

Registration imports neither MuJoCo nor the env modules; ``gym.make`` does, on first use.
Keyword arguments of ``gym.make`` override every parameter, and any other keyword goes to the
MuJoCo env itself (e.g. ``ctrl_cost_weight``). See docs/control.md.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from entropy_gym.envs.control.tasks import MJX_TASKS, TASKS, ControlTask
from entropy_gym.registration import EnvCard, register_env

_PACKAGE = "entropy_gym.envs.control"

#: type -> (entry point, one-line description of the default; "{gym_id}" is filled in).
TYPES: dict[str, tuple[str, str]] = {
    "1": (
        f"{_PACKAGE}.action_corruption:ActionCorruptionEnv",
        "{gym_id}; p=0.1 uniform random action (mode: random|noise)",
    ),
    "2.1": (
        f"{_PACKAGE}.random_events:RandomEventsEnv",
        "{gym_id}; ~1 push/s on the {body} (mode: push|perturb)",
    ),
    "2.2": (
        f"{_PACKAGE}.concept_drift:ConceptDriftEnv",
        "{gym_id}; gear x0.5 from step 300 (param: mass|friction|gravity|gear)",
    ),
    "3.1": (f"{_PACKAGE}.base:ControlEnv", "{gym_id}, plain"),
    "3.2": (
        f"{_PACKAGE}.partial_observation:PartialObservationEnv",
        "{gym_id}; velocities hidden (mode: velocity|drop)",
    ),
}


#: The native ``gym.make_vec`` form (MJX) of each type; imported only when one is made.
VECTOR_ENTRY_POINTS = {
    kind: f"{_PACKAGE}.mjx.vector:make_vector_t{kind.replace('.', '_')}" for kind in TYPES
}


def default_kwargs(task: ControlTask, stochasticity_type: str) -> dict[str, Any]:
    """The registered kwargs of ``Control/<task>-T<type>-v0``: the documented defaults.

    Parameters whose default depends on the chosen mode (``p`` of types 1 and 3.2) are left to
    the env class, so that ``gym.make(id, mode=...)`` gets that mode's default.
    """
    kwargs: dict[str, Any] = {"task": task.name}
    if stochasticity_type == "1":
        kwargs.update(mode="random", scale=0.2)
    elif stochasticity_type == "2.1":
        kwargs.update(
            mode="push",
            p=task.event_p,
            force=task.push_force,
            duration=task.push_steps,
            body=task.push_body,
            qpos_noise=0.02,
            qvel_noise=0.2,
        )
    elif stochasticity_type == "2.2":
        kwargs.update(param="gear", scale=0.5, mode="sudden", threshold=300)
    elif stochasticity_type == "3.2":
        kwargs.update(mode="velocity")
    return kwargs


def env_id(task: str, stochasticity_type: str) -> str:
    """``Control/<task>-T<type>-v0``."""
    return f"Control/{task}-T{stochasticity_type}-v0"


def load_random_scores() -> dict[str, Any]:
    """The measured random-policy scores (``random_scores.json``; see docs/control.md)."""
    text = resources.files(_PACKAGE).joinpath("random_scores.json").read_text()
    return json.loads(text)


def register() -> None:
    """Register every ``Control/`` id in the catalog and with Gymnasium."""
    import gymnasium as gym

    scores = load_random_scores()["scores"]
    for task in TASKS.values():
        max_steps = gym.spec(task.gym_id).max_episode_steps
        for kind, (entry_point, description) in TYPES.items():
            eid = env_id(task.name, kind)
            measured = scores.get(eid)
            register_env(
                EnvCard(
                    id=eid,
                    family="control",
                    type=kind,
                    description=description.format(gym_id=task.gym_id, body=task.push_body),
                    entry_point=entry_point,
                    vector_entry_point=(
                        VECTOR_ENTRY_POINTS[kind] if task.name in MJX_TASKS else None
                    ),
                    game=task.name,
                    kwargs=default_kwargs(task, kind),
                    max_episode_steps=max_steps,
                    random_score=None if measured is None else measured["mean"],
                    reference_score=task.reference_score,
                    reference_source=task.reference_source,
                )
            )
