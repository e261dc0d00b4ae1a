"""Seed groups: cells of a seed-batching agent that differ only in their seed run as one
process, and each seed is stored as its own row with the numbers it has alone."""

from __future__ import annotations

import pytest

from entropy_gym.runner.cells import Cell
from entropy_gym.runner.groups import group_key, seed_groups


def cell(agent: str, seed: int, env: str = "STORI/MinAtar-Breakout-T1-v0", **extra) -> Cell:
    return Cell(
        suite="s",
        agent_label=agent,
        agent_config={"name": agent, **extra},
        env_name=env,
        env_id=env,
        env_kwargs={},
        seed=seed,
        budget={"env_steps": 64},
    )


def test_groups_gather_seeds_of_one_protocol_and_keep_other_cells_alone():
    cells = [
        cell("random", 0),
        cell("minatar_ppo", 0),
        cell("random", 1),
        cell("minatar_ppo", 1),
        cell("minatar_ppo", 0, env="STORI/MinAtar-Freeway-T1-v0"),
        cell("minatar_ppo", 2),
        cell("minatar_ppo", 3, n_steps=16),
    ]
    groups = seed_groups(cells)
    assert [[(c.agent_label, c.env_id[-10:], c.seed) for c in g] for g in groups] == [
        [("random", "kout-T1-v0", 0)],
        [
            ("minatar_ppo", "kout-T1-v0", 0),
            ("minatar_ppo", "kout-T1-v0", 1),
            ("minatar_ppo", "kout-T1-v0", 2),
        ],
        [("random", "kout-T1-v0", 1)],
        [("minatar_ppo", "eway-T1-v0", 0)],
        [("minatar_ppo", "kout-T1-v0", 3)],
    ]
    assert group_key(cells[1]) == group_key(cells[3]) != group_key(cells[6])
    assert [len(g) for g in seed_groups([cell("minatar_dqn", s) for s in range(5)], 2)] == [2, 2, 1]


@pytest.mark.slow
def test_a_group_stores_each_seed_as_it_would_run_alone(tmp_path):
    pytest.importorskip("gymnax")
    from entropy_gym.runner.rollout import run_cell
    from entropy_gym.runner.run import run_cells
    from entropy_gym.runner.store import Store

    options = {"num_envs": 4, "n_steps": 8, "n_epochs": 1, "n_minibatches": 2}
    cells = [
        Cell(
            suite="groups",
            agent_label="ppo",
            agent_config={"name": "minatar_ppo", **options},
            env_name="b",
            env_id="STORI/MinAtar-Breakout-T1-v0",
            env_kwargs={},
            seed=seed,
            num_envs=2,
            eval_episodes=2,
            budget={"env_steps": 64},
        )
        for seed in (0, 1)
    ]
    store = Store(tmp_path / "s.sqlite")
    summary = run_cells(cells, store, workers=1, device="cpu", quiet=True)
    assert summary.ok and summary.ran == 2
    rows = {r.cell.seed: r for r in store.rows("groups")}
    alone = run_cell(cells[1], "cpu")
    grouped = rows[1].result
    assert grouped.returns == alone.returns and grouped.telemetry == alone.telemetry
    assert grouped.provenance["seed_group"] == 2 and rows[0].result.returns != []
