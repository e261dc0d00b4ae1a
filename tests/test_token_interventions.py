"""The token-level interventions' rules, each checked on a hand-built batch."""

from __future__ import annotations

import math

import pytest
import torch

from entropy_gym.agents import ConfigError, make_agent
from entropy_gym.agents.interventions.clip_cov import ClipCov
from entropy_gym.agents.interventions.clip_higher import ClipHigher
from entropy_gym.agents.interventions.empg import EMPG
from entropy_gym.agents.interventions.epo import EPO
from entropy_gym.agents.interventions.forking_tokens import ForkingTokens
from entropy_gym.agents.interventions.kl_cov import KLCov
from entropy_gym.agents.interventions.lp_reg import LpReg, proxy_kl
from entropy_gym.agents.interventions.steer import Steer, entropy_change
from entropy_gym.agents.llm.rl.batch import TokenLossBatch, TokenRollout

N, VOCAB = 50, 7


def token_batch(seed: int = 0, n: int = N, eps: float = 0.2) -> TokenLossBatch:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, VOCAB, generator=g).requires_grad_()
    ids = torch.randint(0, VOCAB, (n,), generator=g)
    log_p = torch.log_softmax(logits, -1)
    log_prob = log_p.gather(1, ids[:, None]).squeeze(1)
    entropy = -(log_p.exp() * log_p).sum(-1)
    old = log_prob.detach() + 0.3 * torch.randn(n, generator=g)
    ratio = torch.exp(log_prob - old)
    adv = torch.randn(n, generator=g)
    surrogate, clipped = -adv * ratio, -adv * torch.clamp(ratio, 1 - eps, 1 + eps)
    return TokenLossBatch(
        log_prob=log_prob,
        old_log_prob=old,
        ratio=ratio,
        advantages=adv,
        clip_range=eps,
        clipped=clipped > surrogate,
        entropy=entropy,
        pg_loss=torch.maximum(surrogate, clipped),
        generator=torch.Generator().manual_seed(seed + 1),
        logits=logits,
        loss_mask=torch.ones(n, dtype=torch.bool),
        clip_range_high=eps,
    )


def token_grads(loss: torch.Tensor, batch: TokenLossBatch) -> torch.Tensor:
    """Per token: whether its loss entry carries gradient to its own logits."""
    (grad,) = torch.autograd.grad(loss.sum(), batch.logits)
    return grad.abs().sum(-1) > 0


def test_clip_cov_detaches_exactly_its_count_inside_the_band_on_tokens():
    batch = token_batch()
    lp, adv = batch.log_prob.detach(), batch.advantages
    cov = (lp - lp.mean()) * (adv - adv.mean())
    iv = ClipCov(ratio=0.1, lb=0.05, ub=5.0)
    loss = iv.on_loss(batch)
    assert torch.allclose(loss, batch.pg_loss)  # values unchanged
    detached = ~token_grads(loss, batch) & ~batch.clipped  # PPO-clipped tokens have none anyway
    band = (cov > 0.05) & (cov < 5.0) & ~batch.clipped
    assert int(detached.sum()) == min(max(1, int(0.1 * N)), int(band.sum())) == 5
    assert bool((detached <= band).all())  # only tokens inside the band lose their gradient


def test_kl_cov_penalises_exactly_the_top_covariance_tokens():
    batch = token_batch(1)
    lp, adv = batch.log_prob.detach(), batch.advantages
    cov = (lp - lp.mean()) * (adv - adv.mean())
    loss = KLCov(ratio=0.1, kl_coef=2.0).on_loss(batch)
    plain = -adv * batch.ratio
    penalised = ~torch.isclose(loss, plain)
    assert set(torch.nonzero(penalised).flatten().tolist()) == set(
        torch.topk(cov, 5).indices.tolist()
    )
    extra = (loss - plain)[penalised]
    assert torch.allclose(extra, 2.0 * (lp - batch.old_log_prob).abs()[penalised])


def test_clip_higher_lets_positive_tokens_rise_to_the_upper_bound():
    batch = token_batch(2)
    batch.ratio = torch.tensor([1.25, 1.25, 1.35, 0.75])
    batch.advantages = torch.tensor([1.0, -1.0, 1.0, -1.0])
    batch.pg_loss = torch.zeros(4)
    loss = ClipHigher(eps_high=0.28).on_loss(batch)
    # 1.25 with A > 0: inside the upper bound 1.28, so unclipped (the symmetric clip stops at 1.2)
    assert loss.tolist() == pytest.approx([-1.25, 1.25, -1.28, 0.8])
    assert batch.clipped.tolist() == [False, False, True, True]
    assert batch.clip_range_high == 0.28
    with pytest.raises(ConfigError, match="eps_low <= eps_high"):
        ClipHigher(eps_high=0.2, eps_low=0.3)


@pytest.mark.parametrize("invert", [False, True])
def test_forking_tokens_keep_exactly_the_top_fifth_by_entropy(invert):
    batch = token_batch(3)
    iv = ForkingTokens(top=0.2, invert=invert)
    assert iv.on_loss(batch) is None
    kept = batch.loss_mask
    ranked = torch.argsort(batch.entropy.detach(), descending=True)
    expected = ranked[:10] if not invert else ranked[10:]
    assert set(torch.nonzero(kept).flatten().tolist()) == set(expected.tolist())
    assert iv.telemetry()["kept_fraction"] == pytest.approx(0.2 if not invert else 0.8)


def test_forking_tokens_rank_within_the_current_mask():
    batch = token_batch(4, n=20)
    batch.loss_mask = torch.arange(20) < 10  # another intervention already narrowed it
    ForkingTokens(top=0.2).on_loss(batch)
    top = torch.argsort(batch.entropy.detach()[:10], descending=True)[:2]
    assert set(torch.nonzero(batch.loss_mask).flatten().tolist()) == set(top.tolist())


def test_steer_damps_only_tokens_predicted_to_lower_entropy():
    batch = token_batch(5)
    change = entropy_change(batch.log_prob, batch.entropy, batch.advantages)
    iv = Steer(lam=2.0, tau=0.1, w_min=0.25)
    w = iv.weights(batch)
    assert bool((w[change >= -0.1] == 1).all())  # rising or barely falling: untouched
    falling = change < -0.1
    assert bool(falling.any()) and bool((w[falling] < 1).all())
    assert torch.allclose(w, torch.clamp(1 - 2.0 * (-change - 0.1), 0.25, 1).where(falling, w))
    assert float(w.min()) >= 0.25
    loss = iv.on_loss(batch)
    assert torch.allclose(loss, w * batch.pg_loss)


def test_lp_reg_regularises_rare_negative_tokens_towards_the_filtered_proxy():
    logits = torch.tensor([[2.0, 0.0, -1.0], [1.0, 1.0, 1.0]])
    kl = proxy_kl(logits, kappa=0.1)  # drops the third entry of the first row (p = 0.04)
    p = torch.softmax(logits[0], -1)
    q = torch.tensor([p[0], p[1], 0.0]) / (p[0] + p[1])
    assert kl[0].item() == pytest.approx(float((q[:2] * (q[:2] / p[:2]).log()).sum()), rel=1e-5)
    assert kl[1].item() == pytest.approx(0.0, abs=1e-7)  # nothing filtered: the proxy is p
    batch = token_batch(6)
    iv = LpReg(beta=0.5, rho=0.2, kappa=0.3)  # a 7-word vocabulary needs a coarse filter
    chosen = iv.selected(batch)
    threshold = torch.quantile(batch.log_prob.detach(), 0.2)
    assert torch.equal(chosen, (batch.log_prob.detach() <= threshold) & (batch.advantages < 0))
    loss = iv.on_loss(batch)
    changed = ~torch.isclose(loss, batch.pg_loss)
    assert bool((changed <= chosen).all()) and bool(changed.any())


def rollout(entropies: list[list[float]], samples: list[int], turns: list[int]) -> TokenRollout:
    rows, length = len(entropies), max(len(e) for e in entropies)
    mask = torch.zeros(rows, length, dtype=torch.bool)
    ent = torch.zeros(rows, length)
    for i, e in enumerate(entropies):
        mask[i, : len(e)] = True
        ent[i, : len(e)] = torch.tensor(e)
    zeros = torch.zeros(rows, length)
    return TokenRollout(
        input_ids=zeros.long(),
        attention_mask=mask,
        response_mask=mask,
        row_sample=torch.tensor(samples),
        row_turn=torch.tensor(turns),
        row_group=torch.zeros(rows, dtype=torch.long),
        rewards=torch.zeros(max(samples) + 1),
        sample_group=torch.zeros(max(samples) + 1, dtype=torch.long),
        sampling_logprobs=zeros,
        sampling_entropy=ent,
    )


def test_empg_scales_confident_steps_up_on_success_and_down_on_failure():
    # Sample 0 succeeded (A = +1), sample 1 failed (A = -1); each has a confident and an
    # uncertain turn.
    r = rollout([[0.1, 0.1], [2.0, 2.0], [0.1], [2.0]], samples=[0, 0, 1, 1], turns=[0, 1, 0, 1])
    adv = torch.tensor([[1.0, 1.0], [1.0, 1.0], [-1.0, 0.0], [-1.0, 0.0]])
    out = EMPG(tau=1.0, zeta=0.0).on_token_advantages(adv, r)
    assert out[0, 0] > 1.0 > out[1, 0] > 0  # success: confident amplified, uncertain damped
    assert out[2, 0] < -1.0 < out[3, 0] < 0  # failure: confident penalised harder
    assert out[2, 1] == 0 and out[3, 1] == 0  # padding stays zero
    c = torch.exp(-torch.tensor([0.1, 2.0, 0.1, 2.0]))
    c = c / c.mean()
    assert out[:, 0].tolist() == pytest.approx((torch.tensor([1, 1, -1, -1]) * c).tolist())
    bonus = EMPG(tau=1.0, zeta=0.5).on_token_advantages(adv, r) - out
    # Future clarity: a turn followed by another gets zeta * the next turn's confidence.
    assert bonus[0, 0].item() == pytest.approx(0.5 * c[1].item())
    assert bonus[1, 0].item() == pytest.approx(0.0)  # last turn: no next step


def test_epo_weights_the_bonus_by_phase_and_penalises_leaving_the_history_band():
    iv = EPO(beta_start=0.1, beta_end=0.0, lam=1.0, kappa=0.1, decay=0.5)
    assert (iv.beta(0.0), iv.beta(0.5), iv.beta(1.0)) == pytest.approx((0.1, 0.05, 0.0))
    batch = token_batch(7)
    h = float(batch.entropy.detach().mean())
    loss = iv.on_loss(batch)  # the first minibatch starts the history: no smoothing
    assert torch.allclose(loss, batch.pg_loss - 0.1 * batch.entropy)
    assert iv.history == pytest.approx(h)
    batch.entropy = batch.entropy * 2  # jumps far outside the 10% band around the history
    loss = iv.on_loss(batch)
    excess = abs(2 * h - h) - 0.1 * h
    assert torch.allclose(loss, batch.pg_loss - 0.1 * batch.entropy + excess**2, atol=1e-5)
    assert iv.history == pytest.approx(0.5 * h + 0.5 * 2 * h)


def test_token_interventions_are_refused_on_action_level_agents_in_one_line():
    for name in ("forking_tokens", "clip_higher", "steer", "lp_reg", "epo"):
        with pytest.raises(ConfigError) as err:
            make_agent("ppo", interventions=[name])
        message = str(err.value)
        assert "\n" not in message and f"intervention {name!r} acts on generated tokens" in message
        assert "agent 'ppo' trains on actions" in message
    with pytest.raises(ConfigError, match="needs hook\\(s\\) token_advantages but agent 'ppo'"):
        make_agent("ppo", interventions=["empg"])
    agent = make_agent("llm_grpo", interventions=["clip_higher", "forking_tokens", "empg"])
    assert [iv.name for iv in agent.interventions] == ["clip_higher", "forking_tokens", "empg"]


def test_entropy_target_drives_the_token_entropy_coefficient_of_llm_grpo():
    agent = make_agent("llm_grpo", interventions=[{"name": "entropy_target", "target": 2.0}])
    (iv,) = agent.interventions
    assert iv.on_ent_coef(0.0, 1.0) > 0 > iv.on_ent_coef(0.0, 3.0)
    assert math.isfinite(iv.telemetry()["coef"])


@pytest.mark.llm
@pytest.mark.parametrize(
    "interventions",
    [
        [
            "clip_higher",
            {"name": "clip_cov", "ratio": 0.05, "lb": 0.0, "ub": 5.0},
            "forking_tokens",
        ],
        ["steer", {"name": "lp_reg", "kappa": 0.1, "rho": 0.2}, "epo", "empg"],
    ],
)
def test_token_interventions_train_the_default_model_and_report_telemetry(lm, interventions):
    from entropy_gym.agents import Budget
    from entropy_gym.runner.envs import make_env
    from entropy_gym.runner.evaluation import make_task

    env_id = "Reasoning/Arithmetic-easy-v0"
    agent = make_agent(
        {
            "name": "llm_grpo",
            "groups": 1,
            "group_size": 3,
            "max_new_tokens": 6,
            "epochs": 1,
            "learning_rate": 1e-4,
            "interventions": interventions,
        }
    )
    agent.setup(make_task(env_id, {}), seed=0, device="cpu")
    agent.train(lambda seed: make_env(env_id, {}), Budget(episodes=3))
    (record,) = agent.telemetry()
    assert math.isfinite(record["loss"]) and math.isfinite(record["entropy"])
    names = [iv if isinstance(iv, str) else iv["name"] for iv in interventions]
    signals = [
        k for k in record if any(k.startswith(f"{n}/") or k.startswith(f"{n}.") for n in names)
    ]
    assert {s.split("/")[0].split(".")[0] for s in signals} == set(names), sorted(record)
