"""`entropy-gym submit` of agent classes written outside the package, and
`entropy-gym leaderboard --check` against a committed leaderboard."""

from __future__ import annotations

import json
import textwrap

import pytest

from entropy_gym.cli import main
from entropy_gym.runner.store import Store
from tests.runner.helpers import write_suite

GOOD_AGENT = textwrap.dedent('''
    import numpy as np
    from entropy_gym.agents import BaseAgent, Decision

    class Alternate(BaseAgent):
        """Alternates actions 0 and 1, with a configurable offset."""
        name = "alternate"

        def __init__(self, offset=0):
            super().__init__(offset=offset)
            self.offset = int(offset)

        def setup(self, task, seed, device):
            super().setup(task, seed, device)
            self.t = self.offset

        def act(self, obs):
            self.t += 1
            n = len(obs)
            return Decision(actions=np.full(n, self.t % 2), entropy=np.zeros(n))
''')

BROKEN_AGENT = textwrap.dedent("""
    from entropy_gym.agents import BaseAgent

    class Broken(BaseAgent):
        def __init__(self):
            raise RuntimeError("cannot load my weights")
""")

UNIMPORTABLE = "import numpy as np\nraise ImportError('needs a package that is not installed')\nclass Agent: pass\n"


@pytest.fixture
def workspace(tmp_path):
    path = write_suite(
        tmp_path / "benchmarks.yaml",
        "sub",
        seeds=[0, 1],
        eval_episodes=2,
        envs=["CartPole-v1"],
        agents=["random"],
    )
    user = tmp_path / "elsewhere"
    user.mkdir()
    args = [
        "--file",
        str(path),
        "--store",
        str(tmp_path / "s.sqlite"),
        "--out",
        str(tmp_path / "lb"),
        "--quiet",
    ]
    return tmp_path, user, args


def test_submit_scores_a_user_agent_beside_the_suite(workspace, capsys):
    tmp, user, args = workspace
    assert main(["run", "sub", *args]) == 0
    (user / "my_agent.py").write_text(GOOD_AGENT)
    code = main(
        [
            "submit",
            f"{user / 'my_agent.py'}:Alternate",
            "--suite",
            "sub",
            "--config",
            '{"offset": 1}',
            "--time-limit",
            "60",
            *args,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Alternate on sub: rank" in out
    results = json.loads((tmp / "lb" / "sub" / "results.json").read_text())
    by_label = {r["label"]: r for r in results["rows"]}
    assert set(by_label) == {"random", "Alternate"}
    assert (
        by_label["Alternate"]["source"] == "submit" and by_label["Alternate"]["cells_failed"] == 0
    )
    assert by_label["Alternate"]["config"]["offset"] == 1
    with Store(tmp / "s.sqlite") as store:
        rows = store.rows("sub", source="submit")
    assert len(rows) == 2 and all(r.ok for r in rows)
    assert all(r.cell.memory_limit_mb == 8192 and r.cell.time_limit_s == 60 for r in rows)
    assert all(len(r.cell.extra["source_sha256"]) == 64 for r in rows)
    # Always-alternating actions and a zero entropy: the policy is collapsed by definition.
    assert by_label["Alternate"]["collapsed"] == 2


def test_a_broken_agent_is_refused_before_any_cell_runs(workspace, capsys):
    tmp, user, args = workspace
    (user / "broken.py").write_text(BROKEN_AGENT)
    (user / "unimportable.py").write_text(UNIMPORTABLE)
    assert main(["submit", f"{user / 'broken.py'}:Broken", "--suite", "sub", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("entropy-gym: error: the submission fails")
    assert "building the agent raised RuntimeError: cannot load my weights" in err[0]
    assert main(["submit", f"{user / 'unimportable.py'}:Agent", "--suite", "sub", *args]) == 2
    assert "ImportError: needs a package that is not installed" in capsys.readouterr().err
    assert not (tmp / "lb" / "sub").exists()  # nothing published
    with Store(tmp / "s.sqlite") as store:
        assert store.rows("sub") == []  # nothing stored


def test_resubmitting_changed_code_needs_replace(workspace, capsys):
    _tmp, user, args = workspace
    agent = user / "my_agent.py"
    agent.write_text(GOOD_AGENT)
    ref = f"{agent}:Alternate"
    assert main(["submit", ref, "--suite", "sub", *args]) == 0
    assert "Alternate: 2 cells, 2 run, 0 already stored, 0 failed" in capsys.readouterr().out
    assert main(["submit", ref, "--suite", "sub", *args]) == 0  # unchanged: nothing to run
    assert "Alternate: 2 cells, 0 run, 2 already stored, 0 failed" in capsys.readouterr().out
    agent.write_text(GOOD_AGENT.replace("self.t % 2", "(self.t + 1) % 2"))
    assert main(["submit", ref, "--suite", "sub", *args]) == 2
    assert "already holds a different submission" in capsys.readouterr().err
    assert main(["submit", ref, "--suite", "sub", "--replace", *args]) == 0
    assert "replaced 2 stored cells" in capsys.readouterr().out
    assert main(["submit", str(user / "nope.py") + ":X", "--suite", "sub", *args]) == 2
    assert main(["submit", ref, "--suite", "sub", "--label", "random", *args]) == 2


def test_leaderboard_check_passes_when_it_reproduces_and_fails_otherwise(workspace, capsys):
    tmp, _, args = workspace
    assert main(["run", "sub", *args]) == 0
    assert main(["leaderboard", "sub", "--check", *args]) == 0
    out = capsys.readouterr().out
    assert (
        "random: IQM" in out
        and ": identical" in out
        and "sub: committed leaderboard reproduces" in out
    )
    path = tmp / "lb" / "sub" / "results.json"
    committed = json.loads(path.read_text())
    committed["rows"][0]["iqm_ci"] = [1000.0, 2000.0]
    path.write_text(json.dumps(committed))
    assert main(["leaderboard", "sub", "--check", *args]) == 1
    assert "outside the committed CI [1000, 2000]" in capsys.readouterr().err


def test_leaderboard_rebuilds_from_the_store(workspace, capsys):
    tmp, _, args = workspace
    assert main(["leaderboard", "sub", *args]) == 2  # nothing stored yet
    assert "run `entropy-gym run sub` first" in capsys.readouterr().err
    assert main(["run", "sub", *args]) == 0
    before = (tmp / "lb" / "sub" / "results.json").read_text()
    (tmp / "lb" / "sub" / "results.json").unlink()
    assert main(["leaderboard", "sub", *args]) == 0
    assert (tmp / "lb" / "sub" / "results.json").read_text() == before
