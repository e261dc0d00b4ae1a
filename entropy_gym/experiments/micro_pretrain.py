"""``entropy-gym models pretrain NAME``: train a recipe, measure its start, save it with provenance.

The recipes, the training loop and the shipped models are in :mod:`entropy_gym.agents.llm.micro`;
the provenance (git state) is the runner's, which is why this driver lives above the runner.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from entropy_gym.agents.llm.micro.catalog import PROVENANCE, RECIPES, model_dir
from entropy_gym.agents.llm.micro.pretrain import RECORDED_STEPS, Recipe, pretrain, start_report

#: What the tokenizer is, in words (the listing shows it).
TOKENIZER = "characters: the 100 printable ASCII characters + 6 special tokens (106 ids)"


def provenance_record(
    recipe: Recipe, model: Any, log: Any, report: dict[str, dict[str, float]], command: str
) -> dict[str, Any]:
    """The ``provenance.json`` of a trained recipe."""
    import torch
    import transformers

    from entropy_gym.agents.llm.micro.architecture import SIZES, parameter_count
    from entropy_gym.runner.provenance import git_state

    state = git_state()
    return {
        "name": recipe.name,
        "command": command,
        "seed": recipe.seed,
        "commit": state.get("commit"),
        "dirty": state.get("dirty"),
        "recipe": recipe.to_dict(),
        "architecture": {"family": "llama", **SIZES[recipe.size].to_dict()},
        "parameters": parameter_count(model),
        "tokenizer": TOKENIZER,
        "data_sha256": log.data_sha256,
        "first_steps": {
            "steps": RECORDED_STEPS,
            "losses": [float(x).hex() for x in log.losses[:RECORDED_STEPS]],
            "data_sha256": log.first_data_sha256,
        },
        "final_loss": float(sum(log.losses[-20:]) / max(1, len(log.losses[-20:]))),
        "train_seconds": round(log.seconds, 1),
        "threads": recipe.threads,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "start": report,
    }


def pretrain_and_save(
    name: str,
    out: Path | None = None,
    steps: int | None = None,
    progress: Callable[[int, float], None] | None = None,
    checkpoints: Path | None = None,
) -> dict[str, Any]:
    """Train recipe ``name`` (all its steps unless ``steps``), evaluate its start on held-out
    problems, and write the model directory (default: the shipped one); its provenance. With
    ``checkpoints``, keep checkpoints there and resume from them."""
    if name not in RECIPES:
        raise ValueError(f"micro model {name!r} is unknown; expected one of {tuple(RECIPES)}")
    recipe = RECIPES[name]
    target = Path(out) if out is not None else model_dir(name)
    model, tokenizer, log = pretrain(recipe, steps, progress, checkpoints)
    report = start_report(
        model, tokenizer, recipe.tasks, recipe.heldout_problems, recipe.heldout_samples
    )
    command = f"entropy-gym models pretrain {name}" + (f" --steps {steps}" if steps else "")
    record = provenance_record(recipe, model, log, report, command)
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    (target / PROVENANCE).write_text(json.dumps(record, indent=1) + "\n")
    return record


__all__ = ["TOKENIZER", "pretrain_and_save", "provenance_record"]
