"""The token-level interventions against verl 0.9.1's loss functions, and ours inside verl.

Runs in the separate verl environment (``make test-verl``: verl pins transformers<5.11, below
the main environment's); skipped elsewhere. Every comparison feeds the same ``(batch, length)``
tensors to verl's function and to ours (:func:`~entropy_gym.integrations.token_loss.token_policy_loss`
with the intervention, then verl's or our aggregation) and compares losses and gradients
with respect to the log-probs. docs/llm-rl.md ("Cross-checks") tabulates the outcome.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

core_algos = pytest.importorskip(
    "verl.trainer.ppo.core_algos", reason="verl is not installed here: run `make test-verl`"
)

import torch  # noqa: E402
from verl.workers.config import ActorConfig, PolicyLossConfig  # noqa: E402

from entropy_gym.agents.base import ConfigError  # noqa: E402
from entropy_gym.agents.interventions.clip_cov import ClipCov  # noqa: E402
from entropy_gym.agents.interventions.clip_higher import ClipHigher  # noqa: E402
from entropy_gym.agents.interventions.kl_cov import KLCov  # noqa: E402
from entropy_gym.agents.llm.rl.objective import aggregate  # noqa: E402
from entropy_gym.integrations.token_loss import token_policy_loss  # noqa: E402
from entropy_gym.integrations.verl_loss import (  # noqa: E402
    AGGREGATIONS,
    register_verl_policy_loss,
    verl_overrides,
)

MODES = list(AGGREGATIONS.items())


def batch(seed: int, rows: int = 8, length: int = 64, spread: float = 0.3):
    """A sampled batch: replies of random lengths (at least one token), log-probs of a
    vocabulary-sized spread, old log-probs a step away, one advantage per reply (GRPO's)."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, length + 1, (rows,), generator=g)
    mask = torch.arange(length)[None, :] < lengths[:, None]
    old = -6 * torch.rand(rows, length, generator=g)
    new = (old + spread * torch.randn(rows, length, generator=g)).clamp(max=0)
    adv = 2 * torch.randn(rows, 1, generator=g).expand(rows, length).clone()
    return new.requires_grad_(True), old, adv, mask


def config(mode: str = "token-mean", **fields) -> ActorConfig:
    loss = {k: fields.pop(k) for k in list(fields) if k in PolicyLossConfig.__dataclass_fields__}
    return ActorConfig(
        strategy="fsdp",
        rollout_n=1,
        ppo_micro_batch_size_per_gpu=1,
        loss_agg_mode=mode,
        policy_loss=PolicyLossConfig(**loss),
        **fields,
    )


def ours(interventions, new, old, adv, mask, loss_type, *, low=0.2, high=0.2, seed=0):
    result = token_policy_loss(
        interventions,
        log_prob=new,
        old_log_prob=old,
        advantages=adv,
        response_mask=mask,
        loss_type=loss_type,
        clip_low=low,
        clip_high=high,
        max_new_tokens=mask.shape[1],
        generator=torch.Generator().manual_seed(seed),
    )
    return result.pg_term


def grad(loss, new):
    (g,) = torch.autograd.grad(loss, new, retain_graph=True)
    return g


@pytest.mark.parametrize("mode, loss_type", MODES)
def test_the_three_aggregations_equal_verls_agg_loss(mode, loss_type):
    values = torch.randn(8, 64, generator=torch.Generator().manual_seed(1))
    _, _, _, mask = batch(2)
    rows = torch.arange(8)[:, None].expand(8, 64)[mask]
    theirs = core_algos.agg_loss(values, mask, mode)
    mine = aggregate(
        values[mask], torch.ones_like(rows, dtype=torch.bool), rows,
        loss_type=loss_type, num_samples=8, normaliser=64.0,
    )  # fmt: skip
    torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode, loss_type", MODES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clip_higher_equals_verls_vanilla_loss_with_clip_ratio_high(mode, loss_type, seed):
    new, old, adv, mask = batch(seed, spread=0.25)  # both clips bind, ratios below 3
    cfg = config(mode, clip_ratio_low=0.2, clip_ratio_high=0.28)
    theirs, _ = core_algos.compute_policy_loss_vanilla(old, new, adv, mask, mode, cfg)
    mine = ours([ClipHigher(eps_high=0.28)], new, old, adv, mask, loss_type)
    ratio = torch.exp(new - old)[mask].detach()
    assert ((ratio > 1.28) & (adv[mask] > 0)).any() and ((ratio < 0.8) & (adv[mask] < 0)).any()
    assert not ((ratio > 3) & (adv[mask] < 0)).any()  # verl's dual clip (3.0) never binds here
    torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(grad(mine, new), grad(theirs, new), rtol=1e-6, atol=1e-8)


def test_verls_dual_clip_is_the_one_difference_from_clip_higher():
    """verl's vanilla loss is dual-clip PPO: a token with A < 0 pays at most -A * clip_ratio_c
    (3.0). The suite's clip_higher (and llm_grpo) has no dual clip, as in DAPO."""
    new, old, adv, mask = batch(5, spread=0.4)
    with torch.no_grad():
        new[0, 0] = old[0, 0] + 2.0  # ratio e^2 = 7.4 on a token
    adv[0] = -1.0
    cfg = config(clip_ratio_low=0.2, clip_ratio_high=0.28)
    theirs, _ = core_algos.compute_policy_loss_vanilla(old, new, adv, mask, "token-mean", cfg)
    mine = ours([ClipHigher(eps_high=0.28)], new, old, adv, mask, "dapo")
    ratio = torch.exp(new - old).detach()
    capped = (adv < 0) & (ratio > 3) & mask
    gap = ((-adv * ratio - -adv * 3.0) * capped).sum() / mask.sum()
    torch.testing.assert_close(mine - theirs, gap, rtol=1e-5, atol=1e-7)
    assert gap.item() > 0
    no_dual = config(clip_ratio_low=0.2, clip_ratio_high=0.28, clip_ratio_c=1e9)
    theirs, _ = core_algos.compute_policy_loss_vanilla(old, new, adv, mask, "token-mean", no_dual)
    torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode, loss_type", MODES)
@pytest.mark.parametrize("seed", [0, 1])
def test_kl_cov_equals_verls_kl_cov(mode, loss_type, seed):
    new, old, adv, mask = batch(seed)
    cfg = config(mode, kl_cov_ratio=0.02, ppo_kl_coef=0.1)
    theirs, _ = core_algos.compute_policy_loss_kl_cov(old, new, adv, mask, mode, cfg)
    mine = ours([KLCov(ratio=0.02, kl_coef=0.1)], new, old, adv, mask, loss_type)
    torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(grad(mine, new), grad(theirs, new), rtol=1e-6, atol=1e-8)
    # The penalty binds: without it the loss differs.
    plain = ours([KLCov(ratio=0.02, kl_coef=0.0)], new, old, adv, mask, loss_type)
    assert abs((plain - mine).item()) > 1e-4


@pytest.mark.parametrize("mode, loss_type", MODES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clip_cov_has_verls_gradient_and_ppos_value(mode, loss_type, seed):
    """Both detach the same randomly drawn high-covariance tokens (the same draw: verl uses
    torch's global generator, seeded alike here). verl multiplies their loss by 0; the suite
    detaches it, so the gradient is verl's and the value stays PPO's."""
    new, old, adv, mask = batch(seed)
    cfg = config(mode, clip_cov_ratio=0.02, clip_cov_lb=1.0, clip_cov_ub=5.0)
    torch.manual_seed(seed)
    theirs, _ = core_algos.compute_policy_loss_clip_cov(old, new, adv, mask, mode, cfg)
    mine = ours([ClipCov(ratio=0.02, lb=1.0, ub=5.0)], new, old, adv, mask, loss_type, seed=seed)
    torch.testing.assert_close(grad(mine, new), grad(theirs, new), rtol=1e-6, atol=1e-8)
    vanilla, _ = core_algos.compute_policy_loss_vanilla(
        old, new, adv, mask, mode, config(mode, clip_ratio_c=1e9)
    )
    torch.testing.assert_close(mine, vanilla, rtol=1e-6, atol=1e-7)
    assert abs((mine - theirs).item()) > 1e-6  # the detached tokens' value is the difference
    plain = ours([], new, old, adv, mask, loss_type)
    assert not torch.allclose(grad(plain, new), grad(mine, new))  # tokens were detached


def test_the_registered_loss_runs_through_verls_registry():
    name = register_verl_policy_loss(
        [
            {"name": "clip_higher", "eps_high": 0.28},
            {"name": "kl_cov", "ratio": 0.02, "kl_coef": 0.1},
        ],
        name="entropy_gym_test",
    )
    fn = core_algos.get_policy_loss_fn(name)
    new, old, adv, mask = batch(7)
    for mode, loss_type in MODES:
        cfg = config(mode, loss_mode=name, clip_ratio_low=0.2, clip_ratio_high=0.2)
        theirs, metrics = fn(old, new, adv, mask, mode, cfg)
        mine = ours(
            [ClipHigher(eps_high=0.28), KLCov(ratio=0.02, kl_coef=0.1)],
            new,
            old,
            adv,
            mask,
            loss_type,
        )
        torch.testing.assert_close(theirs, mine, rtol=1e-6, atol=1e-7)
        assert metrics["actor/kl_cov/penalised_fraction"] == pytest.approx(
            max(1, int(0.02 * mask.sum())) / mask.sum().item()
        )
    # With verl's own clip-higher setting and no intervention, it is verl's vanilla loss.
    register_verl_policy_loss([], name="entropy_gym_plain")
    cfg = config(clip_ratio_low=0.2, clip_ratio_high=0.28, clip_ratio_c=1e9)
    theirs, _ = core_algos.compute_policy_loss_vanilla(old, new, adv, mask, "token-mean", cfg)
    mine, _ = core_algos.get_policy_loss_fn("entropy_gym_plain")(
        old, new, adv, mask, "token-mean", cfg
    )
    torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-7)


def test_verls_global_batch_sizes_are_honoured():
    """Inside verl each micro-batch is divided by the global token count times dp_size, so
    the gradients of the parts add up to the whole's: the same holds for the registered loss."""
    register_verl_policy_loss([{"name": "clip_higher"}], name="entropy_gym_split")
    fn = core_algos.get_policy_loss_fn("entropy_gym_split")
    new, old, adv, mask = batch(3)
    whole, _ = fn(old, new, adv, mask, "token-mean", config())
    total = int(mask.sum())
    parts = []
    for half in (slice(0, 4), slice(4, 8)):
        cfg = config()
        cfg.global_batch_info.update(dp_size=1, batch_num_tokens=total)
        parts.append(fn(old[half], new[half], adv[half], mask[half], "token-mean", cfg)[0])
    torch.testing.assert_close(parts[0] + parts[1], whole, rtol=1e-6, atol=1e-7)


def test_what_verls_policy_loss_cannot_carry_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="'forking_tokens' reads the token entropy, which verl"):
        register_verl_policy_loss(["forking_tokens"])
    with pytest.raises(ConfigError, match="'lp_reg' reads the token logits"):
        register_verl_policy_loss(["lp_reg"])
    with pytest.raises(ConfigError, match="'empg' needs hook\\(s\\) token_advantages"):
        register_verl_policy_loss(["empg"])
    fn = core_algos.get_policy_loss_fn(register_verl_policy_loss([], name="entropy_gym_modes"))
    new, old, adv, mask = batch(0)
    with pytest.raises(ConfigError, match="loss_agg_mode 'token-sum' has no entropy_gym loss type"):
        fn(old, new, adv, mask, "token-sum", config())
    assert verl_overrides([{"name": "entropy_bonus", "coef": 0.001}, "kl_cov", "clip_cov"]) == [
        "actor_rollout_ref.actor.policy_loss.loss_mode=entropy_gym",
        "actor_rollout_ref.actor.entropy_coeff=0.001",
    ]
    with pytest.raises(ConfigError, match="'temperature' acts at logits, which verl does not"):
        verl_overrides(["temperature"])


def test_verl_registers_the_plugin_in_a_fresh_process():
    """What each Ray worker does: ``import verl`` imports the modules in
    VERL_USE_EXTERNAL_MODULES, which registers the loss the environment describes."""
    env = dict(
        os.environ,
        VERL_USE_EXTERNAL_MODULES="entropy_gym.integrations.verl_plugin",
        ENTROPY_GYM_INTERVENTIONS='[{"name": "clip_cov", "ratio": 0.0002, "lb": 1, "ub": 5}]',
    )
    code = (
        "from verl.trainer.ppo.core_algos import get_policy_loss_fn\n"
        "print([iv.config() for iv in get_policy_loss_fn('entropy_gym').interventions])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == (
        "[{'name': 'clip_cov', 'ratio': 0.0002, 'lb': 1, 'ub': 5}]"
    )
    del env["ENTROPY_GYM_INTERVENTIONS"]
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode != 0 and "ENTROPY_GYM_INTERVENTIONS is not set" in out.stderr


@pytest.mark.parametrize("scale", [True, False])
def test_group_advantages_differ_from_verls_grpo_by_bessels_correction_only(scale):
    """verl (like TRL) divides by the group's sample standard deviation; llm_grpo by the
    population one (the GRPO paper writes std without saying which). Dr.GRPO's unscaled
    advantages (``norm_adv_by_std_in_grpo=False``) are equal."""
    import numpy as np

    from entropy_gym.agents.llm.rl.objective import sample_advantages

    g = torch.Generator().manual_seed(0)
    groups, size = 4, 5
    rewards = torch.randint(0, 3, (groups * size,), generator=g).float()
    group_of = torch.arange(groups).repeat_interleave(size)
    _, _, _, mask = batch(1, rows=groups * size, length=16)
    token_rewards = torch.zeros(mask.shape)
    token_rewards[:, 0] = rewards
    theirs, _ = core_algos.compute_grpo_outcome_advantage(
        token_rewards, mask.float(), np.array(group_of.tolist()), norm_adv_by_std_in_grpo=scale
    )
    mine = sample_advantages(rewards, group_of, scale=scale)
    factor = math.sqrt((size - 1) / size) if scale else 1.0
    spread = torch.stack([rewards[group_of == k].std() for k in range(groups)])
    assert (spread > 0).all()  # every group's rewards vary
    torch.testing.assert_close(theirs[:, 0], mine * factor, rtol=1e-5, atol=1e-5)
