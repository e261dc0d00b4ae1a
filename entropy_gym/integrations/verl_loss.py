"""The suite's ``loss`` interventions as a verl policy loss.

verl selects its actor's policy loss by name (``actor_rollout_ref.actor.policy_loss.loss_mode``)
from a registry that ``verl.trainer.ppo.core_algos.register_policy_loss`` fills.
:func:`register_verl_policy_loss` registers a loss that runs
:func:`~entropy_gym.integrations.token_loss.token_policy_loss` on verl's tensors and then
aggregates with verl's own ``agg_loss`` and the global batch sizes verl passes, so the loss is
the same whatever the data-parallel and micro-batch split. The clip bounds come from verl's
``clip_ratio_low`` / ``clip_ratio_high`` (a ``clip_higher`` intervention overrides the upper);
``loss_agg_mode`` must be one of verl's modes that match the suite's loss types
(:data:`AGGREGATIONS`).

A verl policy loss receives log-probs, advantages and the response mask only, so the
interventions that read token entropies or logits (``forking_tokens``, ``steer``, ``epo``,
``lp_reg``) and those at other hooks are refused when registering. A constant
``entropy_bonus`` maps to verl's own ``actor.entropy_coeff`` (:func:`verl_overrides`).

The registry is per process: verl's actor workers are Ray processes of their own, so the
registration has to run in each (:mod:`entropy_gym.integrations.verl_plugin`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

from entropy_gym.agents.registry import make_intervention
from entropy_gym.core.errors import ConfigError
from entropy_gym.integrations.token_loss import (
    InterventionSpec,
    TrainerHost,
    bind_interventions,
    telemetry,
    token_policy_loss,
)

#: verl ``loss_agg_mode`` -> the suite's ``loss_type`` it equals.
AGGREGATIONS = {
    "token-mean": "dapo",
    "seq-mean-token-mean": "grpo",
    "seq-mean-token-sum-norm": "dr_grpo",
}
DEFAULT_NAME = "entropy_gym"


def _option(config: Any, key: str, default: Any = None) -> Any:
    value = config.get(key, default) if hasattr(config, "get") else getattr(config, key, default)
    return default if value is None else value


def verl_policy_loss(
    interventions: Iterable[InterventionSpec], *, seed: int = 0
) -> Callable[..., tuple[torch.Tensor, dict[str, Any]]]:
    """A function with verl's policy-loss signature that routes the loss through
    ``interventions`` (``loss`` hook only; module docstring). ``seed`` seeds the generator of
    their random choices (Clip-Cov's)."""
    host = TrainerHost("verl's policy loss")
    bound = bind_interventions(interventions, host, hooks=frozenset({"loss"}), tensors=frozenset())
    generator = torch.Generator().manual_seed(seed)

    def policy_loss(
        old_log_prob: torch.Tensor,
        log_prob: torch.Tensor,
        advantages: torch.Tensor,
        response_mask: torch.Tensor,
        loss_agg_mode: str = "token-mean",
        config: Any = None,
        rollout_is_weights: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        from verl.trainer.ppo.core_algos import agg_loss

        if config is None:
            raise ConfigError("verl passed no actor config to the entropy_gym policy loss")
        if loss_agg_mode not in AGGREGATIONS:
            raise ConfigError(
                f"verl loss_agg_mode {loss_agg_mode!r} has no entropy_gym loss type; "
                f"expected one of {tuple(AGGREGATIONS)}"
            )
        if rollout_is_weights is not None:
            raise ConfigError(
                "the entropy_gym policy loss does not apply verl's rollout correction weights; "
                "turn off actor.policy_loss.rollout_correction"
            )
        clip = float(_option(config, "clip_ratio", 0.2))
        batch_info = dict(_option(config, "global_batch_info", {}))
        horizon = _option(config, "loss_scale_factor", batch_info.get("loss_scale_factor"))
        result = token_policy_loss(
            bound,
            log_prob=log_prob,
            old_log_prob=old_log_prob,
            advantages=advantages,
            response_mask=response_mask,
            loss_type=AGGREGATIONS[loss_agg_mode],
            clip_low=float(_option(config, "clip_ratio_low", clip)),
            clip_high=float(_option(config, "clip_ratio_high", clip)),
            max_new_tokens=int(horizon or response_mask.shape[-1]),
            generator=generator,
        )
        loss = agg_loss(
            loss_mat=result.per_token,
            loss_mask=response_mask,
            loss_agg_mode=loss_agg_mode,
            **batch_info,
        )
        metrics: dict[str, Any] = {"actor/pg_clipfrac": result.clip_fraction}
        metrics.update({f"actor/{k}": v for k, v in telemetry(bound).items()})
        return loss, metrics

    policy_loss.interventions = bound  # type: ignore[attr-defined]
    return policy_loss


def register_verl_policy_loss(
    interventions: Iterable[InterventionSpec], *, name: str = DEFAULT_NAME, seed: int = 0
) -> str:
    """Register ``interventions`` as verl's policy loss ``name`` (select it with
    ``actor_rollout_ref.actor.policy_loss.loss_mode=<name>``); returns ``name``."""
    from verl.trainer.ppo.core_algos import register_policy_loss

    register_policy_loss(name)(verl_policy_loss(interventions, seed=seed))
    return name


def verl_overrides(
    interventions: Iterable[InterventionSpec], *, name: str = DEFAULT_NAME
) -> list[str]:
    """The verl command-line overrides that apply ``interventions``: the registered policy
    loss ``name`` for the ``loss`` ones, ``actor.entropy_coeff`` for a constant
    ``entropy_bonus``; any other is refused (verl has no place for it)."""
    actor = "actor_rollout_ref.actor"
    overrides: list[str] = []
    for spec in interventions:
        iv = make_intervention(spec)
        if iv.name == "entropy_bonus":
            if "end" in iv.params:
                raise ConfigError(
                    "verl's actor.entropy_coeff is a constant; entropy_bonus with a schedule "
                    "(end=...) has no verl equivalent"
                )
            overrides.append(f"{actor}.entropy_coeff={iv.params['coef']}")
        elif "loss" in iv.requires:
            if not any(o.startswith(f"{actor}.policy_loss.") for o in overrides):
                overrides.insert(0, f"{actor}.policy_loss.loss_mode={name}")
        else:
            hooks = ", ".join(sorted(iv.requires))
            raise ConfigError(
                f"intervention {iv.name!r} acts at {hooks}, which verl does not offer"
            )
    return overrides
