"""Headless rendering: Control envs declare `human` only where a display exists and refuse it
in one line elsewhere, so `check_env` works headless; the README's advice runs as written (in
a subprocess: a GLFW abort would kill the interpreter, not raise)."""

from __future__ import annotations

import ctypes.util
import os
import re
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

import entropy_gym  # noqa: F401
from entropy_gym.envs.control.base import ControlEnv

REPO = Path(__file__).resolve().parents[1]


def readme_block() -> str:
    """The README's headless check_env example."""
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    (block,) = [b for b in blocks if 'os.environ.setdefault("MUJOCO_GL"' in b]
    return block


def headless_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MUJOCO_GL")
    }
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**env, **extra}


def test_human_mode_is_declared_only_where_a_display_exists(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert "human" in ControlEnv.metadata["render_modes"]  # what gym.make checks
    env = gym.make("Control/Hopper-T2.2-v0")
    assert env.metadata["render_modes"] == ["rgb_array", "depth_array", "rgbd_tuple"]
    env.close()
    monkeypatch.setenv("DISPLAY", ":0")  # building a non-human env opens no window
    env = gym.make("Control/Hopper-T2.2-v0")
    assert env.metadata["render_modes"][0] == "human"
    env.close()


def test_human_mode_without_a_display_is_refused_in_one_line(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(RuntimeError) as err:
        gym.make("Control/InvertedPendulum-T1-v0", render_mode="human")
    message = str(err.value)
    assert "\n" not in message and message.startswith(
        "Control/InvertedPendulum-T1: render_mode='human'"
    )
    assert (
        "needs a display (DISPLAY or WAYLAND_DISPLAY set)" in message and "MUJOCO_GL=egl" in message
    )


@pytest.mark.parametrize(("gl", "library"), [("egl", "EGL"), ("osmesa", "OSMesa")])
def test_the_readmes_headless_check_env_runs_as_written(gl, library):
    if ctypes.util.find_library(library) is None:
        pytest.skip(f"lib{library} is not installed here (the README names its Debian package)")
    env = (
        headless_env() if gl == "egl" else headless_env(MUJOCO_GL=gl)
    )  # the block's default is egl
    result = subprocess.run(
        [sys.executable, "-c", readme_block()], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("check_env passed")
