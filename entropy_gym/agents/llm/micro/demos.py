"""The demonstrations micro models are pretrained on: the suite's own envs, played by players
that know the format but not the best policy.

A demonstration is an episode of a text env in its compact framing, played by one of these
players; every turn gives an ``(observation, reply)`` pair, which pretraining turns into
``<|user|>observation<|end|><|assistant|>reply<|end|>`` and learns the reply of.

* **Reasoning** (``Arithmetic``): a worked answer from a deliberately imperfect solver. It works
  the expression one operation at a time (``*`` first, then left to right: ``2*4=8, 17-8=9``),
  and each step slips with probability ``slip`` by a small amount (``+-1``, ``+-2``, ``+-10``),
  the slip carried into later steps; so about ``(1 - slip) ** steps`` of its answers are right.
* **TextBandit**: each episode is played by one of three players, chosen uniformly: uniform
  random, greedy (every arm once, then the best empirical mean) and epsilon-greedy
  (``epsilon = 0.2``), each acting on the successes and pulls the prompt shows.
* **ToolTask**: ``random_admissible`` calls (valid, no plan), after a prefix of the family
  oracle's calls: with probability ``random_share`` the prefix is empty (the whole episode is
  ``random_admissible``), otherwise its length is uniform over ``1 .. optimal calls`` (so a few
  episodes are the oracle's whole solution). Pure ``random_admissible`` solves 3-8% of
  ``FileTree-easy`` episodes within 8-12 turns, below the 10-50% a model should start at; the
  oracle prefixes show the first steps of a plan without ever showing a mid-course correction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: ``(observation, reply)`` of every turn of one demonstration episode.
Demo = list[tuple[str, str]]


@dataclass(frozen=True)
class DemoTask:
    """One env (compact framing) and the player of its demonstrations.

    ``per_step`` episodes of it go into every pretraining step; ``max_new_tokens`` is the reply
    budget when a model plays it; ``params`` are the player's.
    """

    name: str
    env_id: str
    env_kwargs: Mapping[str, Any]
    player: str
    per_step: int
    max_new_tokens: int
    params: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "env_id": self.env_id,
            "env_kwargs": dict(self.env_kwargs),
            "player": self.player,
            "per_step": self.per_step,
            "max_new_tokens": self.max_new_tokens,
            "params": dict(self.params),
        }


# -- Reasoning: the imperfect solver ------------------------------------------------------------
_SLIPS = (-10, -2, -1, 1, 2, 10)
_TERM = re.compile(r"\d+|[+\-*]")


def worked_answer(expression: str, rng: np.random.Generator, slip: float) -> str:
    """``2*4=8, 17-8=9`` for ``17 - 2 * 4``, each step slipping with probability ``slip``."""
    terms = _TERM.findall(expression)
    values = [int(t) for t in terms[0::2]]
    ops = terms[1::2]
    steps = []

    def apply(a: int, op: str, b: int) -> int:
        exact = a * b if op == "*" else a + b if op == "+" else a - b
        if rng.random() < slip:
            exact += int(rng.choice(_SLIPS))
        steps.append(f"{a}{op}{b}={exact}")
        return exact

    while "*" in ops:
        i = ops.index("*")
        values[i : i + 2] = [apply(values[i], "*", values[i + 1])]
        del ops[i]
    result = values[0]
    for op, value in zip(ops, values[1:]):
        result = apply(result, op, value)
    return ", ".join(steps)


def play_arithmetic(env: Any, seed: int, rng: np.random.Generator, slip: float = 0.3) -> Demo:
    question, _ = env.reset(seed=seed)
    expression = question.removesuffix("=").strip()
    reply = worked_answer(expression, rng, slip)
    env.step(reply)
    return [(question, reply)]


# -- TextBandit: random, greedy and epsilon-greedy players ----------------------------------------
BANDIT_PLAYERS = ("random", "greedy", "epsilon_greedy")


def play_bandit(env: Any, seed: int, rng: np.random.Generator, epsilon: float = 0.2) -> Demo:
    labels = env.unwrapped.task_info()["labels"]
    k = len(labels)
    player = BANDIT_PLAYERS[int(rng.integers(len(BANDIT_PLAYERS)))]
    counts, sums = np.zeros(k), np.zeros(k)
    obs, _ = env.reset(seed=seed)
    demo: Demo = []
    done = False
    while not done:
        untried = np.flatnonzero(counts == 0)
        if player == "random" or (player == "epsilon_greedy" and rng.random() < epsilon):
            arm = int(rng.integers(k))
        elif untried.size:
            arm = int(rng.choice(untried))
        else:
            means = sums / counts
            arm = int(rng.choice(np.flatnonzero(means == means.max())))
        demo.append((obs, labels[arm]))
        obs, reward, terminated, truncated, _ = env.step(labels[arm])
        counts[arm] += 1
        sums[arm] += reward
        done = terminated or truncated
    return demo


# -- ToolTask: oracle prefixes, then random_admissible --------------------------------------------
def play_tool(
    env: Any, twin: Any, seed: int, rng: np.random.Generator, random_share: float = 0.5
) -> Demo:
    """``env`` is the compact framing; ``twin`` the same task in the standard framing, stepped
    in lockstep, whose conversation the oracle reads."""
    from entropy_gym.envs.text.tools.calls import compact_call_text, parse_call
    from entropy_gym.envs.text.tools.transcript import parse_transcript

    family = env.unwrapped.family
    optimal = family.optimal_calls()
    guided = 0 if rng.random() < random_share else int(rng.integers(1, optimal + 1))
    obs, info = env.reset(seed=seed)
    standard, _ = twin.reset(seed=seed)
    demo: Demo = []
    done, turn = False, 0
    while not done:
        if turn < guided:
            call = type(family).oracle_call(parse_transcript(standard))
        else:
            calls = info["admissible_actions"]
            call = calls[int(rng.integers(len(calls)))]
        reply = compact_call_text(*_split(parse_call(call, family.tool_map)))
        demo.append((obs, reply))
        obs, _, terminated, truncated, info = env.step(reply)
        standard, *_ = twin.step(call)
        done, turn = terminated or truncated, turn + 1
    return demo


def _split(parsed: tuple[Any, tuple[str, ...]]) -> tuple[Any, ...]:
    tool, values = parsed
    return (tool, *values)


class DemoPlayer:
    """Builds a task's envs once and plays its demonstrations."""

    def __init__(self, task: DemoTask) -> None:
        import gymnasium as gym

        import entropy_gym  # noqa: F401  (registers the ids)

        self.task = task
        self.env = gym.make(task.env_id, **dict(task.env_kwargs))
        self.twin = None
        if task.player == "tool":
            standard = {**dict(task.env_kwargs), "framing": "standard"}
            self.twin = gym.make(task.env_id, **standard)
        if task.player not in ("arithmetic", "bandit", "tool"):
            raise ValueError(f"demonstration player {task.player!r} is unknown")

    def play(self, seed: int, rng: np.random.Generator) -> Demo:
        params = dict(self.task.params)
        if self.task.player == "arithmetic":
            return play_arithmetic(self.env, seed, rng, **params)
        if self.task.player == "bandit":
            return play_bandit(self.env, seed, rng, **params)
        return play_tool(self.env, self.twin, seed, rng, **params)


__all__ = [
    "BANDIT_PLAYERS",
    "Demo",
    "DemoPlayer",
    "DemoTask",
    "play_arithmetic",
    "play_bandit",
    "play_tool",
    "worked_answer",
]
