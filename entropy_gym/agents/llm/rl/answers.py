"""An episode's final answer and whether it solved its problem, read from the env's infos.

The answer is what answer-level entropy counts (:func:`~.metrics.answer_entropy`) and success is
what pass@k counts (:func:`~.metrics.pass_at_k`). Per family:

* ``Reasoning/``: the text the verifier judged (``info["judged"]``; ``<invalid>`` when nothing
  could be judged); solved when the verifier accepted it.
* ``ToolTask/``: the final call as the agent wrote it (stripped, first line), ``<unfinished>``
  when the turn limit came first; solved when the env reports success.
* ``TextBandit/``: the arm the episode committed to, the one it pulled most (lowest index on
  ties; ``<none>`` when no reply named an arm); solved when that arm is a best arm at the end
  (the bandits have no success of their own: this is "found the best arm").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

INVALID, UNFINISHED, NO_ARM = "<invalid>", "<unfinished>", "<none>"


class AnswerTracker:
    """Fed every step of one episode (its reply and ``info``); :meth:`result` at the end."""

    def __init__(self) -> None:
        self.answer: str | None = None
        self.solved: bool | None = None
        self._arms: Counter[int] = Counter()
        self._best: int | None = None

    def step(self, reply: str, info: Mapping[str, Any], done: bool, terminated: bool) -> None:
        if "judged" in info:  # Reasoning/
            judged = info.get("judged")
            self.answer = INVALID if judged is None else str(judged)
            self.solved = bool(info.get("correct"))
        elif "arm" in info:  # TextBandit/
            arm = int(info["arm"])
            if arm >= 0:
                self._arms[arm] += 1
            self._best = int(info.get("optimal_arm", -1))
            if done:
                committed = (
                    min(self._arms, key=lambda a: (-self._arms[a], a)) if self._arms else None
                )
                self.answer = NO_ARM if committed is None else str(committed)
                self.solved = committed is not None and committed == self._best
        elif "tool" in info and done:  # ToolTask/
            self.answer = reply.strip().split("\n", 1)[0] if terminated else UNFINISHED
            metrics = info.get("episode_metrics") or {}
            self.solved = bool(metrics.get("success", 0.0))

    def result(self) -> tuple[str | None, bool | None]:
        """``(answer, solved)``; ``None`` where the env told nothing of the kind."""
        return self.answer, self.solved


__all__ = ["INVALID", "NO_ARM", "UNFINISHED", "AnswerTracker"]
