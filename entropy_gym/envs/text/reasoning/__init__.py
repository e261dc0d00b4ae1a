"""Single-turn verifiable-reward tasks (``Reasoning/``): generated problems, an exact verifier.

The RLVR setting at a size a CPU can train on: ``Reasoning/Arithmetic-*`` (evaluate an integer
expression) and ``Reasoning/Countdown-*`` (reach a target from given numbers), each at
``easy``, ``medium`` and ``hard``; where reasoning-gym is installed, twelve of its tasks at the
same three levels (:mod:`.gym_tasks`). See ``docs/reasoning.md``.
"""

from __future__ import annotations

from entropy_gym.envs.text.reasoning.problems import DIFFICULTIES, KINDS
from entropy_gym.registration import EnvCard, register_env

ENTRY_POINT = "entropy_gym.envs.text.reasoning.env:ReasoningEnv"


def env_id(kind: str, difficulty: str) -> str:
    """``Reasoning/<Kind>-<difficulty>-v0``."""
    return f"Reasoning/{kind}-{difficulty}-v0"


def register() -> None:
    """Register every ``Reasoning/`` id (reasoning-gym's where it is installed)."""
    from entropy_gym.envs.text.reasoning import gym_tasks

    for kind, generator in KINDS.items():
        for difficulty in DIFFICULTIES:
            level = generator.levels[difficulty]
            register_env(
                EnvCard(
                    id=env_id(kind, difficulty),
                    family="reasoning",
                    type=difficulty,
                    game=kind,
                    description=f"{generator.description}; {level.operands} numbers in "
                    f"[{level.low}, {level.high}], operators {' '.join(level.operators)}",
                    entry_point=ENTRY_POINT,
                    kwargs={"kind": kind, "difficulty": difficulty},
                    random_score=0.0,
                    reference_score=1.0,
                    reference_source="exact verifier: the generator's own solution is accepted "
                    "for every problem (tested); random = 0 (a random string is accepted with "
                    "negligible probability)",
                )
            )
    gym_tasks.register()
