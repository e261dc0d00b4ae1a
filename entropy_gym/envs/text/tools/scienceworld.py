"""ScienceWorld tasks as Gymnasium envs with the ``ToolTask/`` conventions (optional adapter).

`ScienceWorld <https://github.com/allenai/ScienceWorld>`_ (PyPI ``scienceworld``) simulates
elementary-science experiments in text; EPO and other multi-turn agent papers report on it.
It runs a bundled Scala simulator in a Java VM (one JVM per env, started on the first
``reset``), so it needs a Java runtime (``java`` on ``PATH``, 1.8 or newer) and
``pip install 'entropy-gym[scienceworld]'``. The ``ScienceWorld/<task>-v0`` ids are registered
only where both are present.

Conventions shared with ``ToolTask/`` (:mod:`~entropy_gym.envs.text.tools.transcript`):

- observation: the conversation (system prompt, task = ScienceWorld's task description and the
  first room, the calls valid now, then ``[call N]``/``[result N]`` turns), a bounded ``Text``;
- action: a ScienceWorld command as text (``"open door to kitchen"``), or an index into the
  admissible list; ``info["admissible_actions"]`` is ScienceWorld's valid action-object list;
- a command the simulator cannot parse ("No known action matches that input.") or an empty
  reply is a legal turn with ``info["invalid_action"] = True``;
- reward: ScienceWorld's score change divided by 100 (its reward is shaped by design; the
  score is 100 on success and negative after a fatal mistake); ``terminated`` when ScienceWorld
  completes the task (success or failure), ``truncated`` after ``max_turns`` calls;
- ``info["episode_metrics"]``: success (completed with score 100), turns, invalid-call rate,
  final score / 100;
- ``get_state()``/``set_state()``: ScienceWorld has no snapshot, so a state is the variation
  plus the commands so far, and restoring reloads the variation and replays them (cost: one
  simulator step per command). The replay is checked: every command must score and parse as it
  did, else ``set_state`` raises.

ScienceWorld is not bit-for-bit reproducible: between loads of the same variation it may list
a room's objects in another order and give look-alike objects (several paints) other names in
its valid-command list (Java hash order). The ids are therefore registered with
``nondeterministic=True``; scores and the world's state do reproduce, and after a restore the
admissible list comes from the live simulator, so its names are valid there.

``reset(seed=...)`` draws the variation from the chosen split (``train``, ``dev``, ``test``)
with the env's seeded generator; ``options={"variation": i}`` picks one explicitly.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from entropy_gym.envs.text.tools.transcript import (
    CHARSET,
    CUT_MARK,
    clip,
    guard_lines,
    header,
    one_line,
    turn,
    turn_overhead,
)

#: ScienceWorld 1.2's 30 task names (``ScienceWorldEnv.get_task_names()``), listed here so that
#: registration needs neither the package nor a JVM.
TASKS = (
    "boil",
    "change-the-state-of-matter-of",
    "chemistry-mix",
    "chemistry-mix-paint-secondary-color",
    "chemistry-mix-paint-tertiary-color",
    "find-animal",
    "find-living-thing",
    "find-non-living-thing",
    "find-plant",
    "freeze",
    "grow-fruit",
    "grow-plant",
    "identify-life-stages-1",
    "identify-life-stages-2",
    "inclined-plane-determine-angle",
    "inclined-plane-friction-named-surfaces",
    "inclined-plane-friction-unnamed-surfaces",
    "lifespan-longest-lived",
    "lifespan-longest-lived-then-shortest-lived",
    "lifespan-shortest-lived",
    "measure-melting-point-known-substance",
    "measure-melting-point-unknown-substance",
    "melt",
    "mendelian-genetics-known-plant",
    "mendelian-genetics-unknown-plant",
    "power-component",
    "power-component-renewable-vs-nonrenewable-energy",
    "test-conductivity",
    "test-conductivity-of-unknown-substances",
    "use-thermometer",
)
SPLITS = ("train", "dev", "test")
NO_MATCH = "No known action matches that input."
#: How ScienceWorld answers a command it cannot parse (a legal, invalid turn).
PARSE_FAILURES = (NO_MATCH, "Unknown action.")
MAX_CALL_CHARS = 300
MAX_TASK_CHARS = 2000

SYSTEM_PROMPT = """\
You are an agent in ScienceWorld, a text simulation of elementary science experiments.
Each turn, reply with one command, e.g. "open door to kitchen", "go to kitchen", "focus on ice".
The task lists the commands valid at the start; later ones follow from what you observe.
"focus on X" commits to an object: focusing on the wrong one ends the task with a failure.
You have {max_turns} turns."""


def missing_requirements() -> str | None:
    """Why ScienceWorld envs cannot run here (install hints), or None when they can."""
    problems = []
    if importlib.util.find_spec("scienceworld") is None:
        problems.append("the scienceworld package (pip install 'entropy-gym[scienceworld]')")
    if shutil.which("java") is None:
        problems.append("a Java runtime on PATH (e.g. apt-get install openjdk-17-jre-headless)")
    return " and ".join(problems) if problems else None


def env_id(task: str) -> str:
    return f"ScienceWorld/{task}-v0"


def register() -> None:
    """Register ``ScienceWorld/<task>-v0`` for the 30 tasks, where the adapter can run."""
    if missing_requirements() is not None:
        return
    from entropy_gym.registration import EnvCard, register_env

    for task in TASKS:
        register_env(
            EnvCard(
                id=env_id(task),
                family="tool-task",
                type="scienceworld",
                game=task,
                description=f"ScienceWorld task {task!r} (easy simplifications; needs Java)",
                entry_point="entropy_gym.envs.text.tools.scienceworld:ScienceWorldEnv",
                kwargs={"task": task},
                nondeterministic=True,
                reference_source="no reference score: ScienceWorld's gold paths are not "
                "optimal; success rates are raw",
            )
        )


@dataclass(frozen=True)
class ScienceWorldState:
    """A ScienceWorld episode as variation + commands (restored by replay)."""

    config: tuple[str, str, str]
    variation: int
    commands: tuple[str, ...]
    outcomes: tuple[tuple[int, bool], ...]  # (score, parsed) after each command
    observation: str
    turn: int
    invalid_calls: int
    score: int
    done: bool
    success: bool
    admissible: tuple[str, ...]
    rng_state: dict[str, Any]


class ScienceWorldEnv(gym.Env[str, str]):
    """One ScienceWorld task; see the module docstring.

    Args:
        task: one of :data:`TASKS`.
        split: which variations ``reset`` draws from: ``train``, ``dev`` or ``test``.
        simplifications: ScienceWorld's simplification string (``easy`` = teleport, open
            doors and containers, no electrical actions, self-watering pots; ``""`` = none).
        max_turns: turn limit (truncation).
        max_result_chars: longest observation text shown per turn; longer is cut with a mark.
        max_first_calls_chars: room for the opening list of valid commands; a longer list is
            cut (the full list is always in ``info["admissible_actions"]``).
        render_mode: None or ``ansi``.
    """

    #: The names of ``info["episode_metrics"]`` (what a suite's ``metrics`` may list).
    EPISODE_METRICS: ClassVar[tuple[str, ...]] = ("success", "turns", "invalid_rate", "score")

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        task: str = "find-living-thing",
        *,
        split: str = "train",
        simplifications: str = "easy",
        max_turns: int = 100,
        max_result_chars: int = 4000,
        max_first_calls_chars: int = 8000,
        render_mode: str | None = None,
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"ScienceWorld task {task!r} is unknown; expected one of {TASKS}")
        if split not in SPLITS:
            raise ValueError(f"split {split!r} is unknown; expected one of {SPLITS}")
        if not isinstance(max_turns, (int, np.integer)) or max_turns < 1:
            raise ValueError(f"max_turns must be a positive integer, got {max_turns!r}")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode {render_mode!r} is unknown; expected None or 'ansi'")
        missing = missing_requirements()
        if missing is not None:
            raise RuntimeError(f"ScienceWorld envs need {missing}")
        self.task, self.split, self.simplifications = task, split, simplifications
        self.max_turns = int(max_turns)
        self.max_result_chars = int(max_result_chars)
        self.max_first_calls_chars = int(max_first_calls_chars)
        self.render_mode = render_mode
        self.system_prompt = SYSTEM_PROMPT.format(max_turns=self.max_turns)
        header_max = len(header(self.system_prompt, "", [])) + MAX_TASK_CHARS + 1
        header_max += self.max_result_chars + self.max_first_calls_chars
        per_turn = turn_overhead(self.max_turns) + MAX_CALL_CHARS + self.max_result_chars
        self.observation_space = gym.spaces.Text(
            max_length=header_max + self.max_turns * per_turn, min_length=1, charset=CHARSET
        )
        self.action_space = gym.spaces.Text(max_length=4096, min_length=0, charset=CHARSET)
        self._sim: Any = None
        self._variations: list[int] | None = None
        self._variation = -1
        self._commands: list[str] = []
        self._outcomes: list[tuple[int, bool]] = []
        self._obs = ""
        self._turn = self._invalid = self._score = 0
        self._done, self._success = True, False
        self._admissible: list[str] = []

    # -- simulator ------------------------------------------------------------------------
    def _simulator(self) -> Any:
        if self._sim is None:
            from scienceworld import ScienceWorldEnv as Simulator

            self._sim = Simulator("", envStepLimit=self.max_turns + 10)
            variations = {
                "train": self._sim.get_variations_train,
                "dev": self._sim.get_variations_dev,
                "test": self._sim.get_variations_test,
            }
            self._sim.load(self.task, 0, self.simplifications)
            self._variations = list(variations[self.split]())
        return self._sim

    def _start(self, variation: int) -> tuple[str, dict[str, Any]]:
        # Always load: ScienceWorld's own reset() keeps counters that change the names in its
        # valid-command list, so only a fresh load makes an episode start exactly the same.
        sim = self._simulator()
        sim.load(self.task, variation, self.simplifications)
        return sim.reset()

    # -- Gymnasium API ---------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        self._simulator()
        assert self._variations is not None
        variation = (options or {}).get("variation")
        if variation is None:
            variation = self._variations[int(self.np_random.integers(len(self._variations)))]
        look, info = self._start(int(variation))
        self._variation = int(variation)
        self._commands, self._outcomes = [], []
        self._turn = self._invalid = 0
        self._score = int(info["score"])  # ScienceWorld may credit the opening room already
        self._done, self._success = False, False
        self._admissible = list(info["valid"])
        task = clip(guard_lines(info["taskDesc"]), MAX_TASK_CHARS)[0]
        room = clip(guard_lines(look), self.max_result_chars)[0]
        first = self._first_calls(self._admissible)
        self._obs = header(self.system_prompt, f"{task}\n{room}", first)
        return self._obs, {
            "turn": 0,
            "admissible_actions": list(self._admissible),
            "variation": self._variation,
        }

    def step(self, action: str | int) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._sim is None or self._variation < 0:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("the episode is over; call reset() before step()")
        return self._advance(action)

    def _advance(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        self._turn += 1
        command, error = self._command(action)
        reward, terminated, score = 0.0, False, self._score
        if error:
            result = f"Error: {error}"
        else:
            self._commands.append(command)
            text, _, completed, info = self._sim.step(command)
            score = int(info["score"])
            reward = (score - self._score) / 100.0
            terminated = bool(completed)
            self._admissible = list(info["valid"])
            if text.strip().startswith(PARSE_FAILURES):
                error = text.strip()
            self._outcomes.append((score, not error))
            result = text
        if error:
            self._invalid += 1
        self._score = score
        result, cut = clip(guard_lines(result), self.max_result_chars)
        self._obs += turn(
            self._turn, one_line(command or self._echo(action), MAX_CALL_CHARS), result
        )
        self._success = terminated and score >= 100
        truncated = not terminated and self._turn >= self.max_turns
        self._done = terminated or truncated
        if self._done:
            self._admissible = []
        info_out: dict[str, Any] = {
            "turn": self._turn,
            "invalid_action": bool(error),
            "error": error,
            "result_truncated": cut,
            "score": score,
            "admissible_actions": list(self._admissible),
        }
        if self._done:
            info_out["episode_metrics"] = self.episode_metrics()
        return self._obs, reward, terminated, truncated, info_out

    def render(self) -> str | None:
        return self._obs if self.render_mode == "ansi" else None

    def close(self) -> None:
        if self._sim is not None:
            self._sim.close()
            self._sim = None

    # -- extras ----------------------------------------------------------------------------
    def task_info(self) -> dict[str, Any]:
        return {
            "family": "ScienceWorld",
            "task": self.task,
            "split": self.split,
            "simplifications": self.simplifications,
            "max_turns": self.max_turns,
            "system_prompt": self.system_prompt,
            "tools": [],
            "optimal_calls": None,
        }

    def episode_metrics(self) -> dict[str, float]:
        turns = max(self._turn, 1)
        return {
            "success": float(self._success),
            "turns": float(self._turn),
            "invalid_rate": self._invalid / turns,
            "score": self._score / 100.0,
        }

    @property
    def admissible_actions(self) -> list[str]:
        return list(self._admissible)

    def get_state(self) -> ScienceWorldState:
        """The episode as variation + commands so far (restored by replaying them)."""
        if self._variation < 0:
            raise RuntimeError("call reset() before get_state()")
        return ScienceWorldState(
            config=(self.task, self.split, self.simplifications),
            variation=self._variation,
            commands=tuple(self._commands),
            outcomes=tuple(self._outcomes),
            observation=self._obs,
            turn=self._turn,
            invalid_calls=self._invalid,
            score=self._score,
            done=self._done,
            success=self._success,
            admissible=tuple(self._admissible),
            rng_state=self.np_random.bit_generator.state,
        )

    def set_state(self, state: ScienceWorldState) -> None:
        """Reload the variation and replay the saved commands, then restore the counters.

        Raises ``RuntimeError`` if a replayed command scores or parses differently than it did
        (possible when it named a look-alike object, whose name can change between loads).
        """
        if state.config != (self.task, self.split, self.simplifications):
            raise ValueError(
                f"state was saved by ScienceWorld {state.config}; this env is "
                f"{(self.task, self.split, self.simplifications)}"
            )
        _, info = self._start(state.variation)
        for k, (command, saved) in enumerate(zip(state.commands, state.outcomes)):
            text, _, _, info = self._sim.step(command)
            now = (int(info["score"]), not text.strip().startswith(PARSE_FAILURES))
            if now != saved:
                raise RuntimeError(
                    f"ScienceWorld replay diverged at command {k + 1} ({command!r}): "
                    f"(score, parsed) was {saved}, now {now}"
                )
        self._variation = state.variation
        self._commands, self._outcomes = list(state.commands), list(state.outcomes)
        self._obs = state.observation
        self._turn, self._invalid, self._score = state.turn, state.invalid_calls, state.score
        self._done, self._success = state.done, state.success
        self._admissible = [] if state.done else list(info["valid"])
        self.np_random.bit_generator.state = state.rng_state

    # -- helpers ---------------------------------------------------------------------------
    def _command(self, action: Any) -> tuple[str, str]:
        """(command, error): the reply as one command line, or why it cannot be sent."""
        if isinstance(action, (int, np.integer)) and not isinstance(action, bool):
            if 0 <= action < len(self._admissible):
                return self._admissible[int(action)], ""
            n = len(self._admissible)
            return "", f"action index {int(action)} is out of range: {n} admissible commands"
        if not isinstance(action, str):
            kind = type(action).__name__
            return "", f"a reply must be text (or an admissible-command index), got {kind}"
        command = one_line(action, MAX_CALL_CHARS).strip()
        if not command:
            return "", "empty command; reply with one command, e.g. 'look around'"
        return command, ""

    @staticmethod
    def _echo(action: Any) -> str:
        return action if isinstance(action, str) else repr(action)

    def _first_calls(self, calls: list[str]) -> list[str]:
        out, used = [], 0
        for c in calls:
            used += len(c) + 1
            if used > self.max_first_calls_chars - 80:
                out.append(CUT_MARK.format(len(calls) - len(out)))
                break
            out.append(c)
        return out
