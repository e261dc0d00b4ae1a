"""The per-cell telemetry budget of a published board: which records it keeps, that the board
still shows what every record gives, and that ``export --store`` writes them all."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from entropy_gym.cli import main
from entropy_gym.leaderboard import telemetry_budget
from entropy_gym.leaderboard.export import read_telemetry, read_updates, write_tensorboard
from entropy_gym.leaderboard.publish import publish
from entropy_gym.leaderboard.show import telemetry_tables
from entropy_gym.leaderboard.telemetry_budget import (
    LOGGED_KEY,
    TELEMETRY_BUDGET,
    UPDATES_KEY,
    budget_cell,
    kept_updates,
    published_telemetry,
)
from entropy_gym.runner.store import Store
from entropy_gym.runner.worker import Outcome
from tests.runner.test_boards_decide import AGENTS, SKILL, long_telemetry, made_rows, suite_of

UPDATES = 1000


def heldout(records: list[dict]) -> list[int]:
    return [i for i, r in enumerate(records) if "heldout_pass@1" in r]


def test_kept_updates_keep_the_ends_every_evaluation_and_spread_the_rest():
    records = long_telemetry(UPDATES, 1.0, np.random.default_rng(0))
    kept = kept_updates(records)
    evaluations = heldout(records)
    assert len(evaluations) == 21 and len(kept) == TELEMETRY_BUDGET
    assert kept == sorted(set(kept)) and {0, UPDATES - 1} <= set(kept) >= set(evaluations)
    assert max(np.diff(kept)) <= 50  # the fills went into the gaps between evaluations
    # Without records that stand out, the budget is spread evenly over the whole run.
    plain = [{"entropy": 1.0, "step": float(i)} for i in range(UPDATES)]
    kept = kept_updates(plain)
    assert kept[0] == 0 and kept[-1] == UPDATES - 1 and set(np.diff(kept)) <= {32, 33}
    # More marked records than the budget holds: the budget is spread among them.
    dense = [{"entropy": 1.0} | ({"eval": 1.0} if i % 10 == 5 else {}) for i in range(UPDATES)]
    kept = kept_updates(dense)
    assert len(kept) == TELEMETRY_BUDGET and kept[0] == 0 and kept[-1] == UPDATES - 1
    assert all(i % 10 == 5 for i in kept[1:-1]) and max(np.diff(kept[1:-1])) <= 40
    # A cell within the budget is kept whole, so thinning what was kept changes nothing.
    assert kept_updates(records[:TELEMETRY_BUDGET]) == list(range(TELEMETRY_BUDGET))
    thinned = published_telemetry(records)
    assert published_telemetry(thinned["telemetry"]) == {"telemetry": thinned["telemetry"]}
    with pytest.raises(ValueError, match="at least 2 records, got 1"):
        kept_updates(records, 1)


def test_budget_cell_thins_a_whole_cell_and_keeps_the_updates_of_a_thinned_one():
    records = long_telemetry(200, 1.0, np.random.default_rng(1))
    whole = {"key": "k", "telemetry": list(records)}
    budget_cell(whole)
    assert whole == {"key": "k", **published_telemetry(records)}
    assert whole[LOGGED_KEY] == 200 and whole["telemetry"] == [
        records[i] for i in whole[UPDATES_KEY]
    ]
    again = json.loads(json.dumps(whole))
    budget_cell(again)
    assert again == whole  # within the budget: left as it is
    budget_cell(again, 10)  # a smaller budget later: the updates stay those of the run
    assert len(again["telemetry"]) == 10 and again[LOGGED_KEY] == 200
    assert again["telemetry"] == [records[i] for i in again[UPDATES_KEY]]
    assert set(heldout(records)) <= set(again[UPDATES_KEY])


def board_folder(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "s").iterdir())}


def test_a_board_over_the_budget_shows_what_every_record_gives(tmp_path, monkeypatch):
    suite = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=2)
    rows = made_rows(suite, SKILL, updates=UPDATES)
    full = {r.key: r.result.telemetry for r in rows if r.result and r.result.telemetry}
    results = publish(suite, rows, tmp_path / "budget")
    with monkeypatch.context() as m:
        m.setattr(telemetry_budget, "TELEMETRY_BUDGET", 10 * UPDATES)
        whole = publish(suite, rows, tmp_path / "whole")

    cells = {c["key"]: c for c in results["cells"] if c["telemetry"]}
    assert set(cells) == set(full) and len(full) == 4 * 2 * 2
    for key, cell in cells.items():
        updates = cell[UPDATES_KEY]
        assert len(cell["telemetry"]) == TELEMETRY_BUDGET and cell[LOGGED_KEY] == UPDATES
        assert updates[0] == 0 and updates[-1] == UPDATES - 1
        assert set(heldout(full[key])) <= set(updates)
        assert cell["telemetry"] == [full[key][i] for i in updates]
    assert all(len(c["telemetry"]) in (0, UPDATES) for c in whole["cells"])
    # Everything but the kept records is what the whole telemetry gives: the rows' mean
    # trajectories (1,000 points each), collapse flags, fits, and every plot, byte for byte.
    assert {k: v for k, v in results.items() if k != "cells"} == {
        k: v for k, v in whole.items() if k != "cells"
    }
    strip = ("telemetry", UPDATES_KEY, LOGGED_KEY)
    assert [{k: v for k, v in c.items() if k not in strip} for c in results["cells"]] == [
        {k: v for k, v in c.items() if k not in strip} for c in whole["cells"]
    ]
    task = next(r for r in results["rows"] if r["label"] == "strong")["per_task"]
    assert all(len(t["entropy_training"]) == UPDATES for t in task.values())
    assert all(len(t["success_training"]) == UPDATES for t in task.values())
    budget, kept_whole = board_folder(tmp_path / "budget"), board_folder(tmp_path / "whole")
    plots = [name for name in budget if name.endswith(".svg")]
    assert {"entropy_training.svg", "success_training.svg"} <= set(plots)
    assert all(budget[name] == kept_whole[name] for name in plots)
    # The board says what it kept and how to get the rest; the whole one has no such line.
    note = [
        line
        for line in budget["leaderboard.md"].decode().splitlines()
        if line not in kept_whole["leaderboard.md"].decode().splitlines()
    ]
    assert note == [
        f"16 cells logged more than {TELEMETRY_BUDGET} telemetry records (up to {UPDATES}): "
        f"`telemetry.csv` and `results.json` keep at most {TELEMETRY_BUDGET} records of each "
        "(the first and last, every evaluation record, others evenly spaced; the board's "
        "trajectories, collapse flags and fits use every update); the result store keeps "
        "them all: `entropy-gym export s --store STORE --to DIR` writes them."
    ]
    # telemetry.csv holds the kept records under the updates they had, and reads back.
    csv_file = tmp_path / "budget" / "s" / "telemetry.csv"
    header = csv_file.read_text().splitlines()[0].split(",")
    assert header.count("update") == 1 and "telemetry:update" in header
    assert read_telemetry(csv_file) == {k: c["telemetry"] for k, c in cells.items()}
    assert read_updates(csv_file) == {k: c[UPDATES_KEY] for k, c in cells.items()}
    # show --telemetry lists one cell's kept updates under their own numbers.
    cell = next(c for c in cells.values() if c["label"] == "strong" and c["seed"] == 1)
    ((_, head, body),) = telemetry_tables(results, "strong", cell["env"], seed=1)
    assert [line[0] for line in body] == [str(u) for u in cell[UPDATES_KEY]]
    entropy = head.index("entropy")
    assert body[-1][entropy] == f"{cell['telemetry'][-1]['entropy']:.3f}"


def test_tensorboard_steps_are_the_kept_updates(tmp_path):
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator",
        reason="TensorBoard export needs the tensorboard package (entropy-gym[tensorboard])",
    )
    suite = suite_of(tmp_path, ["random", {"name": "ppo", "label": "ppo"}], seeds=1)
    results = publish(suite, made_rows(suite, {"ppo": 0.5}, updates=200), tmp_path / "boards")
    cell = next(c for c in results["cells"] if c["telemetry"])
    assert write_tensorboard(results, tmp_path / "tb") == 2
    acc = event_accumulator.EventAccumulator(
        str(tmp_path / "tb" / "ppo" / cell["env"].replace("/", "_") / "seed0")
    )
    acc.Reload()
    assert [e.step for e in acc.Scalars("entropy")] == cell[UPDATES_KEY]


def test_export_from_the_store_writes_every_record(tmp_path, capsys):
    suite = suite_of(tmp_path, AGENTS, baseline="ppo", seeds=2)
    rows = made_rows(suite, SKILL, updates=300)
    with Store(tmp_path / "r.sqlite") as store:
        for r in rows:
            store.write(
                Outcome(r.cell, r.status, r.result, r.reason, None, r.wall_time_s, r.provenance)
            )
    publish(suite, rows, tmp_path / "boards")
    common = ["export", "s", "--file", suite.file]
    assert main([*common, "--out", str(tmp_path / "boards"), "--to", str(tmp_path / "kept")]) == 0
    assert "--store STORE writes every record" in capsys.readouterr().out
    assert (
        main([*common, "--store", str(tmp_path / "r.sqlite"), "--to", str(tmp_path / "all")]) == 0
    )
    assert "at most" not in capsys.readouterr().out
    everything = read_telemetry(tmp_path / "all" / "telemetry.csv")
    full = {r.key: r.result.telemetry for r in rows if r.result and r.result.telemetry}
    assert everything == full and all(len(t) == 300 for t in full.values())
    assert read_updates(tmp_path / "all" / "telemetry.csv") == {k: list(range(300)) for k in full}
    kept = read_updates(tmp_path / "kept" / "telemetry.csv")
    assert set(kept) == set(full) and all(len(u) == TELEMETRY_BUDGET for u in kept.values())
    # The cells are the board's: the same cells.csv either way.
    assert (tmp_path / "all" / "cells.csv").read_bytes() == (
        tmp_path / "boards" / "s" / "cells.csv"
    ).read_bytes()
    for args, message in (
        (["--store", str(tmp_path / "r.sqlite"), "--out", str(tmp_path / "boards")], "not both"),
        (["--store", str(tmp_path / "none.sqlite")], "no result store at"),
    ):
        assert main([*common, *args, "--to", str(tmp_path / "x")]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err
