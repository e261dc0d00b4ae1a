"""Does robustness carry over between types? (entropy_gym.scoring.type_transfer)"""

from __future__ import annotations

import numpy as np
import pytest

from entropy_gym.scoring.type_transfer import (
    ScoreKey,
    learning_scores,
    type_transfer,
    verdict,
)

GAMES = ("G1", "G2")
AGENTS = tuple(f"a{i}" for i in range(5))
SEEDS = tuple(range(6))
TYPES = ("1", "2.1", "2.2", "3.2")


def scores_from(
    drops: dict[str, np.ndarray],
    rng: np.random.Generator,
    noise: float = 0.02,
    offsets: dict[str, dict[str, float]] | None = None,
) -> dict[ScoreKey, float]:
    """Per-seed scores: plain ``0.8 + N(0, noise)``, type ``T`` the plain score at that seed
    plus ``drops[T][agent, game]`` plus the game's offset under ``T`` and N(0, noise)."""
    out: dict[ScoreKey, float] = {}
    for g, game in enumerate(GAMES):
        for i, agent in enumerate(AGENTS):
            for seed in SEEDS:
                plain = 0.8 + rng.normal(0, noise)
                out[(agent, game, "3.1", seed)] = plain
                for kind, drop in drops.items():
                    offset = (offsets or {}).get(kind, {}).get(game, 0.0)
                    value = plain + drop[i, g] + offset + rng.normal(0, noise)
                    out[(agent, game, kind, seed)] = value
    return out


def by_pair(pairs):
    return {(p.type_a, p.type_b): p for p in pairs}


def test_the_same_order_of_robustness_carries_over_whichever_game_is_hard():
    rng = np.random.default_rng(0)
    order = -0.1 * rng.permutation(10).reshape(5, 2)  # each item's drop, the same every type
    # Type 1 is hard on G1 and type 2.1 on G2: without centring within the game, the items of
    # G1 would rank low under 1 and high under 2.1, and the correlation would be negative.
    offsets = {"1": {"G1": -1.0}, "2.1": {"G2": -1.0}}
    scores = scores_from({t: order for t in TYPES}, rng, offsets=offsets)
    pairs = type_transfer(scores, reps=500)
    assert pairs is not None and len(pairs) == 6
    assert [(p.type_a, p.type_b) for p in pairs] == [
        ("1", "2.1"), ("1", "2.2"), ("1", "3.2"), ("2.1", "2.2"), ("2.1", "3.2"), ("2.2", "3.2")
    ]  # fmt: skip
    for p in pairs:
        assert p.rho is not None and p.rho > 0.9 and p.low is not None and p.low > 0.5
        assert p.verdict == "carries over" and p.n_items == 10
        assert p.seeds_a == (0, 2, 4) and p.seeds_b == (1, 3, 5)  # disjoint seeds
    # Same input, same intervals (the bootstrap is seeded from the pair's names).
    again = type_transfer(dict(reversed(list(scores.items()))), reps=500)
    assert again == pairs


def test_unrelated_orders_are_mostly_unresolved():
    # No agent is more robust than another: each seed's scores are independent noise, plain
    # included. Drops sharing their seeds' plain scores would correlate (about 0.45) through
    # the plain noise they share; disjoint seeds leave rho near 0 and the pairs unresolved.
    rng = np.random.default_rng(1)
    verdicts, rhos = [], []
    for _ in range(10):
        scores: dict[ScoreKey, float] = {}
        for game in GAMES:
            for agent in AGENTS:
                for seed in SEEDS:
                    scores[(agent, game, "3.1", seed)] = 0.8 + rng.normal(0, 0.1)
                    for kind in TYPES:
                        scores[(agent, game, kind, seed)] = 0.5 + rng.normal(0, 0.1)
        pairs = type_transfer(scores, reps=300) or []
        verdicts += [p.verdict for p in pairs]
        rhos += [p.rho for p in pairs]
        for p in pairs:
            assert p.low is not None and p.high is not None and p.low <= p.rho <= p.high
    assert len(verdicts) == 60 and verdicts.count("unresolved") >= 54, verdicts
    assert abs(float(np.mean(rhos))) < 0.1


def test_a_reversed_order_is_opposed():
    rng = np.random.default_rng(2)
    order = -0.1 * rng.permutation(10).reshape(5, 2)
    scores = scores_from({"1": order, "2.1": -order, "3.2": order}, rng)
    pairs = by_pair(type_transfer(scores, reps=500) or [])
    assert pairs[("1", "2.1")].verdict == "opposed" and pairs[("1", "2.1")].rho < -0.9
    assert pairs[("2.1", "3.2")].verdict == "opposed"
    assert pairs[("1", "3.2")].verdict == "carries over"


def _cell(label, env, seed, score, learns=True, status="ok"):
    return {"label": label, "env": env, "seed": seed, "score": score, "learns": learns,
            "status": status}  # fmt: skip


def test_only_learning_agents_and_games_with_a_plain_type_make_items():
    tasks = {
        f"{game}-{kind}": (game, kind) for game in ("G1", "G2") for kind in ("3.1", "1", "2.1")
    }
    tasks |= {"G3-1": ("G3", "1"), "G3-2.1": ("G3", "2.1")}  # no plain type
    tasks |= {"G1-2.1b": ("G1", "2.1")}  # a second task of one game and type
    rng = np.random.default_rng(3)
    cells = []
    for task in tasks:
        for agent in ("a", "b", "c"):
            for seed in range(5):
                cells.append(_cell(agent, task, seed, float(rng.uniform())))
        for seed in range(5):
            cells.append(_cell("random", task, seed, float(rng.uniform()), learns=False))
    cells.append(_cell("a", "G1-1", 5, None, status="failed"))
    scores = learning_scores(cells, tasks)
    assert {key[0] for key in scores} == {"a", "b", "c"}  # random does not learn
    assert ("a", "G1", "1", 5) not in scores  # a failed cell is no score
    b = {c["env"]: c["score"] for c in cells if c["label"] == "b" and c["seed"] == 1}
    assert scores[("b", "G1", "2.1", 1)] == pytest.approx((b["G1-2.1"] + b["G1-2.1b"]) / 2)
    pairs = type_transfer(scores, reps=200)
    assert pairs is not None and len(pairs) == 1
    assert pairs[0].n_items == 6  # G3 has no plain score
    assert pairs[0].seeds_a == (0, 2, 4) and pairs[0].seeds_b == (1, 3)


def test_items_missing_a_type_and_lone_agents_drop_out_of_that_pair_only():
    rng = np.random.default_rng(4)
    order = -0.1 * rng.permutation(10).reshape(5, 2)
    scores = scores_from({"1": order, "2.1": order, "3.2": order}, rng)
    scores = {k: v for k, v in scores.items() if k[:3] != ("a4", "G1", "2.1")}
    # A game with one learning agent: its centred drop is always 0, so it makes no item.
    scores |= {("a0", "G3", kind, s): 0.5 for kind in ("3.1", "1", "2.1", "3.2") for s in SEEDS}
    pairs = by_pair(type_transfer(scores, reps=200) or [])
    assert pairs[("1", "2.1")].n_items == 9 and pairs[("2.1", "3.2")].n_items == 9
    assert pairs[("1", "3.2")].n_items == 10


def test_a_board_without_plain_two_other_types_three_items_or_five_seeds_has_none():
    rng = np.random.default_rng(5)
    order = -0.1 * rng.permutation(10).reshape(5, 2)
    scores = scores_from({"1": order, "2.1": order}, rng)
    assert type_transfer({k: v for k, v in scores.items() if k[2] != "3.1"}) is None
    assert type_transfer({k: v for k, v in scores.items() if k[2] != "2.1"}) is None
    two_items = {k: v for k, v in scores.items() if k[0] in ("a0", "a1") and k[1] == "G1"}
    assert type_transfer(two_items) is None
    four_seeds = {k: v for k, v in scores.items() if k[3] < 4}
    assert type_transfer(four_seeds) is None
    # A seed missing for one item is missing for the pair: 5 seeds become 4.
    five = {k: v for k, v in scores.items() if k[3] < 5}
    assert type_transfer(five) is not None
    assert type_transfer({k: v for k, v in five.items() if k[:2] != ("a0", "G1") or k[3]}) is None


def test_verdicts_read_the_interval():
    assert verdict(0.1, 0.9) == "carries over"
    assert verdict(-0.9, -0.1) == "opposed"
    assert verdict(-0.2, 0.5) == "unresolved"
    assert verdict(None, None) == "undefined"
