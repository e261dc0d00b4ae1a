"""Pretraining a micro model on demonstrations, reproducibly, and measuring where it starts.

One step: for every task of the recipe, ``per_step`` demonstration episodes
(:mod:`.demos`) from env seeds of ``SeedSequence([seed, DATA_KEY, step, task])`` (held-out
seeds, and held-out questions of single-turn tasks, skipped); every turn becomes a row ``<|user|>observation<|end|><|assistant|>reply<|end|>``
and the loss is the mean negative log-likelihood of the reply tokens (``<|end|>`` included) plus
``prompt_weight`` times that of the prompts' own tokens (a language model of the envs' text:
what makes a small model learn to copy a name it has just read, which every tool call needs),
computed through the RL trainer's packed forward (:mod:`~entropy_gym.agents.llm.rl.packing`),
so the turns of an episode share their common prefixes. AdamW, a linear warm-up then a constant
learning rate (so a run of ``N`` steps is the first ``N`` steps of any longer run), gradients
clipped at 1. The model's initial weights come from ``torch.manual_seed(seed)`` and every draw of
the data from numpy generators seeded by the step, so the same recipe, code and thread count give
the same weights, bit for bit (the first steps' losses and data hash are recorded to check it).
The data hash is the sha256 of the steps' own sha256 digests, in order.

A run can keep checkpoints (``checkpoint_dir``): every ``checkpoint_every`` steps the weights,
the optimiser's state, the losses and the step digests, from which an interrupted run resumes
to the same result; and a loadable model directory ``step-NNNNNN`` to evaluate.

Where the model starts, on the held-out problems every ``llm_grpo`` cell is evaluated on
(:mod:`~entropy_gym.agents.llm.rl.heldout`), is measured by sampling at temperature 1 through
the trainer's episode runner: :func:`start_report`.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from entropy_gym.agents.llm.micro.demos import Demo, DemoPlayer, DemoTask

#: Keys of the seed sequences of demonstration data and of the players' choices.
DATA_KEY, PLAYER_KEY = 0xDA7A, 0x9A7E
#: Steps whose losses and data the provenance records (the reproduction check).
RECORDED_STEPS = 3


@dataclass(frozen=True)
class Recipe:
    """Everything that determines a micro model's pretraining."""

    name: str
    size: str
    tasks: tuple[DemoTask, ...]
    steps: int
    seed: int = 0
    learning_rate: float = 3e-3
    warmup: int = 50
    weight_decay: float = 0.01
    prompt_weight: float = 0.0
    threads: int = 1
    #: The start success every task must lie in on held-out problems.
    band: tuple[float, float] = (0.10, 0.50)
    heldout_problems: int = 64
    heldout_samples: int = 8
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "tasks": [t.to_dict() for t in self.tasks],
            "steps": self.steps,
            "seed": self.seed,
            "learning_rate": self.learning_rate,
            "warmup": self.warmup,
            "weight_decay": self.weight_decay,
            "prompt_weight": self.prompt_weight,
            "threads": self.threads,
            "band": list(self.band),
            "heldout_problems": self.heldout_problems,
            "heldout_samples": self.heldout_samples,
        }


@dataclass
class PretrainLog:
    """What a run reports: per-step losses and data digests, the data hash, seconds."""

    losses: list[float] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def data_sha256(self) -> str:
        """sha256 of every step's data digest, in order."""
        return hashlib.sha256("".join(self.digests).encode()).hexdigest()

    @property
    def first_data_sha256(self) -> str:
        """The same over the first :data:`RECORDED_STEPS` steps."""
        return hashlib.sha256("".join(self.digests[:RECORDED_STEPS]).encode()).hexdigest()


#: Held-out problems kept out of the demonstrations (the first this many of the fixed list).
HELDOUT_GUARD = 1024


def _heldout_questions(tasks: Sequence[DemoTask], count: int = HELDOUT_GUARD) -> set[str]:
    """The questions of the first ``count`` held-out problems of every single-turn task: a
    demonstration of the same question is skipped (a multi-turn task's opening observation
    does not identify its episode: those are kept apart by their seeds)."""
    import gymnasium as gym

    from entropy_gym.agents.llm.rl.heldout import heldout_seeds

    seen: set[str] = set()
    for task in tasks:
        if task.player != "arithmetic":
            continue
        env = gym.make(task.env_id, **dict(task.env_kwargs))
        for seed in heldout_seeds(count):
            seen.add(env.reset(seed=seed)[0])
        env.close()
    return seen


class Corpus:
    """The demonstration rows of every step, drawn on demand from the recipe's seed."""

    def __init__(self, recipe: Recipe, encode: Callable[[str], list[int]], chat: Any) -> None:
        self.recipe = recipe
        self.players = [DemoPlayer(t) for t in recipe.tasks]
        self.encode, self.chat = encode, chat
        self.heldout = _heldout_questions(recipe.tasks)
        from entropy_gym.agents.llm.rl.heldout import heldout_seeds

        self.heldout_seeds = set(heldout_seeds(HELDOUT_GUARD))

    def demos(self, step: int) -> list[Demo]:
        out: list[Demo] = []
        for index, (task, player) in enumerate(zip(self.recipe.tasks, self.players)):
            rng = np.random.default_rng([self.recipe.seed, PLAYER_KEY, step, index])
            seeds = np.random.SeedSequence([self.recipe.seed, DATA_KEY, step, index])
            state = seeds.generate_state(4 * task.per_step, dtype=np.uint32)
            kept = 0
            for env_seed in state:
                if int(env_seed) in self.heldout_seeds:
                    continue
                demo = player.play(int(env_seed), rng)
                if task.player == "arithmetic" and demo[0][0] in self.heldout:
                    continue
                out.append(demo)
                kept += 1
                if kept == task.per_step:
                    break
        return out

    def trajectories(self, step: int) -> list[Any]:
        """The step's demonstrations as :class:`~entropy_gym.agents.llm.rl.batch.Trajectory`
        rows, reply tokens ending with the end-of-sequence token."""
        from entropy_gym.agents.llm.rl.batch import Trajectory, Turn

        out = []
        for g, demo in enumerate(self.demos(step)):
            turns = []
            for obs, reply in demo:
                ids = [*self.encode(reply), self.chat.eos_id]
                turns.append(Turn(self.chat.chat_ids(obs), ids, [0.0] * len(ids), [0.0] * len(ids)))
            out.append(Trajectory(group=g, turns=turns))
        return out


def _digest(trajectories: Sequence[Any]) -> str:
    sha = hashlib.sha256()
    for t in trajectories:
        for turn in t.turns:
            sha.update(np.asarray(turn.prompt + turn.reply, dtype=np.int32).tobytes())
    return sha.hexdigest()


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with ``count`` torch threads (the recipe's: results depend on it)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def learning_rate(recipe: Recipe, step: int) -> float:
    """Linear warm-up over ``warmup`` steps, then constant."""
    if step < recipe.warmup:
        return recipe.learning_rate * (step + 1) / recipe.warmup
    return recipe.learning_rate


def pretrain(
    recipe: Recipe,
    steps: int | None = None,
    progress: Callable[[int, float], None] | None = None,
    checkpoint_dir: Path | None = None,
    checkpoint_every: int = 100,
) -> tuple[Any, Any, PretrainLog]:
    """Train ``recipe`` for ``steps`` (default: all) steps: ``(model, tokenizer, log)``; with a
    ``checkpoint_dir``, resume from its checkpoint and keep one (module docstring)."""
    import torch

    from entropy_gym.agents.llm.micro.architecture import build_model
    from entropy_gym.agents.llm.micro.tokenizer import build_tokenizer
    from entropy_gym.agents.llm.rl.objective import pack

    total = recipe.steps if steps is None else steps
    with torch_threads(recipe.threads):
        tokenizer = build_tokenizer()
        model = build_model(recipe.size, tokenizer, recipe.seed)
        chat = _Chat(tokenizer)
        corpus = Corpus(recipe, chat.encode, chat)
        optimiser = torch.optim.AdamW(
            model.parameters(),
            lr=recipe.learning_rate,
            betas=(0.9, 0.98),
            weight_decay=recipe.weight_decay,
        )
        log = PretrainLog()
        if checkpoint_dir is not None:
            _resume(Path(checkpoint_dir), recipe, model, optimiser, log, total)
        started = time.perf_counter()
        model.train()
        for step in range(len(log.losses), total):
            trajectories = corpus.trajectories(step)
            log.digests.append(_digest(trajectories))
            loss = demonstration_loss(model, pack(trajectories, chat.pad_id), recipe, chat.pad_id)
            for group in optimiser.param_groups:
                group["lr"] = learning_rate(recipe, step)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            log.losses.append(float(loss.detach()))
            if progress is not None:
                progress(step, log.losses[-1])
            if checkpoint_dir is not None and (step + 1) % checkpoint_every == 0:
                log.seconds += time.perf_counter() - started
                started = time.perf_counter()
                _checkpoint(Path(checkpoint_dir), recipe, model, tokenizer, optimiser, log)
        log.seconds += time.perf_counter() - started
        model.eval()
        return model, tokenizer, log


CHECKPOINT = "checkpoint.pt"


def _checkpoint(
    directory: Path, recipe: Recipe, model: Any, tokenizer: Any, optimiser: Any, log: PretrainLog
) -> None:
    """Write the resumable state atomically, and a model directory of this step."""
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    state = {
        "recipe": recipe.to_dict(),
        "model": model.state_dict(),
        "optimiser": optimiser.state_dict(),
        "losses": list(log.losses),
        "digests": list(log.digests),
        "seconds": log.seconds,
    }
    tmp = directory / (CHECKPOINT + ".tmp")
    torch.save(state, tmp)
    tmp.replace(directory / CHECKPOINT)
    snapshot = directory / f"step-{len(log.losses):06d}"
    model.save_pretrained(snapshot)
    tokenizer.save_pretrained(snapshot)
    (snapshot / "seconds.txt").write_text(f"{log.seconds:.1f}\n")


def _same_recipe(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal but for ``steps`` (the learning rate does not depend on the run's length)."""
    return {k: v for k, v in a.items() if k != "steps"} == {
        k: v for k, v in b.items() if k != "steps"
    }


def _resume(
    directory: Path,
    recipe: Recipe,
    model: Any,
    optimiser: Any,
    log: PretrainLog,
    total: int,
) -> None:
    """Continue from ``directory``'s checkpoint; a checkpoint past ``total`` steps gives the
    run's state at ``total`` from its snapshot there (the optimiser's is not needed)."""
    import torch
    from safetensors.torch import load_file

    path = directory / CHECKPOINT
    if not path.is_file():
        return
    state = torch.load(path, weights_only=False)
    if not _same_recipe(state["recipe"], recipe.to_dict()):
        raise ValueError(f"{path} was written by another recipe; use another checkpoint directory")
    done = len(state["losses"])
    if done > total:
        snapshot = directory / f"step-{total:06d}"
        if not snapshot.is_dir():
            raise ValueError(f"{directory} has no snapshot at step {total} to finish from")
        weights = load_file(str(snapshot / "model.safetensors"))
        model.load_state_dict(weights, strict=False)
        model.tie_weights()
        state["losses"], state["digests"] = state["losses"][:total], state["digests"][:total]
        state["seconds"] = float((snapshot / "seconds.txt").read_text())
    else:
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
    log.losses, log.digests = list(state["losses"]), list(state["digests"])
    log.seconds = float(state["seconds"])


def demonstration_loss(model: Any, rollout: Any, recipe: Recipe, pad_id: int) -> Any:
    """Mean NLL of the reply tokens plus ``prompt_weight`` times the mean NLL of the packs'
    trunk tokens (each predicting the next), in one packed forward."""
    import torch

    from entropy_gym.agents.llm.rl.packing import attention_scale, pack_rows, packed_hidden

    rows = torch.arange(rollout.num_rows)
    packed = pack_rows(rollout, rows, pad_id, attention_scale(model))
    pack_index, position = packed.source_pack, packed.source_position
    targets = packed.target
    replies = len(targets)
    if recipe.prompt_weight > 0:
        trunk = (packed.segment == 0).sum(1)
        trunk_pack = torch.repeat_interleave(torch.arange(len(trunk)), trunk - 1)
        trunk_position = torch.cat([torch.arange(int(t) - 1) for t in trunk])
        pack_index = torch.cat([pack_index, trunk_pack])
        position = torch.cat([position, trunk_position])
        targets = torch.cat([targets, packed.ids[trunk_pack, trunk_position + 1]])
    hidden = packed_hidden(model, packed, pack_index, position)
    logits = model.get_output_embeddings()(hidden).float()
    nll = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
    loss = nll[:replies].mean()
    if recipe.prompt_weight > 0:
        loss = loss + recipe.prompt_weight * nll[replies:].mean()
    return loss


class _Chat:
    """The two things pretraining needs of a tokenizer: plain encoding and a chat prompt."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.eos_id = int(tokenizer.eos_token_id)
        self.pad_id = int(tokenizer.pad_token_id)

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def chat_ids(self, user: str) -> list[int]:
        text = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": user}], tokenize=False, add_generation_prompt=True
        )
        return self.encode(str(text))


def start_report(
    model: Any,
    tokenizer: Any,
    tasks: Sequence[DemoTask],
    problems: int,
    samples: int,
    seed: int = 0,
    threads: int = 1,
) -> dict[str, dict[str, float]]:
    """Per task, the ``heldout_*`` record (:func:`~entropy_gym.agents.llm.rl.heldout.summarise`)
    of ``model`` sampled at temperature 1 on the first ``problems`` held-out problems,
    ``samples`` times each; ``valid`` is ``1 - heldout_invalid_rate``."""
    import gymnasium as gym
    import torch

    from entropy_gym.agents.llm.rl.episodes import EpisodeRunner
    from entropy_gym.agents.llm.rl.heldout import heldout_seeds, play_heldout, summarise

    chat = _Chat(tokenizer)
    report: dict[str, dict[str, float]] = {}

    def decode(ids: Sequence[int]) -> str:
        return str(tokenizer.decode(list(ids), skip_special_tokens=True))

    for task in tasks:

        def make_env(_index: int, task: DemoTask = task) -> Any:
            return gym.make(task.env_id, **dict(task.env_kwargs))

        runner = EpisodeRunner(
            make_env,
            chat.chat_ids,
            decode,
            stop_ids=[chat.eos_id],
            pad_id=chat.pad_id,
        )
        generator = torch.Generator().manual_seed(seed)
        try:
            with torch_threads(threads):
                played = play_heldout(
                    runner, model, heldout_seeds(problems), samples, task.max_new_tokens, generator
                )
        finally:
            runner.close()
        record = {k.removeprefix("heldout_"): v for k, v in summarise(played).items()}
        record["valid"] = 1.0 - record.get("invalid_rate", 0.0)
        report[task.name] = record
    return report


__all__ = [
    "DATA_KEY",
    "PLAYER_KEY",
    "RECORDED_STEPS",
    "Corpus",
    "PretrainLog",
    "Recipe",
    "demonstration_loss",
    "learning_rate",
    "pretrain",
    "start_report",
    "torch_threads",
]
