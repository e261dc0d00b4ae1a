"""The random agent of text tool tasks: a uniform choice among the admissible calls."""

from __future__ import annotations

from typing import Any, ClassVar

from entropy_gym.agents.base import BaseAgent, Decision, StepBatch, TaskSpec
from entropy_gym.agents.tools.admissible import (
    AdmissibleActions,
    require_admissible_env,
    uniform_entropy,
)


class RandomAdmissibleAgent(BaseAgent):
    """Picks each env's call uniformly from its ``info["admissible_actions"]``.

    Its entropy at a turn with ``n`` admissible calls is ``log n``. It sends the call's text
    (always inside the ``Text`` action space), and works on any env that publishes admissible
    actions and opens its conversation with them (``ToolTask/``, ``ScienceWorld/``). Its success
    rate is the ``random_score`` of those ids.
    """

    name: ClassVar[str] = "random_admissible"
    hooks: ClassVar[frozenset[str]] = frozenset()
    description: ClassVar[str] = "uniform over info['admissible_actions'] (text tool tasks)"

    def __init__(self) -> None:
        super().__init__()

    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        require_admissible_env(self.name, task)
        self._admissible = AdmissibleActions(task.num_envs)

    def act(self, obs_batch: Any) -> Decision:
        lists = self._admissible.batch(obs_batch)
        if any(not calls for calls in lists):
            raise RuntimeError("an env lists no admissible calls; is its episode over?")
        picks = [calls[int(self.rng.integers(len(calls)))] for calls in lists]
        return Decision(actions=picks, entropy=uniform_entropy([len(c) for c in lists]))

    def observe(self, step: StepBatch) -> None:
        self._admissible.update(step)
