"""The batched forms: the numpy/torch numeric core and the native vector env."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.vector import AutoresetMode

import entropy_gym  # noqa: F401
from entropy_gym.envs.text.bandits.core import BanditBatch
from entropy_gym.envs.text.bandits.spec import BanditSpec
from entropy_gym.envs.text.bandits.vector import TextBanditVectorEnv

HARD = "entropy_gym:TextBandit/Bernoulli-K5-hard-v0"


def _plain(info):
    """A vector info dict with arrays turned into lists (for equality checks)."""
    out = {}
    for key, value in info.items():
        if isinstance(value, dict):
            out[key] = _plain(value)
        elif key != "final_obs":
            out[key] = np.asarray(value).tolist()
    return out


def test_make_vec_uses_the_native_vector_env():
    envs = gym.make_vec(HARD, num_envs=3, horizon=4)
    assert isinstance(envs, TextBanditVectorEnv)
    obs, _ = envs.reset(seed=0)
    assert len(obs) == 3 and all(envs.single_observation_space.contains(o) for o in obs)
    assert envs.task_info()["labels"] == ["A", "B", "C", "D", "E"]


@pytest.mark.parametrize("mode", [AutoresetMode.SAME_STEP, AutoresetMode.NEXT_STEP])
def test_info_layout_matches_sync_vector_env(mode):
    # Fixed 0/1 means make both forms pay the same rewards whatever their generators.
    kwargs = dict(means=[0.0, 1.0, 0.0, 1.0, 0.0], horizon=3)
    native = gym.make_vec(HARD, num_envs=3, autoreset_mode=mode, **kwargs)
    sync = gym.make_vec(
        HARD,
        num_envs=3,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": mode},
        **kwargs,
    )
    outs = []
    for envs in (native, sync):
        envs.reset(seed=0)
        steps = []
        for t in range(5):
            actions = ["B", "nothing", 3] if t == 1 else np.array([0, 1, t % 5])
            obs, reward, terminated, truncated, info = envs.step(actions)
            steps.append(
                (list(obs), reward.tolist(), terminated.tolist(), truncated.tolist(), _plain(info))
            )
        outs.append(steps)
    assert outs[0] == outs[1]


def test_disabled_autoreset_needs_an_explicit_partial_reset():
    envs = TextBanditVectorEnv(num_envs=2, horizon=1, autoreset_mode="disabled", gap=0.2)
    envs.reset(seed=0)
    _, _, terminated, _, info = envs.step(np.array([0, 1]))
    assert terminated.tolist() == [True, True] and "episode_metrics" in info
    with pytest.raises(RuntimeError, match="reset_mask"):
        envs.step(np.array([0, 1]))
    obs, _ = envs.reset(options={"reset_mask": np.array([True, True])})
    assert all("Press 1 of 1" in o for o in obs)


def test_vector_env_is_deterministic_per_seed():
    def run(seed):
        envs = gym.make_vec("entropy_gym:TextBandit/Gaussian-K5-v0", num_envs=4, horizon=6)
        obs, _ = envs.reset(seed=seed)
        out = [obs]
        for t in range(6):
            out.append(envs.step(np.full(4, t % 5))[:2])
        return repr(out)

    assert run(3) == run(3) and run(3) != run(4)


def test_vector_env_rejects_bad_actions():
    envs = TextBanditVectorEnv(num_envs=2, gap=0.2)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match="out of range"):
        envs.step(np.array([0, 9]))
    with pytest.raises(ValueError, match="expected 2 actions"):
        envs.step(["A"])


@pytest.mark.parametrize("device", [None, "cpu"])
def test_numeric_core_bookkeeping_on_numpy_and_torch(device):
    spec = BanditSpec(
        reward="gaussian", means=(0.0, 1.0, 0.5), num_arms=3, noise_std=0.0, horizon=4
    )
    core = BanditBatch(spec, 3, device=device)
    core.seed(0)
    core.reset()
    for arms in ([0, 1, 2], [1, -1, 2], [1, 1, 0], [2, 1, 1]):
        out = core.step(arms)
    assert np.asarray(out.done).tolist() == [True] * 3
    m = {k: np.asarray(v).tolist() for k, v in core.episode_metrics().items()}
    assert m["regret"] == pytest.approx([1.5, 1.0, 2.0])
    assert m["best_arm_frac"] == pytest.approx([0.5, 0.75, 0.25])
    assert m["invalid_rate"] == pytest.approx([0.0, 0.25, 0.0])
    assert m["greedy_frac"] == pytest.approx([0.5, 0.75, 0.5])
    assert m["suffix_failure"] == [0.0, 0.0, 0.0]
    if device is not None:
        assert isinstance(core.means, torch.Tensor) and core.means.device.type == "cpu"


@pytest.mark.parametrize("device", [None, "cpu"])
def test_numeric_core_statistics_and_seeding(device):
    spec = BanditSpec(gap=0.2, horizon=20)
    results = []
    for seed in (7, 7, 8):
        core = BanditBatch(spec, 20_000, device=device)
        core.seed(seed)
        core.reset()
        best = core.optimal + 0
        for _ in range(20):
            out = core.step(best)
        results.append(np.asarray(core.sums).sum())
        # Always pulling the best arm: mean reward 0.6 (standard error 0.0008), zero regret.
        assert float(np.asarray(core.sums).sum()) / (20_000 * 20) == pytest.approx(0.6, abs=0.004)
        assert float(np.asarray(core.regret).max()) == 0.0
        assert np.asarray(out.done).all()
    assert results[0] == results[1] != results[2]


def test_core_partial_reset_touches_only_the_masked_rows():
    core = BanditBatch(BanditSpec(gap=0.5, horizon=5), 4)
    core.seed(0)
    core.reset()
    core.step([0, 1, 2, 3])
    before = core.means.copy()
    core.reset(np.array([False, True, False, False]))
    assert core.t.tolist() == [1, 0, 1, 1] and core.counts[1].sum() == 0
    assert np.array_equal(core.means[[0, 2, 3]], before[[0, 2, 3]])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.gpu
def test_vector_env_on_cuda():
    envs = gym.make_vec(HARD, num_envs=8, device="cuda", horizon=3)
    envs.reset(seed=0)
    assert envs.unwrapped.core.means.device.type == "cuda"
    for _ in range(3):
        _obs, reward, terminated, *_ = envs.step(np.zeros(8, dtype=np.int64))
    assert terminated.all() and reward.shape == (8,)
