"""Boards that decide: a declared baseline with verdicts and tier ranks, entropy columns that
never mix kinds, broken seeds, the power line, the rebuild from results.json (identical to
the build from the store), the CSV export round trip, TensorBoard, and the commands."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from entropy_gym.cli import main
from entropy_gym.leaderboard.build import build_results
from entropy_gym.leaderboard.export import (
    cell_records,
    read_cells,
    read_telemetry,
    telemetry_records,
    to_csv,
)
from entropy_gym.leaderboard.markdown import to_markdown
from entropy_gym.leaderboard.publish import publish
from entropy_gym.leaderboard.rebuild import rebuild_results
from entropy_gym.leaderboard.table import header, rows
from entropy_gym.leaderboard.telemetry_budget import TELEMETRY_BUDGET
from entropy_gym.runner.cells import expand
from entropy_gym.runner.result import CellResult
from entropy_gym.runner.store import Row
from entropy_gym.runner.suite import SuiteError, load_suite
from entropy_gym.scoring.entropy_kind import LEARNING_AGENTS, column_key, derive_kind
from tests.runner.helpers import REPO, write_suite

DISCRETE = ("Discrete(4)", "stori")
BOX = ("Box(-3.0, 3.0, (1,), float32)", "control")
ENVS = {"STORI/Breakout-T1-v0": DISCRETE, "Control/InvertedPendulum-T1-v0": BOX}


def made_rows(
    suite: Any,
    skill: dict[str, float],
    *,
    seed: int = 0,
    noise: float = 0.02,
    failed: frozenset = frozenset(),
    updates: int = 2,
) -> list[Row]:
    """Stored rows for every cell of ``suite``: label ``L`` scores ``skill[L]`` plus noise
    drawn per (env, seed) and shared by the agents, so that agents of equal skill score
    alike (normalised, on catalog envs); with the entropy kind its agent reports on the env's
    action space and two telemetry records per learning cell (``updates`` records where more:
    :func:`long_telemetry`)."""
    out = []
    envs = list(ENVS)
    for cell in expand(suite):
        rng = np.random.default_rng([seed, envs.index(cell.env_id), cell.seed])
        card = ENVS[cell.env_id]
        if (cell.agent_label, cell.env_name, cell.seed) in failed:
            out.append(Row(cell, "failed", "boom", None, None, {"device": "cpu"}, 0.1, "t"))
            continue
        random, reference = (1.7, 30.5) if card is DISCRETE else (5.58, 1000.0)
        score = skill.get(cell.agent_label, 0.0) + noise * rng.standard_normal()
        ret = random + score * (reference - random)
        h = float(rng.uniform(0.5, 1.2))
        kind = derive_kind(cell.agent_config, action_space=card[0], family=card[1])
        learns = str(cell.agent_config["name"]) in LEARNING_AGENTS
        telemetry = (
            [{"step": 64.0, "entropy": h + 0.1, "loss": None}, {"step": 128.0, "entropy": h}]
            if updates == 2
            else long_telemetry(updates, h, rng)
        )
        telemetry = telemetry if learns else []
        result = CellResult.from_dict(
            {
                "returns": [ret, ret],
                "lengths": [10, 10],
                "entropy": {
                    "mean": h,
                    "decisions": 20,
                    "episode_mean": [h, h],
                    "episode_var": [0.0, 0.0],
                    "by_step": [h] * 10,
                    "by_step_count": [2] * 10,
                },
                "telemetry": telemetry,
                "env": {"action_space": card[0], "family": card[1], "max_entropy": None},
                "agent": {"config": dict(cell.agent_config), "config_hash": "x", "learns": learns},
                "provenance": {
                    "device": "cpu",
                    "package_version": "0.1.0",
                    "libraries": {"numpy": "2.0", "torch": "2.13"},
                    "git": {"commit": "abc", "dirty": False},
                },
                "entropy_kind": kind.to_dict() if kind else None,
            }
        )
        out.append(Row(cell, "ok", None, result, None, result.provenance, 0.1, "t"))
    return out


def long_telemetry(updates: int, h: float, rng: np.random.Generator) -> list[dict[str, Any]]:
    """``updates`` records of a learning cell shaped like ``llm_grpo``'s: entropy, success
    and loss every update (``step`` 64 apart), and a held-out evaluation (``heldout_*`` keys)
    at update 0, every 50 and at the last."""
    out: list[dict[str, Any]] = []
    for u in range(updates):
        record: dict[str, Any] = {
            "step": 64.0 * (u + 1),
            "entropy": h * (1.0 - 0.5 * u / updates) + 0.01 * float(rng.standard_normal()),
            "success": float(rng.uniform()),
            "loss": None if u == 3 else float(rng.standard_normal()),
            "update": float(u),
        }
        if u % 50 == 0 or u == updates - 1:
            record |= {"heldout_pass@1": float(rng.uniform()), "heldout_tokens": 18.0}
        out.append(record)
    return out


def suite_of(tmp_path: Path, agents: list[Any], baseline: Any = None, seeds: int = 10, **body: Any):
    extra = {"baseline": baseline} if baseline is not None else {}
    body = {"budget": {"env_steps": 100}, "envs": list(ENVS), **extra, **body}
    path = write_suite(tmp_path / "b.yaml", "s", seeds=list(range(seeds)), agents=agents, **body)
    return load_suite("s", path)


PPO = {"name": "ppo", "label": "ppo"}
AGENTS = [
    "random",
    PPO,
    {"name": "ppo", "label": "strong", "learning_rate": 0.01},
    {"name": "ppo", "label": "same", "learning_rate": 0.02},
    {"name": "ppo", "label": "weak", "learning_rate": 0.03},
]
SKILL = {"random": 0.0, "ppo": 0.5, "strong": 0.8, "same": 0.5, "weak": 0.2}


def test_verdicts_against_the_baseline_and_ranks_by_tier(tmp_path):
    suite = suite_of(tmp_path, AGENTS, baseline="ppo")
    results = build_results(suite, made_rows(suite, SKILL))
    by = {r["label"]: r for r in results["rows"]}
    verdicts = {k: (r["vs_baseline"] or {}).get("verdict") for k, r in by.items()}
    assert verdicts == {
        "strong": "better",
        "ppo": None,
        "same": "not resolved",
        "weak": "worse",
        "random": "worse",
    }
    assert {k: r["rank"] for k, r in by.items()} == {
        "strong": 1, "ppo": 2, "same": 2, "weak": 4, "random": 4
    }  # fmt: skip
    order = [r["label"] for r in results["rows"]]
    assert order[0] == "strong" and set(order[1:3]) == {"ppo", "same"}
    assert set(order[3:]) == {"weak", "random"}
    strong = by["strong"]["vs_baseline"]
    assert strong["p"] == 1.0 and strong["ci"] == [1.0, 1.0] and strong["p_value"] < 1e-9
    assert strong["p_adjusted"] == pytest.approx(4 * strong["p_value"])  # the smallest of 4
    assert by["ppo"]["baseline"] == "ppo" and by["ppo"]["vs_baseline"] is None
    table = dict(zip([r[1] for r in rows(results)], rows(results)))
    head = header(results)
    assert table["strong"][head.index("verdict")] == "better (p <0.001)"
    assert table["ppo"][head.index("verdict")] == "baseline"
    assert table["same"][head.index("verdict")].startswith("not resolved (p ")
    assert table["strong"][head.index("P(X > ppo) [95% CI]")] == "1.00 [1.00, 1.00]"
    assert "Holm's correction" in to_markdown(results)


def test_three_seeds_rank_no_agent_apart_however_far_apart_they_score(tmp_path):
    suite = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=3, envs=["STORI/Breakout-T1-v0"])
    results = build_results(suite, made_rows(suite, SKILL))
    assert {r["rank"] for r in results["rows"]} == {1}
    assert {r["vs_baseline"]["verdict"] for r in results["rows"] if r["vs_baseline"]} == {
        "not resolved"
    }
    assert results["power"]["smallest_shift"] is None
    assert "resolve no effect" in to_markdown(results)


def test_groups_rank_within_themselves_and_a_row_outside_has_no_rank(tmp_path):
    groups = {"ppo": ["strong", "weak"], "same": ["random"]}
    agents = [*AGENTS, {"name": "ppo", "label": "alone", "learning_rate": 0.04}]
    suite = suite_of(tmp_path, agents, baseline=groups)
    results = build_results(suite, made_rows(suite, SKILL))
    order = [r["label"] for r in results["rows"]]
    assert order == ["strong", "ppo", "weak", "same", "random", "alone"]
    ranks = {r["label"]: r["rank"] for r in results["rows"]}
    assert ranks == {"strong": 1, "ppo": 2, "weak": 3, "same": 1, "random": 2, "alone": None}
    verdicts = {r[1]: r[header(results).index("verdict")] for r in rows(results)}
    assert verdicts["strong"] == "better than ppo (p <0.001)" and verdicts["alone"] == "-"
    assert verdicts["random"].startswith("worse than same (p ")
    assert "P(X > baseline) [95% CI]" in header(results)
    assert results["power"]["comparisons"] == 2 and results["power"]["level"] == 0.025
    assert results["suite"]["baseline"][1] == {
        "baseline": "same", "compared": ["random"], "everyone": False
    }  # fmt: skip


def test_a_board_without_a_baseline_ranks_by_iqm_as_before(tmp_path):
    suite = suite_of(tmp_path, AGENTS)
    results = build_results(suite, made_rows(suite, SKILL))
    first, last = results["rows"][0], results["rows"][-1]
    assert (first["label"], first["rank"]) == ("strong", 1)
    assert (last["label"], last["rank"]) == ("random", 5)  # ranked by IQM, resolved or not
    assert all(r["vs_baseline"] is None for r in results["rows"])
    assert "verdict" not in header(results)
    assert results["rows"][1]["improvement_over_top"]["over"] == "strong"


def test_entropy_columns_never_average_different_kinds(tmp_path):
    agents = [*AGENTS, {"name": "ppo", "label": "det", "deterministic": True}]
    suite = suite_of(tmp_path, agents, baseline="ppo")
    results = build_results(suite, made_rows(suite, {**SKILL, "det": 0.5}))
    keys = [c["key"] for c in results["entropy_columns"]]
    assert keys == [
        "discrete/executed",
        "discrete/policy",
        "continuous/executed",
        "continuous/policy",
    ]
    assert_no_column_mixes_kinds(results)
    ppo = next(r for r in results["rows"] if r["label"] == "ppo")
    assert ppo["entropy"] is None and set(ppo["entropies"]) == {
        "discrete/executed",
        "continuous/executed",
    }
    continuous = [
        c for c in results["cells"] if c["label"] == "random" and c["env"].startswith("Control")
    ]
    assert {c["entropy_kind"]["basis"] for c in continuous} == {
        "exact, uniform over the action box"
    }
    headers = header(results)
    assert "H sampled (nats)" in headers and "h policy; eval deterministic (nats)" in headers
    # The per-env fit takes one column: the Box env's cells of the executed column only.
    fit = results["fits"]["Control/InvertedPendulum-T1-v0"]
    assert fit["column"] == "continuous/executed" and fit["n"] == 5 * 10


def assert_no_column_mixes_kinds(results: dict[str, Any]) -> None:
    """Every row's value in every entropy column is the mean of that row's finished cells of
    that column's kind and distribution only; a row with several kinds has no single one."""
    for row in results["rows"]:
        mine = [
            c
            for c in results["cells"]
            if c["label"] == row["label"] and c["status"] == "ok" and c["entropy"] is not None
        ]
        kinds = {column_key(c["entropy_kind"]) for c in mine if c.get("entropy_kind")}
        for key, value in (row.get("entropies") or {}).items():
            same = [c["entropy"] for c in mine if column_key(c["entropy_kind"]) == key]
            assert same and value == pytest.approx(float(np.mean(same)), rel=1e-12), (
                row["label"],
                key,
            )
        assert set(row.get("entropies") or {}) == kinds
        if len(kinds) > 1:
            assert row["entropy"] is None
    columns = {c["key"] for c in results.get("entropy_columns", [])}
    assert {
        column_key(c["entropy_kind"])
        for c in results["cells"]
        if c.get("entropy_kind") and c["entropy"] is not None
    } <= columns


@pytest.mark.parametrize(
    "path", sorted((REPO / "leaderboards").glob("*/results.json")), ids=lambda p: p.parent.name
)
def test_no_committed_board_column_averages_kinds(path):
    results = json.loads(path.read_text())
    assert results["version"] >= 2, f"{path} predates entropy columns; rebuild it"
    assert_no_column_mixes_kinds(results)
    assert all(c.get("entropy_kind") for c in results["cells"] if c["entropy"] is not None)


def test_broken_seeds_count_learning_cells_at_or_below_random(tmp_path):
    suite = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=4)
    skill = {**SKILL, "weak": -0.05}  # the weak agent ends below random
    results = build_results(suite, made_rows(suite, skill, noise=0.001))
    by = {r["label"]: r for r in results["rows"]}
    assert (by["weak"]["broken"], by["weak"]["broken_known"]) == (8, 8)
    assert (by["strong"]["broken"], by["strong"]["broken_known"]) == (0, 8)
    assert by["random"]["broken_known"] == 0  # random does not learn
    table = dict(zip([r[1] for r in rows(results)], rows(results)))
    col = header(results).index("broken seeds")
    assert table["weak"][col] == "8/8" and table["random"][col] == "-"


def test_suite_baseline_is_validated_with_key_paths(tmp_path):
    cases = [
        ("ppp", "suites.s.baseline: unknown agent label 'ppp'; expected one of: random, ppo"),
        ({"ppo": ["ppo"]}, "suites.s.baseline.ppo[0]: 'ppo' is this group's baseline"),
        (
            {"ppo": ["strong"], "strong": ["weak"]},
            "suites.s.baseline.ppo[0]: 'strong' is a baseline itself",
        ),
        (
            {"ppo": ["weak"], "same": ["weak"]},
            "suites.s.baseline.same[0]: 'weak' is also compared in suites.s.baseline.ppo[0]",
        ),
        ({"ppo": []}, "suites.s.baseline.ppo: expected a non-empty list"),
        ({"nope": ["weak"]}, "suites.s.baseline.nope: unknown agent label 'nope'"),
        ([1], "suites.s.baseline: expected an agent label, or a mapping"),
    ]
    for value, message in cases:
        with pytest.raises(SuiteError) as err:
            suite_of(tmp_path, AGENTS, baseline=value)
        assert message in str(err.value) and "\n" not in str(err.value), (value, str(err.value))
    with pytest.raises(SuiteError, match="'random' is the only agent"):
        suite_of(tmp_path, ["random"], baseline="random")


def read_folder(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("updates", [2, 1000], ids=["short", "over-the-telemetry-budget"])
def test_rebuild_from_results_is_identical_to_the_build_from_the_store(tmp_path, updates):
    suite = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=4)
    failed = frozenset({("weak", "STORI/Breakout-T1-v0", 1)})
    rows_ = made_rows(suite, SKILL, failed=failed, updates=updates)
    store_root, rebuilt_root = tmp_path / "store", tmp_path / "rebuilt"
    built_cells = publish(suite, rows_, store_root)["cells"]
    learned = [len(c["telemetry"]) for c in built_cells if c["telemetry"]]
    assert learned and set(learned) == {min(updates, TELEMETRY_BUDGET)}
    args = ["--file", suite.file, "--from-results", str(store_root), "--out", str(rebuilt_root)]
    assert main(["leaderboard", "s", *args]) == 0
    built, rebuilt = read_folder(store_root / "s"), read_folder(rebuilt_root / "s")
    assert set(built) == set(rebuilt) >= {
        "results.json", "leaderboard.md", "cells.csv", "telemetry.csv", "provenance.json",
        "aggregates.svg", "entropy_return.svg",
    }  # fmt: skip
    for name in built:
        assert built[name] == rebuilt[name], name
    assert (store_root / "site" / "index.html").read_bytes() == (
        rebuilt_root / "site" / "index.html"
    ).read_bytes()


def test_rebuild_derives_what_an_older_board_lacks(tmp_path):
    suite = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=4)
    current = json.loads(json.dumps(build_results(suite, made_rows(suite, SKILL))))
    old = copy.deepcopy(current)
    old["version"] = 1
    for c in old["cells"]:
        for key in ("entropy_kind", "learns", "broken", "telemetry"):
            c.pop(key)
    for r in old["rows"]:
        for key in ("entropies", "broken", "broken_known", "baseline", "vs_baseline"):
            r.pop(key)
    rebuilt = rebuild_results(suite, old)
    for c, n in zip(current["cells"], rebuilt["cells"]):
        assert n["entropy_kind"]["kind"] == c["entropy_kind"]["kind"]
        assert n["learns"] == c["learns"] and n["broken"] == c["broken"]
        assert n["telemetry"] == []  # never kept: it stays absent
    assert [r["rank"] for r in rebuilt["rows"]] == [r["rank"] for r in current["rows"]]
    # A suite changed since: cells whose keys it no longer makes are missing from the rows.
    fewer = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=3)
    assert all(r["cells_missing"] == 0 for r in rebuild_results(fewer, current)["rows"])
    changed = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=4, eval_episodes=3)
    assert all(r["cells_missing"] == 8 for r in rebuild_results(changed, current)["rows"])


def test_csv_export_round_trips(tmp_path):
    suite = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=3, metrics=[])
    rows_ = made_rows(suite, SKILL, failed=frozenset({("weak", "STORI/Breakout-T1-v0", 1)}))
    results = publish(suite, rows_, tmp_path / "boards")
    folder = tmp_path / "boards" / "s"
    cells = read_cells(folder / "cells.csv")
    assert [c["key"] for c in cells] == [c["key"] for c in results["cells"]]
    for line, cell in zip(cells, results["cells"]):
        for name in ("label", "env", "env_id", "seed", "status", "reason", "return", "score"):
            assert line[name] == cell[name], name
        assert line["entropy"] == cell["entropy"] and line["broken"] == cell["broken"]
        assert line["entropy_kind"] == (cell["entropy_kind"] or {}).get("kind")
        if cell["status"] == "ok":
            assert line["package_version"] == "0.1.0" and line["lib:torch"] == "2.13"
            assert line["git_commit"] == "abc" and line["git_dirty"] is False
    telemetry = read_telemetry(folder / "telemetry.csv")
    expected = {c["key"]: c["telemetry"] for c in results["cells"] if c["telemetry"]}
    assert telemetry == expected and len(expected) == 4 * 2 * 3 - 1
    assert any(r.get("loss", 0) is None for records in telemetry.values() for r in records)
    # Writing what was read gives the same text again.
    head, records = telemetry_records(results)
    assert to_csv(head, records) == (folder / "telemetry.csv").read_text()
    assert (
        to_csv(*cell_records(results, json.loads((folder / "provenance.json").read_text())))
        == (folder / "cells.csv").read_text()
    )


def test_show_telemetry_of_an_agent_and_a_cell(tmp_path, capsys):
    suite = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=2)
    results = publish(suite, made_rows(suite, SKILL), tmp_path / "boards")
    out = ["--out", str(tmp_path / "boards")]
    assert main(["show", "s", *out, "--telemetry", "strong", "--env", "STORI/Breakout-T1-v0"]) == 0
    text = capsys.readouterr().out
    cells = [
        c for c in results["cells"] if c["label"] == "strong" and c["env"] == "STORI/Breakout-T1-v0"
    ]
    mean_first = np.mean([c["telemetry"][0]["entropy"] for c in cells])
    assert "strong on STORI/Breakout-T1-v0 (mean over seeds 0, 1)" in text
    assert f"{mean_first:.3f}" in text and "step" in text.splitlines()[1]
    assert main(["show", "s", *out, "--telemetry", "strong", "--seed", "1"]) == 0
    assert "(seed 1)" in capsys.readouterr().out
    assert main(["show", "s", *out, "--telemetry", "nobody"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("entropy-gym: error: no agent 'nobody'") and "\n" not in err
    assert main(["show", "s", *out, "--telemetry", "random"]) == 2
    assert "logged no per-update telemetry" in capsys.readouterr().err


def test_power_and_export_commands(tmp_path, capsys):
    suite = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=3)
    publish(suite, made_rows(suite, SKILL), tmp_path / "boards")
    out = ["--out", str(tmp_path / "boards")]
    assert main(["power", "s", *out, "--effect-sd", "1.5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["comparisons"] == 4 and report["level"] == 0.0125
    from entropy_gym.scoring.power import between_seed_spread, seeds_needed

    assert report["envs"][0]["seeds_needed"] == seeds_needed(1.5, 1, 0.0125)
    board = json.loads((tmp_path / "boards" / "s" / "results.json").read_text())
    env = report["envs"][0]["env"]
    per_agent = [
        [c["score"] for c in board["cells"] if c["label"] == r["label"] and c["env"] == env]
        for r in board["rows"]
    ]
    assert report["envs"][0]["spread"] == pytest.approx(between_seed_spread(per_agent))
    assert main(["power", "s", *out, "--effect", "0.05"]) == 0
    text = capsys.readouterr().out
    assert "a shift of 0.05 in score units" in text and "STORI/Breakout-T1-v0" in text
    assert main(["power", "s", *out, "--effect", "-1"]) == 2
    assert "--effect must be a number > 0" in capsys.readouterr().err
    assert main(["export", "s", *out, "--to", str(tmp_path / "x")]) == 0
    assert read_cells(tmp_path / "x" / "cells.csv") == read_cells(
        tmp_path / "boards" / "s" / "cells.csv"
    )


def test_tensorboard_export_holds_the_telemetry(tmp_path):
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator",
        reason="TensorBoard export needs the tensorboard package (entropy-gym[tensorboard])",
    )
    suite = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=2)
    results = publish(suite, made_rows(suite, SKILL), tmp_path / "boards")
    tb = tmp_path / "tb"
    assert (
        main(
            [
                "export",
                "s",
                "--out",
                str(tmp_path / "boards"),
                "--to",
                str(tmp_path / "x"),
                "--tensorboard",
                str(tb),
            ]
        )
        == 0
    )
    cell = next(c for c in results["cells"] if c["label"] == "strong" and c["seed"] == 1)
    run = tb / "strong" / cell["env"].replace("/", "_") / "seed1"
    acc = event_accumulator.EventAccumulator(str(run))
    acc.Reload()
    entropy = [(e.step, e.value) for e in acc.Scalars("entropy")]
    assert entropy == [
        (i, pytest.approx(r["entropy"], rel=1e-6)) for i, r in enumerate(cell["telemetry"])
    ]
    assert math.isclose(acc.Scalars("step")[1].value, 128.0)
