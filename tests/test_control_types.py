"""What each stochasticity type does to the state or the observation, measured on real MuJoCo."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from control_helpers import TASK_NAMES, make, model_floats, random_actions, same_floats

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.envs.control.tasks import TASKS

mujoco = pytest.importorskip("mujoco")

from entropy_gym.envs.control.concept_drift import _scaled  # noqa: E402  (imports mujoco)


def binomial_bound(n: int, p: float, sigmas: float = 4.0) -> float:
    return sigmas * np.sqrt(n * p * (1 - p))


# -- type 1: action corruption ---------------------------------------------------------------
def test_random_mode_replaces_a_binomial_fraction_of_actions_uniformly():
    env = make("InvertedPendulum", "1", p=0.3)
    u = env.unwrapped
    n, corrupted, replaced = 3000, 0, []
    env.reset(seed=0)
    agent_action = np.array([0.5], np.float32)
    for _ in range(n):
        _, _, terminated, truncated, info = env.step(agent_action)
        executed = info["executed_action"]
        np.testing.assert_array_equal(u.data.ctrl, executed)  # what the physics received
        if info["action_corrupted"]:
            corrupted += 1
            replaced.append(executed[0])
        else:
            np.testing.assert_array_equal(executed, agent_action)
        if terminated or truncated:
            env.reset()
    assert abs(corrupted - 0.3 * n) < binomial_bound(n, 0.3)
    replaced = np.array(replaced)
    assert replaced.min() >= -3.0 and replaced.max() <= 3.0  # the action bounds
    # Uniform on [-3, 3]: mean 0 and variance 36/12, within 5 standard errors.
    assert abs(replaced.mean()) < 5 * np.sqrt(3.0 / len(replaced))
    assert abs(replaced.var() - 3.0) < 5 * np.sqrt(0.8 * 9.0 / len(replaced))


def test_noise_mode_adds_gaussian_noise_of_the_given_scale_within_bounds():
    env = make("HalfCheetah", "1", mode="noise", p=1.0, scale=0.1)
    env.reset(seed=0)
    noise, at_bound = [], []
    for i in range(400):
        action = np.zeros(6, np.float32) if i % 2 else np.ones(6, np.float32)
        _, _, _, _, info = env.step(action)
        assert info["action_corrupted"]
        (noise if i % 2 else at_bound).append(info["executed_action"] - action)
    noise, at_bound = np.array(noise), np.array(at_bound)
    assert abs(noise.std() - 0.1) < 0.01  # half the action range is 1
    assert abs(noise.mean()) < 0.01
    assert (at_bound <= 0).all() and (at_bound < 0).mean() > 0.4  # clipped at the upper bound


# -- type 2.1: random events -------------------------------------------------------------------
@pytest.mark.parametrize("task", ["InvertedPendulum", "Hopper", "Walker2d", "Ant", "Humanoid"])
def test_push_changes_the_centre_of_mass_velocity_by_its_impulse(task):
    """Momentum theorem: without contacts, the push adds F * dt / M to the COM velocity."""
    pushed = make(task, "2.1", p=1.0).unwrapped
    free = make(task, "2.1", p=0.0).unwrapped
    pushed.reset(seed=3)
    free.reset(seed=3)
    action = np.zeros(pushed.action_space.shape, np.float32)
    _, _, _, _, info = pushed.step(action)
    free.step(action)
    assert info["event"] == "push"
    force = info["push_force"]
    for env in (pushed, free):
        mujoco.mj_subtreeVel(env.model, env.data)
    gained = pushed.data.subtree_linvel[0] - free.data.subtree_linvel[0]
    expected = force * pushed.task_env.unwrapped.dt / pushed.model.body_subtreemass[0]
    assert np.linalg.norm(gained - expected) < 0.02 * np.linalg.norm(expected)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_pushes_last_their_duration_act_in_the_task_plane_and_start_with_probability_p(task):
    falls = task in ("Hopper", "Walker2d", "Ant")
    keep_going = {"terminate_when_unhealthy": False} if falls else {}
    env = make(task, "2.1", p=0.2, **keep_going)
    u = env.unwrapped
    t = TASKS[task]
    weight = u.model.body_mass.sum() * 9.81
    env.reset(seed=0)
    free_steps, starts, active_run = 0, 0, 0
    action = np.zeros(u.action_space.shape, np.float32)
    for _ in range(600):
        was_free = active_run == 0
        _, _, terminated, truncated, info = env.step(action)
        force = info["push_force"]
        if was_free:
            free_steps += 1
            starts += info["event"] == "push"
        if info["event"] == "push":
            assert was_free
            active_run = t.push_steps
            np.testing.assert_allclose(np.linalg.norm(force), t.push_force * weight, rtol=1e-9)
            off_plane = [i for i in range(3) if "xyz"[i] not in t.push_axes]
            assert not force[off_plane].any()
        if active_run:
            assert force.any()
            active_run -= 1
            applied = u.data.xfrc_applied[u._body_id, :3]
            np.testing.assert_array_equal(applied, force if active_run else 0.0)
        else:
            assert not force.any() and not u.data.xfrc_applied.any()
        if terminated or truncated:
            env.reset()
            active_run = 0
    assert abs(starts - 0.2 * free_steps) < binomial_bound(free_steps, 0.2)


@pytest.mark.parametrize("task", ["Hopper", "Ant"])
def test_perturbation_is_the_reported_noise_applied_before_the_step(task):
    env = make(task, "2.1", mode="perturb", p=1.0, qpos_noise=0.05, qvel_noise=0.5).unwrapped
    replay = make(task, "3.1").unwrapped
    env.reset(seed=4)
    replay.reset(seed=4)
    action = random_actions(env, 1)[0]
    _, _, _, _, info = env.step(action)
    assert info["event"] == "perturb"
    # Apply the reported noise to the unperturbed twin by hand: the next state must match.
    mujoco.mj_integratePos(replay.model, replay.data.qpos, info["qpos_noise"], 1.0)
    replay.data.qvel[:] += info["qvel_noise"]
    mujoco.mj_forward(replay.model, replay.data)
    replay.step(action)
    np.testing.assert_array_equal(env.data.qpos, replay.data.qpos)
    np.testing.assert_array_equal(env.data.qvel, replay.data.qvel)
    if task == "Ant":  # the free joint's quaternion stays a unit quaternion
        assert abs(np.linalg.norm(env.data.qpos[3:7]) - 1.0) < 1e-12


def test_perturbation_noise_has_the_given_scales_and_rate():
    env = make(
        "Humanoid",
        "2.1",
        mode="perturb",
        p=0.5,
        qpos_noise=0.01,
        qvel_noise=0.1,
        terminate_when_unhealthy=False,
    )
    env.reset(seed=0)
    events, dq, dv = 0, [], []
    n = 300
    for _ in range(n):
        _, _, _, _, info = env.step(np.zeros(17, np.float32))
        if info["event"] == "perturb":
            events += 1
            dq.append(info["qpos_noise"])
            dv.append(info["qvel_noise"])
        else:
            assert not info["qpos_noise"].any() and not info["qvel_noise"].any()
    assert abs(events - 0.5 * n) < binomial_bound(n, 0.5)
    assert abs(np.std(dq) - 0.01) < 0.001 and abs(np.std(dv) - 0.1) < 0.01


# -- type 2.2: concept drift -----------------------------------------------------------------
@pytest.mark.parametrize("mode", ["sudden", "cyclic"])
def test_drift_switches_the_parameter_at_the_threshold_and_back(mode):
    env = make("HalfCheetah", "2.2", mode=mode, threshold=4)
    u = env.unwrapped
    gear = u.model.actuator_gear[:, 0].copy()
    env.reset(seed=0)
    concepts = []
    for _ in range(14):
        _, _, _, _, info = env.step(np.zeros(6, np.float32))
        concepts.append(info["concept"])
        scale = 0.5 if info["concept"] == 2 else 1.0
        np.testing.assert_array_equal(u.model.actuator_gear[:, 0], scale * gear)
        assert info["drift_scale"] == scale and info["drift_param"] == "gear"
        assert info["drift_value"] == pytest.approx(scale * gear.mean())
    if mode == "sudden":
        assert concepts == [1] * 4 + [2] * 10
    else:
        assert concepts == [1] * 4 + [2] * 4 + [1] * 4 + [2] * 2
    _, info = env.reset()
    assert info["concept"] == 1
    np.testing.assert_array_equal(u.model.actuator_gear[:, 0], gear)


def test_drift_leaves_the_trajectory_alone_until_the_threshold_then_changes_it():
    drift, plain = make("Walker2d", "2.2", threshold=20), gym.make("Walker2d-v5")
    drift.reset(seed=2)
    plain.reset(seed=2)
    actions = random_actions(plain, 40, seed=2)
    for t, action in enumerate(actions):
        a_obs = drift.step(action)[0]
        b_obs = plain.step(action)[0]
        if t < 20:
            np.testing.assert_array_equal(a_obs, b_obs)
    assert np.abs(a_obs - b_obs).max() > 1e-3  # weaker motors, different motion


@pytest.mark.parametrize(
    ("param", "scale", "value"),
    [
        ("mass", 2.0, "total mass"),
        ("friction", 0.3, "friction"),
        ("gravity", 1.5, "gravity"),
        ("gear", 0.5, "gear"),
    ],
)
def test_concept_two_is_the_task_with_the_parameter_scaled(param, scale, value):
    env = make("Ant", "2.2", param=param, scale=scale, threshold=1)
    u = env.unwrapped
    expected = model_floats(_scaled(u.model, param, scale))
    base = model_floats(u.model)
    _, info1 = env.reset(seed=0)
    _, _, _, _, info = env.step(np.zeros(8, np.float32))  # step 0: concept 1
    assert info["concept"] == 1 and same_floats(base, model_floats(u.model)) == []
    _, _, _, _, info2 = env.step(np.zeros(8, np.float32))
    assert info2["concept"] == 2
    assert same_floats(expected, model_floats(u.model)) == []
    assert info2["drift_value"] == pytest.approx(scale * info1["drift_value"])
    changed = same_floats(base, expected)
    primary = {
        "mass": "body_mass",
        "friction": "geom_friction",
        "gravity": "opt.gravity",
        "gear": "actuator_gear",
    }[param]
    assert primary in changed
    if param in ("mass", "gear"):  # MuJoCo's derived constants follow the change
        assert "actuator_acc0" in changed


# -- type 3.2: partial observability ------------------------------------------------------------
@pytest.mark.parametrize("task", TASK_NAMES)
def test_velocity_dims_are_the_qvel_and_cvel_of_the_live_env(task):
    env = make(task, "3.1").unwrapped
    obs, _ = env.reset(seed=0)
    obs, *_ = env.step(random_actions(env, 1)[0])
    dims = np.array(env.velocity_dims())
    qvel = env.data.qvel
    if task in ("Hopper", "Walker2d"):
        qvel = np.clip(qvel, -10, 10)  # these two clip velocities in the observation
    velocities = qvel if task != "Humanoid" else np.concatenate([qvel, env.data.cvel[1:].ravel()])
    np.testing.assert_array_equal(obs[dims], velocities)
    assert len(dims) == len(velocities) and velocities.any()


@pytest.mark.parametrize("task", TASK_NAMES)
def test_velocity_mode_zeros_exactly_the_velocity_dims(task):
    hidden, plain = make(task, "3.2"), make(task, "3.1")
    dims = np.array(hidden.unwrapped.velocity_dims())
    rest = np.setdiff1d(np.arange(hidden.observation_space.shape[0]), dims)
    actions = random_actions(plain, 30, seed=1)
    obs_h, info = hidden.reset(seed=1)
    obs_p, _ = plain.reset(seed=1)
    for action in [None, *actions]:
        if action is not None:
            obs_h, _, term, trunc, info = hidden.step(action)
            obs_p, *_ = plain.step(action)
            if term or trunc:
                break
        assert info["dropped_dims"] == tuple(dims)
        assert not obs_h[dims].any()
        np.testing.assert_array_equal(obs_h[rest], obs_p[rest])
        assert obs_p[dims].any()


def test_drop_mode_zeros_a_binomial_fraction_of_dims():
    dropped_env, plain = make("Ant", "3.2", mode="drop", p=0.2), make("Ant", "3.1")
    dropped_env.reset(seed=0)
    plain.reset(seed=0)
    total, n_obs = 0, dropped_env.observation_space.shape[0]
    actions = random_actions(plain, 40)
    for action in actions:
        obs_d, _, _, _, info = dropped_env.step(action)
        obs_p, *_ = plain.step(action)
        dims = list(info["dropped_dims"])
        total += len(dims)
        assert not obs_d[dims].any()
        kept = np.setdiff1d(np.arange(n_obs), dims)
        np.testing.assert_array_equal(obs_d[kept], obs_p[kept])
    n = n_obs * len(actions)
    assert abs(total - 0.2 * n) < binomial_bound(n, 0.2)
