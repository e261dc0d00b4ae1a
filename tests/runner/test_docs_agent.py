"""The minimal agent of docs/runner.md, copied from the docs as written, submitted to `ci`."""

from __future__ import annotations

import json
import re

from entropy_gym.cli import main
from entropy_gym.runner import Store
from tests.runner.helpers import REPO


def _docs_agent() -> str:
    text = (REPO / "docs" / "runner.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return next(b for b in blocks if "class Sticky(BaseAgent)" in b)


def test_the_docs_minimal_agent_runs_on_every_env_of_ci(tmp_path, capsys) -> None:
    agent = tmp_path / "sticky.py"
    agent.write_text(_docs_agent())
    store, out = tmp_path / "s.sqlite", tmp_path / "boards"
    argv = ["submit", f"{agent}:Sticky", "--suite", "ci", "--seeds", "0", "--quiet"]
    argv += ["--file", str(REPO / "benchmarks.yaml"), "--store", str(store), "--out", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    with Store(store) as s:
        rows = s.rows("ci", source="submit")
    assert len(rows) == 7 and all(r.ok for r in rows), [r.reason for r in rows if not r.ok]
    families = {r.cell.env_id.split("/")[0] for r in rows}
    assert families == {"STORI", "Control"}  # Discrete and Box action spaces
    results = json.loads((out / "ci" / "results.json").read_text())
    assert any(r["label"] == "Sticky" for r in results["rows"])
