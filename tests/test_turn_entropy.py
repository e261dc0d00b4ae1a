"""Per-episode statistics of per-turn action entropy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from entropy_gym.scoring.turn_entropy import EpisodeEntropy, episode_entropy_stats


def test_stats_of_one_episode():
    stats = episode_entropy_stats([0.0, 1.0, 2.0, 3.0])
    assert stats == {"entropy_mean": 1.5, "entropy_var": 1.25, "entropy_turns": 4.0}
    assert episode_entropy_stats([0.7])["entropy_var"] == 0.0
    assert episode_entropy_stats([1.0, math.nan, 3.0])["entropy_mean"] == 2.0
    empty = episode_entropy_stats([])
    assert math.isnan(empty["entropy_mean"]) and empty["entropy_turns"] == 0.0


def test_tracker_closes_each_env_at_its_own_end():
    tracker = EpisodeEntropy(2)
    assert tracker.update(np.array([1.0, 2.0]), [False, False]) == []
    out = tracker.update(np.array([3.0, 4.0]), [False, True])
    assert out == [(1, {"entropy_mean": 3.0, "entropy_var": 1.0, "entropy_turns": 2.0})]
    out = tracker.update(np.array([5.0, 6.0]), [True, True])
    assert out[0] == (
        0,
        {"entropy_mean": 3.0, "entropy_var": pytest.approx(8 / 3), "entropy_turns": 3.0},
    )
    assert out[1] == (1, {"entropy_mean": 6.0, "entropy_var": 0.0, "entropy_turns": 1.0})
    none = tracker.update(None, [True, False])  # an agent without entropy
    assert math.isnan(none[0][1]["entropy_mean"])


def test_tracker_validates_shapes():
    tracker = EpisodeEntropy(3)
    with pytest.raises(ValueError, match=r"done must have shape \(3,\)"):
        tracker.update(np.zeros(3), [True])
    with pytest.raises(ValueError, match=r"entropy must have shape \(3,\)"):
        tracker.update(np.zeros(2), [True, False, True])
    with pytest.raises(ValueError, match="num_envs must be >= 1"):
        EpisodeEntropy(0)
