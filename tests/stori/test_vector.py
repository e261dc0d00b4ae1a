"""The batched STORI env on ALE's vector env (``entropy_gym.envs.stori.vector``) against single envs.

No-op starts are off (``noop_max=0``) wherever trajectories are compared: ALE's vector env draws
them from its own generator. Everything else is compared step by step, info keys included; the
only allowed difference is the observation of a terminating step (see the module's docstring).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.envs.stori.vector import StoriVectorEnv

SEEDS = [3, 7]
GRAY = {"noop_max": 0, "obs_mode": "grayscale"}


@pytest.fixture
def vectors() -> Iterator[list[gym.vector.VectorEnv]]:
    made: list[gym.vector.VectorEnv] = []
    yield made
    for vec in made:
        vec.close()


def batched(made: list[Any], env_id: str, num_envs: int = 2, **kwargs: Any) -> StoriVectorEnv:
    kwargs.setdefault("autoreset_mode", AutoresetMode.SAME_STEP)
    vec = gym.make_vec(env_id, num_envs, vectorization_mode="vector_entry_point", **kwargs)
    made.append(vec)
    assert isinstance(vec.unwrapped, StoriVectorEnv)
    return vec.unwrapped


def singles(made: list[Any], env_id: str, num_envs: int = 2, **kwargs: Any) -> SyncVectorEnv:
    vec = SyncVectorEnv(
        [lambda: gym.make(env_id, **kwargs)] * num_envs, autoreset_mode=AutoresetMode.SAME_STEP
    )
    made.append(vec)
    return vec


def compare(made: list[Any], env_id: str, steps: int, **kwargs: Any) -> dict[str, Any]:
    """Step the batch and a SyncVectorEnv of single envs alike; assert they agree; return
    counts of what was seen (steps, terminations, per-step infos of the batch)."""
    ours = batched(made, env_id, **kwargs)
    theirs = singles(made, env_id, **kwargs)
    obs, info = ours.reset(seed=SEEDS)
    ref_obs, ref_info = theirs.reset(seed=SEEDS)
    np.testing.assert_array_equal(obs, ref_obs)
    assert info.keys() == ref_info.keys()
    acts = np.random.default_rng(0).integers(ours.single_action_space.n, size=(steps, 2))
    infos, ends = [], 0
    for a in acts:
        obs, reward, term, trunc, info = ours.step(a)
        ref_obs, ref_reward, ref_term, ref_trunc, ref_info = theirs.step(a)
        np.testing.assert_array_equal(obs, ref_obs)
        np.testing.assert_array_equal(reward, ref_reward)
        np.testing.assert_array_equal(term, ref_term)
        np.testing.assert_array_equal(trunc, ref_trunc)
        assert info.keys() == ref_info.keys()
        for key in info.keys() - {"final_obs", "final_info", "frame_number"}:
            np.testing.assert_array_equal(info[key], ref_info[key], err_msg=key)
        if "final_info" in info:
            ends += int(info["_final_obs"].sum())
            final, ref_final = info["final_info"], ref_info["final_info"]
            assert final.keys() == ref_final.keys()
            for key in final.keys() - {"frame_number"}:
                np.testing.assert_array_equal(final[key], ref_final[key], err_msg=key)
            for row in np.flatnonzero(info["_final_obs"]):
                assert info["final_obs"][row].shape == ref_info["final_obs"][row].shape
        infos.append(info)
    return {"ends": ends, "infos": infos}


def test_plain_game_matches_single_envs_frame_for_frame_through_autoreset(vectors) -> None:
    seen = compare(vectors, "STORI/Breakout-T3.1-v0", 200, noop_max=0, obs_mode="atari84")
    assert seen["ends"] >= 1  # an episode ended and was reset in the same step on both sides


def test_type1_per_frame_makes_the_single_envs_substitutions(vectors) -> None:
    seen = compare(vectors, "STORI/Breakout-T1-v0", 120, **GRAY)
    frames = np.array([info["action_replaced_frames"] for info in seen["infos"]])
    assert 0 < frames.mean() < 4  # the comparison covered steps with and without substitutions


def test_type1_rate_is_p_and_unreplaced_frames_run_the_chosen_action(vectors) -> None:
    p, steps, n = 0.3, 150, 4
    # Replacements drawn only from action 3 while the agent always chooses 0: every frame that
    # ALE runs with action 3 is a replaced one, every other frame ran the chosen action.
    vec = batched(vectors, "STORI/Breakout-T1-v0", n, p=p, random_actions=[3], **GRAY)
    sent: list[np.ndarray] = []
    step = vec.ale.step
    vec.ale.step = lambda actions: (sent.append(actions.copy()), step(actions))[1]
    vec.reset(seed=0)
    replaced = 0
    for _ in range(steps):
        info = vec.step(np.zeros(n, dtype=np.int64))[4]
        replaced += int(info["action_replaced_frames"].sum())
    frames = np.array(sent)
    assert frames.shape == (steps * 4, n)  # per-frame substitution: one ALE call per frame
    assert set(np.unique(frames)) <= {0, 3}
    assert int((frames == 3).sum()) == replaced
    total = steps * 4 * n
    assert abs(replaced - p * total) < 4 * np.sqrt(total * p * (1 - p))


def test_type1_per_step_holds_one_draw_for_the_whole_step(vectors) -> None:
    seen = compare(vectors, "STORI/Breakout-T1-v0", 100, p=0.5, per="step", **GRAY)
    frames = np.concatenate([info["action_replaced_frames"] for info in seen["infos"]])
    assert set(frames) == {0, 4}


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("STORI/Breakout-T3.2C-v0", {}),  # torch, per frame before pooling
        ("STORI/Breakout-T3.2A-v0", {}),  # blackout rectangles
        ("STORI/Breakout-T3.2-crop-v0", {"per": "observation", "mode": "right"}),
    ],
)
def test_pixel_masks_paint_the_single_envs_pixels(vectors, env_id: str, kwargs: dict) -> None:
    seen = compare(vectors, env_id, 60, **GRAY, **kwargs)
    masked = np.array([info["masked"] for info in seen["infos"]])
    assert masked.any()


def test_drift_switches_at_the_single_envs_step(vectors) -> None:
    seen = compare(vectors, "STORI/Breakout-T2.2-to-crop-v0", 12, threshold=5, **GRAY)
    concepts = [info["concept"].tolist() for info in seen["infos"]]
    assert concepts == [[1, 1]] * 5 + [[2, 2]] * 7
    masked = np.array([info["masked"] for info in seen["infos"]])
    assert not masked[:5].any() and masked[5:].any()


def test_rgb_frames_match_single_envs(vectors) -> None:
    compare(vectors, "STORI/Breakout-T3.2-crop-v0", 30, noop_max=0, obs_mode="rgb")


def test_same_seeds_repeat_and_other_seeds_differ(vectors) -> None:
    def run(seeds: list[int]) -> np.ndarray:
        vec = batched(vectors, "STORI/Breakout-T1-v0", p=0.5)
        obs, _ = vec.reset(seed=seeds)
        out = [obs]
        for _ in range(40):
            out.append(vec.step(np.ones(2, dtype=np.int64))[0])
        return np.array(out)

    first = run([1, 2])
    np.testing.assert_array_equal(first, run([1, 2]))
    assert not np.array_equal(first, run([1, 5]))
    # An int seed s seeds row i with s + i, as SyncVectorEnv does.
    vec = batched(vectors, "STORI/Breakout-T1-v0", p=0.5)
    obs, _ = vec.reset(seed=1)
    out = [obs] + [vec.step(np.ones(2, dtype=np.int64))[0] for _ in range(40)]
    np.testing.assert_array_equal(first, np.array(out))


def test_noop_starts_are_drawn_per_row_and_reported(vectors) -> None:
    vec = batched(vectors, "STORI/Breakout-T3.1-v0", 4)
    _, info = vec.reset(seed=0)
    assert ((info["noops"] >= 0) & (info["noops"] <= 30)).all()
    np.testing.assert_array_equal(info["noops"], info["episode_frame_number"])
    assert len(set(info["noops"].tolist())) > 1


def test_next_step_autoreset_resets_on_the_step_after_the_end(vectors) -> None:
    vec = batched(vectors, "STORI/Breakout-T1-v0", autoreset_mode=AutoresetMode.NEXT_STEP, **GRAY)
    vec.reset(seed=SEEDS)
    rng = np.random.default_rng(0)
    for _ in range(400):
        _, _, term, trunc, _ = vec.step(rng.integers(4, size=2))
        if (term | trunc).any():
            break
    ended = term | trunc
    assert ended.any()
    _obs, reward, term, trunc, info = vec.step(np.zeros(2, dtype=np.int64))
    assert not term[ended].any() and (reward[ended] == 0).all()
    np.testing.assert_array_equal(info["_noops"], ended)
    assert (info["episode_frame_number"][ended] == 0).all()
    assert not info["action_replaced"][ended].any()


def test_truncation_counts_episode_frames(vectors) -> None:
    vec = batched(vectors, "STORI/Breakout-T3.1-v0", max_episode_frames=40, **GRAY)
    vec.reset(seed=0)
    truncs = [vec.step(np.zeros(2, dtype=np.int64))[3].tolist() for _ in range(11)]
    assert truncs == [[False, False]] * 9 + [[True, True], [False, False]]


@pytest.mark.parametrize(
    ("env_id", "kwargs", "why"),
    [
        ("STORI/Breakout-T2.1-v0", {}, "type 2.1"),
        ("STORI/Boxing-T3.2C-v0", {}, "mask 'ram'"),
        ("STORI/Boxing-T2.2-v0", {}, "mask 'ram'"),
        ("STORI/Breakout-T3.1-v0", {"render_mode": "rgb_array"}, "render_mode"),
    ],
)
def test_unsupported_configurations_are_one_line_errors(
    env_id: str, kwargs: dict, why: str
) -> None:
    with pytest.raises(ValueError) as error:
        gym.make_vec(env_id, 2, vectorization_mode="vector_entry_point", **kwargs)
    message = str(error.value)
    assert why in message and 'vectorization_mode="sync"' in message and "\n" not in message


def test_sync_mode_keeps_single_envs(vectors) -> None:
    vec = gym.make_vec("STORI/Breakout-T1-v0", 2, vectorization_mode="sync")
    vectors.append(vec)
    assert isinstance(vec, SyncVectorEnv)
    assert vec.single_observation_space.shape == (210, 160, 3)


def test_bad_actions_and_seeds_are_one_line_errors(vectors) -> None:
    vec = batched(vectors, "STORI/Breakout-T3.1-v0", **GRAY)
    with pytest.raises(ValueError, match="seed must be an int or a list of 2 seeds"):
        vec.reset(seed=[1, 2, 3])
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="outside the action space"):
        vec.step(np.array([0, 9]))
    with pytest.raises(ValueError, match="2 integer indices"):
        vec.step(np.zeros(3, dtype=np.int64))
