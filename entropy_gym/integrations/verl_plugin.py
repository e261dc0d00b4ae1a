"""Registers the entropy_gym verl policy loss on import, in every verl process.

verl imports the modules named in ``VERL_USE_EXTERNAL_MODULES`` when ``verl`` is imported,
in the driver and in each Ray worker that inherits the environment, which is where a policy
loss has to be registered. Set, for every process of the run::

    ENTROPY_GYM_INTERVENTIONS='[{"name": "clip_higher"}, {"name": "clip_cov", "ratio": 0.0002, "lb": 1, "ub": 5}]'
    VERL_USE_EXTERNAL_MODULES=entropy_gym.integrations.verl_plugin

and select the loss with ``actor_rollout_ref.actor.policy_loss.loss_mode=entropy_gym`` (or the
name in ``ENTROPY_GYM_VERL_LOSS``). ``ENTROPY_GYM_INTERVENTIONS`` is a JSON list of what a
suite's ``interventions:`` holds; ``ENTROPY_GYM_VERL_SEED`` seeds their random choices.
"""

from __future__ import annotations

import json
import os

from entropy_gym.core.errors import ConfigError
from entropy_gym.integrations.verl_loss import DEFAULT_NAME, register_verl_policy_loss


def register_from_environment() -> str:
    """Register the policy loss that the environment variables describe; returns its name."""
    text = os.environ.get("ENTROPY_GYM_INTERVENTIONS")
    if text is None:
        raise ConfigError(
            "ENTROPY_GYM_INTERVENTIONS is not set: it must hold the JSON list of interventions "
            'for the entropy_gym verl policy loss, e.g. \'[{"name": "clip_cov"}]\''
        )
    try:
        specs = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"ENTROPY_GYM_INTERVENTIONS is not JSON: {err}") from None
    if not isinstance(specs, list):
        raise ConfigError(
            f"ENTROPY_GYM_INTERVENTIONS must be a JSON list, got {type(specs).__name__}"
        )
    name = os.environ.get("ENTROPY_GYM_VERL_LOSS", DEFAULT_NAME)
    seed = int(os.environ.get("ENTROPY_GYM_VERL_SEED", "0"))
    return register_verl_policy_loss(specs, name=name, seed=seed)


REGISTERED = register_from_environment()
