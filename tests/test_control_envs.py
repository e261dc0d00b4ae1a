"""The Control/ family as a whole: catalog, API checks, determinism, plain equivalence, reset,
parameters."""

from __future__ import annotations

import inspect
import warnings

import gymnasium as gym
import numpy as np
import pytest
from control_helpers import (
    TASK_NAMES,
    TYPES,
    make,
    model_floats,
    random_actions,
    rollout,
    same_floats,
)
from gymnasium.utils.env_checker import check_env, data_equivalence

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.cli import main as cli_main
from entropy_gym.envs.control import TYPES as TYPE_TABLE
from entropy_gym.envs.control import default_kwargs, load_random_scores
from entropy_gym.envs.control.tasks import TASKS
from entropy_gym.registration import env_card, env_cards

pytest.importorskip("mujoco")

ALL_IDS = [f"Control/{t}-T{k}-v0" for t in TASK_NAMES for k in TYPES]


def test_catalog_lists_every_task_under_every_type(capsys):
    cards = env_cards("control")
    assert [c.id for c in cards] == ALL_IDS
    assert {(c.game, c.type) for c in cards} == {(t, k) for t in TASK_NAMES for k in TYPES}
    assert cli_main(["envs", "--family", "control"]) == 0
    out = capsys.readouterr().out
    assert all(eid in out for eid in ALL_IDS)
    assert "30 env ids" in out


def test_every_card_has_normalisation_anchors_with_sources():
    measured = load_random_scores()
    for card in env_cards("control"):
        assert card.random_score == measured["scores"][card.id]["mean"]
        assert card.reference_score == TASKS[card.game].reference_score
        assert card.reference_score > card.random_score
        assert "plain task" in card.reference_source
        assert card.max_episode_steps == gym.spec(TASKS[card.game].gym_id).max_episode_steps


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_check_env(env_id):
    env = gym.make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unbounded Box observations, as in the v5 envs
        check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("kind", TYPES)
def test_registered_defaults_are_the_constructor_defaults(kind):
    """The card's kwargs and a direct construction describe the same env."""
    entry_point = TYPE_TABLE[kind][0]
    cls = gym.envs.registration.load_env_creator(entry_point)
    signature = inspect.signature(cls)
    for task in TASKS.values():
        registered = default_kwargs(task, kind)
        assert env_card(f"Control/{task.name}-T{kind}-v0").kwargs == registered
        direct = cls(task.name)
        for name, value in registered.items():
            if name == "task":
                continue
            assert getattr(direct, name) == value, (task.name, name)
            default = signature.parameters[name].default
            assert default is None or default == value, (task.name, name)
        direct.close()


# Perturbations made frequent, so that two runs can only agree if every draw is seeded.
BUSY = {
    "1": {"p": 0.5},
    "1-noise": {"mode": "noise", "p": 1.0},
    "2.1": {"p": 0.2},
    "2.1-perturb": {"mode": "perturb", "p": 0.3},
    "2.2": {"mode": "cyclic", "threshold": 7},
    "3.1": {},
    "3.2": {"p": 0.5},
    "3.2-drop": {"mode": "drop", "p": 0.3},
}


@pytest.mark.parametrize("case", list(BUSY))
@pytest.mark.parametrize(("task", "steps"), [("Hopper", 150), ("Ant", 40)])
def test_same_seed_and_actions_give_identical_trajectories(task, steps, case):
    kind = case.split("-")[0]
    env_a, env_b = make(task, kind, **BUSY[case]), make(task, kind, **BUSY[case])
    actions = random_actions(env_a, steps)
    run_a, run_b = rollout(env_a, actions, seed=11), rollout(env_b, actions, seed=11)
    assert len(run_a) == len(run_b)
    for step_a, step_b in zip(run_a, run_b):
        assert data_equivalence(step_a, step_b, exact=True)
    # ... and a different seed gives a different trajectory (the draws do depend on it).
    run_c = rollout(env_a, actions, seed=12)
    assert not all(data_equivalence(a[0], c[0], exact=True) for a, c in zip(run_a, run_c))


# Every type with its perturbation switched off is the plain Gymnasium env, bit for bit.
OFF = {
    "1": {"p": 0.0},
    "1-noise": {"mode": "noise", "p": 0.0},
    "2.1": {"p": 0.0},
    "2.1-perturb": {"mode": "perturb", "p": 0.0},
    "2.2": {"scale": 1.0, "mode": "cyclic", "threshold": 5},
    "2.2-late": {"threshold": 10_000},
    "3.1": {},
    "3.2": {"p": 0.0},
    "3.2-drop": {"mode": "drop", "p": 0.0},
}


@pytest.mark.parametrize("case", list(OFF))
@pytest.mark.parametrize("task", ["InvertedPendulum", "Hopper", "Humanoid"])
def test_switched_off_reproduces_the_plain_gymnasium_env(task, case):
    env = make(task, case.split("-")[0], **OFF[case])
    plain = gym.make(TASKS[task].gym_id)
    actions = random_actions(plain, 120, seed=5)
    ours, theirs = rollout(env, actions, seed=3), rollout(plain, actions, seed=3)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert data_equivalence(a[:4], b[:4], exact=True)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_plain_type_is_the_gymnasium_env_on_every_task(task):
    env, plain = make(task, "3.1"), gym.make(TASKS[task].gym_id)
    actions = random_actions(plain, 60, seed=1)
    for a, b in zip(rollout(env, actions, seed=9), rollout(plain, actions, seed=9)):
        assert data_equivalence(a, b, exact=True)


BUSIEST = {
    "1": {"p": 1.0},
    "2.1": {"p": 1.0, "duration": 3},
    "2.1-perturb": {"mode": "perturb", "p": 1.0},
    "2.2": {"threshold": 2},
    "2.2-mass": {"param": "mass", "scale": 2.0, "threshold": 2},
    "2.2-friction": {"param": "friction", "scale": 0.2, "threshold": 2},
    "2.2-gravity": {"param": "gravity", "scale": 1.5, "mode": "cyclic", "threshold": 3},
    "3.2": {"mode": "drop", "p": 1.0},
}


@pytest.mark.parametrize("case", list(BUSIEST))
def test_reset_restores_the_physical_parameters(case):
    env = make("Walker2d", case.split("-")[0], **BUSIEST[case])
    fresh = model_floats(make("Walker2d", "3.1").unwrapped.model)
    u = env.unwrapped
    rollout(env, random_actions(env, 40), seed=0)
    env.reset(seed=1)
    assert same_floats(fresh, model_floats(u.model)) == []
    assert not u.data.xfrc_applied.any()


def test_envs_never_share_model_state():
    a = make("Hopper", "2.2", threshold=1).unwrapped
    b = make("Hopper", "2.2", threshold=1).unwrapped
    assert a.model is not b.model
    before = model_floats(b.model)
    a.reset(seed=0)
    a.step(np.zeros(3, np.float32))
    a.step(np.zeros(3, np.float32))  # step 1 runs under concept 2
    assert a.model.actuator_gear[0, 0] == 0.5 * b.model.actuator_gear[0, 0]
    assert same_floats(before, model_floats(b.model)) == []


BAD = [
    ("1", {"mode": "sticky"}, "mode='sticky' is not allowed; expected one of ('random', 'noise')"),
    ("1", {"p": 1.5}, "p=1.5 is not allowed; expected a number in [0, 1]"),
    ("1", {"p": "0.1"}, "p='0.1' is not allowed; expected a number in [0, 1]"),
    ("1", {"scale": -0.1}, "scale=-0.1 is not allowed; expected a finite number >= 0"),
    ("2.1", {"mode": "wind"}, "mode='wind' is not allowed; expected one of ('push', 'perturb')"),
    ("2.1", {"duration": 0}, "duration=0 is not allowed; expected an integer >= 1"),
    ("2.1", {"body": "nose"}, "body='nose' is not allowed; expected one of ('torso', 'thigh'"),
    ("2.1", {"force": float("inf")}, "force=inf is not allowed; expected a finite number >= 0"),
    (
        "2.2",
        {"param": "viscosity"},
        "param='viscosity' is not allowed; expected one of ('mass', 'friction', 'gravity', 'gear')",
    ),
    ("2.2", {"scale": 0}, "scale=0 is not allowed; expected a finite number > 0"),
    (
        "2.2",
        {"mode": "gradual"},
        "mode='gradual' is not allowed; expected one of ('sudden', 'cyclic')",
    ),
    ("2.2", {"threshold": 2.5}, "threshold=2.5 is not allowed; expected an integer >= 1"),
    ("3.2", {"mode": "blur"}, "mode='blur' is not allowed; expected one of ('velocity', 'drop')"),
    ("3.2", {"p": -1}, "p=-1 is not allowed; expected a number in [0, 1]"),
    ("3.1", {"p": 0.1}, "unknown parameter 'p'; allowed: (none), or Hopper-v5's own: xml_file,"),
    (
        "1",
        {"ctrl_cost": 0.1},
        "unknown parameter 'ctrl_cost'; allowed: mode, p, scale, or Hopper-v5's",
    ),
]


@pytest.mark.parametrize(("kind", "kwargs", "message"), BAD)
def test_bad_parameters_raise_one_line_naming_what_is_allowed(kind, kwargs, message):
    with pytest.raises(ValueError) as err:
        make("Hopper", kind, **kwargs)
    text = str(err.value)
    assert message in text
    assert text.startswith(f"Control/Hopper-T{kind}: ")
    assert "\n" not in text


def test_unknown_task_and_contactless_friction_drift_are_refused():
    from entropy_gym.envs.control.concept_drift import ConceptDriftEnv

    with pytest.raises(ValueError, match=r"control task 'Cheetah' is unknown; expected one of \("):
        ConceptDriftEnv("Cheetah")
    with pytest.raises(ValueError, match="param='friction' has no effect on this task"):
        make("InvertedPendulum", "2.2", param="friction")


def test_task_kwargs_reach_the_mujoco_env():
    env = make("Hopper", "1", p=0.0, terminate_when_unhealthy=False).unwrapped
    assert env.task_env.unwrapped._terminate_when_unhealthy is False
    assert env.task_kwargs == {"terminate_when_unhealthy": False}


def test_task_info_names_the_task_its_parameters_and_velocity_dims():
    info = make("HalfCheetah", "3.2", mode="drop", p=0.25).unwrapped.task_info()
    assert info == {
        "task": "HalfCheetah",
        "gym_id": "HalfCheetah-v5",
        "type": "3.2",
        "params": {"mode": "drop", "p": 0.25},
        "velocity_dims": list(range(8, 17)),
    }


def _check_random_score(env_id: str) -> None:
    from entropy_gym.experiments.control_random_scores import measure

    stored = load_random_scores()["scores"][env_id]
    assert measure(env_id, stored["episodes"], seed=0) == stored  # reproduces exactly


# Ids whose random episodes are short (the robot falls at once): cheap enough for every run.
@pytest.mark.parametrize(
    "env_id",
    [
        *(f"Control/InvertedPendulum-T{k}-v0" for k in TYPES),
        "Control/Hopper-T1-v0",
        "Control/Humanoid-T3.2-v0",
    ],
)
def test_random_scores_reproduce_from_their_command(env_id):
    _check_random_score(env_id)


@pytest.mark.slow
@pytest.mark.parametrize("env_id", ALL_IDS)
def test_every_random_score_reproduces(env_id):
    _check_random_score(env_id)
