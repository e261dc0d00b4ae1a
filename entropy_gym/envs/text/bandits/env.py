"""One K-armed bandit told in text, as a Gymnasium env.

The observation is the prompt for the next decision. The action is an arm index or a text
reply, which :func:`~entropy_gym.envs.text.bandits.parse.parse_reply` reads; a reply that
names no arm is a legal step (``info["invalid_action"]``, reward 0) and the next prompt says
so. The episode terminates after ``horizon`` decisions, with ``info["episode_metrics"]``.
"""

from __future__ import annotations

import copy
import operator
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from entropy_gym.envs.text.bandits.core import METRICS, STATE_ARRAYS, BanditBatch
from entropy_gym.envs.text.bandits.parse import parse_reply
from entropy_gym.envs.text.bandits.prompt import CHARSET, PromptWriter
from entropy_gym.envs.text.bandits.spec import BanditSpec


def read_action(action: Any, labels: tuple[str, ...]) -> tuple[int | None, str]:
    """``(arm or None, reply text)`` for an index or a text reply.

    An index outside ``0..K-1`` (or a value that is neither) is a programming error and raises
    ``ValueError``; a text reply that names no arm gives ``None``.
    """
    if isinstance(action, bytes):
        action = action.decode("utf-8", errors="replace")
    if isinstance(action, str):
        return parse_reply(action, labels), action
    try:
        index = operator.index(action)
    except TypeError:
        raise ValueError(
            f"action must be an arm index in 0..{len(labels) - 1} or a text reply, got {action!r}"
        ) from None
    if not 0 <= index < len(labels):
        raise ValueError(
            f"action {index} is out of range: expected an arm index in 0..{len(labels) - 1} "
            "or a text reply"
        )
    return index, ""


class TextBanditEnv(gym.Env):
    """A K-armed bandit whose observations are prompts; see :class:`BanditSpec` for kwargs.

    ``info`` at every step: ``arm`` (the arm pulled, -1 when the reply named none),
    ``optimal_arm``, ``regret`` (instant expected regret), ``reward``, ``invalid_action`` and
    ``step``. :meth:`task_info` tells agents the labels, K, horizon, framing and history mode.

    >>> import gymnasium as gym
    >>> env = gym.make("TextBandit/Bernoulli-K5-hard-v0", horizon=3)
    >>> prompt, info = env.reset(seed=0)
    >>> prompt.splitlines()[-1]
    'Press 1 of 3. Which button do you press? Answer with one of: A, B, C, D, E.'
    >>> _, reward, terminated, _, info = env.step("B")          # a reply, or an arm index
    >>> info["arm"], reward, terminated
    (1, 1.0, False)
    >>> _, reward, _, _, info = env.step("no idea")               # unparsed: a legal step
    >>> info["invalid_action"], info["arm"], reward
    (True, -1, 0.0)
    """

    #: The names of ``info["episode_metrics"]`` (what a suite's ``metrics`` may list).
    EPISODE_METRICS: ClassVar[tuple[str, ...]] = METRICS

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, render_mode: str | None = None, **kwargs: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} is unknown; expected None or 'ansi'")
        self.render_mode = render_mode
        self.bandit = BanditSpec.from_kwargs(**kwargs)
        self.writer = PromptWriter(self.bandit)
        self.observation_space = spaces.Text(
            max_length=self.writer.max_length, min_length=1, charset=CHARSET
        )
        self.action_space = spaces.Discrete(self.bandit.num_arms)
        self._core = BanditBatch(self.bandit, 1)
        self._history = ""
        self._invalid_reply: str | None = None
        self._prompt = ""

    def task_info(self) -> dict[str, Any]:
        """Labels, K, horizon, reward kind, framing and history mode (never the means)."""
        return self.bandit.task_info()

    @property
    def arm_means(self) -> np.ndarray:
        """The current arm means (for analysis and tests; agents must not read them)."""
        return self._core.means[0].copy()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        self._core.use_generator(self.np_random)
        self._core.reset()
        self._history = ""
        self._invalid_reply = None
        self._prompt = self._render()
        return self._prompt, {}

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if int(self._core.t[0]) >= self.bandit.horizon:
            raise RuntimeError(
                f"the episode ended after {self.bandit.horizon} steps; call reset() first"
            )
        arm, reply = read_action(action, self.bandit.labels)
        out = self._core.step(np.array([-1 if arm is None else arm]))
        reward = float(out.rewards[0])
        step = int(self._core.t[0])
        self._history += self.writer.history_line(step, arm, reward, reply)
        self._invalid_reply = reply if arm is None else None
        terminated = bool(out.done[0])
        info: dict[str, Any] = {
            "arm": -1 if arm is None else arm,
            "optimal_arm": int(out.optimal_arm[0]),
            "regret": float(out.regret[0]),
            "reward": reward,
            "invalid_action": arm is None,
            "step": step,
        }
        if terminated:
            info["episode_metrics"] = {
                k: float(v[0]) for k, v in self._core.episode_metrics().items()
            }
        self._prompt = self._render()
        return self._prompt, reward, terminated, False, info

    def render(self) -> str | None:
        """The current prompt (``render_mode="ansi"``)."""
        return self._prompt if self.render_mode == "ansi" else None

    def save_state(self) -> dict[str, Any]:
        """Everything needed to continue this episode later (arrays, text, generator state)."""
        core = self._core
        return copy.deepcopy(
            {
                "arrays": {name: getattr(core, name) for name in STATE_ARRAYS},
                "history": self._history,
                "invalid_reply": self._invalid_reply,
                "prompt": self._prompt,
                "rng": self.np_random.bit_generator.state,
            }
        )

    def restore_state(self, state: dict[str, Any]) -> None:
        """Return to a state from :meth:`save_state` (the same env spec)."""
        for name in STATE_ARRAYS:
            getattr(self._core, name)[...] = state["arrays"][name]
        self._history = state["history"]
        self._invalid_reply = state["invalid_reply"]
        self._prompt = state["prompt"]
        self.np_random.bit_generator.state = copy.deepcopy(state["rng"])
        self._core.use_generator(self.np_random)

    def _render(self) -> str:
        core = self._core
        return self.writer.render(
            int(core.t[0]), self._history, core.counts[0], core.sums[0], self._invalid_reply
        )
