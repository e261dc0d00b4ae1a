"""TRL's ``GRPOTrainer`` with its loss routed through the suite's interventions.

:class:`InterventionGRPOTrainer` is ``GRPOTrainer`` (TRL 1.16: its generation, rewards,
advantages, reference model and logging) with one method replaced: the loss of a micro-batch
is :func:`~entropy_gym.integrations.token_loss.token_policy_loss` on TRL's own log-probs and
entropies (its fused LM head, at its sampling temperature), so the ``loss`` and ``ent_coef``
interventions act on it as they do in ``llm_grpo``::

    from trl import GRPOConfig
    from entropy_gym.integrations.trl_trainer import InterventionGRPOTrainer

    trainer = InterventionGRPOTrainer(
        model="path/to/model", reward_funcs=reward, train_dataset=data,
        args=GRPOConfig(output_dir="out", loss_type="dapo", epsilon_high=0.28),
        interventions=["forking_tokens", {"name": "clip_cov", "ratio": 0.0002, "lb": 1, "ub": 5}],
    )
    trainer.train()

TRL's clip bounds (``epsilon``, ``epsilon_high``), ``loss_type`` (``grpo``, ``dapo``,
``dr_grpo``), KL coefficient ``beta`` and ``entropy_coef`` (the starting coefficient of the
``ent_coef`` hook) are kept. TRL options that would apply a rule twice or that the suite's
objective does not have are refused in one line: ``top_entropy_quantile`` (use
``forking_tokens``), ``use_adaptive_entropy`` (use ``entropy_target``), sequence-level
importance sampling, ``delta``, ``off_policy_mask_threshold``. ``lp_reg`` reads the logits,
which TRL's fused head does not produce, so with it the trainer runs one more forward pass.
``empg`` (``token_advantages``) and sampling-time interventions have no hook here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from trl import GRPOTrainer

from entropy_gym.agents.llm.rl.objective import LOSS_TYPES, k3_kl
from entropy_gym.core.errors import ConfigError
from entropy_gym.integrations.token_loss import (
    READS,
    InterventionSpec,
    TrainerHost,
    bind_interventions,
    telemetry,
    token_policy_loss,
)


class InterventionGRPOTrainer(GRPOTrainer):  # type: ignore[misc]
    """``GRPOTrainer`` whose per-token loss goes through ``interventions`` (module docstring)."""

    def __init__(
        self, *args: Any, interventions: Iterable[InterventionSpec] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        args_ = self.args
        refusals = {
            "loss_type": (self.loss_type not in LOSS_TYPES, f"must be one of {LOSS_TYPES}"),
            "top_entropy_quantile": (
                self.top_entropy_quantile < 1.0,
                "would narrow the loss a second time; use the forking_tokens intervention",
            ),
            "use_adaptive_entropy": (
                bool(self.use_adaptive_entropy),
                "use the entropy_target intervention",
            ),
            "importance_sampling_level": (
                self.importance_sampling_level != "token",
                "must be 'token' (the suite's ratio is per token)",
            ),
            "delta": (args_.delta is not None, "two-sided clipping is not in the objective"),
            "off_policy_mask_threshold": (
                self.off_policy_mask_threshold is not None,
                "off-policy sequence masking is not in the objective",
            ),
        }
        for option, (bad, why) in refusals.items():
            if bad:
                raise ConfigError(
                    f"InterventionGRPOTrainer: GRPOConfig {option}={getattr(args_, option)!r} {why}"
                )
        self.host = TrainerHost("TRL's GRPOTrainer")
        self.interventions = bind_interventions(
            interventions,
            self.host,
            hooks=frozenset({"loss", "ent_coef"}),
            tensors=frozenset({"entropy", "logits"}),
        )
        self._generator = torch.Generator().manual_seed(int(args_.seed))

    def _reads_logits(self) -> bool:
        return any("logits" in READS.get(iv.name, ()) for iv in self.interventions)

    def _completion_logits(self, model: Any, inputs: dict[str, Any], keep: int) -> torch.Tensor:
        """``(batch, completion, vocab)`` logits at the sampling temperature (plain forward)."""
        ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1)
        attention = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1)
        logits: torch.Tensor = model(input_ids=ids, attention_mask=attention).logits
        return logits[:, -keep - 1 : -1].float() / float(self.temperature)

    def _compute_loss(self, model: Any, inputs: dict[str, Any]) -> torch.Tensor:
        completion_ids, completion_mask = inputs["completion_ids"], inputs["completion_mask"]
        keep = completion_ids.size(1)
        mask = (
            completion_mask if "tool_mask" not in inputs else completion_mask * inputs["tool_mask"]
        )
        log_prob, entropy, _ = self._get_per_token_logps_and_entropies(
            model,
            torch.cat([inputs["prompt_ids"], completion_ids], dim=1),
            torch.cat([inputs["prompt_mask"], completion_mask], dim=1),
            keep,
            compute_entropy=True,
        )
        old = inputs.get("old_per_token_logps")
        old = log_prob.detach() if old is None else old
        train = self.model.training
        state = self.state
        self.host.progress = (
            min(1.0, state.global_step / state.max_steps) if state.max_steps else 0.0
        )
        result = token_policy_loss(
            self.interventions,
            log_prob=log_prob,
            old_log_prob=old,
            advantages=inputs["advantages"],
            response_mask=mask,
            loss_type=self.loss_type,
            clip_low=float(self.epsilon_low),
            clip_high=float(self.epsilon_high),
            max_new_tokens=int(self.max_completion_length),
            generator=self._generator,
            entropy=entropy,
            logits=self._completion_logits(model, inputs, keep) if self._reads_logits() else None,
            ent_coef=float(self.entropy_coef),
            progress=self.host.progress,
        )
        loss = result.loss
        mode = "train" if train else "eval"
        metrics = self._metrics[mode]
        if self.beta != 0.0:
            from entropy_gym.agents.llm.rl.objective import aggregate

            flat = mask.bool()
            rows = torch.arange(mask.size(0), device=mask.device)[:, None].expand_as(flat)[flat]
            kl = aggregate(
                k3_kl(log_prob[flat], inputs["ref_per_token_logps"][flat]),
                torch.ones_like(rows, dtype=torch.bool),
                rows,
                loss_type=self.loss_type,
                num_samples=mask.size(0),
                normaliser=float(self.max_completion_length),
            )
            loss = loss + self.beta * kl
            metrics["kl"].append(float(kl.detach()))
        metrics["policy_loss"].append(float(result.pg_term.detach()))
        metrics["entropy"].append(float((entropy.detach() * mask).sum() / mask.sum().clamp(min=1)))
        metrics["clip_ratio/region_mean"].append(result.clip_fraction)
        metrics["entropy_coef"].append(result.ent_coef)
        for key, value in telemetry(self.interventions).items():
            metrics[key].append(value)
        self.last_loss = result
        return loss / self.current_gradient_accumulation_steps if train else loss
