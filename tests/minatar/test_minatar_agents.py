"""minatar_ppo and minatar_dqn: a group of seeds trained together equals each seed trained
alone, bit for bit; the hooks reach the jitted programs; the runner stores a seed group as one
row per seed. The slow tests train PPO and DQN to the MinAtar paper's level on Breakout-MinAtar."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("gymnax")

import gymnasium as gym  # noqa: E402

import entropy_gym  # noqa: E402, F401
from entropy_gym.agents import Budget, ConfigError, TaskSpec, make_agent  # noqa: E402

ENV = "STORI/MinAtar-Breakout-T1-v0"
PPO = {"num_envs": 4, "n_steps": 8, "n_epochs": 2, "n_minibatches": 2}
DQN = {
    "num_envs": 4,
    "buffer_size": 256,
    "batch_size": 8,
    "steps_per_chunk": 8,
    "target_interval": 4,
    "learning_starts": 32,
}


def task(env_id: str = ENV) -> TaskSpec:
    env = gym.make(env_id)
    return TaskSpec(env_id, env.observation_space, env.action_space, env_kwargs={})


def agents(name: str, options: dict, seeds, interventions=()):
    out = []
    for seed in seeds:
        agent = make_agent({"name": name, **options, "interventions": list(interventions)})
        agent.setup(task(), seed, "cpu")
        out.append(agent)
    return out


def same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


@pytest.mark.parametrize(
    ("name", "options", "interventions", "budget"),
    [
        ("minatar_ppo", PPO, [{"name": "entropy_target", "target": 0.9}], 3 * 32),
        pytest.param(
            "minatar_dqn",
            DQN,
            [{"name": "epsilon_schedule", "fraction": 0.5}],
            3 * 32,
            marks=pytest.mark.slow,
        ),
    ],
)
def test_seeds_trained_together_equal_seeds_trained_alone(name, options, interventions, budget):
    group = agents(name, options, [3, 4], interventions)
    type(group[0]).train_together(group, Budget(env_steps=budget))
    alone = agents(name, options, [4], interventions)[0]
    alone.train(None, Budget(env_steps=budget))
    assert same(group[1].model, alone.model)
    assert group[1].telemetry() == alone.telemetry()
    assert not same(group[0].model, group[1].model)
    obs = np.asarray(gym.make(ENV).reset(seed=0)[0])[None].repeat(3, 0)
    a, b = group[1].act(obs), alone.act(obs)
    assert np.array_equal(a.actions, b.actions) and np.array_equal(a.entropy, b.entropy)


def test_hooks_set_the_values_the_program_uses():
    bonus = agents("minatar_ppo", PPO, [0], [{"name": "entropy_bonus", "coef": 0.2, "end": 0.0}])[0]
    bonus.train(None, Budget(env_steps=3 * 32))
    coefs = [row["ent_coef"] for row in bonus.telemetry()]
    assert coefs[0] == pytest.approx(0.2) and coefs[-1] < coefs[0]
    target = agents("minatar_ppo", PPO, [0], [{"name": "entropy_target", "target": 0.2}])[0]
    target.train(None, Budget(env_steps=3 * 32))
    rows = target.telemetry()
    assert rows[1]["ent_coef"] < 0 and rows[1]["entropy_target/target"] == 0.2
    dqn = agents(
        "minatar_dqn",
        DQN,
        [0],
        [{"name": "epsilon_schedule", "start": 0.5, "end": 0.1, "fraction": 0.5}],
    )[0]
    dqn.train(None, Budget(env_steps=4 * 32))
    eps = [row["epsilon"] for row in dqn.telemetry()]
    assert eps[0] == pytest.approx(0.5) and eps[-1] == pytest.approx(0.1)


def test_refusals_are_one_line():
    with pytest.raises(ConfigError, match="trains on the STORI/MinAtar-"):
        make_agent("minatar_ppo").check_task(task("STORI/Breakout-T1-v0"))
    with pytest.raises(ConfigError, match="unknown option"):
        make_agent({"name": "minatar_dqn", "n_steps": 3})
    with pytest.raises(ConfigError, match="offers: schedule"):
        make_agent({"name": "minatar_dqn", "interventions": [{"name": "entropy_bonus"}]})
    ppo = agents("minatar_ppo", PPO, [0])[0]
    with pytest.raises(ConfigError, match="env_steps budget only"):
        ppo.train(None, Budget(episodes=3))


#: The MinAtar paper (Young & Tian 2019, arXiv:1903.03176), its learning-curve figure (the
#: MinAtar repository's img/learning_curves.gif): on Breakout at 1M frames, the moving average
#: of training returns over 100 episodes (mean of 30 runs, sticky actions 0.1) is 10.0 for
#: AC(0.8) and 9.2 for DQN, read off the figure's pixels (docs/stori.md, "Learning level").
PAPER_BREAKOUT_1M = {"AC(0.8)": 10.0, "DQN": 9.2}
#: The level asked for: the mean over seeds at least 80% of the paper's, and every seed at
#: least 70% (a seed left on a plateau, as PPO's were at a return of about 6, fails).
MEAN_LEVEL, SEED_LEVEL = 0.8, 0.7


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "reference"), [("minatar_ppo", "AC(0.8)"), ("minatar_dqn", "DQN")]
)
def test_reaches_the_minatar_papers_level_on_plain_breakout(name, reference):
    """The agent's defaults with the board's 64-64 MLP on plain Breakout-MinAtar, seeds 0-4
    trained together for 1,048,576 env steps: the mean return of each seed's last 100 training
    episodes against the paper's curve at 1M frames (PPO against its actor-critic, DQN
    against its DQN). Measured: PPO 14.8, 12.4, 12.5, 16.8, 15.2; DQN 10.7, 11.1, 9.9, 10.2,
    7.3 (docs/stori.md, "Learning level")."""
    env_id = "STORI/MinAtar-Breakout-T3.1-v0"
    group = []
    for seed in range(5):
        agent = make_agent({"name": name, "hidden": [64, 64]})
        agent.setup(task(env_id), seed, "cpu")
        group.append(agent)
    type(group[0]).train_together(group, Budget(env_steps=1_048_576))
    finals = [agent.telemetry()[-1]["return"] for agent in group]
    print(f"{name} on plain Breakout-MinAtar at 1M steps, seeds 0-4: {finals}")
    level = PAPER_BREAKOUT_1M[reference]
    assert np.mean(finals) >= MEAN_LEVEL * level, finals
    assert min(finals) >= SEED_LEVEL * level, finals
