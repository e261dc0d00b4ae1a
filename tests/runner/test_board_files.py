"""Board files are replaced whole (a reader never sees half of one) and carry no markup from
what a suite or a submission names."""

from __future__ import annotations

import json
import os
import threading

import numpy as np

from entropy_gym.leaderboard import atomic
from entropy_gym.leaderboard.publish import publish
from entropy_gym.runner import load_suite
from tests.runner.helpers import synthetic_rows, write_suite


def test_a_reader_never_sees_a_torn_file_while_it_is_rewritten(tmp_path):
    """A reader thread reads the file as fast as it can while it is rewritten 300 times with
    two contents of 1 MiB: every read is one of them, whole."""
    path = tmp_path / "results.json"
    contents = [json.dumps({"v": c * 2**20}) for c in "ab"]
    atomic.write_text(path, contents[0])
    seen, torn, stop = [0], [], threading.Event()

    def read() -> None:
        while not stop.is_set():
            text = path.read_text()
            seen[0] += 1
            if text not in contents:
                torn.append(len(text))

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(300):
        atomic.write_text(path, contents[i % 2])
    stop.set()
    reader.join()
    assert seen[0] > 0 and torn == []
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary left


def test_publish_replaces_the_board_files_and_escapes_markup(tmp_path):
    label = "<script>alert(1)</script>"
    path = write_suite(
        tmp_path / "b.yaml", "esc", seeds=[0, 1], eval_episodes=2,
        envs=["CartPole-v1"], agents=["random", {"name": "random", "label": label}],
    )  # fmt: skip
    suite = load_suite("esc", path)
    rows = synthetic_rows(suite, np.random.default_rng(0), skill={"random": 1.0, label: 3.0})
    publish(suite, rows, tmp_path / "out")
    board = tmp_path / "out" / "esc"
    first = {p.name: os.stat(p).st_ino for p in board.iterdir() if p.is_file()}
    publish(suite, rows, tmp_path / "out")
    second = {p.name: os.stat(p).st_ino for p in board.iterdir() if p.is_file()}
    assert set(first) == set(second) and "results.json" in first
    assert all(first[name] != second[name] for name in first), "a file was rewritten in place"
    markdown = (board / "leaderboard.md").read_text()
    assert "<script>" not in markdown and "&lt;script>alert(1)&lt;/script>" in markdown
    assert json.loads((board / "results.json").read_text())["rows"]  # the label kept as data
