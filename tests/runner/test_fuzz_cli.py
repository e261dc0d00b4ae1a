"""Malformed suites and CLI inputs, generated here: every one ends as one line on stderr per
problem (one line for each generated single-problem case) and exit status 2, with no traceback
and nothing written to the store, in bounded time and memory.

The cases run in one child process (a memory limit applies to it), each through
``entropy_gym.cli.main`` with stderr captured.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.runner.helpers import cli_env

MEMORY_LIMIT_GB = 6
TIME_LIMIT_S = 600
BASE: dict[str, Any] = {
    "description": "fuzz",
    "seeds": [0],
    "eval_episodes": 1,
    "envs": ["CartPole-v1"],
    "agents": ["random"],
}
PENDULUM = "Control/InvertedPendulum-T3.1-v0"  # declares its (empty) episode metrics


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"k": value}
    return value


BAD_VALUES: dict[str, list[Any]] = {
    "seeds": [
        10**9, 10**30, 100_000, -1, 0, "x", [], [1, 1], [-1], [2**40], 1.5, None, True,
        [10**30], {"a": 1}, list(range(2000)), ["0"], [0.5],
    ],
    "eval_episodes": [0, -1, 10**12, "3", 1.5, None, True, 10**30, [1]],
    "num_envs": [0, 100_000, "2", -3, 2.5, 10**30],
    "time_limit_s": [0, -1, float("nan"), float("inf"), 10**12, "fast", True],
    "bootstrap_reps": [10**30, 99, "x", 10**7, -5, 1.5],
    "budget": [
        {"env_steps": 10**30}, {"env_steps": -1}, {}, {"bogus": 1}, {"seconds": float("nan")},
        {"episodes": 10**12}, "x", {"seconds": 10**9}, {"env_steps": 1.5}, [1],
    ],
    "metrics": [["bad name!"], "x", [1], [None], [["nested"]]],
    "description": [
        "\x1b[31mred\x1b[0m", "a" * 100_000, "", 5, None, "bell\x07", "   ", "nul\x00",
        "rtl\u202eoverride",
    ],
    "agents": [
        [{"name": "random", "label": "x" * 100_000}],
        [{"name": "random", "label": "\x1b[2J"}],
        [{"name": "nope"}],
        [{"name": "ppo", "learning_rate": "fast"}],
        [{"name": "ppo", "n_steps": -1}],
        [{"name": "ppo", "learning_rate": 1e30}],
        [{"name": "ppo", "gamma": float("nan")}],
        [{"name": "ppo", "policy_kwargs": _deep(20)}],
        [{"name": "ppo", "no_such_param": 1}],
        ["sac"],
        ["dqn_on_nothing"],
        [{"name": "random", "bogus": 1}],
        [{"name": "random", "interventions": ["nope"]}],
        [{"name": "random", "interventions": [{"name": "temperature", "t": 2.0}]}],
        [{"name": "random", "interventions": [5]}],
        [{"label": "no name"}],
        [],
        "random",
        [5],
        [{"name": "random", "label": "a"}, {"name": "random", "label": "a"}],
        [{"name": "x" * 20_000}],
        [{"name": "/nonexistent/agent.py:Agent"}],
    ],
    "envs": [
        ["NoSuch-v0"],
        [{"id": "CartPole-v1", "kwargs": {"max_episode_steps": -1}}],
        [{"id": "CartPole-v1", "kwargs": {"max_episode_steps": "10"}}],
        [{"id": "CartPole-v1", "kwargs": {"horizon": 1e30}}],
        [{"id": "TextBandit/Bernoulli-K5-hard-v0", "kwargs": {"horizon": 1e30}}],
        [{"id": "TextBandit/Bernoulli-K5-hard-v0", "kwargs": {"horizon": float("nan")}}],
        [{"id": "CartPole-v1", "kwargs": {"x": _deep(20)}}],
        [{"id": "CartPole-v1", "kwargs": {"x": "y" * 20_000}}],
        [{"id": "CartPole-v1", "bogus": 1}],
        [{"id": "CartPole-v1", "name": "\x1b[1m"}],
        [{"id": "CartPole-v1", "name": "n" * 1000}],
        [{"id": "CartPole-v1", "random_score": 0}],
        [{"id": "CartPole-v1", "random_score": 0, "reference_score": 0, "reference_source": "s"}],
        [{"id": "CartPole-v1", "random_score": 0, "reference_score": 1}],
        [{"kwargs": {}}],
        [],
        "CartPole-v1",
        [5],
        ["CartPole-v1", "CartPole-v1"],
        [{"id": "STORI/Breakout-T1-v0", "kwargs": {"p": 2.0}}],
        [{"id": "STORI/Breakout-T3.2B-v0", "kwargs": {"per": "step"}}],
        [{"id": "Control/InvertedPendulum-T1-v0", "kwargs": {"p": -1}}],
    ],
    "unknown_key": [1],
}  # fmt: skip

RAW_FILES = [
    "suites: [",
    "\tsuites: {}",
    "",
    "[]",
    "suites: {}",
    "suites: 5",
    "other: 1",
    "suites:\n  fuzz: !!python/object/apply:os.system ['true']",
    "a: &a [*a]",
    "lol1: &l1 [x,x,x,x,x,x,x,x,x]\n"
    + "".join(f"lol{i}: &l{i} [{', '.join(['*l' + str(i - 1)] * 9)}]\n" for i in range(2, 10))
    + "suites: *l9",
    "suites:\n  site:\n    description: d\n    seeds: [0]\n    eval_episodes: 1\n"
    "    envs: [CartPole-v1]\n    agents: [random]",
    "suites:\n  'bad name':\n    description: d",
    "suites:\n  fuzz:\n    description: d\n    description: e",
    "suites:\n  fuzz: 5",
    "\x00\x01\x02",
]


def _suite_cases() -> list[tuple[str, bool]]:
    """``(file text, whether it holds exactly one problem)``."""
    texts = []
    for key, values in BAD_VALUES.items():
        for value in values:
            body = copy.deepcopy(BASE)
            if key == "unknown_key":
                body["no_such_key"] = value
            else:
                body[key] = value
            if key == "metrics":
                body["envs"] = [PENDULUM]
            texts.append((yaml.safe_dump({"suites": {"fuzz": body}}, allow_unicode=True), True))
    for key in ("description", "seeds", "eval_episodes", "envs", "agents"):
        body = copy.deepcopy(BASE)
        del body[key]
        texts.append((yaml.safe_dump({"suites": {"fuzz": body}}), True))
    unknown_metric = {**copy.deepcopy(BASE), "envs": [PENDULUM], "metrics": ["no_such_metric"]}
    texts.append((yaml.safe_dump({"suites": {"fuzz": unknown_metric}}), True))
    # A raw file may hold several problems: each is then one line of the same report.
    return texts + [(text, False) for text in RAW_FILES]


def build_cases(tmp: Path) -> list[dict[str, Any]]:
    """Each case: argv, and the store file that must not be written."""
    store = str(tmp / "store.sqlite")
    cases = []
    for i, (text, single) in enumerate(_suite_cases()):
        path = tmp / f"suite{i}.yaml"
        path.write_text(text)
        common = ["--file", str(path), "--store", store, "--out", str(tmp / "out"), "--quiet"]
        cases.append({"argv": ["run", "fuzz", *common], "single": single})
        cases.append({"argv": ["leaderboard", "fuzz", *common], "single": single})
    good = tmp / "good.yaml"
    good.write_text(yaml.safe_dump({"suites": {"fuzz": BASE}}))
    not_a_db = tmp / "notes.txt"
    not_a_db.write_text("not a database\n")
    a_file = tmp / "a_file"
    a_file.write_text("x")
    agent = tmp / "agent.py"
    agent.write_text("class Agent:\n    pass\n")
    run = ["run", "fuzz", "--file", str(good), "--quiet"]
    for extra in (
        ["--store", "/tmp"],
        ["--store", "/dev/null"],
        ["--store", "/proc/nope/x.sqlite"],
        ["--store", str(not_a_db)],
        ["--store", str(a_file / "x.sqlite")],
        ["--out", "/proc/x"],
        ["--out", str(a_file)],
        ["--workers", "0"],
        ["--workers", "-1"],
        ["--workers", "x"],
        ["--device", "tpu"],
        ["--backend", "nope"],
        ["--address", "localhost:1"],
        ["--bogus"],
    ):
        argv = run + extra
        if "--store" not in extra:
            argv += ["--store", store]
        if "--out" not in extra:
            argv += ["--out", str(tmp / "out")]
        cases.append({"argv": argv})
    sub = ["submit", "--suite", "fuzz", "--file", str(good), "--store", store, "--quiet"]
    sub += ["--out", str(tmp / "out")]
    for ref, extra in (
        (f"{agent}:Missing", []),
        (f"{tmp / 'nope.py'}:Agent", []),
        ("no-colon", []),
        (f"{agent}:Agent", ["--time-limit", "0"]),
        (f"{agent}:Agent", ["--time-limit", "-5"]),
        (f"{agent}:Agent", ["--memory-limit-mb", "0"]),
        (f"{agent}:Agent", ["--config", "{not json"]),
        (f"{agent}:Agent", ["--config", "[1]"]),
        (f"{agent}:Agent", ["--label", "\x1b[2J"]),
    ):
        cases.append({"argv": [sub[0], ref, *sub[1:], *extra]})
    for argv in (
        ["run", "nosuchsuite", "--file", str(good), "--store", store],
        ["run", "fuzz", "--file", "/nonexistent.yaml", "--store", store],
        ["run", "fuzz", "--file", "/tmp", "--store", store],
        ["show", "nope", "--out", str(tmp / "out")],
        ["show", "fuzz", "--out", "/proc/x"],
        ["leaderboard", "fuzz", "--file", str(good), "--store", store, "--check", "--out", "/x"],
        ["envs", "--family", "nope"],
        ["nosuchcommand"],
    ):
        cases.append({"argv": argv})
    cases += hostile_input_cases(tmp, store)
    return [{"single": True, **case, "store": store} for case in cases]


BANDIT = "TextBandit/Bernoulli-K5-hard-v0"


def _suite_text(**changes: Any) -> str:
    return yaml.safe_dump({"suites": {"fuzz": {**BASE, **changes}}}, allow_unicode=True)


def hostile_input_cases(tmp: Path, store: str) -> list[dict[str, Any]]:
    """Inputs that once hung, exhausted the host, ended in a traceback or were accepted when
    they should not be: each must now be refused up front, in one line, with exit 2.

    A case may carry ``env`` (variables set while it runs), ``unchanged`` (files that must
    keep their bytes) and ``lock`` (a store the driver holds locked meanwhile)."""
    import os

    good = tmp / "good.yaml"
    out = tmp / "out"
    common = ["--store", store, "--out", str(out), "--quiet"]
    run = ["run", "fuzz", "--file", str(good), *common]
    agent = tmp / "agent.py"
    submit = ["submit", f"{agent}:Agent", "--suite", "fuzz", "--file", str(good), *common]
    cases: list[dict[str, Any]] = []

    def suite_case(name: str, text: str | bytes, *argv: str, **extra: Any) -> None:
        path = tmp / f"hostile-{len(cases)}-{name}.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        cases.append({"argv": ["run", "fuzz", "--file", str(path), *common, *argv], **extra})

    # Point 5: inputs that hang or exhaust the host.
    cases.append({"argv": [*submit, "--time-limit", "inf"]})
    fifo = tmp / "suite.fifo"
    os.mkfifo(fifo)
    cases.append({"argv": ["run", "fuzz", "--file", str(fifo), *common]})
    cases.append({"argv": ["run", "fuzz", "--file", "/dev/zero", *common]})
    board_file = str(out / "fuzz" / "results.json")
    cases.append({"argv": ["run", "fuzz", "--file", str(good), "--store", board_file,
                           "--out", str(out), "--quiet"], "store": board_file})  # fmt: skip
    # Point 6: tracebacks.
    suite_case("latin1", "suites:\n  fuzz:\n    description: caf\xe9\n".encode("latin-1"))
    suite_case("deep", "suites: " + "[" * 20_000 + "]" * 20_000)
    suite_case("bigint", f"suites:\n  fuzz:\n    seeds: [{'9' * 5000}]\n")
    suite_case("surrogate", _suite_text(agents=[{"name": "random", "label": "a\ud800b"}]))
    suite_case(
        "seed-range", _suite_text(seeds=[2**63]), env={"ENTROPY_GYM_LIMIT_SEED": str(10**20)}
    )
    for version in ("4", "abc"):
        path = tmp / f"schema-{version}.sqlite"
        import sqlite3

        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (version,))
        cases.append({"argv": ["run", "fuzz", "--file", str(good), "--store", str(path),
                               "--out", str(out), "--quiet"], "unchanged": [str(path)]})  # fmt: skip
    damaged = {
        "truncated": b'{"suite": {"name": "fuzz"}, "rows": [',
        "list": b"[]",
        "keys": b'{"suite": {"name": "fuzz"}, "rows": [{"label": "x"}], "cells": []}',
        "binary": bytes(range(256)) * 4,
    }
    for name, data in damaged.items():
        folder = tmp / f"damaged-{name}"
        (folder / "fuzz").mkdir(parents=True)
        (folder / "fuzz" / "results.json").write_bytes(data)
        cases.append({"argv": ["show", "fuzz", "--out", str(folder)]})
        cases.append({"argv": ["leaderboard", "fuzz", "--file", str(good), "--store", store,
                               "--check", "--out", str(folder), "--quiet"]})  # fmt: skip
    # Point 7: accepted when they should not be.
    suite_case("duplicate-key", _suite_text() + "    seeds: [0]\n")
    cases.append({"argv": [*run, "--seeds", ""]})
    cases.append({"argv": [*run, "--envs", ""]})
    for kwargs in ({"horizon": True}, {"hint": "no"}, {"gap": "0.3"}):
        suite_case("coerced", _suite_text(envs=[{"id": BANDIT, "kwargs": kwargs}]))
    for label in ("ran\u200bdom", "r\u0430ndom", "random ", "Random", "ｒａｎｄｏｍ"):
        cases.append({"argv": [*submit, "--label", label]})
    suite_case("look-alike", _suite_text(agents=["random", {"name": "random", "label": "RANDOM"}]))
    cases.append({"argv": [*submit, "--config", '{"name": "ucb1"}']})
    cases.append({"argv": [*submit, "--config", "[" * 100_000 + "]" * 100_000]})
    reasoning = "Reasoning/Arithmetic-easy-v0"
    suite_case("grpo-cartpole", _suite_text(agents=["llm_grpo"]))
    for params in ({"model": "/etc"}, {"max_new_tokens": 10**6}):
        suite_case("grpo", _suite_text(envs=[reasoning], agents=[{"name": "llm_grpo", **params}]))
    suite_case("ppo-gamma", _suite_text(agents=[{"name": "ppo", "gamma": 2}]))
    suite_case("sac-tau", _suite_text(envs=["Pendulum-v1"], agents=[{"name": "sac", "tau": 5}]))
    link = tmp / "link.sqlite"
    link.symlink_to(tmp / "locked.sqlite")
    cases.append({"argv": ["run", "fuzz", "--file", str(good), "--store", str(link),
                           "--out", str(out), "--quiet"],
                  "lock": str(tmp / "locked.sqlite"), "store": str(tmp / "never.sqlite")})  # fmt: skip
    cases.append({"argv": ["run", "fuzz", "--file", str(good), "--store", store, "--out",
                           "/proc/sys", "--quiet"]})  # fmt: skip
    return cases


DRIVER = r"""
import contextlib, hashlib, io, json, os, resource, signal, sys, time, traceback
limit = int(sys.argv[2]) * 2**30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from entropy_gym.cli import main
from entropy_gym.runner import Store

class Stuck(Exception):
    pass

def alarm(signum, frame):
    raise Stuck("the case ran past its time limit")

signal.signal(signal.SIGALRM, alarm)

def digest(path):
    try:
        return hashlib.sha256(open(path, "rb").read()).hexdigest()
    except OSError:
        return None

out = []
for case in json.load(open(sys.argv[1])):
    for suffix in ("", "-wal", "-shm", ".lock"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(case["store"] + suffix)
    before = {p: digest(p) for p in case.get("unchanged", [])}
    saved = {k: os.environ.get(k) for k in case.get("env", {})}
    os.environ.update(case.get("env", {}))
    held = contextlib.ExitStack()
    if case.get("lock"):
        held.enter_context(held.enter_context(Store(case["lock"])).run_lock())
    err, std = io.StringIO(), io.StringIO()
    started = time.monotonic()
    crash = None
    signal.alarm(int(sys.argv[3]))
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
            try:
                rc = main(case["argv"])
            except SystemExit as stop:
                rc = stop.code
    except BaseException:
        rc, crash = None, traceback.format_exc()
    finally:
        signal.alarm(0)
        held.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    changed = [p for p, d in before.items() if digest(p) != d]
    out.append({"rc": rc, "stderr": err.getvalue(), "crash": crash, "changed": changed,
                "store": os.path.exists(case["store"]), "s": time.monotonic() - started})
json.dump(out, sys.stdout)
"""
#: Seconds one case may take (a FIFO or /dev/zero read would otherwise never end).
CASE_TIME_LIMIT_S = 120


def test_malformed_suites_and_cli_inputs_end_in_one_line_and_exit_2(tmp_path):
    cases = build_cases(tmp_path)
    assert len(cases) >= 200
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps(cases))
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(spec), str(MEMORY_LIMIT_GB), str(CASE_TIME_LIMIT_S)],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_S,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    problems = []
    for case, result in zip(cases, results):
        lines = result["stderr"].strip().splitlines()
        ok = (
            result["crash"] is None
            and result["rc"] == 2
            and (len(lines) == 1 if case["single"] else len(lines) >= 1)
            and all(line.startswith("entropy-gym: error: ") for line in lines)
            and "Traceback" not in result["stderr"]
            and not result["store"]
            and not result["changed"]
        )
        if not ok:
            problems.append((case["argv"][:2], result["rc"], lines[:3], result["crash"]))
    assert not problems, "\n".join(map(repr, problems[:8]))
