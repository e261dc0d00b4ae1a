"""The JAX device agents (jax_ppo, jax_sac): jitted training with each hook, seeding,
decisions and one-line errors, on a tiny pure-JAX stand-in env with the MJX backend's API.

Cheap by design: tiny nets, 8 envs, a few updates, one shared budget per agent so that the
compiled programs (cached per env and shape) are shared across tests. The slow test trains
on the real MJX InvertedPendulum.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("optax")

import jax.numpy as jnp  # noqa: E402

from entropy_gym.agents import Budget, ConfigError, TaskSpec, make_agent  # noqa: E402
from entropy_gym.agents.device.envs import BATCHED_ENVS, register_batched_env  # noqa: E402
from entropy_gym.agents.interventions.base import Intervention  # noqa: E402

ENV_ID = "Test/PointMass-v0"
OBS_SPACE = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)
ACT_SPACE = gym.spaces.Box(-2.0, 2.0, (1,), np.float32)
TASK = TaskSpec(ENV_ID, OBS_SPACE, ACT_SPACE)

PPO = {"num_envs": 8, "n_steps": 16, "n_epochs": 2, "n_minibatches": 2, "hidden": [16, 16]}
PPO_LR = 3e-3
PPO_BUDGET = Budget(env_steps=8 * 16 * 4)  # 4 updates
SAC = {
    "num_envs": 8,
    "steps_per_update": 8,
    "hidden": [16, 16],
    "batch_size": 32,
    "learning_starts": 64,
}
SAC_BUDGET = Budget(env_steps=8 * 8 * 5)  # 5 updates, the first before learning starts


# -- the stand-in env -------------------------------------------------------------------------
class PointState(NamedTuple):
    obs: Any
    reward: Any
    terminated: Any
    truncated: Any
    final_obs: Any
    t: Any
    key: Any
    info: Any
    physics: Any


class PointMassEnv:
    """A 1-D point mass pushed by a force in [-2, 2]; reward ``1 - x^2``; terminated when
    ``|x| > 2``, truncated after ``max_episode_steps``; same-step autoreset."""

    obs_size, action_size = 2, 1

    def __init__(self, num_envs: int, max_episode_steps: int = 24) -> None:
        self.num_envs, self.max_episode_steps = num_envs, max_episode_steps
        self.action_low = np.full(1, -2.0, np.float32)
        self.action_high = np.full(1, 2.0, np.float32)

    def _start(self, key: Any) -> Any:
        return jax.random.uniform(key, (self.num_envs, 2), minval=-0.5, maxval=0.5)

    def reset(self, key: Any) -> PointState:
        key, start_key = jax.random.split(key)
        x = self._start(start_key)
        no = jnp.zeros(self.num_envs, bool)
        t = jnp.zeros(self.num_envs, jnp.int32)
        return PointState(x, jnp.zeros(self.num_envs), no, no, x, t, key, {}, x)

    def step(self, state: PointState, action: Any) -> PointState:
        force = jnp.clip(action[:, 0], -2.0, 2.0)
        vel = state.physics[:, 1] + 0.1 * force
        pos = state.physics[:, 0] + 0.1 * vel
        after = jnp.stack([pos, vel], -1)
        t = state.t + 1
        terminated = jnp.abs(pos) > 2.0
        truncated = (t >= self.max_episode_steps) & ~terminated
        done = terminated | truncated
        key, start_key = jax.random.split(state.key)
        nxt = jnp.where(done[:, None], self._start(start_key), after)
        return PointState(
            nxt, 1.0 - pos**2, terminated, truncated, after, jnp.where(done, 0, t), key, {}, nxt
        )


@pytest.fixture(scope="module", autouse=True)
def stand_in_env():
    register_batched_env(ENV_ID, PointMassEnv)
    yield
    BATCHED_ENVS.pop(ENV_ID, None)


# -- helpers ----------------------------------------------------------------------------------
def trained(name: str, interventions=(), seed: int = 0, **options: Any):
    base = {**PPO, "learning_rate": PPO_LR} if name == "jax_ppo" else dict(SAC)
    agent = make_agent(name, interventions=list(interventions), **{**base, **options})
    agent.setup(TASK, seed=seed, device="cpu")
    agent.train(None, PPO_BUDGET if name == "jax_ppo" else SAC_BUDGET)
    return agent


def leaves(agent) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(agent.model.params)]


def same_params(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(leaves(a), leaves(b), strict=True))


def series(agent, key: str) -> list[float]:
    return [row[key] for row in agent.telemetry()]


class Recorder(Intervention):
    """Records what crosses the schedule and advantages hooks; optionally changes it."""

    name = "recorder"
    requires = frozenset({"schedule", "advantages"})

    def __init__(self, schedule: dict[str, float] | None = None, advantage_scale: float = 1.0):
        super().__init__()
        self.schedule_out, self.scale = schedule, advantage_scale
        self.progress: list[float] = []
        self.seen: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def on_schedule(self, progress, values):
        self.progress.append(progress)
        return self.schedule_out

    def on_advantages(self, advantages, rollout):
        self.seen.append((advantages.shape, rollout.observations.shape))
        return advantages * self.scale


class ExtraLoss(Intervention):
    """A loss term written with array operations: ``pg_loss - weight * log_prob``."""

    name = "extra_loss"
    requires = frozenset({"loss"})

    def __init__(self, weight: float = 1.0):
        super().__init__(weight=weight)
        self.weight = weight

    def on_loss(self, batch):
        return batch.pg_loss - self.weight * batch.log_prob


@pytest.fixture(scope="module")
def ppo_plain():
    return trained("jax_ppo")


@pytest.fixture(scope="module")
def sac_plain():
    return trained("jax_sac")


# -- registry and one-line errors -------------------------------------------------------------
def test_registered_with_their_hooks():
    assert sorted(make_agent("jax_ppo").hooks) == ["advantages", "ent_coef", "loss", "schedule"]
    assert sorted(make_agent("jax_sac").hooks) == ["ent_coef", "schedule"]


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda: make_agent("jax_ppo", n_step=8),
            "agent 'jax_ppo': unknown option 'n_step'; did you mean 'n_steps'?",
        ),
        (lambda: make_agent("jax_sac", ent_coef="auto_x"), "ent_coef must be a number >= 0"),
        (lambda: make_agent("jax_ppo", hidden=[0]), "hidden must be a list of layer widths"),
        (
            lambda: make_agent("jax_ppo").check_task(
                TaskSpec(ENV_ID, OBS_SPACE, gym.spaces.Discrete(3))
            ),
            "action space Discrete(3) is not supported (supported: 1-D Box)",
        ),
        (
            lambda: make_agent("jax_sac").check_task(TaskSpec("Pendulum-v1", OBS_SPACE, ACT_SPACE)),
            "agent 'jax_sac' cannot run on env 'Pendulum-v1': it trains on batched MJX envs",
        ),
        (
            lambda: make_agent("jax_ppo", interventions=["clip_cov"]).check_task(TASK),
            "intervention 'clip_cov' cannot run inside agent 'jax_ppo''s jitted loss",
        ),
        (
            lambda: make_agent("jax_ppo", interventions=["sac_temperature"]),
            "needs an agent with a learned temperature",
        ),
        (
            lambda: make_agent("jax_ppo", interventions=["epsilon_schedule"]).setup(TASK, 0, "cpu"),
            "intervention 'epsilon_schedule' scheduled epsilon, which agent 'jax_ppo' does not "
            "have (it schedules: clip_range, ent_coef, learning_rate)",
        ),
        (lambda: make_agent("jax_ppo").setup(TASK, 0, "tpu"), "device 'tpu' is unknown"),
    ],
)
def test_one_line_config_errors(build, message):
    with pytest.raises(ConfigError) as err:
        build()
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_cuda_without_a_gpu_backend_is_a_one_line_error():
    try:
        jax.devices("gpu")
        pytest.skip("this jax has a GPU backend")
    except RuntimeError:
        pass
    with pytest.raises(ConfigError, match="needs a GPU jax backend") as err:
        make_agent("jax_ppo").setup(TASK, 0, "cuda:0")
    assert "\n" not in str(err.value)


def test_a_budget_smaller_than_one_update_is_refused():
    agent = make_agent("jax_ppo", **PPO)
    agent.setup(TASK, 0, "cpu")
    with pytest.raises(ConfigError, match=r"smaller than one update \(n_steps \* num_envs = 128\)"):
        agent.train(None, Budget(env_steps=100))


# -- PPO hooks --------------------------------------------------------------------------------
def test_ppo_telemetry_is_finite_and_complete(ppo_plain):
    rows = ppo_plain.telemetry()
    assert [r["step"] for r in rows] == [128.0, 256.0, 384.0, 512.0]
    expected = {"entropy", "ent_coef", "clip_fraction", "approx_kl", "policy_loss", "value_loss"}
    for row in rows:
        assert expected <= set(row)
        assert all(math.isfinite(v) for v in row.values())
    assert any("return" in r for r in rows) and rows[-1]["episodes"] > 0


def test_entropy_bonus_changes_the_entropy_trajectory(ppo_plain):
    bonus = trained("jax_ppo", [{"name": "entropy_bonus", "coef": 0.5}])
    with_bonus, without = series(bonus, "entropy"), series(ppo_plain, "entropy")
    assert with_bonus != without
    assert with_bonus[-1] > without[-1] + 0.02
    assert all(b > a for a, b in itertools.pairwise(with_bonus))
    assert set(series(bonus, "ent_coef")) == {0.5}
    assert set(series(bonus, "entropy_bonus/coef")) == {0.5}


def test_a_scheduled_entropy_bonus_follows_progress():
    agent = trained("jax_ppo", [{"name": "entropy_bonus", "coef": 0.4, "end": 0.0}])
    assert series(agent, "ent_coef") == pytest.approx([0.4, 0.3, 0.2, 0.1])


def test_schedule_hook_sees_increasing_progress_and_its_values_feed_the_update(ppo_plain):
    frozen = Recorder(schedule={"learning_rate": 0.0})
    agent = make_agent("jax_ppo", interventions=[frozen], **PPO)
    agent.setup(TASK, seed=0, device="cpu")
    before = leaves(agent)
    agent.train(None, PPO_BUDGET)
    progress = frozen.progress
    assert progress[0] == 0.0 and all(0.0 <= p <= 1.0 for p in progress)
    assert all(b > a for a, b in itertools.pairwise(progress[1:]))  # [0]: set-up, then updates
    assert len(progress) == 1 + 4
    assert all(np.array_equal(a, b) for a, b in zip(before, leaves(agent)))  # lr 0: no change
    assert set(series(agent, "learning_rate")) == {0.0}


def test_advantages_hook_sees_the_rollout_and_its_change_alters_the_update(ppo_plain):
    identity, flipped = Recorder(), Recorder(advantage_scale=-1.0)
    same = trained("jax_ppo", [identity])
    assert identity.seen == [((16, 8), (16, 8, 2))] * 4
    for a, b in zip(leaves(same), leaves(ppo_plain)):  # split path == fused path
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    other = trained("jax_ppo", [flipped])
    assert not same_params(other, same)


def test_loss_hook_extra_term_changes_the_params(ppo_plain):
    agent = trained("jax_ppo", [ExtraLoss(weight=1.0)])
    assert not same_params(agent, ppo_plain)
    assert series(agent, "entropy")[-1] != series(ppo_plain, "entropy")[-1]


def test_a_loss_hook_with_the_wrong_shape_is_refused():
    class Scalar(ExtraLoss):
        def on_loss(self, batch):
            return batch.pg_loss.mean()

    with pytest.raises(ConfigError, match=r"returned shape \(\), expected .* shape \(64,\)"):
        make_agent("jax_ppo", interventions=[Scalar()], **PPO).check_task(TASK)


# -- SAC hooks --------------------------------------------------------------------------------
def test_sac_telemetry_is_finite_and_complete(sac_plain):
    rows = sac_plain.telemetry()
    assert [r["step"] for r in rows] == [64.0 * k for k in range(1, 6)]
    for row in rows:
        assert {"entropy", "ent_coef", "learning_rate"} <= set(row)
        assert all(math.isfinite(v) for v in row.values())
    assert {"actor_loss", "critic_loss"} <= set(rows[-1])
    assert rows[-1]["gradient_steps"] == 8


def test_sac_fixed_alpha_stays_at_its_value():
    agent = trained("jax_sac", [{"name": "sac_temperature", "mode": "fixed", "alpha": 0.3}])
    assert series(agent, "ent_coef") == pytest.approx([0.3] * 5, abs=1e-6)
    assert agent.model.current_ent_coef() == pytest.approx(0.3, abs=1e-6)
    assert series(agent, "sac_temperature/alpha")[-1] == pytest.approx(0.3, abs=1e-6)


def test_sac_auto_alpha_moves_towards_the_target_entropy():
    high = {"name": "sac_temperature", "mode": "auto", "alpha": 0.5, "target_entropy": 3.0}
    low = {**high, "target_entropy": -5.0}
    up, down = trained("jax_sac", [high]), trained("jax_sac", [low])
    assert series(up, "entropy")[-1] < 3.0 and series(down, "entropy")[-1] > -5.0
    assert up.model.current_ent_coef() > 0.5 > down.model.current_ent_coef()
    alphas = series(up, "ent_coef")
    assert all(b > a for a, b in itertools.pairwise(alphas[1:]))
    assert up.model.target_entropy == pytest.approx(3.0 - math.log(2.0))
    assert series(up, "sac_temperature/target_entropy")[-1] == pytest.approx(3.0)


def test_entropy_target_sets_sac_target_and_entropy_bonus_fixes_alpha():
    agent = make_agent("jax_sac", interventions=[{"name": "entropy_target", "target": 0.25}])
    agent.setup(TASK, 0, "cpu")
    assert agent.model.learn_alpha and agent.model.target_entropy == pytest.approx(
        0.25 - math.log(2.0)
    )
    bonus = trained("jax_sac", [{"name": "entropy_bonus", "coef": 0.2, "end": 0.1}])
    assert not bonus.model.learn_alpha
    assert series(bonus, "ent_coef") == pytest.approx([0.2, 0.18, 0.16, 0.14, 0.12], abs=1e-6)


# -- seeding and decisions --------------------------------------------------------------------
@pytest.mark.parametrize("name", ["jax_ppo", "jax_sac"])
def test_same_seed_same_params_and_actions_other_seed_differs(name, ppo_plain, sac_plain):
    first = ppo_plain if name == "jax_ppo" else sac_plain
    again, other = trained(name, seed=0), trained(name, seed=1)
    assert same_params(first, again) and not same_params(first, other)
    obs = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    fresh = trained(name, seed=0)  # the same decision stream from its start
    a, b = again.act(obs), fresh.act(obs)
    np.testing.assert_array_equal(a.actions, b.actions)
    np.testing.assert_array_equal(a.entropy, b.entropy)


@pytest.mark.parametrize("name", ["jax_ppo", "jax_sac"])
def test_act_shapes_bounds_and_entropy(name, ppo_plain, sac_plain):
    agent = ppo_plain if name == "jax_ppo" else sac_plain
    obs = np.random.default_rng(1).normal(scale=3.0, size=(7, 2))
    first, second = agent.act(obs), agent.act(obs)
    assert first.actions.shape == (7, 1) and first.actions.dtype == np.float32
    assert np.all(first.actions >= -2.0) and np.all(first.actions <= 2.0)
    assert first.entropy.shape == (7,) and np.all(np.isfinite(first.entropy))
    assert not np.array_equal(first.actions, second.actions)  # sampled
    if name == "jax_sac":  # squashed Gaussian on [-2, 2]: at most log(4) nats
        assert np.all(first.entropy < math.log(4.0))
    with pytest.raises(ValueError, match=r"expected \(n_envs, 2\)"):
        agent.act(np.zeros((3, 5)))


def test_deterministic_decisions_take_the_mean_and_report_no_entropy(ppo_plain):
    agent = make_agent("jax_ppo", deterministic=True, **PPO)
    agent.setup(TASK, seed=0, device="cpu")
    agent.model.params = ppo_plain.model.params
    obs = np.random.default_rng(2).normal(size=(4, 2))
    first, second = agent.act(obs), agent.act(obs)
    np.testing.assert_array_equal(first.actions, second.actions)
    assert first.entropy is None


def test_an_episode_budget_stops_training():
    agent = make_agent("jax_ppo", **PPO)
    agent.setup(TASK, 0, "cpu")
    agent.train(None, Budget(episodes=5))
    rows = agent.telemetry()
    assert rows[-1]["episodes"] >= 5 and (len(rows) == 1 or rows[-2]["episodes"] < 5)
    assert agent.progress == 1.0


# -- real returns on the MJX InvertedPendulum -------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    "name, options, steps, threshold",
    [
        # one gradient step per env step; ~4 min on 2 busy CPU cores (compilation ~1 min)
        ("jax_sac", {"num_envs": 4, "gradient_steps": 4, "learning_starts": 1000}, 20_000, 900),
        # ~2 min on 2 busy CPU cores
        ("jax_ppo", {"num_envs": 16, "n_steps": 128}, 200_000, 900),
    ],
)
def test_learns_inverted_pendulum(name, options, steps, threshold):
    pytest.importorskip("entropy_gym.envs.control.mjx")
    import entropy_gym  # noqa: F401  (registers the Control/ ids)

    env_id = "Control/InvertedPendulum-T3.1-v0"
    probe = gym.make(env_id)
    task = TaskSpec(env_id, probe.observation_space, probe.action_space)
    agent = make_agent(name, deterministic=True, **options)  # evaluated on the mean action
    agent.setup(task, seed=0, device="cpu")
    agent.train(None, Budget(env_steps=steps))
    returns = []
    for episode in range(5):
        obs, _ = probe.reset(seed=100 + episode)
        total, done = 0.0, False
        while not done:
            action = agent.act(obs[None]).actions[0]
            obs, reward, terminated, truncated, _ = probe.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    probe.close()
    assert np.mean(returns) >= threshold, returns
