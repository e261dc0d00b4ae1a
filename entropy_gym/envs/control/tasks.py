"""The MuJoCo tasks of the control family: which Gymnasium v5 env, and the per-task defaults.

Everything here is plain data plus two small helpers, so that registration stays cheap: MuJoCo
itself is imported only when an env is built (:func:`make_task_env`).

Per-task defaults of the random events (type 2.1) are chosen so that every task sees about one
event per simulated second (``event_p`` equals the task's control period ``dt`` in seconds) and a
push lasts about 0.1 s; ``push_force`` is in units of the robot's weight (total mass times
gravity), so a default push changes the centre-of-mass velocity by roughly
``push_force * 9.81 m/s^2 * 0.1 s``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

#: Observation blocks (keys of a v5 env's ``observation_structure``) that hold velocities.
VELOCITY_BLOCKS = ("qvel", "cvel", "ten_velocity")

#: Blocks of ``observation_structure`` that are not part of the observation.
SKIPPED_BLOCKS = ("skipped_qpos",)

_ZOO = (
    "RL Baselines3 Zoo benchmark.md (DLR-RM/rl-baselines3-zoo), SB3 SAC, {env}, {steps} steps, "
    "one training run, mean return of the deterministic policy; plain task, Gymnasium {env} "
    "(v5 keeps v3's reward terms, so scales are comparable, not identical)"
)


@dataclass(frozen=True)
class ControlTask:
    """One MuJoCo task and the defaults that depend on its body and time step."""

    name: str
    gym_id: str
    push_body: str
    push_axes: str  # world axes a push acts along: "x", "xz" (planar robots) or "xy"
    push_force: float  # x the robot's weight
    push_steps: int  # env steps a push lasts (about 0.1 s)
    event_p: float  # probability per step of a random event (about one per second)
    reference_score: float
    reference_source: str


TASKS: dict[str, ControlTask] = {
    t.name: t
    for t in (
        ControlTask(
            "InvertedPendulum",
            "InvertedPendulum-v5",
            "pole",
            "x",
            0.1,
            2,
            0.04,
            1000.0,
            "Fujimoto et al. 2018, 'Addressing Function Approximation Error in Actor-Critic "
            "Methods' (TD3, arXiv:1802.09477), Table 1: TD3 on InvertedPendulum-v1, "
            "1000.00 +- 0.00, which is also the task's maximum return; plain task",
        ),
        ControlTask(
            "HalfCheetah",
            "HalfCheetah-v5",
            "torso",
            "xz",
            0.5,
            2,
            0.05,
            9535.451,
            _ZOO.format(env="HalfCheetah-v3", steps="1M"),
        ),
        ControlTask(
            "Hopper",
            "Hopper-v5",
            "torso",
            "xz",
            0.3,
            12,
            0.008,
            2325.547,
            _ZOO.format(env="Hopper-v3", steps="1M"),
        ),
        ControlTask(
            "Walker2d",
            "Walker2d-v5",
            "torso",
            "xz",
            0.3,
            12,
            0.008,
            3863.203,
            _ZOO.format(env="Walker2d-v3", steps="1M"),
        ),
        ControlTask(
            "Ant",
            "Ant-v5",
            "torso",
            "xy",
            0.5,
            2,
            0.05,
            4615.791,
            _ZOO.format(env="Ant-v3", steps="1M"),
        ),
        ControlTask(
            "Humanoid",
            "Humanoid-v5",
            "torso",
            "xy",
            0.3,
            7,
            0.015,
            6232.287,
            _ZOO.format(env="Humanoid-v3", steps="2M"),
        ),
    )
}


def get_task(name: str) -> ControlTask:
    """The task called ``name``; a one-line ``ValueError`` lists the known ones otherwise."""
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"control task {name!r} is unknown; expected one of {tuple(TASKS)}"
        ) from None


def make_task_env(
    task: ControlTask,
    render_mode: str | None,
    task_kwargs: dict[str, Any],
    label: str,
    own: tuple[str, ...],
) -> gym.Env:
    """Build the raw Gymnasium MuJoCo env of ``task`` (no wrappers), with ``task_kwargs``.

    ``label`` names the calling env and ``own`` its parameters, only to say what is allowed when
    a keyword is neither one of them nor one of the MuJoCo env's own arguments.
    """
    spec = gym.spec(task.gym_id)
    creator = gym.envs.registration.load_env_creator(spec.entry_point)
    accepted = [
        n
        for n, p in inspect.signature(creator).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n != "render_mode"
    ]
    unknown = [k for k in task_kwargs if k not in accepted]
    if unknown:
        raise ValueError(
            f"{label}: unknown parameter {unknown[0]!r}; allowed: "
            f"{', '.join(own) or '(none)'}, or {task.gym_id}'s own: {', '.join(accepted)}"
        )
    return creator(**{**spec.kwargs, **task_kwargs, "render_mode": render_mode})


def velocity_slices(task_env: gym.Env) -> list[slice]:
    """Where the velocities lie in the observation of a v5 MuJoCo env.

    Read from the env's ``observation_structure`` (the v5 envs concatenate the blocks in the
    order of that dict, skipping ``skipped_qpos``), and checked against the observation size so
    that a layout this code does not know fails loudly instead of hiding the wrong dims.
    """
    structure: dict[str, int] = task_env.unwrapped.observation_structure
    slices, offset = [], 0
    for block, size in structure.items():
        if block in SKIPPED_BLOCKS or size == 0:
            continue
        if block in VELOCITY_BLOCKS:
            slices.append(slice(offset, offset + size))
        offset += size
    n_obs = task_env.observation_space.shape[0]
    if offset != n_obs:
        raise RuntimeError(
            f"observation_structure of {task_env.spec.id if task_env.spec else task_env} "
            f"sums to {offset} dims but the observation has {n_obs}"
        )
    return slices


#: Tasks with an MJX backend (``gym.make_vec(..., vectorization_mode="vector_entry_point")``):
#: every task but Humanoid, whose v5 model uses the PGS solver that MJX lacks.
MJX_TASKS = ("InvertedPendulum", "HalfCheetah", "Hopper", "Walker2d", "Ant")
