"""Seeds by power: the power figure against boards simulated and judged by the board's own
verdict code, the cases whose answer is known exactly, and the pilot's spread."""

from __future__ import annotations

import math

import numpy as np
import pytest

from entropy_gym.scoring.comparison import BETTER, compare_group
from entropy_gym.scoring.power import (
    between_seed_spread,
    board_power,
    critical_distance,
    normal_poi,
    normal_power,
    pilot_spreads,
    power,
    seeds_needed,
    smallest_p_value,
    smallest_shift,
)


def simulated_power(draw, n: int, envs: int, shift: float, trials: int, seed: int) -> float:
    """How often the board's verdict code finds X better than its baseline when X's runs
    are the baseline's distribution (``draw``) shifted by ``shift`` on every env."""
    rng = np.random.default_rng(seed)
    better = 0
    for _ in range(trials):
        x, y = draw(rng, (n, envs)) + shift, draw(rng, (n, envs))
        [c] = compare_group("y", ["x"], {"x": x, "y": y})
        better += c.verdict == BETTER
    return better / trials


def _normal(rng, size):
    return rng.standard_normal(size)


@pytest.mark.parametrize(
    ("n", "envs", "shift"),
    [(5, 3, 1.0), (10, 1, 1.2), (3, 7, 1.1), (30, 1, 0.6)],  # the last: normal approximation
)
def test_power_figure_agrees_with_simulated_boards(n, envs, shift):
    figure = power(n, envs, shift)
    seen = simulated_power(_normal, n, envs, shift, trials=600, seed=n * 100 + envs)
    tolerance = 3.5 * math.sqrt(figure * (1 - figure) / 600) + 0.01
    assert abs(seen - figure) <= tolerance, (seen, figure)
    assert 0.2 < figure < 0.95  # a case where power is neither 0 nor 1


def test_the_normal_model_holds_for_a_resampled_flat_pilot():
    """A pilot of 200 seeds from a uniform distribution: boards drawn by resampling it, the
    effect a shift of one pilot spread, get the model's power within Monte Carlo error."""
    pilot = np.random.default_rng(1).uniform(0, 1, 200)
    spread = between_seed_spread([pilot])

    def resample(rng, size):
        return rng.choice(pilot, size=size) / spread

    figure = power(6, 2, 1.0)
    seen = simulated_power(resample, 6, 2, 1.0, trials=600, seed=9)
    assert abs(seen - figure) <= 3.5 * math.sqrt(figure * (1 - figure) / 600) + 0.02


def test_the_normal_approximation_continues_the_simulation():
    for n, envs, shift in [(20, 1, 0.8), (20, 3, 0.5), (15, 2, 0.7)]:
        simulated = power(n, envs, shift)
        approximated = normal_power(n, envs, shift, critical_distance(n, envs, 0.05))
        assert abs(simulated - approximated) < 0.02, (n, envs, shift)


def test_what_three_seeds_can_and_cannot_resolve():
    # One env: the smallest two-sided p-value of 3 against 3 is 2 / C(6, 3) = 0.1.
    assert smallest_p_value(3, 1) == pytest.approx(0.1)
    assert critical_distance(3, 1, 0.05) is None and smallest_shift(3, 1) is None
    assert power(3, 1, 50.0) == 0.0
    assert board_power(3, 1, 1)["smallest_shift"] is None
    # Two envs: 2 / 400 = 0.005 is reachable, and a large enough shift is resolved.
    assert smallest_p_value(3, 2) == pytest.approx(0.005)
    assert power(3, 2, 20.0) == 1.0
    # Four seeds on one env reach 2 / 70 = 0.029: the fewest that can resolve anything.
    assert seeds_needed(math.inf, 1) == 4
    assert seeds_needed(math.inf, 1, alpha=0.01) == 5  # 2 / 252 = 0.008


def test_power_grows_with_effect_seeds_and_envs_and_falls_with_the_level():
    assert power(6, 2, 0.5) < power(6, 2, 1.0) < power(6, 2, 2.0)
    assert power(4, 2, 1.0) < power(8, 2, 1.0) < power(16, 2, 1.0)
    assert power(6, 1, 1.0) < power(6, 4, 1.0)
    assert power(6, 2, 1.0, alpha=0.01) < power(6, 2, 1.0, alpha=0.05)
    assert smallest_shift(3, 10) < smallest_shift(3, 5) < smallest_shift(3, 2)


def test_seeds_needed_matches_the_textbook_figure():
    """A one-SD shift on one env at 80% power and 5%: the t-test needs 17 seeds a side, the
    rank test (asymptotic efficiency 0.955 under normality) about 18."""
    need = seeds_needed(1.0, 1)
    assert 17 <= need <= 19
    assert power(need, 1, 1.0) >= 0.8 > power(need - 1, 1, 1.0)


def test_board_power_states_the_level_of_holms_first_step():
    b = board_power(3, 7, 2)
    assert b["level"] == 0.025 and b["comparisons"] == 2
    assert b["smallest_poi"] == pytest.approx(normal_poi(b["smallest_shift"]))
    assert (
        power(3, 7, b["smallest_shift"], 0.025)
        >= 0.8
        > power(3, 7, b["smallest_shift"] - 0.02, 0.025)
    )
    assert normal_poi(0.0) == 0.5 and normal_poi(1.0) == pytest.approx(0.7602, abs=1e-4)


def test_pilot_spread_pools_agents_within_each_env():
    cells = [
        *({"env": "a", "label": "x", "status": "ok", "score": s} for s in (1.0, 2.0, 3.0)),
        *({"env": "a", "label": "y", "status": "ok", "score": s} for s in (10.0, 12.0)),
        {"env": "a", "label": "y", "status": "failed", "score": None},
        {"env": "a", "label": "z", "status": "ok", "score": 7.0},  # one seed: no spread
        *({"env": "b", "label": "x", "status": "ok", "score": s} for s in (4.0, 4.0)),
    ]
    spreads = pilot_spreads(cells, ["a", "b", "c"])
    assert spreads["a"]["spread"] == pytest.approx(math.sqrt((2.0 + 2.0) / 3))
    assert spreads["a"]["agents"] == 2 and spreads["a"]["seeds"] == 3
    assert spreads["b"]["spread"] == 0.0 and spreads["c"]["spread"] is None
