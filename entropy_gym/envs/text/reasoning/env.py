"""``ReasoningEnv``: one verifiable-reward problem per episode, answered in one reply.

The observation is the question; the action is the reply text; the one step pays 1 when the
exact verifier (:mod:`~entropy_gym.envs.text.reasoning.verify`) accepts the reply and 0 otherwise,
and terminates. ``info`` holds the verdict: ``correct``, ``invalid_action`` (nothing in the
reply could be judged), ``judged`` (the text judged), ``reason``, and ``episode_metrics``
(``success``, ``invalid_rate``, ``reply_chars``).
"""

from __future__ import annotations

import difflib
import string
from typing import Any, ClassVar

import gymnasium as gym

from entropy_gym.envs.text.reasoning.problems import DIFFICULTIES, FRAMINGS, KINDS, Problem
from entropy_gym.envs.text.reasoning.verify import check_reply_action, reply_info

#: Replies up to this length are in the action space.
MAX_REPLY_CHARS = 4096
CHARSET = string.printable


class ReasoningEnv(gym.Env[str, str]):
    """A single-turn verifiable-reward task (``Reasoning/<Kind>-<difficulty>-v0``).

    ``framing="compact"`` asks the same problems in the fewest characters (``3 + 4 * 5 =``);
    the draws, the verifier and the rewards are those of the ``standard`` framing.

    >>> import gymnasium as gym
    >>> import entropy_gym  # noqa: F401  (registers the ids)
    >>> env = gym.make("Reasoning/Countdown-easy-v0")
    >>> question, info = env.reset(seed=0)
    >>> question[:46]
    'Using the numbers 7, 9, each exactly once, and'
    >>> question.splitlines()[0][-9:]
    'equals 2.'
    >>> _, reward, terminated, _, info = env.step("9 - 7 = 2")
    >>> reward, terminated, info["judged"]
    (1.0, True, '9 - 7')
    >>> env.reset(seed=0)[0] == question  # seeded: the same problem
    True
    """

    #: The names of ``info["episode_metrics"]`` (what a suite's ``metrics`` may list).
    EPISODE_METRICS: ClassVar[tuple[str, ...]] = ("success", "invalid_rate", "reply_chars")

    metadata = {"render_modes": ["ansi"]}

    #: Keyword arguments an id accepts (``kind`` and ``difficulty`` come from the id itself).
    KWARGS: ClassVar[tuple[str, ...]] = ("render_mode", "framing")

    def __init__(
        self,
        kind: str,
        difficulty: str,
        render_mode: str | None = None,
        framing: str = "standard",
        **unknown: Any,
    ) -> None:
        if unknown:
            name = sorted(unknown)[0]
            close = difflib.get_close_matches(name, [*self.KWARGS, "kind", "difficulty"], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(
                f"Reasoning env got an unexpected keyword argument {name!r}{hint}; it accepts: "
                f"{', '.join(self.KWARGS)} (kind and difficulty come from the id; gym.make also "
                "takes max_episode_steps)"
            )
        if kind not in KINDS:
            raise ValueError(f"reasoning kind {kind!r} is unknown; expected one of {tuple(KINDS)}")
        if difficulty not in DIFFICULTIES:
            raise ValueError(
                f"reasoning difficulty {difficulty!r} is unknown; expected one of {DIFFICULTIES}"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} is not supported; expected 'ansi'")
        if framing not in FRAMINGS:
            raise ValueError(
                f"reasoning framing {framing!r} is unknown; expected one of {FRAMINGS}"
            )
        self.kind, self.difficulty, self.render_mode = kind, difficulty, render_mode
        self.framing = framing
        self.generator = KINDS[kind](difficulty)
        self.observation_space = gym.spaces.Text(max_length=1024, min_length=1, charset=CHARSET)
        self.action_space = gym.spaces.Text(
            max_length=MAX_REPLY_CHARS, min_length=0, charset=CHARSET
        )
        self._problem: Problem | None = None
        self._done = True
        self._last = ""

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        self._problem = self.generator.generate(self.np_random, self.framing)
        self._done = False
        self._last = self._problem.question
        return self._problem.question, {"kind": self.kind, "difficulty": self.difficulty}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        check_reply_action(action, self._problem is not None, self._done)
        assert self._problem is not None
        verdict = self._problem.check(action)
        self._done = True
        self._last = f"{self._problem.question}\n\n{action}\n\n[{verdict.reason}]"
        reward = 1.0 if verdict.correct else 0.0
        info = reply_info(verdict, action)
        return self._problem.question, reward, True, False, info

    def render(self) -> str | None:
        """The question, the last reply and its verdict (``render_mode="ansi"``)."""
        return self._last if self.render_mode == "ansi" else None

    def solution(self) -> str:
        """A reply the verifier accepts for the current problem (the generator's own)."""
        if self._problem is None:
            raise RuntimeError("call reset() before solution()")
        return self._problem.solution

    def task_info(self) -> dict[str, Any]:
        """Facts about this configuration that agents may use (``TaskSpec.env_info``)."""
        level = self.generator.level
        return {
            "kind": self.kind,
            "difficulty": self.difficulty,
            "operands": level.operands,
            "range": [level.low, level.high],
            "operators": level.operators,
            "framing": self.framing,
            "single_turn": True,
        }
