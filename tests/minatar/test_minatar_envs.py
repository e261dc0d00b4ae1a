"""The STORI/MinAtar-* ids: each type's statistics against its parameters, seeding, Gymnasium's
checker, and the functional form against the Gymnasium and vector forms, step for step.

Statistics run the functional form under jit and vmap (thousands of steps in one call); the
configurations are few and small, since each costs a compilation."""

from __future__ import annotations

import functools

import gymnasium as gym
import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("gymnax")

import jax.numpy as jnp  # noqa: E402
from gymnasium.utils.env_checker import check_env  # noqa: E402

import entropy_gym  # noqa: E402, F401
from entropy_gym.envs.minatar.env import key_chain  # noqa: E402
from entropy_gym.envs.minatar.make import build_config  # noqa: E402
from entropy_gym.registration import env_cards  # noqa: E402

ENVS, STEPS = 64, 200


def rollout(config, seed: int = 0, envs: int = ENVS, steps: int = STEPS, action: int | None = None):
    """``steps`` autoreset steps of ``envs`` envs under uniform random (or fixed) actions:
    (actions, rewards, infos, observations of the step, before any reset) stacked
    ``(steps, envs, ...)``."""
    return jax.device_get(_runner(config, envs, steps, action)(jax.random.PRNGKey(seed)))


@functools.cache
def _runner(config, envs: int, steps: int, action: int | None):
    """The jitted rollout of one configuration (compiled once per test session)."""

    def run(key):
        reset_key, key = jax.random.split(key)
        _, state = jax.vmap(config.reset)(jax.random.split(reset_key, envs))

        def body(state, key):
            act_key, step_key = jax.random.split(key)
            a = jax.random.randint(act_key, (envs,), 0, config.num_actions)
            if action is not None:
                a = jnp.full((envs,), action)
            _, state, reward, _, _, info = jax.vmap(config.autoreset_step)(
                jax.random.split(step_key, envs), state, a
            )
            return state, (a, reward, info, info["final_obs"])

        _, out = jax.lax.scan(body, state, jax.random.split(key, steps))
        return out

    return jax.jit(run)


def test_ids_cover_every_game_and_type():
    cards = env_cards("stori-minatar")
    games = {c.game for c in cards}
    assert games == {
        f"MinAtar-{g}" for g in ("Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders")
    }
    for game in games:
        assert {c.type for c in cards if c.game == game} == {"1", "2.1", "2.2", "3.1", "3.2"}
    assert all(c.random_score is not None and c.reference_score > c.random_score for c in cards)


def test_the_registration_catalog_is_the_games_own_and_needs_no_jax():
    import subprocess
    import sys

    from entropy_gym.envs.minatar import CATALOG
    from entropy_gym.envs.minatar.games import GAMES

    assert {
        name: (g.event_mode, g.event_p, next(iter(g.channel_groups))) for name, g in GAMES.items()
    } == CATALOG
    # Without jax (the minatar extra), the package imports and registers every id; making one
    # is what needs jax.
    code = (
        "import sys; sys.modules['jax'] = None; import entropy_gym, gymnasium as gym; "
        "print(sum(i.startswith('STORI/MinAtar-') for i in gym.registry))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) == len(env_cards("stori-minatar")) == 40


def test_type1_replaces_actions_at_rate_p_with_uniform_replacements():
    config = build_config("Breakout", "1", p=0.3)
    _, _, info, _ = rollout(config, action=2)
    replaced = info["action_replaced"]
    n = replaced.size
    assert abs(replaced.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    executed = info["executed_action"]
    assert np.all(executed[~replaced] == 2)
    # a replacement is uniform over the 3 actions, so it keeps action 2 a third of the time
    counts = np.bincount(executed[replaced], minlength=3) / replaced.sum()
    assert np.all(np.abs(counts - 1 / 3) < 0.05)
    assert np.array_equal(info["action_replaced_frames"], replaced.astype(np.int32))
    only_first = rollout(build_config("Breakout", "1", p=1.0, random_actions=1), action=2)[2]
    assert np.all(only_first["executed_action"] == 0)


def test_type21_cancels_the_given_share_of_brick_hits():
    config = build_config("Breakout", "2.1", p=0.25)  # block_hit_cancel_no_reward
    _, reward, info, _ = rollout(config)
    events, paid = info["event"].sum(), (reward > 0).sum()
    assert np.all(reward[info["event"]] == 0)
    share = events / (events + paid)
    assert abs(share - 0.25) < 4 * np.sqrt(0.25 * 0.75 / (events + paid))
    plain = rollout(build_config("Breakout", "3.1"))[1]
    assert plain.sum() > reward.sum()  # cancelled hits pay nothing


@pytest.mark.parametrize("drift", ["sudden", "cyclic"])
def test_drift_switches_concept_at_the_threshold(drift):
    config = build_config("Breakout", "2.2", secondary="1", drift=drift, threshold=7, p=1.0)
    _, state = config.reset(jax.random.PRNGKey(0))
    step = jax.jit(config.step)
    concepts, replaced = [], []
    for t in range(30):
        _, state, _, terminated, truncated, info = step(jax.random.PRNGKey(t), state, 0)
        if bool(terminated | truncated):
            break
        concepts.append(int(info["concept"]))
        replaced.append(bool(info["action_replaced"]))
    ts = np.arange(len(concepts))
    expected = np.where(ts >= 7, 2, 1) if drift == "sudden" else np.where((ts // 7) % 2, 2, 1)
    assert len(concepts) > 14 and np.array_equal(concepts, expected)
    assert np.array_equal(replaced, expected == 2)  # p=1: every step of concept 2, none else


def test_masks_hide_their_share_and_only_their_cells():
    config = build_config("Breakout", "3.2", p=0.6)  # crop left
    _, _, info, obs = rollout(config)
    masked = info["masked"]
    assert abs(masked.mean() - 0.6) < 4 * np.sqrt(0.6 * 0.4 / masked.size)
    assert np.all(obs[masked][:, :, :5, :] == 0)
    plain_obs = rollout(build_config("Breakout", "3.1"))[3]
    assert plain_obs[:, :, :, :5, :].sum() > 0
    hidden = build_config("Breakout", "3.2", mask="channels", mode="ball")
    _, _, info, obs = rollout(hidden)
    assert info["masked"].all() and obs[..., 1:3].sum() == 0 and obs[..., 3].sum() > 0


def test_seeded_gymnasium_env_is_deterministic_and_seeds_differ():
    def trajectory(seed):
        env = gym.make("STORI/MinAtar-Breakout-T1-v0")
        obs, _ = env.reset(seed=seed)
        rng = np.random.default_rng(0)
        out = [obs]
        for _ in range(60):
            obs, r, te, tr, info = env.step(int(rng.integers(3)))
            out += [obs, np.array([r, te, tr, info["action_replaced"]])]
            if te or tr:
                out.append(env.reset()[0])
        return out

    a, b, c = trajectory(5), trajectory(5), trajectory(6)
    assert all(np.array_equal(x, y) for x, y in zip(a, b)) and len(a) == len(b)
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


@pytest.mark.parametrize("suffix", ["T1", "T2.1", "T2.2", "T3.1", "T3.2"])
def test_check_env(suffix):
    env = gym.make(f"STORI/MinAtar-Breakout-{suffix}-v0", render_mode="rgb_array")
    check_env(env.unwrapped)
    env.reset(seed=0)
    assert env.render().shape == (160, 160, 3)


@pytest.mark.parametrize(
    "env_id", ["STORI/MinAtar-Breakout-T1-v0", "STORI/MinAtar-Breakout-T3.2-v0"]
)
def test_functional_equals_gymnasium_and_vector_forms(env_id):
    """The functional form driven by the Gymnasium key chain, the Gymnasium env, and row 1 of
    the vector env (seeded 10 + 1) give the same observations, rewards, flags and infos."""
    env = gym.make(env_id)
    vec = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point")
    config = env.unwrapped.config
    key = jax.random.PRNGKey(11)
    key, sub = key_chain(key)
    f_obs, state = config.reset(sub)
    g_obs, _ = env.reset(seed=11)
    v_obs, _ = vec.reset(seed=10)
    assert np.array_equal(f_obs, g_obs) and np.array_equal(v_obs[1], g_obs)
    rng = np.random.default_rng(1)
    ended, resets = False, 0
    for _ in range(150):
        a = int(rng.integers(3))
        v_obs, v_r, v_te, v_tr, v_info = vec.step(np.array([0, a]))
        key, sub = key_chain(key)
        if ended:
            f_obs, state = config.reset(sub)
            g_obs, _ = env.reset()
            assert np.array_equal(f_obs, g_obs) and np.array_equal(v_obs[1], g_obs)
            ended, resets = False, resets + 1
            continue
        f_obs, state, f_r, f_te, f_tr, f_info = config.step(sub, state, jnp.int32(a))
        g_obs, g_r, g_te, g_tr, g_info = env.step(a)
        assert np.array_equal(f_obs, g_obs) and np.array_equal(v_obs[1], g_obs)
        assert float(f_r) == g_r == v_r[1] and bool(f_te) == g_te == v_te[1]
        assert bool(f_tr) == g_tr == v_tr[1]
        for k, value in g_info.items():
            assert value == (bool(f_info[k]) if isinstance(value, bool) else int(f_info[k]))
            assert value == v_info[k][1]
        ended = g_te or g_tr
    assert resets >= 1


def test_bad_parameters_are_one_line_errors():
    with pytest.raises(ValueError, match="p must be a probability"):
        gym.make("STORI/MinAtar-Breakout-T1-v0", p=1.5)
    with pytest.raises(TypeError, match=r"not read by STORI type 3\.1"):
        gym.make("STORI/MinAtar-Breakout-T3.1-v0", p=0.1)
    with pytest.raises(ValueError, match="exists for the ALE ids only"):
        gym.make("STORI/MinAtar-Breakout-T1-v0", frame_skip=4)
    with pytest.raises(ValueError, match="event mode 'nope' is unknown for MinAtar Breakout"):
        gym.make("STORI/MinAtar-Breakout-T2.1-v0", mode="nope")


@pytest.mark.slow
@pytest.mark.parametrize("game", ["Asterix", "Freeway", "Seaquest", "SpaceInvaders"])
def test_every_game_checks_and_fires_its_event(game):
    for suffix in ("T1", "T2.1", "T2.2", "T3.1", "T3.2", "T3.2-channels"):
        check_env(gym.make(f"STORI/MinAtar-{game}-{suffix}-v0").unwrapped)
    _, _, info, _ = rollout(build_config(game, "2.1", p=0.5), steps=200)
    assert info["event"].any()
