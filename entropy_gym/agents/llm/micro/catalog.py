"""The shipped micro models: their recipes, where their weights live, and their provenance.

Each model is one :class:`~.pretrain.Recipe`, trained by ``entropy-gym models pretrain NAME``
into ``entropy_gym/agents/llm/micro/models/NAME/`` (the package ships the result): the weights
(``model.safetensors``), the config, the tokenizer with its chat template, and
``provenance.json`` (the command, recipe, seed, commit, data hash, the first steps' losses, and
where the model starts on held-out problems of every task). ``make_agent("llm_grpo",
model="micro-s")`` and every other agent's ``model=`` accept the name.

The tasks are the ones the micro tier of ``llm-rl`` plays, each in its compact framing:
``Reasoning/Arithmetic-medium-v0``, ``TextBandit/Bernoulli-K5-easy-v0`` at horizon 10 with the
summary history, and ``ToolTask/FileTree-easy-v0`` (4 calls optimal, sparse reward) with 8
turns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from entropy_gym.agents.llm.micro.demos import DemoTask
from entropy_gym.agents.llm.micro.pretrain import Recipe

MODELS_DIR = Path(__file__).resolve().parent / "models"
PROVENANCE = "provenance.json"
WEIGHTS = "model.safetensors"

#: The tasks the micro models are pretrained on, as the board plays them.
ARITHMETIC = DemoTask(
    name="arithmetic",
    env_id="Reasoning/Arithmetic-medium-v0",
    env_kwargs={"framing": "compact"},
    player="arithmetic",
    per_step=96,
    max_new_tokens=24,
    params={"slip": 0.3},
)
BANDIT = DemoTask(
    name="bandit",
    env_id="TextBandit/Bernoulli-K5-easy-v0",
    env_kwargs={"framing": "compact", "horizon": 10, "history": "summary"},
    player="bandit",
    per_step=4,
    max_new_tokens=2,
    params={"epsilon": 0.2},
)
FILETREE = DemoTask(
    name="filetree",
    env_id="ToolTask/FileTree-easy-v0",
    env_kwargs={"framing": "compact", "max_turns": 8},
    player="tool",
    per_step=8,
    max_new_tokens=16,
    params={"random_share": 0.35},
)
TASKS = (ARITHMETIC, BANDIT, FILETREE)

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            name="micro-s",
            size="s",
            tasks=TASKS,
            steps=5000,
            learning_rate=3e-3,
            warmup=100,
            prompt_weight=0.5,
        ),
    )
}


def is_micro_model(name: str) -> bool:
    """True for the name of a shipped micro model."""
    return name in RECIPES


def model_dir(name: str) -> Path:
    """The shipped directory of micro model ``name`` (it may not hold weights yet)."""
    if name not in RECIPES:
        raise ValueError(f"micro model {name!r} is unknown; expected one of {tuple(RECIPES)}")
    return MODELS_DIR / name


def read_provenance(directory: Path) -> dict[str, Any]:
    """The ``provenance.json`` of a micro model directory ({} when there is none)."""
    path = directory / PROVENANCE
    return dict(json.loads(path.read_text())) if path.is_file() else {}


def describe_models() -> list[dict[str, Any]]:
    """One row per shipped micro model: size, parameters, tokenizer, start success and entropy
    per task, and provenance (what ``entropy-gym models`` lists)."""
    rows = []
    for name, recipe in RECIPES.items():
        directory = model_dir(name)
        prov = read_provenance(directory)
        rows.append(
            {
                "name": name,
                "size": recipe.size,
                "parameters": prov.get("parameters"),
                "tokenizer": prov.get("tokenizer"),
                "trained": (directory / WEIGHTS).is_file(),
                "start": prov.get("start", {}),
                "provenance": {
                    k: prov.get(k)
                    for k in ("command", "seed", "commit", "dirty", "data_sha256", "train_seconds")
                },
                "directory": str(directory),
            }
        )
    return rows


__all__ = [
    "ARITHMETIC",
    "BANDIT",
    "FILETREE",
    "MODELS_DIR",
    "RECIPES",
    "TASKS",
    "describe_models",
    "is_micro_model",
    "model_dir",
    "read_provenance",
]
