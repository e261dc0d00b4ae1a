"""The suites of benchmarks.yaml that are not run in CI (or only on big machines) still build:
every agent with its interventions and every env, so a typo fails here, not hours into a run."""

from __future__ import annotations

import pytest

from entropy_gym.runner.cells import expand
from entropy_gym.runner.suite import check_runnable, load_suites
from tests.runner.helpers import REPO

SUITES = load_suites(REPO / "benchmarks.yaml")


@pytest.mark.parametrize(
    "name",
    [
        "control",
        "control-full",
        "stori",
        "stori-full",
        "stori-ale",
        "llm-rl",
        "llm-rl-shapes",
        "llm-rl-long",
        "llm-rl-smollm2",
        "llm-rl-full",
    ],
)
def test_suite_builds_every_agent_and_env(name):
    check_runnable(SUITES[name])


@pytest.mark.parametrize("name", ["control", "control-full", "stori", "stori-full"])
def test_suite_covers_the_five_stochasticity_types_per_game(name):
    suite = SUITES[name]
    games: dict[str, set[str]] = {}
    for env in suite.envs:
        game, kind = env.id.split("/")[1].rsplit("-v0", 1)[0].rsplit("-T", 1)
        kind = "T" + kind
        games.setdefault(game, set()).add(kind.rstrip("ABC"))
    assert games and all(
        kinds == {"T1", "T2.1", "T2.2", "T3.1", "T3.2"} for kinds in games.values()
    ), games


def test_drift_happens_inside_the_cheap_suites_evaluation_episodes():
    # The CPU suites evaluate agents whose episodes last about 100-150 steps (Hopper at 15k
    # training steps) or a few hundred (Breakout), so their type-2.2 envs must drift before the
    # default step 300; trained InvertedPendulum agents balance for up to 1000 steps.
    from entropy_gym.registration import env_card

    drifting = {e.id: e for s in ("control", "stori-ale") for e in SUITES[s].envs if "T2.2" in e.id}
    assert len(drifting) == 3
    for env_id, env in drifting.items():
        threshold = env.kwargs.get("threshold", 300)
        assert threshold == 300 if "InvertedPendulum" in env_id else 0 < threshold < 300
    # The MinAtar ids drift after 100 steps by default; trained agents' episodes last longer.
    minatar = [e for e in SUITES["stori"].envs if "T2.2" in e.id]
    assert len(minatar) == 5
    for env in minatar:
        kwargs = {**env_card(env.id).kwargs, **env.kwargs}
        assert kwargs.get("threshold", 100) == 100


@pytest.mark.parametrize("name", ["llm-rl", "llm-rl-smollm2", "llm-rl-full"])
def test_llm_rl_scores_the_trainer_alone_and_with_every_token_intervention(name):
    from entropy_gym.agents.interventions.token import TokenIntervention
    from entropy_gym.agents.registry import BUILTIN_INTERVENTIONS, load_object

    suite = SUITES[name]
    families = {env.id.split("/")[0] for env in suite.envs}
    # Both train on the single-turn task and on both multi-turn kinds.
    assert families == {"Reasoning", "ToolTask", "TextBandit"}
    used = {
        iv["name"]
        for a in suite.agents
        for iv in a.config.get("interventions", [])
        if isinstance(iv, dict)
    } | {
        iv for a in suite.agents for iv in a.config.get("interventions", []) if isinstance(iv, str)
    }
    token_level = {
        n for n, t in BUILTIN_INTERVENTIONS.items() if issubclass(load_object(t), TokenIntervention)
    }
    assert token_level | {"clip_cov", "kl_cov", "entropy_bonus", "entropy_target"} <= used
    assert all(a.config["name"] == "llm_grpo" for a in suite.agents)


def test_the_smollm2_llm_rl_suite_plays_one_group_per_multi_turn_update():
    # On the multi-turn tasks an update is one group of 4 episodes (the suite's agents play 2
    # groups per update on Reasoning), and the budget is a whole number of updates.
    suite = SUITES["llm-rl-smollm2"]
    updates = {}
    for env in suite.envs:
        cells = [c for c in expand(suite) if c.env_name == env.name]
        sizes = {c.agent_config["groups"] * c.agent_config["group_size"] for c in cells}
        budgets = {c.budget["episodes"] for c in cells if c.budget}
        assert len(sizes) == 1 and len(budgets) == 1
        (size,), (episodes,) = sizes, budgets
        assert episodes % size == 0
        updates[env.id.split("/")[0]] = (size, episodes // size)
    assert updates == {"Reasoning": (8, 10), "ToolTask": (4, 1), "TextBandit": (4, 2)}


def _updates(suite_name: str) -> dict[str, tuple[int, int]]:
    """Per env of a suite: (episodes per update, updates per cell), one value for all cells."""
    suite = SUITES[suite_name]
    out = {}
    for env in suite.envs:
        cells = [c for c in expand(suite) if c.env_name == env.name]
        sizes = {c.agent_config["groups"] * c.agent_config["group_size"] for c in cells}
        (size,) = sizes
        (episodes,) = {c.budget["episodes"] for c in cells}
        assert episodes % size == 0, env.name
        out[env.name] = (size, episodes // size)
    return out


def test_the_micro_llm_rl_board_has_the_protocol_that_decides():
    """llm-rl is the micro tier: every agent trains micro-s for >= 200 updates on each task, on
    >= 10 seeds, with the baseline declared; the bandit lasts >= 10 pulls and the tool task
    needs >= 4 calls with the sparse reward; held-out pass@k is measured."""
    from entropy_gym.registration import env_card

    suite = SUITES["llm-rl"]
    assert len(suite.seeds) >= 10 and [g.baseline for g in suite.baselines] == ["grpo"]
    assert all(c.agent_config["model"] == "micro-s" for c in expand(suite))
    assert all(updates >= 200 for _, updates in _updates("llm-rl").values())
    by_family = {env.id.split("/")[0]: env for env in suite.envs}
    assert set(by_family) == {"Reasoning", "TextBandit", "ToolTask"}
    assert by_family["TextBandit"].kwargs["horizon"] >= 10
    tool = by_family["ToolTask"]
    assert {**env_card(tool.id).kwargs, **tool.kwargs}.get("reward_mode", "sparse") == "sparse"
    assert tool.kwargs["max_turns"] >= 4
    for cell in expand(suite):
        assert cell.agent_config["heldout_problems"] >= 8
        assert cell.agent_config["heldout_samples"] >= 32  # pass@16 and beyond


def test_the_shape_suites_share_the_boards_reasoning_protocol():
    """llm-rl-shapes adds agents on the board's own Reasoning protocol (the cells both name
    have the same keys), entropy_target at >= 4 targets; llm-rl-long runs >= 1,000 updates."""
    board = {c.key for c in expand(SUITES["llm-rl"])}
    shapes = list(expand(SUITES["llm-rl-shapes"]))
    shared = {c.agent_label for c in shapes if c.key in board}
    assert {"grpo", "grpo+forking_tokens", "grpo+entropy_target"} <= shared
    targets = {
        iv["target"]
        for a in SUITES["llm-rl-shapes"].agents
        for iv in a.config.get("interventions", [])
        if isinstance(iv, dict) and iv["name"] == "entropy_target"
    }
    assert len(targets) >= 4
    assert min(updates for _, updates in _updates("llm-rl-long").values()) >= 1000
