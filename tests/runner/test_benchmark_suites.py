"""The suites of benchmarks.yaml that are not run in CI (or only on big machines) still build:
every agent with its interventions and every env, so a typo fails here, not hours into a run."""

from __future__ import annotations

import pytest

from entropy_gym.runner.suite import check_runnable, load_suites
from tests.runner.helpers import REPO

SUITES = load_suites(REPO / "benchmarks.yaml")


@pytest.mark.parametrize("name", ["control", "control-full", "stori"])
def test_suite_builds_every_agent_and_env(name):
    check_runnable(SUITES[name])


@pytest.mark.parametrize("name", ["control", "control-full", "stori"])
def test_suite_covers_the_five_stochasticity_types_per_game(name):
    suite = SUITES[name]
    games: dict[str, set[str]] = {}
    for env in suite.envs:
        game, kind = env.id.split("/")[1].rsplit("-v0", 1)[0].split("-", 1)
        games.setdefault(game, set()).add(kind.rstrip("ABC"))
    assert games and all(
        kinds == {"T1", "T2.1", "T2.2", "T3.1", "T3.2"} for kinds in games.values()
    ), games


def test_drift_happens_inside_the_cheap_suites_evaluation_episodes():
    # The CPU suites evaluate agents whose episodes last tens (InvertedPendulum) or a few
    # hundred (Breakout) steps, so their type-2.2 envs must drift before the default step 300.
    drifting = [e for s in ("control", "stori") for e in SUITES[s].envs if "T2.2" in e.id]
    assert len(drifting) == 2 and all(0 < e.kwargs.get("threshold", 300) < 300 for e in drifting)
