"""The MJX backend of the ``Control/`` ids against the CPU envs: trajectories, the five types'
statistics, ``gym.make_vec`` through the vector entry point, seeding, and the runner's native
path.

Each (task, type) is one XLA program that takes about 12 s to compile on 2 CPU cores, so the
default tests use InvertedPendulum and one jitted program per test; the contact-rich tasks'
trajectory agreement is ``slow``.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("mujoco.mjx")

import jax.numpy as jnp  # noqa: E402

import entropy_gym  # noqa: E402, F401  (registers the ids)
from entropy_gym.envs.control.mjx import MJX_TASKS, make_mjx_env  # noqa: E402
from entropy_gym.envs.control.mjx.vector import MjxVectorEnv  # noqa: E402

IP = "InvertedPendulum"
#: float32 MJX vs float64 MuJoCo: the largest observation error allowed over the compared steps
#: (measured: IP 4e-7 and Hopper 3e-6 after 100 steps; Walker2d 2e-5 after 30).
TOLERANCE = {IP: 1e-4, "Hopper": 1e-3, "Walker2d": 1e-3}


def cpu_trajectory(
    env_id: str, steps: int, seed: int, action_scale: float, **kwargs: Any
) -> dict[str, Any]:
    """The CPU env's initial state and, until it ends, its observations under random actions
    (uniform over ``action_scale`` times the action range)."""
    env = gym.make(env_id, **kwargs)
    obs, _ = env.reset(seed=seed)
    core: Any = env.unwrapped
    qpos, qvel = core.data.qpos.copy(), core.data.qvel.copy()
    rng = np.random.default_rng(seed)
    space = env.action_space
    actions, observations, rewards = [], [], []
    for _ in range(steps):
        action = (action_scale * rng.uniform(space.low, space.high)).astype(np.float32)
        obs, reward, terminated, truncated, _ = env.step(action)
        actions.append(action)
        observations.append(obs)
        rewards.append(reward)
        if terminated or truncated:
            break
    env.close()
    return {
        "qpos": qpos,
        "qvel": qvel,
        "actions": np.array(actions),
        "obs": np.array(observations),
        "rewards": np.array(rewards),
        "terminated": terminated,
    }


def mjx_trajectory(env_id: str, cpu: dict[str, Any], **kwargs: Any) -> dict[str, np.ndarray]:
    """One MJX env started in the CPU env's initial state and given its actions."""
    env = make_mjx_env(env_id, 1, **kwargs)
    state = env.reset(jax.random.PRNGKey(0))
    data = state.data.replace(
        qpos=jnp.asarray(cpu["qpos"][None], jnp.float32),
        qvel=jnp.asarray(cpu["qvel"][None], jnp.float32),
    )
    state = state.replace(data=data)

    def body(state: Any, action: jax.Array) -> tuple[Any, tuple[jax.Array, ...]]:
        state = env.step(state, action[None])
        return state, (state.final_obs[0], state.reward[0], state.terminated[0])

    _, (obs, reward, terminated) = jax.jit(lambda s, a: jax.lax.scan(body, s, a))(
        state, jnp.asarray(cpu["actions"])
    )
    return {
        "obs": np.asarray(obs),
        "rewards": np.asarray(reward),
        "terminated": np.asarray(terminated),
    }


def assert_same_trajectory(
    task: str, env_id: str, steps: int, action_scale: float = 1.0, **kwargs: Any
) -> None:
    cpu = cpu_trajectory(env_id, steps, seed=3, action_scale=action_scale, **kwargs)
    mjx = mjx_trajectory(env_id, cpu, **kwargs)
    assert len(cpu["obs"]) >= 5, "the CPU episode ended too soon to compare"
    error = np.abs(mjx["obs"] - cpu["obs"]).max()
    assert error < TOLERANCE[task], f"{env_id}: observation error {error:.2e}"
    np.testing.assert_allclose(mjx["rewards"], cpu["rewards"], atol=50 * TOLERANCE[task])
    assert mjx["terminated"][-1] == cpu["terminated"]
    assert not mjx["terminated"][:-1].any()


def test_plain_inverted_pendulum_follows_the_cpu_trajectory():
    assert_same_trajectory(IP, f"Control/{IP}-T3.1-v0", 60, action_scale=0.1)


def test_concept_drift_switches_the_physics_at_the_cpu_env_step():
    # Gear x0.5 from step 4: the trajectory only agrees if both switch the same model at the
    # same step (a wrong gear moves the pole by far more than the tolerance within a step).
    assert_same_trajectory(IP, f"Control/{IP}-T2.2-v0", 40, 0.1, threshold=4, scale=0.5)


@pytest.mark.slow
@pytest.mark.parametrize("task", ["Hopper", "Walker2d"])
def test_contact_tasks_follow_the_cpu_trajectory(task):
    assert_same_trajectory(task, f"Control/{task}-T3.1-v0", 30)


# -- the types' statistics against the CPU env's -----------------------------------------------
N_ENVS, N_STEPS = 64, 100


def mjx_infos(env_id: str, **kwargs: Any) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The step infos of ``N_ENVS`` x ``N_STEPS`` random steps, and each step's ``t`` before it."""
    env = make_mjx_env(env_id, N_ENVS, **kwargs)
    low, high = env.action_low, env.action_high

    def run(key: jax.Array) -> Any:
        def body(state: Any, k: jax.Array) -> tuple[Any, Any]:
            action = jax.random.uniform(k, (N_ENVS, env.action_size), minval=low, maxval=high)
            stepped = env.step(state, action)
            return stepped, (stepped.info, state.t)

        return jax.lax.scan(body, env.reset(key), jax.random.split(key, N_STEPS))[1]

    info, t = jax.jit(run)(jax.random.PRNGKey(5))
    return {
        k: np.asarray(v).reshape(N_ENVS * N_STEPS, *np.shape(v)[2:]) for k, v in info.items()
    }, (np.asarray(t).reshape(-1))


def cpu_infos(env_id: str, steps: int, **kwargs: Any) -> tuple[list[dict[str, Any]], list[int]]:
    env = gym.make(env_id, **kwargs)
    rng = np.random.default_rng(0)
    infos, ts, t = [], [], 0
    env.reset(seed=0)
    for _ in range(steps):
        action = rng.uniform(env.action_space.low, env.action_space.high).astype(np.float32)
        _, _, terminated, truncated, info = env.step(action)
        infos.append(info)
        ts.append(t)
        t += 1
        if terminated or truncated:
            env.reset()
            t = 0
    env.close()
    return infos, ts


def assert_same_rate(mjx: np.ndarray, cpu: np.ndarray, what: str) -> None:
    """Two Bernoulli samples agree within 4.5 standard errors of their difference."""
    p1, p2 = float(np.mean(mjx)), float(np.mean(cpu))
    pooled = (p1 * mjx.size + p2 * cpu.size) / (mjx.size + cpu.size)
    se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / mjx.size + 1 / cpu.size))
    assert abs(p1 - p2) < 4.5 * se + 1e-9, f"{what}: MJX {p1:.4f} vs CPU {p2:.4f}"


def test_action_corruption_replaces_at_the_cpu_rate_with_uniform_draws():
    env_id, kwargs = f"Control/{IP}-T1-v0", {"p": 0.3}
    info, _ = mjx_infos(env_id, **kwargs)
    cpu, _ = cpu_infos(env_id, 3000, **kwargs)
    corrupted = info["action_corrupted"]
    assert_same_rate(corrupted, np.array([i["action_corrupted"] for i in cpu]), "replacement rate")
    drawn = info["executed_action"][corrupted]
    assert drawn.min() >= -3.0 and drawn.max() <= 3.0
    assert abs(float(drawn.mean())) < 0.25 and abs(float(drawn.std()) - 6 / math.sqrt(12)) < 0.2


def test_random_pushes_start_at_the_cpu_rate_and_last_their_duration():
    env_id, kwargs = f"Control/{IP}-T2.1-v0", {"p": 0.2, "duration": 3}
    info, _ = mjx_infos(env_id, **kwargs)
    cpu, _ = cpu_infos(env_id, 3000, **kwargs)
    assert_same_rate(info["event"], np.array([i["event"] == "push" for i in cpu]), "event rate")
    acting_mjx = np.abs(info["push_force"]).sum(axis=-1) > 0
    acting_cpu = np.array([np.abs(i["push_force"]).sum() > 0 for i in cpu])
    assert_same_rate(acting_mjx, acting_cpu, "fraction of steps under a push")
    assert acting_mjx.mean() > 1.5 * info["event"].mean()  # a push lasts more than one step


@pytest.mark.parametrize("mode", ["sudden", "cyclic"])
def test_concept_drift_timing_matches_the_cpu_env(mode):
    env_id, kwargs = f"Control/{IP}-T2.2-v0", {"threshold": 3, "mode": mode}
    info, t = mjx_infos(env_id, **kwargs)
    cpu, cpu_t = cpu_infos(env_id, 600, **kwargs)

    def rule(steps: np.ndarray) -> np.ndarray:
        second = steps >= 3 if mode == "sudden" else (steps // 3) % 2 == 1
        return np.where(second, 2, 1)

    np.testing.assert_array_equal(np.array([i["concept"] for i in cpu]), rule(np.array(cpu_t)))
    np.testing.assert_array_equal(info["concept"], rule(t))
    assert set(np.unique(info["concept"])) == {1, 2}
    second = info["concept"] == 2
    cpu_values = {i["concept"]: i["drift_value"] for i in cpu}
    np.testing.assert_allclose(info["drift_value"][second], cpu_values[2], rtol=1e-6)
    np.testing.assert_allclose(info["drift_value"][~second], cpu_values[1], rtol=1e-6)


@pytest.mark.parametrize(("mode", "p"), [("drop", 0.3), ("velocity", 0.5)])
def test_masked_fraction_matches_the_cpu_env(mode, p):
    env_id = f"Control/{IP}-T3.2-v0"
    info, _ = mjx_infos(env_id, mode=mode, p=p)
    cpu, _ = cpu_infos(env_id, 3000, mode=mode, p=p)
    mask = info["dropped_mask"]
    n_obs = mask.shape[-1]
    cpu_mask = np.zeros((len(cpu), n_obs), bool)
    for row, i in enumerate(cpu):
        cpu_mask[row, list(i["dropped_dims"])] = True
    if mode == "drop":
        assert_same_rate(mask, cpu_mask, "dropped fraction")
    else:  # all velocity dims or none, together
        assert_same_rate(mask.any(axis=1), cpu_mask.any(axis=1), "masked-step rate")
        np.testing.assert_array_equal(np.unique(mask.sum(axis=1)), np.unique(cpu_mask.sum(axis=1)))


# -- gym.make_vec through the vector entry point -----------------------------------------------
@pytest.fixture(scope="module")
def vec() -> MjxVectorEnv:
    envs = gym.make_vec(
        f"Control/{IP}-T3.1-v0", num_envs=3, vectorization_mode="vector_entry_point"
    )
    yield envs
    envs.close()


def play(envs: gym.vector.VectorEnv, seed: Any, steps: int) -> list[tuple[np.ndarray, ...]]:
    out = [(envs.reset(seed=seed)[0],)]
    rng = np.random.default_rng(1)
    for _ in range(steps):
        action = rng.uniform(-3, 3, size=envs.action_space.shape).astype(np.float32)
        obs, reward, terminated, truncated, _ = envs.step(action)
        out.append((obs, reward, terminated, truncated))
    return out


def test_make_vec_builds_the_mjx_vector_env_with_gym_spaces(vec):
    assert isinstance(vec.unwrapped, MjxVectorEnv)
    assert vec.unwrapped.task_info()["backend"] == "mjx"
    assert vec.observation_space.shape == (3, 4) and vec.action_space.shape == (3, 1)
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (3, 4) and obs.dtype == np.float32 and np.abs(obs).max() <= 0.01


def test_next_step_autoreset_shows_the_last_obs_then_a_fresh_episode(vec):
    steps = play(vec, 0, 40)
    ended = [(k, row) for k, s in enumerate(steps[1:], 1) for row in np.flatnonzero(s[2] | s[3])]
    assert ended, "random actions should topple the pendulum within 40 steps"
    k, row = ended[0]
    assert abs(steps[k][0][row, 1]) > 0.2  # the pole angle that ended the episode
    if k + 1 < len(steps):
        assert steps[k + 1][1][row] == 0.0 and not steps[k + 1][2][row]
        assert np.abs(steps[k + 1][0][row]).max() <= 0.01  # the reset observation


def test_same_seed_same_batch_and_each_row_is_its_own_env(vec):
    first, again = play(vec, 7, 30), play(vec, 7, 30)
    for a, b in zip(first, again):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    other = play(vec, 8, 1)[0][0]
    assert not np.array_equal(other, first[0][0])
    # an int seed s gives row i the seed s + i, as a list does
    np.testing.assert_array_equal(vec.reset(seed=[7, 8, 9])[0], first[0][0])


def test_same_step_autoreset_reports_final_obs_and_info():
    envs = gym.make_vec(
        f"Control/{IP}-T1-v0",
        num_envs=4,
        vectorization_mode="vector_entry_point",
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    envs.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(60):
        obs, _, terminated, truncated, info = envs.step(
            rng.uniform(-3, 3, (4, 1)).astype(np.float32)
        )
        done = terminated | truncated
        if done.any():
            break
    assert done.any()
    np.testing.assert_array_equal(info["_final_obs"], done)
    row = int(np.flatnonzero(done)[0])
    assert abs(info["final_obs"][row][1]) > 0.2 and np.abs(obs[row]).max() <= 0.01
    assert info["final_info"]["_action_corrupted"][row]
    assert info["action_corrupted"].shape == (4,) and info["executed_action"].shape == (4, 1)
    envs.close()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_mjx_env("Control/Humanoid-T1-v0", 2), "PGS solver"),
        (lambda: make_mjx_env(f"Control/{IP}-T1-v0", 0), "num_envs=0"),
        (lambda: make_mjx_env(f"Control/{IP}-T1-v0", 2, backend="brax"), "backend='brax'"),
        (lambda: make_mjx_env(f"Control/{IP}-T1-v0", 2, p=1.5), "p=1.5"),
        (lambda: make_mjx_env("TextBandit/Bernoulli-K5-easy-v0", 2), "not a Control/ id"),
    ],
)
def test_bad_arguments_are_one_line_errors(call, message):
    with pytest.raises((ValueError, ImportError)) as err:
        call()
    assert message in str(err.value) and "\n" not in str(err.value)


def _warp_gpu() -> bool:
    try:
        import mujoco_warp  # noqa: F401
        import warp
    except ImportError:
        return False
    return bool(warp.is_cuda_available())


@pytest.mark.skipif(_warp_gpu(), reason="Warp sees a GPU here")
def test_warp_without_a_gpu_is_a_one_line_error():
    with pytest.raises((ValueError, ImportError)) as err:
        make_mjx_env(f"Control/{IP}-T3.1-v0", 2, backend="warp")
    assert "backend='warp'" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.gpu
@pytest.mark.skipif(not _warp_gpu(), reason="needs mujoco_warp and an NVIDIA GPU")
def test_warp_backend_follows_the_cpu_trajectory():
    env_id = f"Control/{IP}-T3.1-v0"
    cpu = cpu_trajectory(env_id, 60, seed=3, action_scale=0.1)
    warp = mjx_trajectory(env_id, cpu, backend="warp")
    assert np.abs(warp["obs"] - cpu["obs"]).max() < TOLERANCE[IP]


def test_a_wrong_action_batch_is_a_one_line_error(vec):
    vec.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(2, 1\)"):
        vec.step(np.zeros((2, 1), np.float32))
    with pytest.raises(ValueError, match="not finite"):
        vec.step(np.full((3, 1), np.nan, np.float32))


def test_humanoid_has_no_vector_entry_point_and_the_others_do():
    assert gym.spec("Control/Humanoid-T1-v0").vector_entry_point is None
    for task in MJX_TASKS:
        assert gym.spec(f"Control/{task}-T2.1-v0").vector_entry_point.endswith("make_vector_t2_1")


# -- the runner and the device agents on the MJX envs -----------------------------------------
def test_runner_native_cells_run_on_mjx_deterministically_and_record_the_backend():
    from entropy_gym.runner.cells import Cell
    from entropy_gym.runner.rollout import run_cell

    def cell(seed: int) -> Cell:
        return Cell(
            "s", "random", {"name": "random"}, "ip", f"Control/{IP}-T3.2-v0", {}, seed,
            num_envs=4, eval_episodes=6, vectorization="native",
        )  # fmt: skip

    first, again, other = (
        run_cell(cell(0), "cpu"),
        run_cell(cell(0), "cpu"),
        run_cell(cell(1), "cpu"),
    )
    assert first.returns == again.returns and first.returns != other.returns
    assert len(first.returns) == 6 and all(1 <= r <= 1000 for r in first.returns)
    # reward 1 per step, 0 on the step the pole falls (v5)
    assert first.returns == [float(n - (n < 1000)) for n in first.lengths]
    assert first.provenance["env_backend"] == "native:MjxVectorEnv"
    assert first.provenance["env_seeding"] == "env_seeds"
    # The runner hands a cell's accelerator to the MJX batch (not "cpu": jax's default).
    from entropy_gym.runner.vectorization import env_device

    spec = gym.spec(f"Control/{IP}-T3.2-v0")
    assert env_device(spec, "cuda") == "cuda" and env_device(spec, "cpu") is None


@pytest.mark.parametrize(
    ("name", "options", "interventions", "key", "value"),
    [
        (
            "jax_ppo",
            {"num_envs": 8, "n_steps": 16, "n_minibatches": 2, "n_epochs": 1},
            [],
            "ent_coef",
            0.0,
        ),
        (
            "jax_ppo",
            {"num_envs": 8, "n_steps": 16, "n_minibatches": 2, "n_epochs": 1},
            [{"name": "entropy_bonus", "coef": 0.05}],
            "ent_coef",
            0.05,
        ),
        (
            "jax_sac",
            {"num_envs": 8, "steps_per_update": 8, "batch_size": 32, "learning_starts": 32},
            [{"name": "entropy_bonus", "coef": 0.2}],
            "ent_coef",
            0.2,
        ),
    ],
)
def test_device_agents_train_on_the_mjx_env_with_their_hooks(
    name, options, interventions, key, value
):
    from entropy_gym.agents import Budget, TaskSpec, make_agent

    env_id = f"Control/{IP}-T1-v0"
    probe = gym.make(env_id)
    task = TaskSpec(env_id, probe.observation_space, probe.action_space)
    probe.close()
    agent = make_agent(name, interventions=interventions, hidden=[16, 16], **options)
    agent.setup(task, seed=0, device="cpu")
    agent.train(None, Budget(env_steps=8 * 16 * 3))
    rows = agent.telemetry()
    assert len(rows) >= 3 and all(math.isfinite(r["entropy"]) for r in rows)
    coefs = [r[key] for r in rows if key in r]
    assert coefs and coefs == pytest.approx([value] * len(coefs))
    assert any(r.get("episodes", 0) > 0 for r in rows)  # the MJX envs' episodes ended and counted


def test_a_runner_cell_trains_a_device_agent_on_mjx_and_scores_it_on_the_cpu_env():
    """The control-full path on the CPU: the cell trains jax_ppo on the MJX batch, then the
    runner evaluates it on Gymnasium envs; the same cell twice gives the same result."""
    from entropy_gym.runner.cells import Cell
    from entropy_gym.runner.rollout import run_cell

    agent = {
        "name": "jax_ppo", "num_envs": 8, "n_steps": 16, "n_minibatches": 2, "n_epochs": 1,
        "hidden": [16, 16], "deterministic": True,
        "interventions": [{"name": "entropy_bonus", "coef": 0.05}],
    }  # fmt: skip
    cell = Cell(
        "s", "jax_ppo", agent, "ip", f"Control/{IP}-T1-v0", {}, 0,
        num_envs=2, eval_episodes=2, budget={"env_steps": 8 * 16 * 3},
    )  # fmt: skip
    first, again = run_cell(cell, "cpu"), run_cell(cell, "cpu")
    assert first.returns == again.returns and len(first.returns) == 2
    updates = [row for row in first.telemetry if "ent_coef" in row]
    assert len(updates) == 3 and all(row["ent_coef"] == pytest.approx(0.05) for row in updates)
    assert first.provenance["env_backend"] == "sync" and first.provenance["device"] == "cpu"
