"""``entropy-gym shape-checks`` on a store built here: three small suites of llm_grpo cells
whose telemetry is made so that each check's verdict is known; arms found by their
intervention config (whatever their label); missing suites ``not run``; the report files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from entropy_gym.cli import main
from entropy_gym.leaderboard.shape_checks import shape_checks, to_markdown
from entropy_gym.runner import Store, load_suites
from entropy_gym.runner.cells import expand
from entropy_gym.runner.result import CellResult
from entropy_gym.runner.worker import Outcome

SEEDS = [0, 1, 2, 3]
UPDATES = 60
REPS = 200
MICRO = {"name": "llm_grpo", "model": "micro-s", "group_size": 4, "learning_rate": 0.0001}
ARITHMETIC = {"id": "Reasoning/Arithmetic-medium-v0", "kwargs": {"framing": "compact"}}
BANDIT = {
    "id": "TextBandit/Bernoulli-K5-easy-v0",
    "kwargs": {"framing": "compact", "horizon": 10, "history": "summary"},
    "random_score": 3.5,
    "reference_score": 7.5,
    "reference_source": "the best arm every pull: 10 x 0.75",
}


def agent(label: str, *interventions: Any) -> dict[str, Any]:
    out = {**MICRO, "label": label}
    if interventions:
        out["interventions"] = list(interventions)
    return out


def suite(envs: list[Any], agents: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "description": "shape-check test suite",
        "seeds": SEEDS,
        "eval_episodes": 2,
        "budget": {"episodes": 10},
        "envs": envs,
        "agents": agents,
    }


SUITES = {
    "main": suite(
        [ARITHMETIC, BANDIT],
        [
            agent("grpo"),
            # labelled unlike benchmarks.yaml: found by its config
            agent("renamed-cc", {"name": "clip_cov"}),
            agent("grpo+kl_cov", "kl_cov"),
            agent("grpo+forking_tokens", "forking_tokens"),
            agent("grpo+empg", "empg"),
            agent("grpo+epo", "epo"),
        ],
    ),
    "side": suite(
        [ARITHMETIC],
        [
            agent("grpo"),
            agent("grpo+entropy_bonus@1", {"name": "entropy_bonus", "coef": 1.0}),
            agent("grpo+forking_tokens", "forking_tokens"),
            agent("grpo+forking_tokens@bottom80", {"name": "forking_tokens", "invert": True}),
            *[
                agent(f"grpo+entropy_target@{t}", {"name": "entropy_target", "target": t})
                for t in (0.05, 0.1, 0.2, 0.4)
            ],
        ],
    ),
    "long": suite([ARITHMETIC], [agent("grpo"), agent("grpo+lp_reg", "lp_reg")]),
}


def plan(label: str, suite_name: str) -> dict[str, Any]:
    """What a cell's telemetry shows: entropy start and end, held-out success and pass@4 at
    the end, evaluation return; planted per label so each check's verdict is known."""
    p = {"h0": 1.0, "h1": 0.5, "success": 0.6, "pass": 0.9, "return": 4.0, "curve": None}
    if label == "renamed-cc":
        p.update(h1=0.9)  # holds entropy, same pass@k: (c) reproduced
    elif label == "grpo+kl_cov":
        p.update(h1=0.3)  # entropy below plain: (c) not reproduced
    elif label == "grpo+forking_tokens@bottom80":
        p.update(success=0.3)  # (d) worse: reproduced
    elif label == "grpo+entropy_bonus@1":
        p.update(h0=0.5, h1=2.0)  # x4: (e) explodes
    elif label.startswith("grpo+entropy_target@"):
        target = float(label.split("@")[1])
        p.update(h0=target, h1=target, success={0.05: 0.3, 0.1: 0.5, 0.2: 0.6, 0.4: 0.4}[target])
    elif label == "grpo+empg":
        p.update(**{"return": 6.0})  # score 0.625 against plain's 0.125: (g) reproduced
    if suite_name == "long":
        rises = [0.3, 0.5, 0.6, 0.62, 0.63, 0.64]
        falls = [0.3, 0.5, 0.6, 0.5, 0.4, 0.3]
        p.update(curve=rises if label == "grpo+lp_reg" else falls)
        p.update(h1=0.9 if label == "grpo+lp_reg" else 0.2)
    return p


def telemetry(p: dict[str, Any], rng: np.random.Generator) -> list[dict[str, float]]:
    h = np.linspace(p["h0"], p["h1"], UPDATES) + rng.normal(0, 0.005, UPDATES)
    success = np.clip(-0.5 * np.exp(h) + 1.5 + rng.normal(0, 0.02, UPDATES), 0, 1)
    cov = np.diff(h, append=h[-1]) * -5 + rng.normal(0.05, 0.01, UPDATES)
    curve = p["curve"] or [0.3, p["success"]]
    every = UPDATES // (len(curve) - 1)
    heldout = {i * every: v + rng.normal(0, 0.01) for i, v in enumerate(curve)}
    out = [{"update": 0.0, "heldout_success": heldout[0], "heldout_pass@4": 0.8}]
    for t in range(1, UPDATES + 1):
        rec = {
            "update": float(t),
            "entropy": float(h[t - 1]),
            "success": float(success[t - 1]),
            "return": float(success[t - 1]),
            "covariance": float(cov[t - 1]),
        }
        if t in heldout:
            rec["heldout_success"] = heldout[t]
            rec["heldout_pass@4"] = p["pass"] + rng.normal(0, 0.01)
        out.append(rec)
    return out


def result(cell: Any, p: dict[str, Any], rng: np.random.Generator) -> CellResult:
    returns = [p["return"] + rng.normal(0, 0.1) for _ in range(cell.eval_episodes)]
    return CellResult.from_dict(
        {
            "returns": returns,
            "lengths": [1] * len(returns),
            "telemetry": telemetry(p, rng),
            "env": {"spec": None, "family": None, "max_entropy": None, "action_dims": 1},
            "agent": {"config": dict(cell.agent_config), "config_hash": "x"},
            "provenance": {"device": "cpu"},
        }
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A suite file and a store holding every cell of its three suites."""
    folder = tmp_path_factory.mktemp("shapes")
    suite_file = folder / "suites.yaml"
    suite_file.write_text(yaml.safe_dump({"suites": SUITES}, sort_keys=False))
    path = folder / "store.sqlite"
    with Store(path) as s:
        for name, parsed in load_suites(suite_file).items():
            for cell in expand(parsed):
                rng = np.random.default_rng([cell.seed, len(cell.agent_label), len(name)])
                outcome = Outcome(cell, "ok", result(cell, plan(cell.agent_label, name), rng))
                s.write(outcome)
    return suite_file, path


def report(store: tuple[Path, Path], **kwargs: Any) -> dict[str, Any]:
    suite_file, path = store
    options = {"suite": "main", "shapes_suite": "side", "long_suite": "long", "reps": REPS}
    return shape_checks(path, suite_file=str(suite_file), **{**options, **kwargs})


def verdicts(rep: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    return {c["check"]: [(p["where"], p["verdict"]) for p in c["parts"]] for c in rep["checks"]}


def test_each_check_reads_its_cells_and_reaches_the_planted_verdict(store):
    rep = report(store)
    by = {c["check"]: c for c in rep["checks"]}
    v = verdicts(rep)
    a_parts = by["a"]["parts"]
    assert [p["claim"] for p in a_parts][:2] == [
        "token entropy collapses",
        "R = -a exp(H) + b fits (entropy, reward)",
    ]
    assert by["a"]["verdict"] == "reproduced" and len(a_parts) == 4  # two tasks x two claims
    assert by["b"]["verdict"] == "reproduced"
    # (c): the renamed Clip-Cov arm found by its config; KL-Cov lets entropy fall further
    c = {p["where"]: p["verdict"] for p in by["c"]["parts"]}
    assert c["renamed-cc vs grpo on Reasoning/Arithmetic-medium-v0 (main)"] == "reproduced"
    assert c["grpo+kl_cov vs grpo on Reasoning/Arithmetic-medium-v0 (main)"] == "not reproduced"
    assert by["c"]["verdict"] == "inconclusive" and by["c"]["summary"] == (
        "2 reproduced, 2 not reproduced"
    )
    d = [verdict for _, verdict in v["d"]]
    assert d == ["reproduced"] * 4  # top 20% on side's Reasoning, bottom 80% worse, top on main
    (e,) = by["e"]["parts"]
    assert e["verdict"] == "reproduced" and e["facts"]["coef"] == 1.0
    assert e["facts"]["vocabulary"] == 106  # micro-s's character vocabulary
    f = by["f"]["parts"]
    assert [p["verdict"] for p in f] == ["reproduced"] * 5
    assert f[-1]["facts"]["targets"] == [0.05, 0.1, 0.2, 0.4] and f[-1]["facts"]["peaks"]
    g = {p["where"]: p for p in by["g"]["parts"]}
    assert list(g) == [
        "grpo+empg vs grpo on TextBandit/Bernoulli-K5-easy-v0 (main)",
        "grpo+epo vs grpo on TextBandit/Bernoulli-K5-easy-v0 (main)",
    ]  # multi-turn tasks only
    empg = g["grpo+empg vs grpo on TextBandit/Bernoulli-K5-easy-v0 (main)"]
    assert empg["verdict"] == "reproduced"
    # the board's normalised score: (6 - 3.5) / (7.5 - 3.5) = 0.625 against 0.125
    assert empg["numbers"]["score diff"]["value"] == pytest.approx(0.5, abs=0.05)
    assert g["grpo+epo vs grpo on TextBandit/Bernoulli-K5-easy-v0 (main)"]["verdict"] == (
        "not reproduced"
    )
    (h,) = by["h"]["parts"]
    assert h["verdict"] == "reproduced", h
    assert h["facts"]["checkpoints"] == [0, 12, 24, 36, 48, 60]


def test_missing_suites_are_not_run_and_the_report_is_a_function_of_the_store(store):
    rep = report(store, long_suite="nowhere", shapes_suite="nor-here")
    by = {c["check"]: c for c in rep["checks"]}
    assert by["h"]["verdict"] == "not run"
    assert by["h"]["parts"][0]["note"] == "not in the store: suite nowhere"
    assert by["e"]["verdict"] == by["f"]["verdict"] == "not run"
    # (d) keeps the main suite's top-20% parts
    assert by["d"]["summary"] == "2 reproduced, 2 not run"  # main: two tasks
    assert by["a"]["verdict"] == "reproduced"
    assert report(store, long_suite="nowhere", shapes_suite="nor-here") == rep
    # any suite name serves the plain checks (e.g. the pilot's), and no suite file is needed
    bare = shape_checks(store[1], suite="side", suite_file=None, reps=REPS)
    assert bare["checks"][0]["parts"][0]["where"] == "Reasoning/Arithmetic-medium-v0 (side)"
    assert bare["checks"][0]["verdict"] == "reproduced"


def test_a_suite_file_that_changed_the_config_leaves_the_old_cells_out(store, tmp_path):
    changed = {**SUITES, "long": suite([ARITHMETIC], [
        {**agent("grpo"), "learning_rate": 0.001},
        {**agent("grpo+lp_reg", "lp_reg"), "learning_rate": 0.001},
    ])}  # fmt: skip
    suite_file = tmp_path / "changed.yaml"
    suite_file.write_text(yaml.safe_dump({"suites": changed}, sort_keys=False))
    rep = report((suite_file, store[1]))
    (h,) = rep["checks"][7]["parts"]
    assert h["verdict"] == "not run" and "its stored cells are of another config" in h["note"]
    # read without the suite file, the stored cells are what there is
    bare = shape_checks(store[1], long_suite="long", suite_file=None, reps=REPS)
    (h,) = bare["checks"][7]["parts"]
    assert h["verdict"] == "reproduced"


def test_command_prints_and_writes_the_table_and_json(store, tmp_path, capsys):
    suite_file, path = store
    out = tmp_path / "board"
    args = ["shape-checks", "--store", str(path), "--file", str(suite_file), "--suite", "main",
            "--shapes-suite", "side", "--long-suite", "long", "--reps", "100", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "| check | paper finding | source | verdict | parts |" in printed
    data = json.loads((out / "shape_checks.json").read_text())
    assert [c["check"] for c in data["checks"]] == list("abcdefgh")
    markdown = (out / "shape_checks.md").read_text()
    assert markdown == to_markdown(data)
    assert "| (e) | a large entropy bonus makes entropy explode |" in markdown
    assert "## How each check is computed" in markdown

    assert main(["shape-checks", "--store", str(tmp_path / "none.sqlite")]) == 2
    assert "no result store at" in capsys.readouterr().err
    assert main(["shape-checks", "--store", str(path), "--reps", "0"]) == 2
    assert "--reps must be >= 1, got 0" in capsys.readouterr().err
