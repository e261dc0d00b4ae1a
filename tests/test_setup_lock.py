"""The set-up installs PyTorch's CPU build from the lock, never PyPI's CUDA build.

Offline (always run): the lock's torch pin cannot match PyPI's build; real pip, given an index
that holds only a build without the ``+cpu`` label, refuses to resolve it and picks the ``+cpu``
build where one exists; the Makefile and the user workflow install through the lock;
provenance reports installed versions that differ from it. Online (where PyTorch's CPU index
can be reached): ``pip install --dry-run`` of the Makefile's torch step, with this machine's pip
configuration ignored, selects a ``+cpu`` wheel from that index.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from entropy_gym.runner import lock
from entropy_gym.runner.provenance import process_provenance

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / lock.LOCK_FILE
MAKEFILE = REPO / "Makefile"
WORKFLOW = REPO / "docs" / "ci" / "github-actions.yml"


def torch_requirements() -> list[Requirement]:
    lines = [ln for ln in LOCK.read_text().splitlines() if ln.startswith("torch==")]
    return [Requirement(ln) for ln in lines]


def plain_pip_env() -> dict[str, str]:
    """The environment of a machine that has only the public indexes: no pip configuration
    file, no find-links, no extra index or constraint from the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def fake_wheel(folder: Path, version: str) -> Path:
    """A minimal ``torch`` wheel of ``version`` (metadata only: enough for a dry run)."""
    path = folder / f"torch-{version}-py3-none-any.whl"
    info = f"torch-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n"
        )
        wheel.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        wheel.writestr(f"{info}/RECORD", "")
    return path


def dry_run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--no-deps",
            *args,
        ],
        cwd=cwd,
        env=plain_pip_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


# -- offline ----------------------------------------------------------------------------------
def test_the_lock_pins_the_cpu_build_on_linux_and_the_release_elsewhere():
    linux, other = torch_requirements()
    assert linux.marker is not None and other.marker is not None
    version = linux.specifier
    assert str(version).endswith("+cpu")
    release = str(version)[2:].split("+")[0]
    # PyPI's Linux wheel of that release (the CUDA build) carries no label: the pin excludes it.
    assert not version.contains(release)
    assert version.contains(f"{release}+cpu")
    for system, applies in (("linux", (True, False)), ("darwin", (False, True))):
        env = {"sys_platform": system}
        assert (linux.marker.evaluate(env), other.marker.evaluate(env)) == applies
    assert other.specifier.contains(release)
    # The lock stays a pip constraints file: one pin per line, no options, entropy-gym absent.
    pins = lock.read_lock(LOCK.read_text())
    assert "entropy-gym" not in pins and pins["torch"].endswith("+cpu")
    assert all(re.fullmatch(r"[a-z0-9-]+", name) for name in pins)


def test_pip_refuses_a_torch_build_without_the_cpu_label_and_picks_the_cpu_build(tmp_path):
    pypi_like, cpu_index = tmp_path / "pypi", tmp_path / "cpu"
    pypi_like.mkdir(), cpu_index.mkdir()
    release = str(torch_requirements()[0].specifier)[2:].split("+")[0]
    fake_wheel(pypi_like, release)
    common = ["--no-index", "-c", str(LOCK), "--report", "-", "--quiet", "torch"]
    refused = dry_run("--find-links", str(pypi_like), *common, cwd=tmp_path)
    assert refused.returncode != 0
    assert "ResolutionImpossible" in refused.stderr or "No matching distribution" in refused.stderr
    fake_wheel(cpu_index, f"{release}+cpu")
    chosen = dry_run(
        "--find-links", str(pypi_like), "--find-links", str(cpu_index), *common, cwd=tmp_path
    )
    assert chosen.returncode == 0, chosen.stderr
    installs = json.loads(chosen.stdout)["install"]
    assert [i["metadata"]["version"] for i in installs] == [f"{release}+cpu"]


def makefile_variables() -> dict[str, str]:
    text = MAKEFILE.read_text()
    return dict(re.findall(r"^([A-Z_]+)\s*[:?]?=\s*(.*?)\s*$", text, flags=re.M))


def test_the_makefile_installs_torch_from_the_cpu_index_and_everything_through_the_lock():
    variables = makefile_variables()
    assert variables["TORCH_INDEX"] == lock.TORCH_CPU_INDEX
    assert variables["LOCK"] == lock.LOCK_FILE
    recipe = MAKEFILE.read_text().split("$(STAMP):", 1)[1].split("\ninstall:", 1)[0]
    steps = [ln.strip() for ln in recipe.splitlines() if "pip install" in ln]
    torch_step, project_step = steps[0], steps[1]
    assert "--extra-index-url $(TORCH_INDEX)" in torch_step
    assert f"-c {lock.LOCK_FILE} torch" in torch_step and "--no-deps" in torch_step
    assert "$(if $(LOCK),-c $(LOCK))" in project_step and '-e ".[all,dev]"' in project_step


def test_the_user_workflow_installs_through_the_lock():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    install = next(
        s["run"] for s in workflow["jobs"]["leaderboard"]["steps"] if s.get("name") == "Install"
    )
    assert workflow["env"]["TORCH_INDEX"] == lock.TORCH_CPU_INDEX
    torch_step, project_step = [ln for ln in install.splitlines() if "pip install" in ln]
    assert '--extra-index-url "$TORCH_INDEX"' in torch_step and '-c "$lock" torch' in torch_step
    assert '-c "$lock"' in project_step
    assert f'lock="$ENTROPY_GYM_PATH/{lock.LOCK_FILE}"' in install


def test_the_lock_is_what_the_installed_environment_holds():
    """Fails when pyproject.toml's dependencies or the installed versions moved away from the
    lock: run `make lock` (and commit it) after changing either on purpose."""
    if not (REPO / ".git").exists():
        pytest.skip("not a source checkout")
    locked = lock.read_lock(LOCK.read_text())
    installed = lock.read_lock(lock.render_lock(lock.closure()))
    assert installed == locked, "requirements/lock.txt is stale: run `make lock`"


def test_provenance_records_the_lock_and_the_versions_that_differ(tmp_path, monkeypatch):
    state = process_provenance()["lock"]
    assert state["file"] == lock.LOCK_FILE and len(state["sha256"]) == 64
    fake_root = tmp_path / "src"
    (fake_root / "requirements").mkdir(parents=True)
    pins = lock.installed_versions()
    (fake_root / lock.LOCK_FILE).write_text(
        f"numpy=={pins['numpy']}\npyyaml==0.0.1\nnot-installed-x==1\n"
    )
    monkeypatch.setattr(lock, "source_root", lambda: fake_root)
    lock.lock_state.cache_clear()
    try:
        state = lock.lock_state()
    finally:
        lock.lock_state.cache_clear()
    assert state is not None and not state["matches"]
    assert state["differs"] == [f"pyyaml {pins['pyyaml']} (locked 0.0.1)"]


# -- online -----------------------------------------------------------------------------------
def reachable(host: str) -> bool:
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True


def test_a_machine_with_only_the_public_indexes_gets_the_cpu_build(tmp_path):
    """The Makefile's torch step as a dry run, with this machine's pip configuration ignored."""
    host = lock.TORCH_CPU_INDEX.split("/")[2]
    if not reachable(host):
        pytest.skip(
            f"{host} cannot be resolved from here: the dry run against PyTorch's CPU index cannot run (the offline checks still do)"
        )
    report = tmp_path / "report.json"
    result = dry_run(
        "--extra-index-url",
        lock.TORCH_CPU_INDEX,
        "-c",
        str(LOCK),
        "--report",
        str(report),
        "torch",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (chosen,) = json.loads(report.read_text())["install"]
    print(chosen["metadata"]["version"], chosen["download_info"]["url"])
    if sys.platform.startswith("linux"):
        assert chosen["metadata"]["version"].endswith("+cpu")
        assert chosen["download_info"]["url"].startswith(f"https://{host}/")
