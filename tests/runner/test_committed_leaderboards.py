"""The committed leaderboards hold real results of the suites in benchmarks.yaml, with their
provenance, and (slow) reproduce when their cells are run again."""

from __future__ import annotations

import json
import re

import pytest

from entropy_gym.cli import main
from entropy_gym.runner.suite import load_suites
from tests.runner.helpers import REPO

COMMITTED = sorted(p for p in (REPO / "leaderboards").glob("*/results.json"))


@pytest.mark.parametrize("path", COMMITTED, ids=[p.parent.name for p in COMMITTED])
def test_committed_leaderboard_matches_its_suite(path):
    results = json.loads(path.read_text())
    suites = load_suites(REPO / "benchmarks.yaml")
    name = results["suite"]["name"]
    assert name in suites, f"{path} has no suite in benchmarks.yaml"
    suite = suites[name]
    s = results["suite"]
    assert s["seeds"] == list(suite.seeds) and s["eval_episodes"] == suite.eval_episodes
    assert s["num_envs"] == suite.num_envs and s["budget"] == (
        dict(suite.budget) if suite.budget else None
    )
    assert [e["id"] for e in s["envs"]] == [e.id for e in suite.envs]
    for entry, env in zip(s["envs"], suite.envs, strict=True):  # an env's own protocol
        assert entry.get("budget") == (dict(env.budget) if env.budget else None)
        assert entry.get("eval_episodes") == env.eval_episodes
        assert entry.get("agent_params", {}) == dict(env.agent_params)
    assert all(r["source"] == "suite" for r in results["rows"]), (
        "a committed board holds no submissions"
    )
    assert {r["label"] for r in results["rows"]} == {a.label for a in suite.agents}
    # Exactly one cell per (agent, env, seed) of the suite: none missing, none extra.
    expected = sorted(
        (a.label, e.name, seed) for a in suite.agents for e in suite.envs for seed in suite.seeds
    )
    assert sorted((c["label"], c["env"], c["seed"]) for c in results["cells"]) == expected
    prov = results["provenance"]
    assert prov["git_dirty"] == [False] and all(
        re.fullmatch(r"[0-9a-f]{40}", c) for c in prov["git_commit"]
    )
    for plot in results["plots"]:
        assert (path.parent / plot).is_file()
    cells = json.loads((path.parent / "provenance.json").read_text())
    assert all(c["wall_time_s"] > 0 and c["libraries"] and c["hostname"] for c in cells)


@pytest.mark.slow
@pytest.mark.parametrize("path", COMMITTED, ids=[p.parent.name for p in COMMITTED])
def test_committed_leaderboard_reproduces(path, tmp_path):
    name = path.parent.name
    args = ["--file", str(REPO / "benchmarks.yaml"), "--out", str(REPO / "leaderboards"), "--quiet"]
    assert main(["leaderboard", name, "--check", *args]) == 0
