"""The shape checks' statistics (entropy_gym.scoring.llm_shapes) on synthetic telemetry whose
verdict is known by construction: an entropy that halves collapses and a flat one does not, a
planted relation between covariance and entropy change is found, a peaked target sweep is
non-monotonic, and so on."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_gym.scoring import llm_shapes as ls
from entropy_gym.scoring.fit import fit_entropy_return

REPS = 300
SEEDS = range(8)


def records(
    entropy: np.ndarray,
    *,
    reward: np.ndarray | None = None,
    reward_key: str = "success",
    covariance: np.ndarray | None = None,
    heldout: dict[int, dict[str, float]] | None = None,
) -> list[dict[str, float]]:
    """One cell's telemetry as llm_grpo logs it: an update-0 record with the held-out values
    only, then one record per update (held-out values merged into the updates that have
    them)."""
    heldout = heldout or {0: {"heldout_success": 0.3}}
    out = [{"update": 0.0, **heldout.get(0, {})}]
    for t, h in enumerate(entropy, start=1):
        rec = {"update": float(t), "entropy": float(h)}
        if reward is not None:
            rec[reward_key] = float(reward[t - 1])
        if covariance is not None:
            rec["covariance"] = float(covariance[t - 1])
        rec.update(heldout.get(t, {}))
        out.append(rec)
    return out


def arm(make, seeds=SEEDS) -> dict[int, list[dict[str, float]]]:
    return {s: make(np.random.default_rng(1000 + s)) for s in seeds}


def test_entropy_that_halves_collapses_and_flat_entropy_does_not():
    falling = arm(lambda r: records(np.linspace(1.0, 0.5, 100) + r.normal(0, 0.01, 100)))
    part = ls.entropy_collapse(falling, "task", REPS)
    assert part.verdict == ls.REPRODUCED
    ratio = part.numbers["end/start"]
    assert ratio.value == pytest.approx(0.52, abs=0.02) and ratio.ci[1] < 0.6

    flat = arm(lambda r: records(0.5 + r.normal(0, 0.01, 100)))
    part = ls.entropy_collapse(flat, "task", REPS)
    assert part.verdict == ls.NOT_REPRODUCED
    assert part.numbers["end/start"].ci[0] > 0.9 and part.numbers["end/start"].ci[1] >= 1.0

    noisy = arm(lambda r: records(0.5 + r.normal(0, 0.5, 100)), seeds=range(3))
    assert ls.entropy_collapse(noisy, "task", REPS).verdict == ls.INCONCLUSIVE


def test_fit_recovers_a_planted_law_and_rejects_noise():
    h = np.linspace(1.0, 0.2, 200)

    def planted(r):
        reward = -0.5 * np.exp(h) + 1.5 + r.normal(0, 0.05, 200)
        return records(h + r.normal(0, 0.01, 200), reward=reward)

    cells = arm(planted)
    part = ls.entropy_reward_fit(cells, "task", REPS)
    assert part.verdict == ls.REPRODUCED and part.facts["reward"] == "success"
    a, b = part.numbers["a"], part.numbers["b"]
    assert a.value == pytest.approx(0.5, abs=0.03) and b.value == pytest.approx(1.5, abs=0.05)
    assert a.ci[0] > 0.4 and a.ci[1] < 0.6
    assert part.numbers["R^2"].value > 0.95
    assert part.numbers["ceiling -a+b"].value == pytest.approx(1.0, abs=0.05)
    # the point estimate is fit_entropy_return's on the windowed across-seed means
    mean_h = np.mean([[r["entropy"] for r in cells[s][1:]] for s in SEEDS], axis=0)
    mean_r = np.mean([[r["success"] for r in cells[s][1:]] for s in SEEDS], axis=0)
    fit = fit_entropy_return(ls.windows(mean_h), ls.windows(mean_r))
    assert (a.value, b.value) == pytest.approx((fit.a, fit.b))
    assert part.numbers["R^2"].value == pytest.approx(fit.r2)
    assert part.numbers["reached"].value == pytest.approx(mean_r[-10:].mean())

    def unrelated(r):  # reward is noise around a constant, whatever the entropy
        return records(h + r.normal(0, 0.01, 200), reward=r.normal(0.5, 0.2, 200))

    assert ls.entropy_reward_fit(arm(unrelated), "task", REPS).verdict == ls.NOT_REPRODUCED

    def bandit(r):  # no success key: the fit uses the return, and says so
        return records(h, reward=-np.exp(h) + 6 + r.normal(0, 0.1, 200), reward_key="return")

    assert ls.entropy_reward_fit(arm(bandit), "task", REPS).facts["reward"] == "return"


def test_windows_end_at_the_last_update():
    values = np.arange(25, dtype=float)
    assert ls.windows(values).tolist() == [9.5, 19.5]  # 0-4 dropped, 5-14, 15-24


def test_planted_negative_covariance_relation_is_resolved():
    def planted(r):
        cov = r.uniform(0.0, 0.2, 200)
        h = 1.0 + np.concatenate([[0.0], np.cumsum(-0.5 * cov + r.normal(0, 0.02, 200))])
        return records(h[:200], covariance=cov)

    cells = arm(planted)
    tracks = ls.covariance_tracks_entropy(cells, "task", REPS)
    assert tracks.verdict == ls.REPRODUCED
    corr = tracks.numbers["corr(cov_t, H_t+1 - H_t)"]
    assert corr.value < -0.5 and corr.ci[1] < 0
    # each seed's correlation is Pearson's over (cov[t], H[t+1] - H[t])
    one = cells[0]
    cov = np.array([r["covariance"] for r in one[1:]])
    h = np.array([r["entropy"] for r in one[1:]])
    expected = np.corrcoef(cov[:-1], np.diff(h))[0, 1]
    assert ls.covariance_entropy_correlation(one) == pytest.approx(expected)

    share = ls.covariance_positive(cells, "task", REPS)
    assert share.verdict == ls.REPRODUCED and share.numbers["share > 0 (nonzero)"].value == 1.0

    def unrelated(r):
        return records(1.0 + r.normal(0, 0.02, 200), covariance=r.normal(-0.05, 0.1, 200))

    other = arm(unrelated)
    assert ls.covariance_tracks_entropy(other, "task", REPS).verdict == ls.NOT_REPRODUCED
    assert ls.covariance_positive(other, "task", REPS).verdict == ls.NOT_REPRODUCED


def test_zero_covariance_updates_do_not_count_against_the_share():
    # half the updates tie (covariance 0), the others are all positive
    cov = np.tile([0.0, 0.1], 50)
    part = ls.covariance_positive(arm(lambda r: records(np.ones(100), covariance=cov)), "t", REPS)
    assert part.numbers["share > 0 (nonzero)"].value == 1.0
    assert part.numbers["share > 0 (all)"].value == 0.5
    assert part.verdict == ls.REPRODUCED


def end_heldout(success: float, **extra: float) -> dict[int, dict[str, float]]:
    return {0: {"heldout_success": 0.3}, 100: {"heldout_success": success, **extra}}


def test_covariance_rules_hold_entropy_without_losing_pass_at_k():
    def cells(level, pass_k, noise=0.01):
        return arm(
            lambda r: records(
                np.full(100, level) + r.normal(0, noise, 100),
                heldout=end_heldout(
                    0.5, **{"heldout_pass@8": pass_k + r.normal(0, 0.01), "heldout_pass@16": pass_k}
                ),
            )
        )

    plain = cells(0.2, 0.8)
    part = ls.holds_entropy(plain, cells(0.4, 0.8), "x vs plain", REPS)
    assert part.verdict == ls.REPRODUCED and part.facts["k"] == 16
    assert part.numbers["end entropy diff"].value == pytest.approx(0.2, abs=0.01)
    assert ls.holds_entropy(plain, cells(0.1, 0.8), "w", REPS).verdict == ls.NOT_REPRODUCED
    lost = ls.holds_entropy(plain, cells(0.4, 0.6), "w", REPS)
    assert lost.verdict == ls.NOT_REPRODUCED and lost.numbers["pass@16 diff"].ci[1] < 0


def success_arm(mean: float, sd: float = 0.02, seeds=SEEDS):
    return arm(
        lambda r: records(np.full(100, 0.3), heldout=end_heldout(mean + r.normal(0, sd))), seeds
    )


def test_forking_tokens_match_and_bottom_80_worse():
    plain = success_arm(0.6)
    assert ls.success_difference(plain, success_arm(0.6), "w", REPS, expect="match").verdict == (
        ls.REPRODUCED
    )
    assert ls.success_difference(plain, success_arm(0.4), "w", REPS, expect="match").verdict == (
        ls.NOT_REPRODUCED
    )
    worse = ls.success_difference(plain, success_arm(0.4), "w", REPS, expect="worse")
    assert worse.verdict == ls.REPRODUCED
    assert worse.numbers["held-out success diff"].value == pytest.approx(-0.2, abs=0.03)
    same = ls.success_difference(plain, success_arm(0.6), "w", REPS, expect="worse")
    assert same.verdict == ls.NOT_REPRODUCED
    with pytest.raises(ValueError, match="expect"):
        ls.success_difference(plain, plain, "w", REPS, expect="better")


def test_entropy_explosion_is_more_than_a_doubling():
    rising = arm(lambda r: records(np.linspace(0.2, 1.0, 100) + r.normal(0, 0.01, 100)))
    part = ls.entropy_explosion(rising, "w", REPS, vocabulary=106)
    assert part.verdict == ls.REPRODUCED
    assert part.numbers["end / ln V"].value == pytest.approx(0.96 / np.log(106), abs=0.01)
    mild = arm(lambda r: records(np.linspace(0.2, 0.3, 100) + r.normal(0, 0.01, 100)))
    part = ls.entropy_explosion(mild, "w", REPS, vocabulary=None)
    assert part.verdict == ls.NOT_REPRODUCED and "end / ln V" not in part.numbers


def test_entropy_targets_held_and_a_peaked_sweep_is_non_monotonic():
    def target_arm(end, success):
        return arm(
            lambda r: records(
                np.full(100, end) + r.normal(0, 0.005, 100),
                heldout=end_heldout(success + r.normal(0, 0.02)),
            )
        )

    held = ls.holds_target(target_arm(0.2, 0.5), 0.2, "w", REPS)
    assert held.verdict == ls.REPRODUCED
    assert held.numbers["|end - target|"].ci[1] <= 0.05
    missed = ls.holds_target(target_arm(0.1, 0.5), 0.2, "w", REPS)
    assert missed.verdict == ls.NOT_REPRODUCED

    peaked = {0.05: 0.3, 0.1: 0.5, 0.2: 0.6, 0.4: 0.4}
    part = ls.target_shape({t: target_arm(t, s) for t, s in peaked.items()}, "w", REPS)
    assert part.verdict == ls.REPRODUCED and part.facts["peaks"] == [0.1, 0.2]
    rising = {0.05: 0.3, 0.1: 0.4, 0.2: 0.5, 0.4: 0.6}
    part = ls.target_shape({t: target_arm(t, s) for t, s in rising.items()}, "w", REPS)
    assert part.verdict == ls.NOT_REPRODUCED and part.facts["shape"] == "monotonic or dipping"
    two = ls.target_shape({0.1: target_arm(0.1, 0.5), 0.2: target_arm(0.2, 0.5)}, "w", REPS)
    assert two.verdict == ls.INCONCLUSIVE


def test_multi_turn_gain_reads_the_board_scores():
    plain, arm_cells = success_arm(0.4), success_arm(0.5)
    rng = np.random.default_rng(0)
    low = {s: 0.2 + rng.normal(0, 0.02) for s in SEEDS}
    high = {s: 0.4 + rng.normal(0, 0.02) for s in SEEDS}
    part = ls.multi_turn_gain(plain, arm_cells, low, high, "w", REPS)
    assert part.verdict == ls.REPRODUCED
    assert part.numbers["score diff"].value == pytest.approx(0.2, abs=0.03)
    assert part.numbers["held-out success diff"].value == pytest.approx(0.1, abs=0.03)
    assert ls.multi_turn_gain(plain, arm_cells, high, low, "w", REPS).verdict == (ls.NOT_REPRODUCED)


def long_arm(entropy_end: float, curve: list[float]):
    checkpoints = {100 * i: {"heldout_success": v} for i, v in enumerate(curve)}

    def make(r):
        heldout = {t: {"heldout_success": v["heldout_success"] + r.normal(0, 0.01)}
                   for t, v in checkpoints.items()}  # fmt: skip
        h = np.linspace(1.0, entropy_end, 1000) + r.normal(0, 0.01, 1000)
        return records(h, heldout=heldout)

    return arm(make)


def test_long_run_stable_lp_reg_against_collapsing_plain():
    falls = [0.3, 0.5, 0.6, 0.6, 0.5, 0.4, 0.35, 0.3, 0.3, 0.3, 0.3]
    rises = [0.3, 0.5, 0.6, 0.62, 0.63, 0.64, 0.64, 0.65, 0.65, 0.65, 0.65]
    plain, lp = long_arm(0.2, falls), long_arm(0.9, rises)
    part = ls.long_run_stability(plain, lp, "w", REPS)
    assert part.verdict == ls.REPRODUCED
    assert part.facts["checkpoints"] == list(range(0, 1001, 100))
    assert part.facts["plain"] == "entropy collapses, success falls"
    assert part.facts["arm"] == "entropy holds, success stable"
    assert part.numbers["plain fall from best"].value == pytest.approx(0.3, abs=0.03)
    # plain is fine too: nothing to rescue
    both_fine = ls.long_run_stability(long_arm(0.9, rises), lp, "w", REPS)
    assert both_fine.verdict == ls.NOT_REPRODUCED
    # Lp-Reg collapses as well
    assert ls.long_run_stability(plain, long_arm(0.2, rises), "w", REPS).verdict == (
        ls.NOT_REPRODUCED
    )


def test_intervals_are_deterministic_and_need_two_seeds():
    cells = arm(lambda r: records(np.linspace(1.0, 0.5, 100) + r.normal(0, 0.05, 100)))
    first = ls.entropy_collapse(cells, "task", REPS)
    assert first.to_dict() == ls.entropy_collapse(cells, "task", REPS).to_dict()
    other = ls.entropy_collapse(cells, "another task", REPS).numbers["end/start"]
    assert (
        other.value == first.numbers["end/start"].value
        and other.ci != first.numbers["end/start"].ci
    )  # a different stream for a different place

    one = ls.entropy_collapse({0: cells[0]}, "task", REPS)
    assert one.numbers["end/start"].ci is None and one.verdict == ls.INCONCLUSIVE
    assert "no interval" in one.note
    short = ls.entropy_collapse(arm(lambda r: records(np.ones(15))), "task", REPS)
    assert short.verdict == ls.INCONCLUSIVE and "20 updates" in short.note


def test_check_verdict_is_unanimous_or_inconclusive():
    def part(v):
        return ls.Part("a", "c", "w", v)

    assert ls.check_verdict([part(ls.REPRODUCED)] * 2) == (ls.REPRODUCED, "2 reproduced")
    assert ls.check_verdict([part(ls.REPRODUCED), part(ls.NOT_REPRODUCED)]) == (
        ls.INCONCLUSIVE,
        "1 reproduced, 1 not reproduced",
    )
    assert ls.check_verdict([part(ls.NOT_RUN)]) == (ls.NOT_RUN, "1 not run")
    assert ls.check_verdict([part(ls.REPRODUCED), part(ls.NOT_RUN)]) == (
        ls.REPRODUCED,
        "1 reproduced, 1 not run",
    )
