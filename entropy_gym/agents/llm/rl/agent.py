"""``llm_grpo``: GRPO-family RL fine-tuning of a local causal LM on the suite's text envs.

Each update (the hooks in call order, :mod:`entropy_gym.agents.hooks`):

1. ``rollout_plan``: interventions may change the :class:`~.batch.RolloutPlan` (groups, group
   size, reply length, branching).
2. Sampling: ``groups`` env seeds, ``group_size`` episodes each, all envs sampled together
   with the KV cache (:mod:`.episodes`); at every generated token the ``logits`` hook may
   change the distribution (temperature), and each token's log-probability and exact entropy
   are recorded. A multi-turn episode (TextBandit/, ToolTask/) is one sample: every turn's
   reply is trained, env text is masked out, the turn boundaries are kept.
3. Advantages: the episode return minus its group's mean (divided by the group's spread except
   for ``dr_grpo``), on every generated token; ``token_advantages`` interventions may reshape
   them per token, with turn, sample and group ids at hand.
4. ``epochs`` passes over ``minibatches`` minibatches of samples: the PPO-style clipped ratio
   against the log-probs before the update, the per-token loss at the ``loss`` hook
   (:class:`~.batch.TokenLossBatch`), aggregated as ``loss_type`` says, minus ``ent_coef`` (the
   ``ent_coef`` hook) times the mean token entropy, plus ``kl_coef`` times the k3 KL to the
   frozen starting model.

Telemetry, one record per update: ``update``, ``step`` and ``episodes`` (samples played),
``return`` and ``success`` (mean over the update's samples), ``entropy`` (mean exact token
entropy of the sampled replies under the policy before the update), ``entropy_top20`` (of its
20% highest-entropy tokens), ``covariance`` (mean centred covariance of token log-prob and
advantage), ``kl`` (to the starting model, with ``track_kl`` or a KL term), ``response_length`` (tokens per
reply), ``loss``, ``pg_loss``, ``clip_fraction``, ``grad_norm``, ``ent_coef``, and each
intervention's own signals. From the update's own groups (:mod:`.metrics`, :mod:`.answers`):
``solved`` (the share of episodes that solved their problem: success, or for a bandit finding the
best arm), ``group_pass@k`` (k up to half the group size), ``answer_entropy`` (mean over groups
of the entropy of the members' final answers), ``reward_std_within_group``,
``zero_variance_groups`` (share of groups whose returns are all equal, which teach nothing),
``tokens`` (generated this update) and ``tokens_total``.

With ``heldout_problems > 0`` the policy is also evaluated on that many fixed held-out problems,
``heldout_samples`` samples each (:mod:`.heldout`): before the first update (a record with
``update`` 0), every ``heldout_every`` updates and after the last one, the ``heldout_*`` keys
(pass@k for k = 1, 2, 4, ... up to ``heldout_samples / 2``, answer and token entropy, success)
joining that update's record. The last record's ``heldout_*`` values are the cell's.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from entropy_gym.agents.base import Decision, EnvFactory, TaskSpec
from entropy_gym.agents.llm.lm_agent import LocalLMAgent
from entropy_gym.agents.llm.model import DEFAULT_MODEL
from entropy_gym.agents.llm.rl.batch import RolloutPlan, TokenLossBatch, TokenRollout
from entropy_gym.agents.llm.rl.objective import LOSS_TYPES
from entropy_gym.core.budget import Budget
from entropy_gym.core.errors import ConfigError
from entropy_gym.core.progress import TrainingProgress, progress_logger

#: Catalog families this agent trains on.
TRAINABLE_FAMILIES = ("reasoning", "text-bandit", "tool-task")
#: The longest reply llm_grpo samples (tokens): beyond it a reply outgrows the models' context.
MAX_NEW_TOKENS = 4096
#: LoRA defaults (peft): rank, scaling and the projections adapted.
LORA_DEFAULTS: dict[str, Any] = {
    "r": 16,
    "alpha": 32,
    "dropout": 0.0,
    "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
}


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"llm_grpo {name} must be an integer >= 1, got {value!r}")
    return int(value)


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"llm_grpo {name} must be an integer >= 0, got {value!r}")
    return int(value)


def _number(name: str, value: Any, *, low: float = 0.0, strict: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < low or (strict and value == low):
        op = ">" if strict else ">="
        raise ConfigError(f"llm_grpo {name} must be a number {op} {low:g}, got {value!r}")
    return float(value)


class GRPOAgent(LocalLMAgent):
    """Fine-tunes a local causal LM by group-relative policy optimisation (see the module)."""

    name: ClassVar[str] = "llm_grpo"
    hooks: ClassVar[frozenset[str]] = frozenset(
        {"rollout_plan", "logits", "token_advantages", "loss", "ent_coef"}
    )
    description: ClassVar[str] = (
        "GRPO / Dr.GRPO / DAPO fine-tuning of a local LM on Reasoning/, TextBandit/, ToolTask/"
    )
    #: What one "sample" of the ``loss`` hook is here: a generated token.
    loss_granularity: ClassVar[str] = "token"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        lora: bool | Mapping[str, Any] = False,
        learning_rate: float | None = None,
        groups: int = 2,
        group_size: int = 4,
        max_new_tokens: int = 24,
        epochs: int = 2,
        minibatches: int = 1,
        clip_range: float = 0.2,
        loss_type: str = "dapo",
        kl_coef: float = 0.0,
        ent_coef: float = 0.0,
        max_grad_norm: float = 1.0,
        track_kl: bool = True,
        gradient_checkpointing: bool = True,
        heldout_problems: int = 0,
        heldout_samples: int = 64,
        heldout_every: int = 0,
    ) -> None:
        if loss_type not in LOSS_TYPES:
            raise ConfigError(
                f"llm_grpo loss_type {loss_type!r} is unknown; expected one of: {', '.join(LOSS_TYPES)}"
            )
        if not isinstance(lora, (bool, Mapping)):
            raise ConfigError(f"llm_grpo lora must be true, false or a mapping, got {lora!r}")
        if isinstance(lora, Mapping):
            unknown = sorted(set(lora) - set(LORA_DEFAULTS))
            if unknown:
                raise ConfigError(
                    f"llm_grpo lora has unknown key(s) {', '.join(unknown)}; expected: "
                    f"{', '.join(LORA_DEFAULTS)}"
                )
        use_lora = bool(lora)
        if learning_rate is None:
            learning_rate = 2e-4 if use_lora else 1e-5
        plan = RolloutPlan(
            _positive_int("groups", groups),
            _positive_int("group_size", group_size),
            _positive_int("max_new_tokens", max_new_tokens),
        )
        super().__init__(
            model=model,
            lora=dict(lora) if isinstance(lora, Mapping) else bool(lora),
            learning_rate=_number("learning_rate", learning_rate, strict=True),
            groups=groups,
            group_size=group_size,
            max_new_tokens=max_new_tokens,
            epochs=_positive_int("epochs", epochs),
            minibatches=_positive_int("minibatches", minibatches),
            clip_range=_number("clip_range", clip_range, strict=True),
            loss_type=loss_type,
            kl_coef=_number("kl_coef", kl_coef),
            ent_coef=_number("ent_coef", ent_coef),
            max_grad_norm=_number("max_grad_norm", max_grad_norm, strict=True),
            track_kl=bool(track_kl),
            gradient_checkpointing=bool(gradient_checkpointing),
            heldout_problems=_count("heldout_problems", heldout_problems),
            heldout_samples=_positive_int("heldout_samples", heldout_samples),
            heldout_every=_count("heldout_every", heldout_every),
        )
        if heldout_samples < 2:
            raise ConfigError(
                f"llm_grpo heldout_samples must be at least 2 (pass@1 from 2 samples), "
                f"got {heldout_samples!r}"
            )
        self.model_name = model
        self.lora: dict[str, Any] | None = (
            {**LORA_DEFAULTS, **(dict(lora) if isinstance(lora, Mapping) else {})}
            if use_lora
            else None
        )
        self.plan = plan
        self.learning_rate = float(learning_rate)
        self.epochs, self.minibatches = int(epochs), int(minibatches)
        self.clip_range, self.loss_type = float(clip_range), loss_type
        self.kl_coef, self.ent_coef = float(kl_coef), float(ent_coef)
        self.max_grad_norm = float(max_grad_norm)
        self.track_kl = bool(track_kl)
        self.gradient_checkpointing = bool(gradient_checkpointing)
        self.heldout_problems, self.heldout_samples = int(heldout_problems), int(heldout_samples)
        self.heldout_every = int(heldout_every)
        self.tokens_total = 0
        self.policy: Any = None
        self.progress = 0.0
        self.updates = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def check_task(self, task: TaskSpec) -> None:
        """Refuse, before any cell runs, what :meth:`setup` would refuse in one: a non-text
        env, a model that is neither the default, a trained micro model nor a local model
        folder, and replies longer than :data:`MAX_NEW_TOKENS`. No model is loaded."""
        from pathlib import Path

        from entropy_gym.agents.llm.micro.catalog import WEIGHTS, is_micro_model, model_dir

        if task.family not in TRAINABLE_FAMILIES:
            raise ConfigError(
                f"agent 'llm_grpo' trains on text envs (Reasoning/, TextBandit/, ToolTask/); "
                f"env {task.env_id!r} is not one of them (family {task.family}, action space "
                f"{task.action_space})"
            )
        if is_micro_model(str(self.model_name)):
            if not (model_dir(str(self.model_name)) / WEIGHTS).is_file():
                raise ConfigError(
                    f"llm_grpo micro model {self.model_name!r} has no weights; train them with "
                    f"`entropy-gym models pretrain {self.model_name}`"
                )
        elif self.model_name != DEFAULT_MODEL:
            folder = Path(str(self.model_name)).expanduser()
            if not (folder / "config.json").is_file():
                raise ConfigError(
                    f"llm_grpo model {self.model_name!r} is neither {DEFAULT_MODEL!r}, a micro "
                    "model name, nor a local model folder with a config.json"
                )
        if self.plan.max_new_tokens > MAX_NEW_TOKENS:
            raise ConfigError(
                f"llm_grpo max_new_tokens must be at most {MAX_NEW_TOKENS}, got "
                f"{self.plan.max_new_tokens}"
            )

    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        if task.family not in TRAINABLE_FAMILIES:
            raise ConfigError(
                f"agent 'llm_grpo' trains on text envs (Reasoning/, TextBandit/, ToolTask/); "
                f"env {task.env_id!r} is not one of them (family {task.family}, action space "
                f"{task.action_space})"
            )
        import torch

        from entropy_gym.agents.llm.lm import LanguageModel

        try:
            self.lm = LanguageModel.load(self.model_name, device)
        except Exception as err:  # any failure to load is the config's (a bad directory)
            message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ConfigError(
                f"llm_grpo model {self.model_name!r} could not be loaded as a causal LM ({message})"
            ) from None
        # The loaded model is shared and frozen: it is the reference; training changes a copy.
        policy = copy.deepcopy(self.lm.model)
        if self.lora is not None:
            from peft import LoraConfig, get_peft_model

            config = LoraConfig(
                r=int(self.lora["r"]),
                lora_alpha=int(self.lora["alpha"]),
                lora_dropout=float(self.lora["dropout"]),
                target_modules=list(self.lora["target_modules"]),
                bias="none",
            )
            policy = get_peft_model(policy, config)
        if self.gradient_checkpointing:
            # Activations of every layer would grow with the update's tokens (about 1.5 MB per
            # token for the default model): a multi-turn update of 8 episodes needed over 20 GB.
            enable = getattr(policy, "activation_checkpointing_enable", None)
            if enable is not None:  # transformers >= 5.24
                enable(activation_checkpointing_kwargs={"use_reentrant": False})
            else:
                policy.gradient_checkpointing_enable(
                    gradient_checkpointing_kwargs={"use_reentrant": False}
                )
        self.policy = policy
        params = [p for p in policy.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=self.learning_rate, weight_decay=0.0)
        self.generator = torch.Generator(device=device).manual_seed(self.seed)
        self.train_generator = torch.Generator(device=device).manual_seed(self.seed + 1)
        self.eval_generator = torch.Generator(device=device).manual_seed(self.seed + 2)
        self.heldout_generator = torch.Generator(device=device).manual_seed(self.seed + 3)
        self.progress, self.updates, self.tokens_total = 0.0, 0, 0

    def _autocast(self) -> AbstractContextManager[Any]:
        """bf16 autocast on CUDA (master weights stay fp32); nothing on the CPU."""
        import torch

        if str(self.device).startswith("cuda"):
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return nullcontext()

    def _logits_hook(self, logits: Any) -> Any:
        for iv in self.interventions_at("logits"):
            out = iv.on_logits(logits)
            if out is not None:
                logits = out
        return logits

    def _reply(self, ids: Any) -> str:
        """The decoded reply, fitted to a ``Text`` action space: characters outside its charset
        become ``?`` and it is cut to ``max_length`` (what the env sees, in training and in
        evaluation alike)."""
        assert self.lm is not None
        text = self.lm.decode(ids)
        space = self.task.action_space if self.task is not None else None
        if isinstance(space, gym.spaces.Text):
            allowed = space.character_set
            text = "".join(c if c in allowed else "?" for c in text)[: space.max_length]
        return text

    def _stop_ids(self) -> list[int]:
        assert self.lm is not None
        return [int(self.lm.eos_id)] if self.lm.eos_id is not None else []

    # -- deciding (evaluation) -----------------------------------------------------------------
    def act(self, obs_batch: Any) -> Decision:
        """Sample one reply per observation from the trained policy; the reported entropy is
        the mean exact token entropy of the reply (nats per token)."""
        from entropy_gym.agents.llm.rl.sampling import sample

        if self.policy is None or self.lm is None:
            raise RuntimeError("act needs setup() first")
        self.policy.eval()
        prompts = [self.lm.chat_ids(str(o)) for o in obs_batch]
        with self._autocast():
            drawn = sample(
                self.policy,
                prompts,
                max_new_tokens=self.plan.max_new_tokens,
                stop_ids=self._stop_ids(),
                pad_id=self.language_model.pad_id,
                generator=self.eval_generator,
                logits_hook=self._logits_hook,
            )
        texts = [self._reply(t) for t in drawn.tokens]
        entropy = np.array([float(np.mean(e)) if e else 0.0 for e in drawn.entropies])
        return Decision(actions=texts, entropy=entropy, info={"tokens": drawn.tokens})

    # -- training ------------------------------------------------------------------------------
    def train(self, make_env: EnvFactory, budget: Budget) -> None:
        from entropy_gym.agents.llm.rl.episodes import EpisodeRunner, group_seeds
        from entropy_gym.core.budget import BudgetTracker

        if budget.is_zero:
            return
        if budget.env_steps is None and budget.episodes is None and budget.seconds is None:
            raise ConfigError("agent 'llm_grpo' needs a budget (env_steps, episodes or seconds)")
        per_update = self.plan.groups * self.plan.group_size
        if budget.episodes is not None and budget.episodes < per_update:
            raise ConfigError(
                f"agent 'llm_grpo': budget episodes={budget.episodes} is smaller than one update "
                f"(groups * group_size = {per_update})"
            )
        assert self.lm is not None
        tracker = BudgetTracker(budget)

        def new_runner() -> EpisodeRunner:
            assert self.lm is not None
            return EpisodeRunner(
                make_env,
                self.lm.chat_ids,
                self._reply,
                stop_ids=self._stop_ids(),
                pad_id=self.language_model.pad_id,
            )

        runner = new_runner()
        heldout = new_runner() if self.heldout_problems else None
        evaluated_at = -1
        progress = TrainingProgress(self.name)
        try:
            if heldout is not None and self.updates == 0:
                self.log_telemetry({"update": 0, **self._heldout(heldout)})
                evaluated_at = 0
            while not tracker.exhausted:
                plan = self.plan
                for iv in self.interventions_at("rollout_plan"):
                    plan = iv.on_rollout_plan(plan) or plan
                self.policy.eval()
                sampling_started = time.perf_counter()
                with self._autocast():
                    trajectories = runner.play(
                        self.policy,
                        plan,
                        group_seeds(self.seed, self.updates, plan.groups),
                        self.generator,
                        self._logits_hook,
                    )
                sample_s = time.perf_counter() - sampling_started
                tracker.episodes += len(trajectories)
                tracker.steps += sum(len(t.turns) for t in trajectories)
                self._update(trajectories, plan, tracker, sample_s)
                self.progress = tracker.progress
                done = tracker.exhausted
                due = self.heldout_every and self.updates % self.heldout_every == 0
                if heldout is not None and (due or done):
                    self._telemetry[-1].update(self._heldout(heldout))
                    evaluated_at = self.updates
                last = self._telemetry[-1]
                shown = ("return", "entropy", "loss")
                progress.update(self.progress, {k: last[k] for k in shown if k in last})
            if heldout is not None and evaluated_at != self.updates:
                self._telemetry[-1].update(self._heldout(heldout))
        finally:
            runner.close()
            if heldout is not None:
                heldout.close()

    def _heldout(self, runner: Any) -> dict[str, float]:
        """The ``heldout_*`` record of the current policy (:mod:`.heldout`)."""
        from entropy_gym.agents.llm.rl.heldout import heldout_seeds, play_heldout, summarise

        self.policy.eval()
        started = time.perf_counter()
        with self._autocast():
            problems = play_heldout(
                runner,
                self.policy,
                heldout_seeds(self.heldout_problems),
                self.heldout_samples,
                self.plan.max_new_tokens,
                self.heldout_generator,
                self._logits_hook,
            )
        return {**summarise(problems), "heldout_s": time.perf_counter() - started}

    def _update(
        self, trajectories: list[Any], plan: RolloutPlan, tracker: Any, sample_s: float
    ) -> None:
        import torch

        from entropy_gym.agents.llm.rl import objective

        assert self.lm is not None
        started = time.perf_counter()
        rollout = objective.pack(trajectories, self.lm.pad_id, self.device)
        # The sampler's log-probs are the behaviour policy's (the same weights and hook), so
        # they serve as the ratio's denominator without another forward pass.
        rollout.old_logprobs = rollout.sampling_logprobs
        if self.kl_coef > 0 or self.track_kl:
            with torch.no_grad(), self._autocast():
                rollout.ref_logprobs = self._logprob_table(self.lm.model, rollout)
        per_sample = objective.sample_advantages(
            rollout.rewards, rollout.sample_group, scale=self.loss_type != "dr_grpo"
        )
        if not bool(per_sample.any()):
            progress_logger().warning(
                f"{self.name}: update {self.updates + 1}: every group's samples got the same "
                "return, so every advantage is 0 and the policy-gradient term is 0 (only "
                "entropy or KL terms can move the policy); more samples per group "
                "(group_size) or a less saturated task give the groups a spread"
            )
        advantages = objective.token_advantages(rollout, per_sample)
        for iv in self.interventions_at("token_advantages"):
            out = iv.on_token_advantages(advantages, rollout)
            if out is not None:
                if tuple(out.shape) != tuple(advantages.shape):
                    raise ValueError(
                        f"intervention '{iv.name}' returned advantages of shape "
                        f"{tuple(out.shape)}, expected {tuple(advantages.shape)}"
                    )
                advantages = out
        stats = self._optimise(rollout, advantages, plan)
        rewards = rollout.rewards.tolist()
        successes = [t.metrics["success"] for t in trajectories if "success" in t.metrics]
        replies = [len(turn.reply) for t in trajectories for turn in t.turns]
        generated = sum(replies)
        self.tokens_total += generated
        self.updates += 1
        self.log_telemetry(
            {
                "update": self.updates,
                "step": tracker.steps,
                "episodes": tracker.episodes,
                "return": float(np.mean(rewards)),
                **({"success": float(np.mean(successes))} if successes else {}),
                "response_length": float(np.mean(replies)) if replies else 0.0,
                "turns": float(np.mean([len(t.turns) for t in trajectories])),
                **group_metrics(trajectories),
                "tokens": float(generated),
                "tokens_total": float(self.tokens_total),
                **stats,
                "sample_s": sample_s,
                "update_s": time.perf_counter() - started,
            }
        )

    def _logprob_table(self, model: Any, rollout: TokenRollout) -> Any:
        """``(rows, length)`` log-probs of the generated tokens under ``model`` (0 elsewhere)."""
        import torch

        from entropy_gym.agents.llm.rl.objective import token_logprobs

        table = torch.zeros(rollout.response_mask.shape, device=rollout.input_ids.device)
        rows = torch.arange(rollout.num_rows, device=rollout.input_ids.device)
        logp, _, _, mask = token_logprobs(
            model, rollout, rows, self._logits_hook, pad_id=self.language_model.pad_id
        )
        table[:, : mask.shape[1]][mask] = logp.float()
        return table

    def _minibatches(self, rollout: TokenRollout) -> list[Any]:
        """Row indices of each minibatch: the samples split at random into ``minibatches``
        parts (all turns of a sample stay together)."""
        import torch

        order = torch.randperm(
            rollout.num_samples, generator=self.train_generator, device=self.train_generator.device
        )
        parts = [
            p for p in torch.tensor_split(order.cpu(), min(self.minibatches, rollout.num_samples))
        ]
        rows = []
        for part in parts:
            chosen = torch.isin(rollout.row_sample.cpu(), part)
            rows.append(chosen.nonzero().flatten().to(rollout.input_ids.device))
        return rows

    def _optimise(
        self, rollout: TokenRollout, advantages: Any, plan: RolloutPlan
    ) -> dict[str, float]:
        import torch

        from entropy_gym.agents.llm.rl import objective

        assert rollout.old_logprobs is not None
        stats: dict[str, list[float]] = {
            k: [] for k in ("loss", "pg_loss", "clip_fraction", "grad_norm", "ent_coef", "kl")
        }
        first: dict[str, float] = {}
        eps = self.clip_range
        turns = max(1, int(rollout.row_turn.max()) + 1)
        self.policy.train()
        for epoch in range(self.epochs):
            for rows in self._minibatches(rollout):
                with self._autocast():
                    log_prob, entropy, logits, mask = objective.token_logprobs(
                        self.policy,
                        rollout,
                        rows,
                        self._logits_hook,
                        pad_id=self.language_model.pad_id,
                    )
                length = mask.shape[1]
                old = rollout.old_logprobs[rows][:, :length][mask]
                adv = advantages[rows][:, :length][mask].float()
                ref = (
                    rollout.ref_logprobs[rows][:, :length][mask]
                    if rollout.ref_logprobs is not None
                    else None
                )
                ratio = torch.exp(log_prob - old)
                surrogate = -adv * ratio
                surrogate_clipped = -adv * torch.clamp(ratio, 1 - eps, 1 + eps)
                pg = torch.maximum(surrogate, surrogate_clipped)
                row_of = torch.arange(len(rows), device=mask.device)[:, None].expand_as(mask)[mask]
                position = (mask.cumsum(1) - 1)[mask]
                batch = TokenLossBatch(
                    log_prob=log_prob,
                    old_log_prob=old,
                    ratio=ratio,
                    advantages=adv,
                    clip_range=eps,
                    clipped=surrogate_clipped > surrogate,
                    entropy=entropy,
                    pg_loss=pg,
                    generator=self.train_generator,
                    logits=logits,
                    ref_log_prob=ref,
                    sample_index=rollout.row_sample[rows][row_of],
                    turn_index=rollout.row_turn[rows][row_of],
                    group_index=rollout.row_group[rows][row_of],
                    token_index=position,
                    loss_mask=torch.ones_like(log_prob, dtype=torch.bool),
                    clip_range_high=eps,
                    progress=self.progress,
                    num_samples=rollout.num_samples,
                )
                for iv in self.interventions_at("loss"):
                    out = iv.on_loss(batch)
                    if out is not None:
                        batch.pg_loss = out
                sample_index = rollout.row_sample[rows][row_of]
                keep = batch.loss_mask if batch.loss_mask is not None else torch.ones_like(pg)
                reduce: dict[str, Any] = {
                    "loss_type": self.loss_type,
                    "num_samples": rollout.num_samples,
                    "normaliser": float(plan.max_new_tokens * turns),
                }
                everything = torch.ones_like(keep, dtype=torch.bool)
                pg_term = objective.aggregate(batch.pg_loss, keep.bool(), sample_index, **reduce)
                mean_entropy = objective.aggregate(entropy, everything, sample_index, **reduce)
                coef = self.ent_coef
                for iv in self.interventions_at("ent_coef"):
                    out_coef = iv.on_ent_coef(coef, float(mean_entropy.detach()))
                    if out_coef is not None:
                        coef = float(out_coef)
                loss = pg_term - coef * mean_entropy
                if ref is not None:
                    kl = objective.aggregate(
                        objective.k3_kl(log_prob, ref), everything, sample_index, **reduce
                    )
                    stats["kl"].append(float(kl.detach()))
                    if self.kl_coef > 0:
                        loss = loss + self.kl_coef * kl
                if not torch.isfinite(loss):
                    raise FloatingPointError(
                        f"the loss is {float(loss.detach())} at update {self.updates + 1} (epoch {epoch + 1})"
                    )
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                params = [p for p in self.policy.parameters() if p.requires_grad]
                norm = torch.nn.utils.clip_grad_norm_(params, self.max_grad_norm)
                self.optimizer.step()
                stats["loss"].append(float(loss.detach()))
                stats["pg_loss"].append(float(pg_term.detach()))
                stats["clip_fraction"].append(
                    float((torch.abs(ratio.detach() - 1) > eps).float().mean())
                )
                stats["grad_norm"].append(float(norm))
                stats["ent_coef"].append(coef)
                if epoch == 0:
                    self._first_epoch_stats(first, entropy.detach(), log_prob.detach(), adv)
        out = {k: float(np.mean(v)) for k, v in stats.items() if v}
        out.update(
            {k: v / max(1, first.get("_tokens", 1)) for k, v in first.items() if k != "_tokens"}
        )
        return out

    @staticmethod
    def _first_epoch_stats(acc: dict[str, float], entropy: Any, log_prob: Any, adv: Any) -> None:
        """Token-weighted sums, over the first epoch's minibatches, of the entropy, the entropy
        of the 20% highest-entropy tokens and the centred covariance of log-prob and advantage
        (the policy is still the one that sampled)."""
        import torch

        from entropy_gym.agents.llm.rl.objective import centred_covariance

        n = entropy.numel()
        k = max(1, math.ceil(0.2 * n))
        acc["_tokens"] = acc.get("_tokens", 0) + n
        acc["entropy"] = acc.get("entropy", 0.0) + float(entropy.sum())
        acc["entropy_top20"] = (
            acc.get("entropy_top20", 0.0) + float(torch.topk(entropy, k).values.mean()) * n
        )
        acc["covariance"] = acc.get("covariance", 0.0) + float(
            centred_covariance(log_prob, adv).sum()
        )


def group_metrics(trajectories: list[Any]) -> dict[str, float]:
    """The update's group measures (module docstring): spread of returns within groups, share
    of zero-variance groups, answer entropy, and where episodes know it, ``solved`` and
    ``group_pass@k``."""
    from entropy_gym.agents.llm.rl.metrics import (
        answer_entropy,
        group_reward_stats,
        ks_up_to,
        mean_pass_at_k,
    )

    groups: dict[int, list[Any]] = {}
    for t in trajectories:
        groups.setdefault(t.group, []).append(t)
    out = group_reward_stats([t.reward for t in trajectories], [t.group for t in trajectories])
    answers = [[t.answer for t in members if t.answer is not None] for members in groups.values()]
    if all(answers):
        out["answer_entropy"] = float(np.mean([answer_entropy(a) for a in answers]))
    if all(t.solved is not None for t in trajectories):
        solved = [[bool(t.solved) for t in members] for members in groups.values()]
        out["solved"] = float(np.mean([s for members in solved for s in members]))
        size = min(len(members) for members in solved)
        if size >= 2:
            for k, value in mean_pass_at_k(solved, ks_up_to(size)).items():
                out[f"group_pass@{k}"] = value
    return out
