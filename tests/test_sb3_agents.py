"""SB3 agents: configuration and refusals, spaces and policies, decisions and their entropy,
recurrent memory, budgets, silence, and seeded reproducibility."""

from __future__ import annotations

import json
import math
import tempfile

import gymnasium as gym
import numpy as np
import pytest
import torch
from sb3_helpers import SMALL_OFF_POLICY, env_factory, observations, series, task_of, trained
from scipy import stats

from entropy_gym.agents import Budget, ConfigError, Intervention, StepBatch, TaskSpec, make_agent
from entropy_gym.agents.registry import agent_config, config_hash
from entropy_gym.cli import main
from entropy_gym.scoring.entropy_kind import SQUASHED, TRUNCATED, EntropyKind

EXPECTED_HOOKS = {
    "ppo": ["advantages", "ent_coef", "logits", "loss"],
    "a2c": ["advantages", "ent_coef", "logits"],
    "trpo": ["advantages", "logits"],
    "recurrent_ppo": ["advantages", "logits"],
    "dqn": ["schedule"],
    "qrdqn": ["schedule"],
    "sac": ["ent_coef"],
    "tqc": ["ent_coef"],
    "crossq": ["ent_coef"],
    "td3": [],
}
EXPECTED_NEEDS = {
    "temperature": ["logits"],
    "entropy_bonus": ["ent_coef"],
    "entropy_target": ["ent_coef"],
    "entropy_target_temperature": ["logits"],
    "sac_temperature": ["ent_coef"],
    "clip_cov": ["loss"],
    "kl_cov": ["loss"],
    "epsilon_schedule": ["schedule"],
}


def test_cli_lists_every_sb3_agent_and_intervention_with_hooks(capsys):
    assert main(["agents", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    hooks = {a["name"]: a["hooks"] for a in listing["agents"]}
    needs = {i["name"]: i["requires"] for i in listing["interventions"]}
    assert {name: hooks.get(name) for name in EXPECTED_HOOKS} == EXPECTED_HOOKS
    assert {name: needs.get(name) for name in EXPECTED_NEEDS} == EXPECTED_NEEDS


# -- configuration and refusals ------------------------------------------------------------
@pytest.mark.parametrize(
    "spec, fragment",
    [
        ({"name": "ppo", "n_step": 128}, "unknown parameter 'n_step'; did you mean 'n_steps'?"),
        ({"name": "sac", "seed": 3}, "'seed' is set by the agent"),
        ({"name": "dqn", "policy": "LstmPolicy"}, "unknown policy 'LstmPolicy'"),
        ({"name": "ppo", "n_envs": 0}, "n_envs must be an integer >= 1"),
        (
            {"name": "ppo", "policy_kwargs": {"activation_fn": "swish"}},
            "unknown activation_fn 'swish'",
        ),
    ],
)
def test_bad_agent_config_is_one_line_config_error(spec, fragment):
    with pytest.raises(ConfigError) as err:
        agent = make_agent(spec)
        agent.setup(task_of("CartPole-v1"), seed=0, device="cpu")
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "agent, intervention",
    [
        ("dqn", "temperature"),
        ("a2c", "clip_cov"),
        ("sac", "epsilon_schedule"),
        ("td3", "entropy_bonus"),
        ("trpo", "kl_cov"),
        ("ppo", "sac_temperature"),
    ],
)
def test_refused_combination_names_agent_and_intervention(agent, intervention):
    with pytest.raises(ConfigError) as err:
        make_agent(agent, interventions=[intervention])
    message = str(err.value)
    assert f"'{agent}'" in message and f"'{intervention}'" in message
    assert "\n" not in message


def test_unknown_intervention_name_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown intervention 'clipcov'.*clip_cov"):
        make_agent("ppo", interventions=["clipcov"])


def test_intervention_missing_its_callback_is_refused():
    class Silent(Intervention):
        name = "silent"
        requires = frozenset({"loss"})

    with pytest.raises(
        ConfigError, match=r"'silent' needs hook 'loss' but defines none of on_loss.*'ppo'"
    ):
        make_agent("ppo", interventions=[Silent()])


def test_agent_config_round_trips_and_hashes():
    spec = {
        "name": "ppo",
        "n_steps": 128,
        "interventions": [{"name": "entropy_target", "target": 0.5}],
    }
    config = agent_config(make_agent(spec))
    assert config["name"] == "ppo" and config["n_steps"] == 128
    assert config["interventions"][0]["name"] == "entropy_target"
    assert config["interventions"][0]["target"] == 0.5
    assert config_hash(agent_config(make_agent(config))) == config_hash(config)


# -- spaces and policies ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "agent, task, fragments",
    [
        (
            "sac",
            task_of("CartPole-v1"),
            ["'sac'", "'CartPole-v1'", "Discrete(2)", "supported: Box"],
        ),
        (
            "dqn",
            task_of("Pendulum-v1"),
            ["'dqn'", "'Pendulum-v1'", "Box(-2.0, 2.0, (1,), float32)"],
        ),
        (
            "ppo",
            TaskSpec("TextBandit/Test-v0", gym.spaces.Text(20), gym.spaces.Discrete(3)),
            ["'ppo'", "'TextBandit/Test-v0'", "observation space Text("],
        ),
        (
            "crossq",
            TaskSpec(
                "Pixels-v0",
                gym.spaces.Box(0, 255, (64, 64, 3), np.uint8),
                gym.spaces.Box(-1, 1, (2,)),
            ),
            ["'crossq'", "'Pixels-v0'", "no CnnPolicy"],
        ),
        (
            "ppo",
            TaskSpec(
                "Unbounded-v0", gym.spaces.Box(-1, 1, (3,)), gym.spaces.Box(-np.inf, np.inf, (2,))
            ),
            ["'ppo'", "'Unbounded-v0'", "finite bounds"],
        ),
    ],
)
def test_unsupported_space_is_refused_before_training(agent, task, fragments):
    built = make_agent(agent)
    with pytest.raises(ConfigError) as err:
        built.setup(task, seed=0, device="cpu")
    message = str(err.value)
    assert all(f in message for f in fragments), message
    assert "\n" not in message
    assert built.model is None
    with pytest.raises(RuntimeError, match="call setup"):
        built.train(env_factory("CartPole-v1"), Budget(env_steps=10))


def test_logits_intervention_needs_discrete_actions():
    agent = make_agent("ppo", interventions=[{"name": "temperature", "t": 2.0}])
    with pytest.raises(
        ConfigError, match=r"'temperature' acts on categorical logits.*'Pendulum-v1'"
    ):
        agent.setup(task_of("Pendulum-v1"), seed=0, device="cpu")


@pytest.mark.parametrize(
    "agent, obs_space, policy_class",
    [
        ("ppo", gym.spaces.Box(-1, 1, (4,)), "ActorCriticPolicy"),
        ("ppo", gym.spaces.Box(0, 255, (36, 36, 3), np.uint8), "ActorCriticCnnPolicy"),
        (
            "a2c",
            gym.spaces.Dict({"x": gym.spaces.Box(-1, 1, (3,)), "k": gym.spaces.Discrete(4)}),
            "MultiInputActorCriticPolicy",
        ),
        ("recurrent_ppo", gym.spaces.Box(-1, 1, (4,)), "RecurrentActorCriticPolicy"),
        ("dqn", gym.spaces.Box(0, 255, (4, 36, 36), np.uint8), "CnnPolicy"),
    ],
)
def test_policy_follows_observation_space(agent, obs_space, policy_class):
    built = make_agent(
        agent,
        policy_kwargs={"features_extractor_kwargs": {"features_dim": 16}}
        if "Cnn" in policy_class
        else None,
    )
    built.setup(TaskSpec("Synthetic-v0", obs_space, gym.spaces.Discrete(3)), seed=0, device="cpu")
    assert type(built.model.policy).__name__ == policy_class
    decision = built.act(
        np.stack([obs_space.sample() for _ in range(3)])
        if not isinstance(obs_space, gym.spaces.Dict)
        else {k: np.stack([s.sample() for _ in range(3)]) for k, s in obs_space.spaces.items()}
    )
    assert decision.actions.shape == (3,) and all(0 <= a < 3 for a in decision.actions)


def test_policy_override_flattens_images():
    agent = make_agent({"name": "ppo", "policy": "MlpPolicy"})
    agent.setup(
        TaskSpec("Pixels-v0", gym.spaces.Box(0, 255, (8, 8, 3), np.uint8), gym.spaces.Discrete(2)),
        0,
        "cpu",
    )
    assert type(agent.model.policy).__name__ == "ActorCriticPolicy"


# -- decisions and their entropy --------------------------------------------------------------
def test_categorical_entropy_is_exact():
    agent = make_agent("ppo")
    agent.setup(task_of("CartPole-v1"), seed=1, device="cpu")
    obs = observations("CartPole-v1", 6)
    decision = agent.act(obs)
    with torch.no_grad():
        expected = agent.model.policy.get_distribution(torch.as_tensor(obs)).entropy().numpy()
    np.testing.assert_allclose(decision.entropy, expected, rtol=1e-6)
    assert decision.actions.dtype == np.int64 and set(decision.actions) <= {0, 1}


def test_clipped_gaussian_reports_the_entropy_of_the_gaussian_truncated_to_the_box():
    agent = make_agent("ppo", policy_kwargs={"log_std_init": 1.0})
    agent.setup(task_of("Pendulum-v1"), seed=0, device="cpu")
    obs = observations("Pendulum-v1", 200)
    decision = agent.act(obs)
    with torch.no_grad():
        mean = agent.model.policy.get_distribution(torch.as_tensor(obs)).distribution.mean
    sigma = math.e
    expected = [
        float(stats.truncnorm((-2 - m) / sigma, (2 - m) / sigma, loc=m, scale=sigma).entropy())
        for m in mean.numpy().ravel().astype(np.float64)
    ]
    np.testing.assert_allclose(decision.entropy, expected, rtol=1e-5)
    # Clipping: the untruncated Gaussian's 2.42 nats exceed what any density on [-2, 2] has.
    assert 0.5 * math.log(2 * math.pi * math.e) + 1.0 > math.log(4.0) > decision.entropy.max()
    assert decision.actions.shape == (200, 1) and decision.actions.dtype == np.float32
    assert decision.actions.min() >= -2.0 and decision.actions.max() <= 2.0
    assert np.mean(np.abs(decision.actions) == 2.0) > 0.2  # sigma = e: many draws clipped
    assert agent.entropy_kind() == EntropyKind("continuous", "executed", TRUNCATED)


def test_multi_discrete_entropy_sums_dimensions():
    task = TaskSpec("Grid-v0", gym.spaces.Box(-1, 1, (3,)), gym.spaces.MultiDiscrete([3, 4]))
    agent = make_agent("a2c")
    agent.setup(task, seed=0, device="cpu")
    obs = np.random.default_rng(0).uniform(-1, 1, (5, 3)).astype(np.float32)
    decision = agent.act(obs)
    with torch.no_grad():
        dist = agent.model.policy.get_distribution(torch.as_tensor(obs))
        expected = sum(d.entropy() for d in dist.distribution).numpy()
    np.testing.assert_allclose(decision.entropy, expected, rtol=1e-6)
    assert all(task.action_space.contains(a) for a in decision.actions)


@pytest.mark.parametrize("agent", ["sac", "tqc", "crossq"])
def test_squashed_gaussian_entropy_matches_monte_carlo(agent):
    built = make_agent(agent, policy_kwargs={"net_arch": [32, 32]})
    built.setup(task_of("Pendulum-v1"), seed=0, device="cpu")
    obs = observations("Pendulum-v1", 3)
    decision = built.act(obs)
    actor = built.model.policy.actor
    with torch.no_grad():
        mean, log_std, _ = actor.get_action_dist_params(torch.as_tensor(obs))
        u = torch.distributions.Normal(mean, log_std.exp()).sample((200_000,)).double()
        log_p = torch.distributions.Normal(mean.double(), log_std.exp().double()).log_prob(u)
        log_p = log_p - torch.log1p(-(torch.tanh(u) ** 2))  # density of tanh(u) on [-1, 1]
        mc = (-log_p.sum(-1)).mean(0).numpy() + math.log(2.0)  # rescaled to [-2, 2]
    np.testing.assert_allclose(decision.entropy, mc, atol=0.02)
    assert decision.entropy.max() <= math.log(4.0)  # no density on [-2, 2] beats the uniform
    assert np.all(np.abs(decision.actions) <= 2.0)
    assert built.entropy_kind() == EntropyKind("continuous", "executed", SQUASHED)


def test_epsilon_greedy_entropy_and_frequencies():
    agent = make_agent(
        "dqn", interventions=[{"name": "epsilon_schedule", "start": 0.3, "end": 0.3}]
    )
    agent.setup(task_of("CartPole-v1"), seed=0, device="cpu")
    obs = np.repeat(observations("CartPole-v1", 1), 4000, axis=0)
    decision = agent.act(obs)
    h = -(0.85 * math.log(0.85) + 0.15 * math.log(0.15))
    np.testing.assert_allclose(decision.entropy, h)
    with torch.no_grad():
        greedy = int(agent.model.policy._predict(torch.as_tensor(obs[:1]), deterministic=True))
    assert abs(np.mean(decision.actions != greedy) - 0.15) < 0.02


@pytest.mark.parametrize(
    ("agent", "env_id"), [("sac", "Pendulum-v1"), ("ppo", "Pendulum-v1"), ("ppo", "CartPole-v1")]
)
def test_deterministic_acts_with_the_mode_and_reports_the_same_entropy(agent, env_id):
    kwargs = (
        {"policy_kwargs": {"net_arch": [32, 32], "log_std_init": 0.5}} if agent == "ppo" else {}
    )
    if env_id == "CartPole-v1":
        kwargs = {}
    sampled, moded = make_agent(agent, **kwargs), make_agent(agent, deterministic=True, **kwargs)
    for built in (sampled, moded):
        built.setup(task_of(env_id), seed=0, device="cpu")
    obs = observations(env_id, 64)
    first, second, drawn = moded.act(obs), moded.act(obs), sampled.act(obs)
    expected, _ = moded.model.predict(obs, deterministic=True)
    np.testing.assert_allclose(first.actions, expected, rtol=1e-6)
    np.testing.assert_array_equal(first.actions, second.actions)
    np.testing.assert_allclose(first.entropy, drawn.entropy, rtol=1e-6)
    assert not np.array_equal(drawn.actions, first.actions)
    assert agent_config(moded)["deterministic"] is True and "deterministic" not in agent_config(
        sampled
    )


@pytest.mark.parametrize("agent", ["td3", "dqn"])
def test_deterministic_is_refused_where_actions_are_not_sampled(agent):
    with pytest.raises(ConfigError, match=f"agent '{agent}': deterministic=true is not an option"):
        make_agent(agent, deterministic=True)


def test_td3_is_deterministic_and_reports_no_entropy():
    agent = make_agent("td3", policy_kwargs={"net_arch": [32, 32]})
    agent.setup(task_of("Pendulum-v1"), seed=0, device="cpu")
    obs = observations("Pendulum-v1", 4)
    first, second = agent.act(obs), agent.act(obs)
    assert first.entropy is None
    np.testing.assert_array_equal(first.actions, second.actions)
    assert np.all(np.abs(first.actions) <= 2.0)


@pytest.mark.parametrize("t", [0.5, 2.0])
def test_temperature_changes_entropy_as_softmax_of_scaled_logits(t):
    plain = make_agent("ppo")
    hot = make_agent("ppo", interventions=[{"name": "temperature", "t": t}])
    task = task_of("Acrobot-v1")
    for agent in (plain, hot):
        agent.setup(task, seed=4, device="cpu")
    obs = np.repeat(observations("Acrobot-v1", 1), 6000, axis=0)
    with torch.no_grad():
        logits = plain.model.policy.get_distribution(torch.as_tensor(obs[:1])).distribution.logits[
            0
        ]
    probs = torch.softmax(logits / t, -1).numpy()
    expected = float(-(probs * np.log(probs)).sum())
    decision = hot.act(obs)
    np.testing.assert_allclose(decision.entropy, expected, rtol=1e-5)
    base = plain.act(obs[:1]).entropy[0]
    assert (decision.entropy[0] > base) if t > 1 else (decision.entropy[0] < base)
    frequencies = np.bincount(decision.actions, minlength=3) / len(obs)
    np.testing.assert_allclose(frequencies, probs, atol=0.02)


# -- recurrent memory -----------------------------------------------------------------------
def test_recurrent_ppo_carries_lstm_state_and_resets_it_on_done():
    agent = make_agent("recurrent_ppo")
    agent.setup(task_of("CartPole-v1", num_envs=2), seed=0, device="cpu")
    with torch.no_grad():  # SB3 initialises the action head near zero: make logits visible
        agent.model.policy.action_net.weight.mul_(300.0)
    obs = np.repeat(observations("CartPole-v1", 1), 2, axis=0)
    first = agent.act(obs).entropy
    second = agent.act(obs).entropy
    assert not np.allclose(first, second)  # same observation, different memory
    agent.observe(
        StepBatch(
            obs, np.zeros(2), np.zeros(2), np.array([True, False]), np.array([False, False]), obs
        )
    )
    third = agent.act(obs).entropy
    assert third[0] == pytest.approx(first[0], rel=1e-6)  # env 0 starts a fresh episode
    assert third[1] != pytest.approx(first[1], rel=1e-6)  # env 1 keeps its memory


# -- budgets, telemetry, silence --------------------------------------------------------------
def test_on_policy_budget_uses_whole_rollouts():
    agent = trained({"name": "ppo", "n_steps": 128}, "CartPole-v1", steps=300)
    assert series(agent, "step").tolist() == [128.0, 256.0]
    assert agent.progress == 1.0
    with pytest.raises(ConfigError, match="smaller than one rollout"):
        trained({"name": "ppo", "n_steps": 128, "n_envs": 2}, "CartPole-v1", steps=200)


def test_episode_budget_stops_at_the_episode_count():
    agent = make_agent({"name": "dqn", "learning_starts": 10**6, "telemetry_every": 10**6})
    agent.setup(task_of("CartPole-v1"), seed=0, device="cpu")
    agent.train(env_factory("CartPole-v1"), Budget(episodes=5))
    last = agent.telemetry()[-1]
    assert last["episodes"] == 5 and agent.progress == 1.0
    assert 5 * 8 <= last["step"] <= 5 * 200  # CartPole episodes last 8 to 200 steps here


def test_seconds_budget_stops_training():
    agent = make_agent({"name": "dqn", "learning_starts": 10**6})
    agent.setup(task_of("CartPole-v1"), seed=0, device="cpu")
    agent.train(env_factory("CartPole-v1"), Budget(seconds=0.3))
    assert agent.progress == 1.0 and agent.telemetry()[-1]["step"] > 0


def test_budget_must_be_finite_and_zero_budget_does_nothing():
    agent = make_agent("ppo")
    agent.setup(task_of("CartPole-v1"), seed=0, device="cpu")
    before = [p.clone() for p in agent.model.policy.parameters()]
    agent.train(env_factory("CartPole-v1"), Budget(env_steps=0))
    assert agent.telemetry() == []
    assert all(
        torch.equal(a, b) for a, b in zip(before, agent.model.policy.parameters(), strict=True)
    )
    with pytest.raises(ConfigError, match="needs a finite training budget"):
        agent.train(env_factory("CartPole-v1"), Budget())


def test_make_env_with_other_spaces_is_refused():
    agent = make_agent({"name": "ppo", "n_steps": 64})
    agent.setup(task_of("CartPole-v1"), seed=0, device="cpu")
    with pytest.raises(ConfigError, match="make_env built spaces"):
        agent.train(env_factory("Acrobot-v1"), Budget(env_steps=64))


def test_training_is_silent_and_leaves_no_log_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("SB3_LOGDIR", raising=False)
    trained({"name": "ppo", "n_steps": 64}, "CartPole-v1", steps=128)
    trained({"name": "sac", **SMALL_OFF_POLICY}, "Pendulum-v1", steps=60)
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().out == ""


# -- seeded reproducibility -------------------------------------------------------------------
@pytest.mark.parametrize(
    "spec, env_id, steps",
    [
        ({"name": "ppo", "n_steps": 128}, "CartPole-v1", 256),
        ({"name": "dqn", "learning_starts": 100}, "CartPole-v1", 300),
        ({"name": "sac", **SMALL_OFF_POLICY}, "Pendulum-v1", 100),
        ({"name": "recurrent_ppo", "n_steps": 32, "n_epochs": 2}, "CartPole-v1", 64),
    ],
)
def test_same_seed_gives_same_parameters(spec, env_id, steps):
    a, b = (trained(spec, env_id, steps, seed=7) for _ in range(2))
    for p, q in zip(
        a.model.policy.state_dict().values(), b.model.policy.state_dict().values(), strict=True
    ):
        assert torch.equal(p, q)
    obs = observations(env_id, 8)
    np.testing.assert_array_equal(a.act(obs).actions, b.act(obs).actions)
    assert a.telemetry() == b.telemetry()


def test_another_seed_gives_other_parameters():
    a, b = (trained({"name": "ppo", "n_steps": 64}, "CartPole-v1", 64, seed=s) for s in (7, 8))
    pairs = zip(
        a.model.policy.state_dict().values(), b.model.policy.state_dict().values(), strict=True
    )
    assert not all(torch.equal(p, q) for p, q in pairs)


# -- every agent trains within its budget on a registered env ---------------------------------
@pytest.mark.parametrize(
    "spec, env_id, steps, records",
    [
        ({"name": "ppo", "n_steps": 64}, "Acrobot-v1", 128, [64, 128]),
        ({"name": "a2c", "n_steps": 32}, "Pendulum-v1", 64, [32, 64]),
        ({"name": "trpo", "n_steps": 64}, "CartPole-v1", 128, [64, 128]),
        ({"name": "recurrent_ppo", "n_steps": 32, "n_epochs": 1}, "MountainCar-v0", 64, [32, 64]),
        (
            {"name": "dqn", "learning_starts": 32, "telemetry_every": 50},
            "Acrobot-v1",
            120,
            [50, 100, 120],
        ),
        (
            {"name": "qrdqn", "learning_starts": 32, "telemetry_every": 50},
            "CartPole-v1",
            120,
            [50, 100, 120],
        ),
        (
            {"name": "sac", **SMALL_OFF_POLICY, "telemetry_every": 40},
            "MountainCarContinuous-v0",
            80,
            [40, 80],
        ),
        ({"name": "tqc", **SMALL_OFF_POLICY, "telemetry_every": 40}, "Pendulum-v1", 80, [40, 80]),
        (
            {"name": "crossq", **SMALL_OFF_POLICY, "telemetry_every": 40},
            "Pendulum-v1",
            80,
            [40, 80],
        ),
        (
            {"name": "td3", **SMALL_OFF_POLICY, "telemetry_every": 40, "action_noise_std": 0.1},
            "Pendulum-v1",
            80,
            [40, 80],
        ),
    ],
)
def test_each_agent_trains_within_its_budget_and_acts(spec, env_id, steps, records):
    agent = trained(spec, env_id, steps)
    assert series(agent, "step").tolist() == records
    task = task_of(env_id)
    decision = agent.act(observations(env_id, 4))
    assert all(task.action_space.contains(a) for a in decision.actions)
    if spec["name"] == "td3":
        assert decision.entropy is None
    else:
        assert decision.entropy.shape == (4,) and np.all(np.isfinite(decision.entropy))
        assert np.all(np.isfinite(series(agent, "entropy")))


# -- the hooked training steps are SB3's own when nothing is attached -------------------------
class _NoHooks:
    """The part of an agent a hooked algorithm reads, with nothing attached."""

    progress = 0.0

    def interventions_at(self, hook):
        return []

    def log_update(self, **stats):
        self.last = stats


@pytest.mark.parametrize("name", ["ppo", "a2c"])
def test_hooked_training_step_equals_sb3(name):
    from stable_baselines3 import A2C, PPO
    from stable_baselines3.common.logger import Logger

    from entropy_gym.agents.sb3.hooked import HookedA2C, HookedPPO

    library, hooked = {"ppo": (PPO, HookedPPO), "a2c": (A2C, HookedA2C)}[name]
    models = []
    for cls in (library, hooked):
        model = cls("MlpPolicy", gym.make("CartPole-v1"), n_steps=64, seed=3, device="cpu")
        model.agent = _NoHooks()
        model.set_logger(Logger(folder=None, output_formats=[]))
        models.append(model.learn(256))
    for p, q in zip(*(m.policy.state_dict().values() for m in models), strict=True):
        assert torch.equal(p, q)
    assert models[1].agent.last["entropy"] > 0
