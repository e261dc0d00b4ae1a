"""Scoring: checked against rliable's own functions on fixed arrays, plus normalisation, the
entropy fit, the collapse flag, STORI robustness, and the leaderboard's use of them."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from rliable import library as rly
from rliable import metrics

from entropy_gym.leaderboard.build import build_results
from entropy_gym.leaderboard.markdown import to_markdown
from entropy_gym.leaderboard.table import by_type
from entropy_gym.registration import _CATALOG, EnvCard, register_env
from entropy_gym.runner.suite import load_suite
from entropy_gym.scoring import aggregate
from entropy_gym.scoring.aggregate import (
    aggregate_estimates,
    batched_iqm,
    draw_counts,
    improvement_estimate,
    iqm,
    iqm_and_mean,
    performance_profiles,
    probability_of_improvement,
    score_distribution,
    stratified_indices,
)
from entropy_gym.scoring.entropy import collapse_flag, max_entropy
from entropy_gym.scoring.fit import fit_entropy_return
from entropy_gym.scoring.normalise import anchors_for
from entropy_gym.scoring.robustness import robustness
from tests import rliable_reference as reference
from tests.runner.helpers import synthetic_rows, write_suite

FIXED = [
    np.array([[0.1, 0.9, 0.4], [0.2, 0.3, 0.8], [1.5, -0.2, 0.0], [0.7, 0.7, 0.7]]),
    np.arange(35, dtype=float).reshape(7, 5) ** 1.5,
    np.array([[3.0], [1.0], [2.0]]),
    np.array([[1.0, 1.0], [1.0, 1.0]]),
]


@pytest.mark.parametrize("scores", FIXED)
def test_iqm_and_mean_equal_rliable_metrics(scores):
    assert iqm(scores) == metrics.aggregate_iqm(scores)  # bit for bit
    assert iqm_and_mean(scores)[1] == metrics.aggregate_mean(scores)


@pytest.mark.parametrize(
    "x, y",
    [
        (FIXED[0], FIXED[0][::-1] + 0.05),
        (FIXED[0], FIXED[0]),
        (
            np.array([[1.0, 2.0], [1.0, 0.0], [3.0, 2.0]]),
            np.array([[1.0, 2.0], [0.5, 2.0]]),
        ),  # ties, 3 vs 2 runs
        (np.array([[0.0], [1.0]]), np.array([[2.0], [3.0], [4.0]])),
    ],
)
def test_probability_of_improvement_equals_rliable(x, y):
    assert probability_of_improvement(x, y) == pytest.approx(
        metrics.probability_of_improvement(x, y), abs=1e-12
    )


def test_score_distribution_equals_rliable():
    taus = np.linspace(-0.5, 2.0, 11)
    expected = rly.score_distributions(FIXED[0], taus)
    assert np.allclose(score_distribution(FIXED[0], taus), expected)


RANDOM = np.random.default_rng(7)
#: Score matrices for the bootstrap comparisons: ties, one task, one run per task, many tasks.
MATRICES = [
    FIXED[0],
    FIXED[1][:, :3],
    FIXED[2],
    np.round(RANDOM.normal(size=(5, 40)), 1),
    RANDOM.normal(size=(10, 13)),
]


@pytest.mark.parametrize("scores", MATRICES, ids=lambda m: "x".join(map(str, m.shape)))
def test_interval_estimates_equal_rliables_stratified_bootstrap(scores):
    assert aggregate_estimates({"A": scores}, reps=500) == reference.aggregate_estimates(
        {"A": scores}, reps=500
    )
    est = aggregate_estimates({"A": scores}, reps=500)["A"]
    assert est["iqm_ci"][0] <= est["iqm"] <= est["iqm_ci"][1]


@pytest.mark.parametrize("scores", MATRICES, ids=lambda m: "x".join(map(str, m.shape)))
def test_performance_profiles_equal_rliables(scores):
    taus = np.linspace(-1.5, 2.5, 9)
    ours = performance_profiles({"A": scores}, taus, reps=300)
    assert ours == reference.performance_profiles({"A": scores}, taus, reps=300)
    assert all(
        lo <= f <= hi for lo, f, hi in zip(*(ours["A"][k] for k in ("lower", "fraction", "upper")))
    )


@pytest.mark.parametrize(
    "x, y",
    [
        (MATRICES[3], np.round(RANDOM.normal(size=(5, 40)), 1)),  # equal run counts, ties
        (FIXED[0], FIXED[0][::-1] + 0.05),
        (FIXED[0], np.vstack([FIXED[0], FIXED[0][:2] - 0.1])),  # 4 vs 6 runs
        (np.array([[0.0], [1.0]]), np.array([[2.0], [3.0], [0.5]])),
    ],
)
def test_improvement_estimate_equals_rliables_independent_bootstrap(x, y):
    assert improvement_estimate(x, y, reps=400, seed=11) == reference.improvement_estimate(
        x, y, reps=400, seed=11
    )


def test_intervals_do_not_depend_on_the_chunk_size(monkeypatch):
    scores = MATRICES[4]
    whole = (
        aggregate_estimates({"A": scores}, reps=300),
        improvement_estimate(scores, scores[::-1], 300),
    )
    monkeypatch.setattr(aggregate, "CHUNK_ELEMENTS", 50)  # a few replications per chunk
    chunked = (
        aggregate_estimates({"A": scores}, reps=300),
        improvement_estimate(scores, scores[::-1], 300),
    )
    assert chunked == whole


def test_batched_statistics_equal_their_per_replication_forms():
    rng = np.random.RandomState(3)
    scores = MATRICES[4]
    idx = stratified_indices(rng, 50, *scores.shape)
    samples = scores[idx, np.arange(scores.shape[1])]
    assert batched_iqm(samples.reshape(50, -1)).tolist() == [iqm(s) for s in samples]
    counts = draw_counts(idx, scores.shape[0])
    for r in range(50):
        for t in range(scores.shape[1]):
            assert counts[r, t].tolist() == np.bincount(idx[r, :, t], minlength=10).tolist()


def test_bootstrap_intervals_cover_the_truth_within_monte_carlo_error():
    # 200 independent experiments of 10 runs x 4 tasks from N(0, 1): the 95% CI of the mean
    # must contain the true mean 0 in 95% of them, up to binomial error (3 sigma: 0.90-1.0).
    rng = np.random.default_rng(0)
    covered = 0
    for k in range(200):
        est = aggregate_estimates({f"run{k}": rng.normal(size=(10, 4))}, reps=400)
        covered += est[f"run{k}"]["mean_ci"][0] <= 0.0 <= est[f"run{k}"]["mean_ci"][1]
    assert 0.88 <= covered / 200 <= 0.99


def test_bootstraps_are_deterministic_and_leave_global_numpy_alone():
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    first = aggregate_estimates({"A": FIXED[1]}, reps=300)
    assert np.array_equal(np.random.get_state()[1], state)
    assert aggregate_estimates({"A": FIXED[1]}, reps=300) == first
    # A row's interval does not depend on the other rows of the leaderboard.
    assert aggregate_estimates({"Z": FIXED[0], "A": FIXED[1]}, reps=300)["A"] == first["A"]


def test_stratified_bootstrap_resamples_runs_within_tasks():
    # Every run of a task scores the same: resampling runs cannot move the aggregate.
    flat = np.tile(np.array([[1.0, 5.0, 9.0]]), (6, 1))
    est = aggregate_estimates({"A": flat}, reps=200)["A"]
    assert est["mean_ci"] == [5.0, 5.0] and est["iqm_ci"] == [5.0, 5.0]


def test_improvement_estimate():
    good, bad = FIXED[0] + 10.0, FIXED[0]
    est = improvement_estimate(good, bad, reps=300)
    assert est["p"] == 1.0 and est["ci"] == [1.0, 1.0]
    est = improvement_estimate(FIXED[0], FIXED[0][::-1], reps=300)
    assert est["ci"][0] <= est["p"] <= est["ci"][1]


def test_normalisation_anchors_suite_catalog_raw():
    card = EnvCard(
        id="Test/Anchored-v0",
        family="control",
        type="plain",
        description="test",
        entry_point="gymnasium.envs.classic_control.cartpole:CartPoleEnv",
        random_score=10.0,
        reference_score=110.0,
        reference_source="test reference",
    )
    register_env(card)
    try:
        a = anchors_for("Test/Anchored-v0")
        assert (a.origin, a.apply(60.0), a.apply(10.0)) == ("catalog", 0.5, 0.0)
        s = anchors_for(
            "Test/Anchored-v0", random_score=0.0, reference_score=200.0, reference_source="s"
        )
        assert (s.origin, s.apply(60.0)) == ("suite", 0.3)
        raw = anchors_for("CartPole-v1")
        assert not raw.normalised and raw.origin is None and raw.apply(42.0) == 42.0
        lower = EnvCard(
            id="Test/Cost-v0",
            family="control",
            type="plain",
            description="cost",
            entry_point="gymnasium.envs.classic_control.cartpole:CartPoleEnv",
            higher_is_better=False,
        )
        register_env(lower)
        assert anchors_for("Test/Cost-v0").apply(3.0) == -3.0
    finally:
        for env_id in ("Test/Anchored-v0", "Test/Cost-v0"):
            _CATALOG.pop(env_id, None)
            gym.registry.pop(env_id, None)


def test_fit_recovers_known_a_and_b():
    h = np.linspace(0.05, 1.6, 12)
    fit = fit_entropy_return(h, -1.7 * np.exp(h) + 4.2)
    assert (
        fit.a == pytest.approx(1.7) and fit.b == pytest.approx(4.2) and fit.r2 == pytest.approx(1.0)
    )
    rng = np.random.default_rng(0)
    h = rng.uniform(0, 2, 400)
    noisy = fit_entropy_return(h, -0.8 * np.exp(h) + 3.0 + rng.normal(0, 0.05, 400))
    assert noisy.a == pytest.approx(0.8, abs=0.02) and noisy.b == pytest.approx(3.0, abs=0.05)
    assert fit_entropy_return([0.1, 0.2], [1.0, 2.0]) is None
    assert fit_entropy_return([0.3, 0.3, 0.3], [1.0, 2.0, 3.0]) is None


def test_collapse_flag():
    h_max = max_entropy(gym.spaces.Discrete(4))
    assert h_max == pytest.approx(math.log(4))
    decaying = list(np.log(4) * 0.5 ** np.arange(10))
    assert collapse_flag(decaying, h_max) is True
    assert collapse_flag([math.log(4)] * 10, h_max) is False
    assert collapse_flag([1.0], h_max) is None
    # Continuous: a drop of ln 10 nats per dimension collapses, a smaller one does not.
    assert collapse_flag([1.0, 0.5, -1.4], None, dims=1) is True
    assert collapse_flag([1.0, 0.5, -1.4], None, dims=2) is False


def test_robustness_relative_to_type_3_1():
    scores = {"plain": 0.8, "sticky": 0.4, "drift": 0.2, "other-plain": 0.0, "other-1": 0.5}
    kinds = {
        "plain": ("Pong", "3.1"),
        "sticky": ("Pong", "1"),
        "drift": ("Pong", "2.2"),
        "other-plain": ("Breakout", "3.1"),
        "other-1": ("Breakout", "1"),
    }
    out = robustness(scores, kinds)
    assert out["games"]["Pong"] == {"1": 0.5, "2.2": 0.25}
    assert out["games"]["Breakout"] == {"1": None}  # plain score not above random
    assert out["by_type"] == {"1": 0.5, "2.2": 0.25}


def test_robustness_averages_tasks_of_one_game_and_type():
    scores = {"plain": 0.8, "mask-a": 0.4, "mask-b": 0.2}
    kinds = {
        "plain": ("Breakout", "3.1"),
        "mask-a": ("Breakout", "3.2"),
        "mask-b": ("Breakout", "3.2"),
    }
    assert robustness(scores, kinds)["games"]["Breakout"] == {"3.2": pytest.approx(0.375)}


def test_leaderboard_averages_episodes_within_seeds_and_ranks(tmp_path):
    path = write_suite(
        tmp_path / "b.yaml",
        "s",
        seeds=[0, 1, 2, 3],
        eval_episodes=50,
        bootstrap_reps=300,
        envs=["CartPole-v1", "Pendulum-v1"],
        agents=[
            "random",
            {"name": "random", "label": "strong"},
            {"name": "random", "label": "broken"},
        ],
    )
    suite = load_suite("s", path)
    rows = synthetic_rows(
        suite,
        np.random.default_rng(1),
        skill={"random": 0.0, "strong": 5.0, "broken": 9.0},
        failed={("broken", "Pendulum-v1", 2)},
    )
    results = build_results(suite, rows)
    by_label = {r["label"]: r for r in results["rows"]}
    # Runs are seeds (4), never episodes (200): the matrix holds per-seed means.
    means = {}
    for row in rows:
        if row.ok and row.cell.agent_label == "strong":
            means[(row.cell.seed, row.cell.env_name)] = np.mean(row.result.returns)
    matrix = np.array([[means[(s, e)] for e in ("CartPole-v1", "Pendulum-v1")] for s in range(4)])
    assert by_label["strong"]["runs"] == 4
    assert by_label["strong"]["iqm"] == pytest.approx(metrics.aggregate_iqm(matrix))
    assert by_label["strong"]["mean"] == pytest.approx(matrix.mean())
    # A failed cell drops its seed from the matrix and ranks the row after complete rows.
    assert by_label["broken"]["runs"] == 3 and by_label["broken"]["cells_failed"] == 1
    assert [r["label"] for r in results["rows"]] == ["strong", "random", "broken"]
    assert by_label["strong"]["rank"] == 1 and by_label["broken"]["rank"] == 3
    assert by_label["random"]["improvement_over_top"]["over"] == "strong"
    assert by_label["random"]["improvement_over_top"]["p"] == 0.0
    poi = results["probability_of_improvement"]
    i, j = poi["labels"].index("strong"), poi["labels"].index("random")
    assert poi["p"][i][j] == 1.0 and poi["p"][j][i] == 0.0
    # The fit across cells per env: pairs = finished cells with an entropy (12 - 1 failed on Pendulum).
    assert results["fits"]["CartPole-v1"]["n"] == 12 and results["fits"]["Pendulum-v1"]["n"] == 11
    # Pure function of the rows: order does not matter, the result is identical.
    assert build_results(suite, list(reversed(rows))) == results


def test_leaderboard_normalises_and_reports_robustness(tmp_path):
    cards = [
        EnvCard(
            id=f"Fake/Game-T{t}-v0",
            family="stori",
            type=t,
            game="Game",
            description="fake",
            entry_point="gymnasium.envs.classic_control.cartpole:CartPoleEnv",
            random_score=0.0,
            reference_score=10.0,
            reference_source="fake",
        )
        for t in ("3.1", "1")
    ]
    for card in cards:
        register_env(card)
    try:
        path = write_suite(
            tmp_path / "b.yaml",
            "stori",
            seeds=[0, 1],
            envs=[c.id for c in cards],
            agents=["random"],
        )
        suite = load_suite("stori", path)
        rows = synthetic_rows(
            suite,
            np.random.default_rng(0),
            noise=0.0,
            skill={"random": {"Fake/Game-T3.1-v0": 8.0, "Fake/Game-T1-v0": 2.0}},
        )
        results = build_results(suite, rows)
        row = results["rows"][0]
        assert results["scores"]["kind"] == "normalised"
        assert row["per_task"]["Fake/Game-T3.1-v0"]["score"] == pytest.approx(0.8)
        assert row["robustness"]["games"]["Game"] == {"1": pytest.approx(0.25)}
        header, rows_by_type = by_type(results)
        assert header == ["agent", "type 1", "type 3.1"]
        assert rows_by_type == [["random", "0.200 (x0.25)", "0.800"]]
        assert "## By stochasticity type" in to_markdown(results)
    finally:
        for card in cards:
            _CATALOG.pop(card.id, None)
            gym.registry.pop(card.id, None)


def test_only_the_taxonomy_types_make_a_by_type_table():
    # A text task's catalog type is its difficulty ("easy"): no stochasticity-type column.
    from entropy_gym.envs.control import TYPES as CONTROL_TYPES
    from entropy_gym.envs.stori.make import TYPES as STORI_TYPES
    from entropy_gym.scoring.robustness import TAXONOMY_TYPES, stori_tasks

    assert set(TAXONOMY_TYPES) == set(STORI_TYPES) == set(CONTROL_TYPES)
    tasks = {
        "r": "Reasoning/Arithmetic-easy-v0",
        "t": "ToolTask/KnowledgeBase-easy-v0",
        "h": "Control/Hopper-T3.2-v0",
        "a": "STORI/Adventure-T1-v0",
    }
    assert stori_tasks(tasks) == {"h": ("Hopper", "3.2"), "a": ("Adventure", "1")}
