"""Does robustness carry over between stochasticity types?

STORI's by-type claim is that an agent robust to one kind of stochasticity need not be robust
to another. :func:`type_transfer` measures it on a board for every pair of the non-plain types
(A, B) it holds: the Spearman rank correlation, over items = (learning agent, game), of the
agent's **robustness drop** under A and under B, with a 95% percentile bootstrap interval over
seeds (:func:`~entropy_gym.scoring.rank_correlation.rank_correlation`).

The drop of an item under type ``T`` at seed ``s`` is its score under ``T`` minus its score
under the plain type ``3.1`` at the same seed (tasks of one game sharing a type are averaged
per seed first). It is then **centred within the game**: at each seed, the mean drop of the
game's agents is subtracted, so the correlation asks whether the agents' order of robustness
within a game under A predicts their order under B, not which games are harder.

The two types' drops come from **disjoint seeds**: of the seeds at which every item has cells
under plain, A and B, those at even positions give A's drops and those at odd positions B's.
Drops from the same seeds would share their plain scores: the noise of an item's plain score
enters both with the same sign, so two types look alike where the agents' robustness does not
differ at all (simulated with 4-5 agents, 2-5 games and 4-10 seeds, that null gave rho about
0.45 and "carries over" for 13-27% of pairs; with disjoint seeds, rho about 0 and 1-4% at 5
seeds or more). The interval is then the bootstrap's over each side's seeds, resampled
independently, as :func:`~entropy_gym.scoring.rank_correlation.rank_correlation` does.

A pair uses the items with cells under plain, A and B, in games with at least two such agents
(one agent's centred drop is always 0), at the seeds where every one of those items has all
three; it is left out with fewer than 3 items or 5 seeds (2 on a side: fewer make the
percentile interval too narrow). Verdict: ``carries over`` where the interval lies above 0,
``opposed`` below 0, ``unresolved`` where it contains 0 (``undefined`` where the drops have no
spread, so no rank correlation exists).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from entropy_gym.scoring.aggregate import CONFIDENCE, stable_seed
from entropy_gym.scoring.rank_correlation import rank_correlation
from entropy_gym.scoring.robustness import PLAIN_TYPE, type_order

#: Scores keyed by ``(agent label, game, type, seed)``.
ScoreKey = tuple[str, str, str, int]

MIN_ITEMS = 3
#: Seeds at which every item of a pair has all three types: split between the two sides.
MIN_SEEDS = 5
METHOD = "spearman"


@dataclass(frozen=True)
class TypeTransfer:
    """One pair of types: the rank correlation of the items' centred drops under each, its
    interval (``None`` where undefined), the items and each side's seeds, and the verdict."""

    type_a: str
    type_b: str
    rho: float | None
    low: float | None
    high: float | None
    n_items: int
    seeds_a: tuple[int, ...]
    seeds_b: tuple[int, ...]
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seeds_a": list(self.seeds_a), "seeds_b": list(self.seeds_b)}


def verdict(low: float | None, high: float | None) -> str:
    """``carries over`` (interval above 0), ``opposed`` (below 0), ``unresolved`` (contains
    0) or ``undefined`` (no interval)."""
    if low is None or high is None:
        return "undefined"
    if low > 0:
        return "carries over"
    if high < 0:
        return "opposed"
    return "unresolved"


def learning_scores(
    cells: Iterable[Mapping[str, Any]], task_game_type: Mapping[str, tuple[str, str]]
) -> dict[ScoreKey, float]:
    """Per-seed scores of the learning agents' finished cells on typed tasks, keyed by
    ``(label, game, type, seed)``; tasks of one game sharing a type are averaged per seed. A
    cell of an agent that does not learn (``learns`` false: random, a fixed baseline) is left
    out."""
    grouped: dict[ScoreKey, list[float]] = defaultdict(list)
    for c in cells:
        if c["env"] not in task_game_type or c["status"] != "ok" or not c.get("learns"):
            continue
        score = c.get("score")
        if score is None or not math.isfinite(float(score)):
            continue
        game, kind = task_game_type[c["env"]]
        grouped[(str(c["label"]), game, kind, int(c["seed"]))].append(float(score))
    return {key: float(np.mean(values)) for key, values in sorted(grouped.items())}


def type_transfer(
    scores: Mapping[ScoreKey, float],
    *,
    reps: int = 2000,
    confidence: float = CONFIDENCE,
) -> list[TypeTransfer] | None:
    """Every pair of the non-plain types in ``scores`` (learning agents only), in type order
    (module docstring); ``None`` where no plain type, fewer than 2 other types, or no pair has
    enough items and seeds."""
    types = sorted({key[2] for key in scores}, key=type_order)
    others = [t for t in types if t != PLAIN_TYPE]
    if PLAIN_TYPE not in types or len(others) < 2:
        return None
    out = []
    for a, b in itertools.combinations(others, 2):
        pair = _pair(scores, a, b, reps, confidence)
        if pair is not None:
            out.append(pair)
    return out or None


def _pair(
    scores: Mapping[ScoreKey, float], a: str, b: str, reps: int, confidence: float
) -> TypeTransfer | None:
    seeds_of: dict[tuple[str, str], set[int]] = defaultdict(set)
    for label, game, kind, seed in scores:
        if kind == PLAIN_TYPE and all((label, game, t, seed) in scores for t in (a, b)):
            seeds_of[(label, game)].add(seed)
    agents: dict[str, int] = defaultdict(int)
    for _, game in seeds_of:
        agents[game] += 1
    items = sorted(item for item, seeds in seeds_of.items() if agents[item[1]] >= 2 and seeds)
    if len(items) < MIN_ITEMS:
        return None
    seeds = sorted(set.intersection(*(seeds_of[item] for item in items)))
    if len(seeds) < MIN_SEEDS:
        return None
    seeds_a, seeds_b = tuple(seeds[0::2]), tuple(seeds[1::2])
    drops = [_centred_drops(scores, items, seeds_a, a), _centred_drops(scores, items, seeds_b, b)]
    corr = rank_correlation(
        drops[0],
        drops[1],
        method=METHOD,
        reps=reps,
        confidence=confidence,
        seed=stable_seed("type-transfer", a, b),
    )
    rho, low, high = (v if math.isfinite(v) else None for v in (corr.value, corr.low, corr.high))
    if rho is None:
        low = high = None
    return TypeTransfer(a, b, rho, low, high, len(items), seeds_a, seeds_b, verdict(low, high))


def _centred_drops(
    scores: Mapping[ScoreKey, float],
    items: list[tuple[str, str]],
    seeds: Iterable[int],
    kind: str,
) -> np.ndarray:
    """``(seeds, items)``: each item's score under ``kind`` minus its plain score at the same
    seed, less the mean of that over the game's items at that seed."""
    drops = np.array(
        [
            [
                scores[(label, game, kind, s)] - scores[(label, game, PLAIN_TYPE, s)]
                for label, game in items
            ]
            for s in seeds
        ]
    )
    games = np.array([game for _, game in items])
    for game in set(games):
        columns = games == game
        drops[:, columns] -= drops[:, columns].mean(axis=1, keepdims=True)
    return drops
