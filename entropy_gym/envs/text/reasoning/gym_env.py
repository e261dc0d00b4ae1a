"""``ReasoningGymEnv``: one reasoning-gym problem per episode, judged by reasoning-gym's verifier.

The same contract as :class:`~entropy_gym.envs.text.reasoning.env.ReasoningEnv`: the
observation is the question (reasoning-gym's, plus the line that asks for ``Answer: ...``),
the action is the reply text, the one step pays 1 when the verifier accepts the reply and 0
otherwise, and terminates. ``reset(seed=...)`` draws the problem's index from the env's seeded
generator; reasoning-gym builds item ``i`` from ``Random(dataset_seed + i)``, so the seed fixes
the problem.

What is judged: the text after the last ``Answer:`` (its first line), else the reply's last
non-empty line, goes to the dataset's ``score_answer``. reasoning-gym gives partial credit to
near misses (a wrong integer can score 0.5-0.9 by its digits); the reward here is 1 only for
a full score of 1.0, and ``info["score"]`` keeps the library's value. An empty reply is
*invalid* (nothing to judge); a ``score_answer`` that raises on a malformed answer counts as
incorrect.
"""

from __future__ import annotations

import re
import string
from typing import Any, ClassVar

import gymnasium as gym

from entropy_gym.envs.text.reasoning.gym_tasks import DIFFICULTIES, INSTALL_HINT, TASKS
from entropy_gym.envs.text.reasoning.verify import Verdict, check_reply_action, reply_info

MAX_REPLY_CHARS = 4096
CHARSET = string.printable
#: Problems are items ``0 .. INDICES - 1`` of a dataset built with seed 0.
INDICES = 2**31
_ANSWER = re.compile(r"answer\s*[:=]", re.IGNORECASE)


def judged_answer(reply: str) -> str | None:
    """The part of ``reply`` that is scored (module docstring), or ``None`` if it is empty."""
    marks = list(_ANSWER.finditer(reply))
    if marks:
        rest = reply[marks[-1].end() :].strip()
        text = rest.splitlines()[0].strip() if rest else ""
    else:
        lines = [line.strip() for line in reply.splitlines() if line.strip()]
        text = lines[-1] if lines else ""
    return text or None


class ReasoningGymEnv(gym.Env[str, str]):
    """A reasoning-gym task at one difficulty (``Reasoning/<Kind>-<difficulty>-v0``), e.g.
    ``gym.make("Reasoning/GCD-easy-v0")``; ``solution()`` is a reply the verifier accepts."""

    EPISODE_METRICS: ClassVar[tuple[str, ...]] = ("success", "invalid_rate", "reply_chars")
    metadata = {"render_modes": ["ansi"]}

    def __init__(self, kind: str, difficulty: str, render_mode: str | None = None) -> None:
        if kind not in TASKS:
            raise ValueError(
                f"reasoning-gym kind {kind!r} is unknown; expected one of {tuple(TASKS)}"
            )
        if difficulty not in DIFFICULTIES:
            raise ValueError(
                f"reasoning difficulty {difficulty!r} is unknown; expected one of {DIFFICULTIES}"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} is not supported; expected 'ansi'")
        try:
            import reasoning_gym
        except ImportError:
            raise ImportError(f"Reasoning/{kind} needs reasoning-gym: {INSTALL_HINT}") from None
        self.kind, self.difficulty, self.render_mode = kind, difficulty, render_mode
        self.task = TASKS[kind]
        self.level = dict(self.task.levels[difficulty])
        self.dataset = reasoning_gym.create_dataset(self.task.dataset, seed=0, size=1, **self.level)
        self.observation_space = gym.spaces.Text(max_length=2048, min_length=1, charset=CHARSET)
        self.action_space = gym.spaces.Text(
            max_length=MAX_REPLY_CHARS, min_length=0, charset=CHARSET
        )
        self._entry: dict[str, Any] | None = None
        self._question = ""
        self._done = True
        self._last = ""

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        index = int(self.np_random.integers(0, INDICES))
        self._entry = self.dataset[index]
        self._question = (
            f"{self._entry['question'].strip()}\n"
            f"Give the final answer ({self.task.answer}) on the last line as: Answer: <answer>"
        )
        self._done = False
        self._last = self._question
        return self._question, {"kind": self.kind, "difficulty": self.difficulty, "index": index}

    def judge(self, reply: str) -> tuple[Verdict, float]:
        """The verdict on ``reply`` for the current problem and reasoning-gym's score."""
        assert self._entry is not None
        answer = judged_answer(reply)
        if answer is None:
            return Verdict(None, False, "nothing to judge in the reply"), 0.0
        try:
            score = float(self.dataset.score_answer(answer, self._entry))
        except Exception as err:  # the library's own parsers raise on malformed answers
            return Verdict(answer, False, f"not scored: {type(err).__name__}"), 0.0
        if score >= 1.0:
            return Verdict(answer, True, "correct"), score
        return Verdict(answer, False, f"{answer!r} scores {score:.3g}, not 1"), score

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        check_reply_action(action, self._entry is not None, self._done)
        verdict, score = self.judge(action)
        self._done = True
        self._last = f"{self._question}\n\n{action}\n\n[{verdict.reason}]"
        reward = 1.0 if verdict.correct else 0.0
        info = reply_info(verdict, action, score=score)
        return self._question, reward, True, False, info

    def render(self) -> str | None:
        """The question, the last reply and its verdict (``render_mode="ansi"``)."""
        return self._last if self.render_mode == "ansi" else None

    def solution(self) -> str:
        """A reply the verifier accepts for the current problem (the generator's answer)."""
        if self._entry is None:
            raise RuntimeError("call reset() before solution()")
        return f"Answer: {self._entry['answer']}"

    def task_info(self) -> dict[str, Any]:
        """Facts about this configuration that agents may use (``TaskSpec.env_info``)."""
        return {
            "kind": self.kind,
            "difficulty": self.difficulty,
            "dataset": self.task.dataset,
            "config": {k: list(v) if isinstance(v, tuple) else v for k, v in self.level.items()},
            "single_turn": True,
        }
