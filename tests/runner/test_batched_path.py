"""The batched path: ``vectorization: native`` builds the id's own vector env, records the env
backend in provenance, validates in one line, and ``play`` runs unchanged on it (1,024 envs
included); the default sync path gives the results it gave before the batched path existed."""

from __future__ import annotations

import json
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from entropy_gym.agents import make_agent
from entropy_gym.leaderboard.build import build_results, select_rows
from entropy_gym.leaderboard.markdown import to_markdown
from entropy_gym.runner import Store, check_runnable, expand, load_suite, run_cells
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.envs import resolve_env_id
from entropy_gym.runner.evaluation import EntropyTrail, TaskEnvs, play
from entropy_gym.runner.rollout import run_cell
from entropy_gym.runner.suite import SuiteError
from entropy_gym.runner.vectorization import env_device
from tests.runner.helpers import agent_ref, toy_env_id, write_suite

HARD = "TextBandit/Bernoulli-K5-hard-v0"
COUNTER = "TestOnly/Counter-v0"


class CounterVectorEnv(VectorEnv):
    """A test-only native vector env, numpy only: env ``i``'s episodes last ``3 + i % 5``
    steps, pay reward 1 per step, and report ``slot = i`` as their episode metric."""

    EPISODE_METRICS = ("slot",)

    def __init__(
        self, num_envs: int = 1, autoreset_mode: AutoresetMode = AutoresetMode.NEXT_STEP
    ) -> None:
        self.num_envs = num_envs
        self.metadata = {"autoreset_mode": AutoresetMode(autoreset_mode)}
        self.single_observation_space = spaces.Box(0, 10, (1,), np.float32)
        self.single_action_space = spaces.Discrete(2)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.length = 3 + np.arange(num_envs) % 5
        self.t = np.zeros(num_envs, dtype=np.int64)

    def task_info(self) -> dict[str, Any]:
        return {"lengths": "3 + i % 5"}

    def reset(self, *, seed: Any = None, options: Any = None) -> tuple[np.ndarray, dict]:
        if isinstance(seed, list):
            raise TypeError("one seed for the batch")  # the runner then passes the int
        self.t[:] = 0
        return self._obs(), {}

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        self.t += 1
        done = self.t >= self.length
        info: dict[str, Any] = {}
        if done.any():
            slots = np.where(done, np.arange(self.num_envs), 0).astype(np.float64)
            info = {
                "final_info": {"episode_metrics": {"slot": slots, "_slot": done}},
                "_final_info": done,
            }
            self.t[done] = 0
        zeros = np.zeros(self.num_envs, dtype=bool)
        return self._obs(), np.ones(self.num_envs), done, zeros, info

    def _obs(self) -> np.ndarray:
        return self.t[:, None].astype(np.float32)


gym.register(COUNTER, entry_point=None, vector_entry_point=CounterVectorEnv)


def cell(env_id: str = HARD, agent: str | dict = "thompson", **fields: Any) -> Cell:
    config = {"name": agent} if isinstance(agent, str) else agent
    protocol = dict(env_kwargs={"horizon": 10}, seed=7, num_envs=3, eval_episodes=4)
    protocol.update(fields)
    return Cell("s", config["name"], config, "b", env_id, **protocol)  # type: ignore[arg-type]


def summary(result: Any) -> tuple:
    return (result.returns, result.lengths, result.metrics, result.entropy.to_dict())


# -- the default path is what it was ---------------------------------------------------------
def test_sync_path_gives_the_results_and_keys_it_gave_before():
    # Recorded before the batched path existed (same cells, same code path).
    expected = {
        "thompson": (
            [5.0, 6.0, 3.0, 5.0],
            1.4025759464064407,
            1.4499999999999997,
            "f2ff1d366a30da61",
        ),
        "random": (
            [5.0, 6.0, 3.0, 4.0],
            1.6094379124341003,
            1.7499999999999996,
            "17e0ac06a5fd728e",
        ),
    }
    for name, (returns, entropy, regret, key) in expected.items():
        c = cell(agent=name)
        result = run_cell(c, "cpu")
        assert (result.returns, result.entropy.mean, result.metrics["regret"]) == (
            returns,
            entropy,
            regret,
        )
        assert c.key == key and "vectorization" not in c.protocol
        assert result.provenance["env_backend"] == "sync"
        assert result.provenance["env_device"] is None
        # Saying sync is the same run (a different key: the protocol says more).
        explicit = cell(agent=name, vectorization="sync")
        assert summary(run_cell(explicit, "cpu")) == summary(result) and explicit.key != key


# -- the native path --------------------------------------------------------------------------
def test_native_text_bandit_cells_are_deterministic_per_seed_and_name_their_backend():
    first = run_cell(cell(vectorization="native"), "cpu")
    again = run_cell(cell(vectorization="native"), "cpu")
    other = run_cell(cell(vectorization="native", seed=8), "cpu")
    assert summary(first) == summary(again) and first.returns != other.returns
    assert len(first.returns) == 4 and first.lengths == [10] * 4
    assert set(first.metrics) >= {"regret", "best_arm_frac", "suffix_failure"}
    prov = first.provenance
    assert prov["env_backend"] == "native:TextBanditVectorEnv"
    assert (prov["env_device"], prov["env_seeding"], prov["device"]) == (None, "env_seeds", "cpu")
    spec = json.loads(first.env.spec)
    assert spec["id"] == HARD and spec["kwargs"]["horizon"] == 10
    assert first.env.family == "text-bandit" and first.env.action_space == "Discrete(5)"


def test_a_native_suite_runs_in_cell_processes_and_its_board_shows_the_backend(tmp_path):
    path = write_suite(
        tmp_path / "b.yaml",
        "nat",
        seeds=[0, 1],
        num_envs=4,
        eval_episodes=4,
        vectorization="native",
        envs=[{"id": HARD, "kwargs": {"horizon": 5}}],
        agents=["random"],
    )
    suite = load_suite("nat", path)
    check_runnable(suite)
    cells = expand(suite)
    assert {c.vectorization for c in cells} == {"native"}
    with Store(tmp_path / "store.sqlite") as store:
        assert run_cells(cells, store, workers=1, device="cpu", quiet=True).ok
        rows = store.rows("nat")
        results = build_results(suite, select_rows(store, suite))
    assert {r.provenance["env_backend"] for r in rows} == {"native:TextBanditVectorEnv"}
    assert results["provenance"]["env_backend"] == ["native:TextBanditVectorEnv"]
    assert "env backend native:TextBanditVectorEnv;" in to_markdown(results)


def test_an_agent_asking_for_native_gets_it_unless_the_suite_says_sync():
    native = {"name": agent_ref("NativeRandom")}
    result = run_cell(cell(agent=native), "cpu")
    assert result.provenance["env_backend"] == "native:TextBanditVectorEnv"
    kept = run_cell(cell(agent=native, vectorization="sync"), "cpu")
    assert kept.provenance["env_backend"] == "sync"


def test_play_runs_a_native_vector_env_of_1024_envs_with_each_env_s_quota():
    agent = make_agent({"name": agent_ref("EpsilonConstant")})  # action 0, entropy 0
    with TaskEnvs(COUNTER, num_envs=1024, seed=3, vectorization="native") as envs:
        assert envs.backend == "native:CounterVectorEnv" and envs.seeding == "seed"
        assert envs.task.action_space == spaces.Discrete(2) and envs.task.num_envs == 1024
        assert envs.task.env_info == {"lengths": "3 + i % 5"}
        agent.setup(envs.task, 3, "cpu")
        evaluation = play(agent, envs, episodes=3 * 1024 + 512)
    episodes = evaluation.episodes
    assert len(episodes) == 3 * 1024 + 512
    slots = [e.env_index for e in episodes]
    assert slots == sorted(slots) and np.bincount(slots).tolist() == [3] * 512 + [4] * 512
    for e in episodes:
        length = 3 + e.env_index % 5
        assert (e.length, e.total_return, e.metrics) == (length, length, {"slot": e.env_index})
        assert e.entropy == (0.0,) * length
    assert evaluation.vector_steps == 4 * 7  # the slowest envs: 4 episodes of 7 steps


def test_the_entropy_trail_gives_each_episode_its_own_decisions():
    trail = EntropyTrail(3, capacity=2)  # grows and compacts on the way
    live = np.ones(3, dtype=bool)
    expected: list[list[float]] = [[], [], []]
    rng = np.random.default_rng(0)
    for step in range(40):
        entropy = None if step % 7 == 3 else rng.random(3)
        trail.add(entropy, live)
        for i in range(3):
            if entropy is not None:
                expected[i].append(float(entropy[i]))
        done = np.array([step % 2 == 1, step % 5 == 4, step == 39])
        for i in np.flatnonzero(done):
            assert trail.episode(int(i)) == tuple(expected[i])
            expected[i] = []
        trail.restart(done)
        live = np.array([True, step < 20, True])  # env 1's episodes stop counting
    assert len(trail.rows) <= 64


# -- the device the envs are given --------------------------------------------------------
def test_text_bandits_take_the_cell_device_except_cpu():
    spec = resolve_env_id(HARD)
    assert env_device(spec, "cpu") is None and env_device(spec, "cuda") == "cuda"
    assert env_device(resolve_env_id(COUNTER), "cuda") is None  # no device parameter


def test_the_torch_core_on_the_cpu_matches_the_numpy_core():
    # Deterministic rewards (fixed means, no noise): both cores give the same numbers.
    fixed = {"reward": "gaussian", "means": [0.1, 0.7, 0.3], "noise_std": 0.0, "num_arms": 3}
    runs = {}
    for device in (None, "cpu"):
        agent = make_agent({"name": "thompson"})
        with TaskEnvs(
            HARD, {**fixed, "horizon": 8}, num_envs=4, vectorization="native", device=device
        ) as envs:
            assert (envs.vec.unwrapped.core.device, envs.device) == (device, device)
            agent.setup(envs.task, 0, "cpu")
            runs[device] = play(agent, envs, episodes=8)
    numpy_run, torch_run = runs[None], runs["cpu"]
    assert [e.length for e in numpy_run.episodes] == [e.length for e in torch_run.episodes]
    np.testing.assert_allclose(numpy_run.returns, torch_run.returns, rtol=1e-12)
    for a, b in zip(numpy_run.episodes, torch_run.episodes, strict=True):
        for name, value in a.metrics.items():
            assert b.metrics[name] == pytest.approx(value, rel=1e-12, abs=1e-12)
    # Random rewards: the same distribution (random play, 1,024 episodes each).
    means = {}
    for device in (None, "cpu"):
        agent = make_agent({"name": "random"})
        with TaskEnvs(
            HARD, {"horizon": 20}, num_envs=512, seed=1, vectorization="native", device=device
        ) as envs:
            agent.setup(envs.task, 1, "cpu")
            returns = play(agent, envs, episodes=1024).returns
        means[device] = (np.mean(returns), np.std(returns) / np.sqrt(len(returns)))
    (m0, se0), (m1, se1) = means[None], means["cpu"]
    assert abs(m0 - 20 * 0.44) < 5 * se0 and abs(m0 - m1) < 5 * np.hypot(se0, se1)


# -- validation ----------------------------------------------------------------------------------
def one_line_error(tmp_path, **body: Any) -> str:
    """The message of the ``SuiteError`` that loading and checking a suite of ``body`` raise."""
    suite_body = {"envs": [HARD], "agents": ["random"], **body}
    with pytest.raises(SuiteError) as err:
        suite = load_suite("v", write_suite(tmp_path / "b.yaml", "v", **suite_body))
        check_runnable(suite, build_envs=False)
    text = str(err.value)
    assert "\n" not in text
    return text


def test_validation_errors_are_one_line_naming_the_key(tmp_path):
    text = one_line_error(tmp_path, vectorization="batched")
    assert "suites.v.vectorization: expected one of: sync, native, got 'batched'" in text
    text = one_line_error(tmp_path, envs=[{"id": HARD, "vectorization": True}])
    assert "suites.v.envs[0].vectorization: expected one of: sync, native, got True" in text
    toy = toy_env_id()
    text = one_line_error(tmp_path, envs=[{"id": toy, "vectorization": "native"}])
    assert "suites.v.envs[0].vectorization:" in text and toy in text
    assert "has no vector entry point" in text and "vectorization: sync" in text
    text = one_line_error(tmp_path, envs=[HARD, toy], agents=[{"name": agent_ref("NativeRandom")}])
    assert "suites.v.agents[0]:" in text and toy in text and "vectorization: sync" in text
    text = one_line_error(tmp_path, agents=[{"name": agent_ref("OddVectorization")}])
    assert "suites.v.agents[0]:" in text and "unknown vectorization 'warp'" in text
    text = one_line_error(tmp_path, num_envs=2048)
    assert "suites.v.num_envs: expected at most 1024" in text and "vectorization" in text


def test_thousands_of_envs_are_valid_on_the_native_path(tmp_path):
    path = write_suite(
        tmp_path / "b.yaml",
        "v",
        num_envs=4096,
        vectorization="native",
        envs=[HARD],
        agents=[{"name": agent_ref("NativeRandom")}, "random"],
    )
    suite = load_suite("v", path)
    check_runnable(suite, build_envs=False)
    assert suite.num_envs == 4096 and {c.vectorization for c in expand(suite)} == {"native"}
    # Sync envs beside native ones keep the sync bound.
    with pytest.raises(SuiteError, match=r"envs\[1\]"):
        load_suite(
            "v",
            write_suite(
                tmp_path / "c.yaml",
                "v",
                num_envs=4096,
                vectorization="native",
                envs=[HARD, {"id": "CartPole-v1", "vectorization": "sync"}],
                agents=["random"],
            ),
        )


# -- on a GPU ------------------------------------------------------------------------------------
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.gpu
@cuda
def test_a_native_text_bandit_cell_keeps_its_numbers_on_cuda():
    result = run_cell(cell(vectorization="native", num_envs=64), "cuda")
    assert result.provenance["env_device"] == "cuda" and len(result.returns) == 4
    with TaskEnvs(HARD, num_envs=8, vectorization="native", device="cuda") as envs:
        assert envs.vec.unwrapped.core.means.device.type == "cuda"


def decide_batch(device: str, num_envs: int) -> int:
    """Model forwards of one ``llm_bandit`` decision for ``num_envs`` envs."""
    agent = make_agent({"name": "llm_bandit"})
    with TaskEnvs(HARD, {"horizon": 5}, num_envs=num_envs, vectorization="native") as envs:
        agent.setup(envs.task, 0, device)
        calls = []
        handle = agent.lm.model.register_forward_hook(lambda *_: calls.append(1))
        try:
            decision = agent.act(envs.obs)
        finally:
            handle.remove()
    assert decision.info["probs"].shape == (num_envs, 5)
    return len(calls)


@pytest.mark.llm
def test_an_llm_bandit_agent_decides_a_batch_in_one_forward(lm):
    assert decide_batch("cpu", 8) == 1


@pytest.mark.gpu
@pytest.mark.llm
@cuda
def test_an_llm_bandit_agent_decides_64_envs_on_cuda_in_one_forward(lm):
    assert decide_batch("cuda", 64) == 1
