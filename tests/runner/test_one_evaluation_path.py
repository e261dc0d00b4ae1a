"""One evaluation path: a runner cell, tool-task calibration, the control random scores and
EAST fitting play the same episodes for the same env, agent and seed."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from entropy_gym.agents import make_agent
from entropy_gym.experiments.control_random_scores import measure
from entropy_gym.experiments.tool_calibration import calibrate
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.evaluation import episode_quota, evaluate
from entropy_gym.runner.rollout import run_cell

PACKAGE = Path(__file__).resolve().parents[2] / "entropy_gym"


def cell(agent: str, env_id: str, *, seed: int, num_envs: int, episodes: int, **kwargs) -> Cell:
    return Cell(
        suite="t",
        agent_label=agent,
        agent_config={"name": agent},
        env_name=env_id,
        env_id=env_id,
        env_kwargs=kwargs,
        seed=seed,
        num_envs=num_envs,
        eval_episodes=episodes,
    )


def test_the_package_has_one_evaluation_loop():
    """Outside the envs themselves, only runner/evaluation.py steps an env for evaluation; the
    device agents' jitted training programs step their batched JAX env (as SB3 steps its own
    inside ``learn``), the micro models' pretraining plays demonstrations on its own env copies,
    and all evaluate through the runner like every agent."""
    training = {"agents/device/ppo.py", "agents/device/sac.py", "agents/llm/micro/demos.py"}
    stepping = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "envs" not in path.relative_to(PACKAGE).parts
        and re.search(r"\b(?:vec|envs?)\.step\(", path.read_text())
    )
    assert [path for path in stepping if path not in training] == ["runner/evaluation.py"]


def test_calibration_measures_the_episodes_a_runner_cell_scores():
    env_id = "ToolTask/FileTree-easy-v0"
    scored = run_cell(cell("random_admissible", env_id, seed=3, num_envs=4, episodes=10), "cpu")
    random, oracle = calibrate(env_id, 10, 4, seed=3, num_envs=4)
    assert random["episodes"] == 10.0
    assert random["return"] == pytest.approx(np.mean(scored.returns), abs=1e-12)
    assert random["length"] == pytest.approx(np.mean(scored.lengths), abs=1e-12)
    assert random["success"] == pytest.approx(np.mean(scored.episode_metrics["success"]), abs=1e-12)
    assert random["entropy_mean"] == pytest.approx(np.mean(scored.entropy.episode_mean), abs=1e-12)
    assert oracle["success"] == 1.0


def test_control_random_scores_measure_the_episodes_a_runner_cell_scores():
    env_id = "Control/InvertedPendulum-T1-v0"
    scored = run_cell(cell("random", env_id, seed=2, num_envs=1, episodes=6), "cpu")
    anchor = measure(env_id, 6, seed=2)
    assert anchor["mean"] == np.mean(scored.returns) and anchor["std"] == np.std(scored.returns)


def test_episodes_beyond_an_envs_quota_are_not_counted():
    """CartPole episodes differ in length, so envs finish at different times; each env counts
    exactly its quota, in order, whatever the others do."""
    result = evaluate(make_agent("random"), "CartPole-v1", episodes=7, seed=5, num_envs=3)
    slots = [e.env_index for e in result.episodes]
    assert (
        slots
        == [i for i, q in enumerate(episode_quota(7, 3)) for _ in range(q)]
        == [0, 0, 1, 1, 2, 2, 2]
    )
    assert all(len(e.entropy) == e.length for e in result.episodes)


@pytest.mark.llm
def test_east_fitting_plays_the_episodes_a_runner_cell_scores(lm):
    from entropy_gym.agents.llm.bandit_agent import LLMBanditAgent
    from entropy_gym.experiments.east_fit import collect_samples

    env_id, kwargs = "TextBandit/Bernoulli-K5-hard-v0", {"horizon": 4}
    scored = run_cell(cell("llm_bandit", env_id, seed=7, num_envs=2, episodes=3, **kwargs), "cpu")
    agent = LLMBanditAgent()
    agent.capture_layer = 24
    samples = collect_samples(
        agent, [(env_id, kwargs)], episodes=3, num_envs=2, seed=7, device="cpu"
    )
    (fitted,) = samples.evaluations
    assert fitted.returns == scored.returns and fitted.lengths == scored.lengths
    assert [float(np.mean(e.entropy)) for e in fitted.episodes] == pytest.approx(
        scored.entropy.episode_mean
    )
    # One recorded activation per counted decision: 3 episodes x 4 decisions.
    assert samples.activations.shape[0] == samples.entropies.shape[0] == 12
