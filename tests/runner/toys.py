"""A toy text env for the runner tests, registered on import as ``Toy/TextGuess-v0``."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

LABELS = ("red", "green", "blue")


class TextGuess(gym.Env):
    """Guess a hidden colour in five turns. Observations are strings; the action is an index
    or a free-text reply that names a colour. A reply naming none is a legal, flagged step."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, turns: int = 5) -> None:
        self.turns = turns
        self.observation_space = gym.spaces.Text(max_length=200)
        self.action_space = gym.spaces.Discrete(len(LABELS))

    def task_info(self) -> dict[str, Any]:
        return {"labels": list(LABELS)}

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)
        self.target = int(self.np_random.integers(len(LABELS)))
        self.t = self.hits = self.invalid = 0
        return "Pick a colour: red, green or blue", {}

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        info: dict[str, Any] = {"invalid_action": False}
        if isinstance(action, str):
            found = [i for i, name in enumerate(LABELS) if name in action]
            choice = found[0] if found else None
        else:
            choice = int(action)
        if choice is None:
            info["invalid_action"] = True
            self.invalid += 1
            reward = 0.0
        else:
            reward = float(choice == self.target)
            self.hits += int(reward)
        self.t += 1
        done = self.t >= self.turns
        if done:
            info["episode_metrics"] = {
                "hits": float(self.hits),
                "invalid_rate": self.invalid / self.turns,
            }
        return f"turn {self.t}: {'hit' if reward else 'miss'}", reward, done, False, info


if "Toy/TextGuess-v0" not in gym.registry:
    gym.register("Toy/TextGuess-v0", entry_point=TextGuess)
