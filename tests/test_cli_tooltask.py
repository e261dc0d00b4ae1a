"""The `entropy-gym tooltask` command."""

from __future__ import annotations

from entropy_gym.cli import main


def test_show_prints_the_oracle_conversation(capsys):
    assert main(["tooltask", "show", "ToolTask/KnowledgeBase-easy-v0", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[system]\n") and "[call 4]" in out and "[call 5]" not in out
    assert out.rstrip().endswith("efficiency 1")
    assert "Correct." in out


def test_show_with_kwargs_and_another_agent(capsys):
    argv = [
        "tooltask",
        "show",
        "ToolTask/Household-easy-v0",
        "--agent",
        "random_admissible",
        "--kw",
        "max_turns=3",
        "--kw",
        "reward_mode=shaped",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "You have 3 turns." in out and "[call 4]" not in out


def test_calibrate_prints_scores(capsys):
    argv = [
        "tooltask",
        "calibrate",
        "ToolTask/FileTree-easy-v0",
        "--episodes",
        "40",
        "--oracle-episodes",
        "4",
        "--num-envs",
        "4",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "ToolTask/FileTree-easy-v0" in out and "RANDOM_SCORES = {" in out
    row = next(line for line in out.splitlines() if line.startswith("ToolTask/FileTree-easy-v0"))
    assert row.split()[-2:] == ["1.00", "4"]  # oracle success and turns


def test_bad_input_exits_2(capsys):
    assert main(["tooltask", "show", "ToolTask/FileTree-easy-v0", "--kw", "novalue"]) == 2
    assert "key=value" in capsys.readouterr().err
    assert main(["tooltask", "show"]) == 2
    assert main(["tooltask", "show", "ToolTask/FileTree-easy-v0", "--agent", "nope"]) == 2
    assert main(["tooltask", "show", "ToolTask/FileTree-easy-v0", "--kw", "hops=500"]) == 2
    assert "hops must be an integer in [1, 16]" in capsys.readouterr().err
    assert main(["tooltask", "show", "ToolTask/Nope-v0"]) == 2
