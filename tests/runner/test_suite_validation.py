"""benchmarks.yaml validation: every error names the file, the key path and the expectation,
and the CLI exits with status 2 before any cell runs."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from entropy_gym.runner.suite import SuiteError, check_runnable, load_suite, load_suites
from tests.runner.helpers import agent_ref, cli, cli_env

GOOD = {
    "description": "d",
    "seeds": [0, 1],
    "eval_episodes": 2,
    "envs": ["CartPole-v1"],
    "agents": ["random"],
}


def write(tmp_path, body):
    path = tmp_path / "bench.yaml"
    path.write_text(body if isinstance(body, str) else yaml.safe_dump(body, sort_keys=False))
    return path


def suite_with(**changes):
    body = {**GOOD, **changes}
    return {"suites": {"s": {k: v for k, v in body.items() if v is not ...}}}


@pytest.mark.parametrize(
    "body, key, expected",
    [
        ({"suits": {}}, "suits", "unknown key; expected one of: suites"),
        ({"suites": []}, "suites", "expected a mapping of suite names"),
        (suite_with(seeds=[0, 0]), "suites.s.seeds", "expected distinct seeds"),
        (suite_with(seeds=[0, -1]), "suites.s.seeds[1]", "expected an integer >= 0, got -1"),
        (suite_with(seeds=...), "suites.s.seeds", "missing required key"),
        (suite_with(eval_episodes=0), "suites.s.eval_episodes", "expected an integer >= 1, got 0"),
        (suite_with(num_envs="four"), "suites.s.num_envs", "expected an integer >= 1, got 'four'"),
        (suite_with(time_limit_s=0), "suites.s.time_limit_s", "expected a number > 0"),
        (
            suite_with(budget={"steps": 10}),
            "suites.s.budget.steps",
            "unknown key; expected one of: env_steps",
        ),
        (
            suite_with(budget={"env_steps": -5}),
            "suites.s.budget.env_steps",
            "expected an integer >= 0",
        ),
        (suite_with(bootstrap_reps=10), "suites.s.bootstrap_reps", "expected an integer >= 100"),
        (suite_with(metrics=["a b"]), "suites.s.metrics[0]", "expected an episode metric name"),
        (suite_with(envs=[]), "suites.s.envs", "expected a non-empty list"),
        (suite_with(envs=[{"kwargs": {}}]), "suites.s.envs[0].id", "missing required key"),
        (
            suite_with(envs=[{"id": "CartPole-v1", "kwarg": {}}]),
            "suites.s.envs[0].kwarg",
            "unknown key",
        ),
        (
            suite_with(envs=[{"id": "CartPole-v1", "random_score": 1}]),
            "suites.s.envs[0]",
            "expected both random_score and reference_score",
        ),
        (
            suite_with(envs=[{"id": "CartPole-v1", "random_score": 1, "reference_score": 2}]),
            "suites.s.envs[0].reference_source",
            "expected a non-empty string",
        ),
        (
            suite_with(envs=["CartPole-v1", "CartPole-v1"]),
            "suites.s.envs[1]",
            "duplicate env 'CartPole-v1'",
        ),
        (
            suite_with(envs=["CartPole-v1", {"id": "CartPole-v1", "name": "again"}]),
            "suites.s.envs[1]",
            "duplicate env 'CartPole-v1' with the same kwargs as suites.s.envs[0]",
        ),
        (
            suite_with(
                envs=[
                    {"id": "CartPole-v1", "kwargs": {"max_episode_steps": 9}, "name": "x"},
                    {"id": "Pendulum-v1", "name": "x"},
                ]
            ),
            "suites.s.envs[1]",
            "duplicate env 'x'",
        ),
        (suite_with(agents=[{"label": "x"}]), "suites.s.agents[0].name", "missing required key"),
        (
            suite_with(agents=["random", "random"]),
            "suites.s.agents[1]",
            "duplicate agent label 'random'",
        ),
        (
            suite_with(agents=[{"name": "random", "interventions": [{"t": 2}]}]),
            "suites.s.agents[0].interventions[0].name",
            "missing required key",
        ),
        (
            suite_with(agents=[{"name": "random", "interventions": "temperature"}]),
            "suites.s.agents[0].interventions",
            "expected a list",
        ),
        (
            suite_with(envs=[{"id": "CartPole-v1", "budget": {"steps": 4}}]),
            "suites.s.envs[0].budget.steps",
            "unknown key; expected one of: env_steps",
        ),
        (
            suite_with(envs=[{"id": "CartPole-v1", "eval_episodes": 0}]),
            "suites.s.envs[0].eval_episodes",
            "expected an integer >= 1, got 0",
        ),
        (
            suite_with(envs=[{"id": "CartPole-v1", "agent_params": {"label": "x"}}]),
            "suites.s.envs[0].agent_params.label",
            "expected agent parameters only (not name, label or interventions)",
        ),
        ({"suites": {"site": GOOD}}, "suites.site", "expected a suite name"),
        ({"suites": {"s": {**GOOD, "extra": 1}}}, "suites.s.extra", "unknown key"),
    ],
)
def test_structure_errors_name_file_key_and_expectation(tmp_path, body, key, expected):
    path = write(tmp_path, body)
    with pytest.raises(SuiteError) as err:
        load_suites(path)
    message = str(err.value)
    assert err.value.key == key
    assert message.startswith(f"{path}: {key}: ")
    assert expected in message
    assert "\n" not in message


def test_yaml_syntax_error_names_line(tmp_path):
    path = write(tmp_path, "suites:\n  s: {description: d\n  seeds: [0\n")
    with pytest.raises(SuiteError, match=r"line \d+, column \d+: not valid YAML"):
        load_suites(path)


def test_missing_file_and_unknown_suite(tmp_path):
    with pytest.raises(SuiteError, match="file not found"):
        load_suites(tmp_path / "nope.yaml")
    path = write(tmp_path, {"suites": {"s": GOOD}})
    with pytest.raises(SuiteError, match=r"suites.other: no such suite; expected one of: s"):
        load_suite("other", path)


@pytest.mark.parametrize(
    "agents, envs, key, expected",
    [
        (
            ["random", "no_such_agent"],
            ["CartPole-v1"],
            "suites.s.agents[1]",
            "unknown agent 'no_such_agent'",
        ),
        (
            [{"name": "random", "interventions": [{"name": "nope"}]}],
            ["CartPole-v1"],
            "suites.s.agents[0].interventions[0]",
            "unknown intervention 'nope'",
        ),
        (
            [{"name": "random", "interventions": [{"name": "temperature", "t": 2}]}],
            ["CartPole-v1"],
            "suites.s.agents[0].interventions[0]",
            "intervention 'temperature' needs hook(s) logits but agent 'random'",
        ),
        (
            [{"name": "random", "interventions": [{"name": "temperature", "t": -1}]}],
            ["CartPole-v1"],
            "suites.s.agents[0].interventions[0]",
            "temperature t must be > 0",
        ),
        (
            [{"name": "random", "gamma": 0.9}],
            ["CartPole-v1"],
            "suites.s.agents[0]",
            "agent 'random': unknown parameter 'gamma' (it takes none)",
        ),
        (
            [{"name": agent_ref("EpsilonConstant"), "eps": 0.1}, {"name": agent_ref("Missing")}],
            ["CartPole-v1"],
            "suites.s.agents[1]",
            "has no attribute 'Missing'",
        ),
        (["random"], ["NoSuchEnv-v0"], "suites.s.envs[0]", "unknown env id 'NoSuchEnv-v0'"),
        (
            ["random"],
            ["CartPole-v1", {"id": "Pendulum-v1", "agent_params": {"gamma": 0.9}}],
            "suites.s.envs[1].agent_params",
            "agent 'random' with these parameters: ",
        ),
        (
            ["random"],
            [{"id": "CartPole-v1", "kwargs": {"no_such_kwarg": 1}}],
            "suites.s.envs[0]",
            "gym.make('CartPole-v1'",
        ),
    ],
)
def test_runnability_errors_name_the_agent_intervention_or_env(
    tmp_path, agents, envs, key, expected
):
    suite = load_suite("s", write(tmp_path, suite_with(agents=agents, envs=envs)))
    with pytest.raises(SuiteError) as err:
        check_runnable(suite)
    assert err.value.key == key
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_exits_2_before_running_anything(tmp_path):
    path = write(
        tmp_path,
        suite_with(
            agents=["random", {"name": "random", "interventions": [{"name": "temperature"}]}]
        ),
    )
    store = tmp_path / "store.sqlite"
    proc = subprocess.run(
        cli("run", "s", "--file", str(path), "--store", str(store), "--out", str(tmp_path / "lb")),
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
    )
    assert proc.returncode == 2
    assert (
        f"{path}: suites.s.agents[1].interventions[0]: intervention 'temperature' needs hook(s) logits"
        in proc.stderr
    )
    assert "Traceback" not in proc.stderr
    assert not store.exists() and not (tmp_path / "lb").exists()


def test_defaults_labels_and_env_names(tmp_path):
    body = suite_with(
        seeds=3,
        envs=[{"id": "CartPole-v1", "kwargs": {"max_episode_steps": 50}}, {"id": "CartPole-v1"}],
        agents=["random", {"name": "random", "label": "uniform"}],
    )
    suite = load_suite("s", write(tmp_path, body))
    assert suite.seeds == (0, 1, 2)
    assert [e.name for e in suite.envs] == ["CartPole-v1[max_episode_steps=50]", "CartPole-v1"]
    assert [a.label for a in suite.agents] == ["random", "uniform"]
    assert suite.num_envs == 1 and suite.budget is None and suite.bootstrap_reps == 2000


def test_repository_suites_are_valid():
    suites = load_suites("benchmarks.yaml")
    assert "ci" in suites
    check_runnable(suites["ci"], build_envs=False)


def test_an_env_can_have_its_own_budget_evaluation_and_agent_parameters(tmp_path):
    from entropy_gym.leaderboard.table import protocol_line
    from entropy_gym.runner.cells import expand

    plain = {"id": "CartPole-v1"}
    own = {
        "id": "Pendulum-v1",
        "budget": {"episodes": 2},
        "eval_episodes": 1,
        "agent_params": {"eps": 0.5},
    }
    agent = {"name": agent_ref("EpsilonConstant"), "eps": 0.1}
    body = suite_with(envs=[plain, own], agents=[agent], budget={"env_steps": 100})
    suite = load_suite("s", write(tmp_path, body))
    check_runnable(suite)
    cells = {c.env_name: c for c in expand(suite) if c.seed == 0}
    cart, pendulum = cells["CartPole-v1"], cells["Pendulum-v1"]
    assert (cart.budget, cart.eval_episodes, cart.agent_config["eps"]) == (
        {"env_steps": 100},
        2,
        0.1,
    )
    assert (pendulum.budget, pendulum.eval_episodes) == ({"episodes": 2}, 1)
    assert pendulum.agent_config["eps"] == 0.5 and pendulum.agent_label == cart.agent_label
    # An env without overrides keeps the cell keys it had before any env had them.
    alone = load_suite(
        "s", write(tmp_path, suite_with(envs=[plain], agents=[agent], budget={"env_steps": 100}))
    )
    assert {c.key for c in expand(alone)} == {
        c.key for c in expand(suite) if c.env_id == "CartPole-v1"
    }
    # Submitted agents get the env's budget and evaluation, not the suite agents' parameters.
    (submitted,) = [
        c for c in expand(suite, [suite.agents[0]]) if c.env_id == "Pendulum-v1" and c.seed == 0
    ]
    assert submitted.agent_config["eps"] == 0.1 and submitted.budget == {"episodes": 2}
    envs = [
        {
            "name": e.name,
            "id": e.id,
            **({"budget": dict(e.budget), "eval_episodes": e.eval_episodes} if e.budget else {}),
        }
        for e in suite.envs
    ]
    results = {
        "suite": {
            "envs": envs,
            "seeds": [0, 1],
            "eval_episodes": 2,
            "num_envs": 1,
            "budget": {"env_steps": 100},
            "confidence": 0.95,
            "bootstrap_reps": 2000,
        }
    }
    assert (
        "training budget env_steps=100 (Pendulum-v1: episodes=2, 1 evaluation episodes)"
        in protocol_line(results)
    )
    # Where every env sets its own budget, the suite's is not one; envs that set the same
    # budget share one clause.
    results["suite"]["envs"] = [
        {"name": name, "id": name, "budget": {"env_steps": steps}, "eval_episodes": 2}
        for name, steps in (("A-v0", 10), ("B-v0", 10), ("C-v0", 20))
    ]
    assert (
        "training budget per env (A-v0, B-v0: env_steps=10, 2 evaluation episodes; "
        "C-v0: env_steps=20, 2 evaluation episodes);" in protocol_line(results)
    )
