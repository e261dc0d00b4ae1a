"""The ``ToolTask/`` ids: one per family and difficulty, with their normalisation anchors.

Registration imports nothing but this table; the env and the families load on ``gym.make``.
"""

from __future__ import annotations

from entropy_gym.registration import EnvCard, register_env

#: Family name -> "module:Class" of its :class:`~entropy_gym.envs.text.tools.family.Family`.
FAMILIES: dict[str, str] = {
    "KnowledgeBase": "entropy_gym.envs.text.tools.knowledge_base:KnowledgeBase",
    "FileTree": "entropy_gym.envs.text.tools.file_tree:FileTree",
    "Household": "entropy_gym.envs.text.tools.household:Household",
}

DIFFICULTIES = ("easy", "medium", "hard")

DESCRIPTIONS = {
    "KnowledgeBase": "chained lookups in a generated knowledge base (search, fields, get, answer)",
    "FileTree": "follow notes through a generated file tree (ls, cd, cat, grep, answer)",
    "Household": "keys, locked containers and rooms in a generated house (go, open, unlock, take, put, done)",
}

#: Calls an optimal solver needs with each difficulty's default parameters (a test checks this
#: table against the families, which compute it; kept here so registration imports nothing).
OPTIMAL_CALLS: dict[tuple[str, str], int] = {
    ("KnowledgeBase", "easy"): 4,
    ("KnowledgeBase", "medium"): 12,
    ("KnowledgeBase", "hard"): 32,
    ("FileTree", "easy"): 4,
    ("FileTree", "medium"): 14,
    ("FileTree", "hard"): 34,
    ("Household", "easy"): 4,
    ("Household", "medium"): 14,
    ("Household", "hard"): 33,
}

#: Success rate of the ``random_admissible`` agent (uniform over ``info["admissible_actions"]``)
#: with the default kwargs: 4000 episodes per id on 16 envs, seed 0, measured by
#: ``entropy-gym tooltask calibrate --episodes 4000`` through the runner's evaluation loop (the
#: envs, seeds and episode rule of a cell); standard errors at most 0.005.
#: A random agent mostly ends episodes early with a premature final call.
RANDOM_SCORES: dict[str, float] = {
    "ToolTask/KnowledgeBase-easy-v0": 0.0257,
    "ToolTask/KnowledgeBase-medium-v0": 0.008,
    "ToolTask/KnowledgeBase-hard-v0": 0.0057,
    "ToolTask/FileTree-easy-v0": 0.1042,
    "ToolTask/FileTree-medium-v0": 0.0213,
    "ToolTask/FileTree-hard-v0": 0.009,
    "ToolTask/Household-easy-v0": 0.0147,
    "ToolTask/Household-medium-v0": 0.0,
    "ToolTask/Household-hard-v0": 0.0,
}

ENTRY_POINT = "entropy_gym.envs.text.tools.env:ToolTaskEnv"


def env_id(family: str, difficulty: str) -> str:
    """``ToolTask/<Family>-<difficulty>-v0``."""
    return f"ToolTask/{family}-{difficulty}-v0"


def register() -> None:
    """Register every ``ToolTask/`` id (and ``ScienceWorld/`` ids where that adapter can run)."""
    from entropy_gym.envs.text.tools import scienceworld

    scienceworld.register()
    for family in FAMILIES:
        for difficulty in DIFFICULTIES:
            eid = env_id(family, difficulty)
            register_env(
                EnvCard(
                    id=eid,
                    family="tool-task",
                    type=difficulty,
                    game=family,
                    description=f"{DESCRIPTIONS[family]}; "
                    f"{OPTIMAL_CALLS[family, difficulty]} calls optimal",
                    entry_point=ENTRY_POINT,
                    kwargs={"family": family, "difficulty": difficulty},
                    random_score=RANDOM_SCORES.get(eid),
                    reference_score=1.0,
                    reference_source="tool_oracle agent: solves every generated task "
                    "in the optimal number of calls",
                )
            )
