"""``ToolTaskEnv``: a multi-turn, sparse-reward task solved by calling tools, as a Gymnasium env.

One env serves every family (:mod:`~entropy_gym.envs.text.tools.catalog` names them). Each step
takes one reply, parses it as a call (:mod:`~entropy_gym.envs.text.tools.calls`), runs it in the
episode's world, and appends the call and its result to the conversation, which is the
observation (:mod:`~entropy_gym.envs.text.tools.transcript`). A reply that is not a valid call
is a legal turn: its result is ``Error: ...`` and ``info["invalid_action"]`` is True.

Rewards: ``reward_mode="sparse"`` (default) pays 1 for a correct final call and 0 otherwise.
``reward_mode="shaped"`` adds ``progress_bonus / M`` the first time each of the task's ``M``
milestones (the steps of the solution that reveal what the next step needs) is reached, so an
episode pays at most ``1 + progress_bonus``. The episode ends on the final call
(``terminated``) or after ``max_turns`` calls (``truncated``).

``framing="compact"`` tells the same episode tersely for character-level micro models (no
system prompt, the task shortened by its family, calls echoed as ``> cd alpha``, and replies
read in that syntax as well as in JSON; :mod:`~entropy_gym.envs.text.tools.transcript`): the
world, the tools, the rewards and the checks are those of the ``standard`` framing.

The observation is bounded: the header is at most ``len(system prompt) + max_task_chars``; each
turn echoes at most ``MAX_CALL_CHARS`` of the call and ``max_result_chars`` of the result (a
longer result is cut with a visible ``...[truncated N chars]`` mark); so the ``Text`` space's
``max_length`` is exact arithmetic, never a guess.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from entropy_gym.envs.text.tools.calls import (
    CallError,
    call_text,
    compact_call_text,
    parse_call,
    parse_compact_call,
)
from entropy_gym.envs.text.tools.catalog import FAMILIES
from entropy_gym.envs.text.tools.family import Episode, Family, ToolError
from entropy_gym.envs.text.tools.transcript import (
    CHARSET,
    COMPACT_MARKS,
    clip,
    compact_header,
    compact_turn,
    guard_lines,
    header,
    one_line,
    turn,
    turn_overhead,
)

#: Longest echo of a call in the conversation (longer replies are cut on their ``[call N]`` line).
MAX_CALL_CHARS = 300
#: ``max_length`` of the action space: replies up to this length are in the space.
MAX_REPLY_CHARS = 4096
REWARD_MODES = ("sparse", "shaped")
FRAMINGS = ("standard", "compact")

SYSTEM_TEMPLATE = """\
You solve a task by calling tools, one call per turn. {world}
Reply with one JSON object: {{"tool": "<name>", "args": {{"<parameter>": "<value>"}}}}.
Text around the object is ignored. A call that cannot run returns "Error: ..." and still uses a turn.
You have {max_turns} turns. Finish with {final}; the task ends there.
Tools:
{tools}"""


def make_family(name: str, difficulty: str, **params: int) -> Family:
    """The family ``name`` configured at ``difficulty`` with parameter overrides."""
    if name not in FAMILIES:
        raise ValueError(f"tool-task family {name!r} is unknown; expected one of {tuple(FAMILIES)}")
    module, cls = FAMILIES[name].split(":")
    return getattr(importlib.import_module(module), cls)(difficulty, **params)


@dataclass(frozen=True)
class ToolTaskState:
    """Everything a :class:`ToolTaskEnv` needs to continue an episode (see ``get_state``)."""

    config: tuple[str, str, tuple[tuple[str, int], ...]]
    episode: Episode
    observation: str
    turn: int
    invalid_calls: int
    milestones: frozenset[int]
    done: bool
    success: bool
    admissible: tuple[str, ...]
    rng_state: dict[str, Any]
    framing: str = "standard"


class ToolTaskEnv(gym.Env[str, str]):
    """A generated tool-use task. See the module docstring and ``docs/tool-tasks.md``.

    Args:
        family: ``KnowledgeBase``, ``FileTree`` or ``Household`` (``catalog.FAMILIES``).
        difficulty: ``easy``, ``medium`` or ``hard``: sets the family's parameters.
        max_turns: turn limit; default ``2 * optimal_calls + 8``.
        reward_mode: ``sparse`` or ``shaped``.
        progress_bonus: total milestone bonus of the shaped reward.
        max_result_chars: longest tool result shown; longer ones are cut with a mark.
        framing: ``standard`` or ``compact`` (the same task told tersely, see the module).
        render_mode: None or ``ansi`` (``render()`` returns the conversation).
        **family_params: overrides of the difficulty's parameters (e.g. ``hops=5``).

    >>> import gymnasium as gym
    >>> env = gym.make("ToolTask/FileTree-easy-v0")
    >>> conversation, info = env.reset(seed=0)
    >>> info["admissible_actions"][0]
    '{"tool": "ls", "args": {}}'
    >>> conversation, reward, terminated, truncated, info = env.step(info["admissible_actions"][0])
    >>> reward, terminated, info["invalid_action"]
    (0.0, False, False)
    """

    #: The names of ``info["episode_metrics"]`` (what a suite's ``metrics`` may list).
    EPISODE_METRICS: ClassVar[tuple[str, ...]] = (
        "success",
        "turns",
        "invalid_rate",
        "progress",
        "optimal_calls",
        "efficiency",
    )

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        family: str = "KnowledgeBase",
        difficulty: str = "medium",
        *,
        max_turns: int | None = None,
        reward_mode: str = "sparse",
        progress_bonus: float = 0.5,
        max_result_chars: int = 1000,
        framing: str = "standard",
        render_mode: str | None = None,
        **family_params: int,
    ) -> None:
        self.family = make_family(family, difficulty, **family_params)
        optimal = self.family.optimal_calls()
        if max_turns is None:
            max_turns = 2 * optimal + 8
        if (
            isinstance(max_turns, bool)
            or not isinstance(max_turns, (int, np.integer))
            or max_turns < 1
        ):
            raise ValueError(f"max_turns must be a positive integer, got {max_turns!r}")
        if reward_mode not in REWARD_MODES:
            raise ValueError(
                f"reward_mode {reward_mode!r} is unknown; expected one of {REWARD_MODES}"
            )
        if not 0 <= progress_bonus <= 1:
            raise ValueError(f"progress_bonus must be in [0, 1], got {progress_bonus!r}")
        if not isinstance(max_result_chars, (int, np.integer)) or max_result_chars < 100:
            raise ValueError(
                f"max_result_chars must be an integer >= 100, got {max_result_chars!r}"
            )
        if framing not in FRAMINGS:
            raise ValueError(
                f"tool-task framing {framing!r} is unknown; expected one of {FRAMINGS}"
            )
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode {render_mode!r} is unknown; expected None or 'ansi'")
        self.max_turns = int(max_turns)
        self.reward_mode = reward_mode
        self.progress_bonus = float(progress_bonus)
        self.max_result_chars = int(max_result_chars)
        self.render_mode = render_mode
        self.framing = framing
        self._marks = COMPACT_MARKS if framing == "compact" else "["
        self._config = (family, difficulty, tuple(sorted(self.family.params.items())))

        tools = "\n".join(f"- {t.signature}: {t.description}" for t in self.family.tools)
        self.system_prompt = SYSTEM_TEMPLATE.format(
            world=self.family.description,
            max_turns=self.max_turns,
            final=self.family.final_tool,
            tools=tools,
        )
        self._header_max = len(header(self.system_prompt, "", [])) + self.family.max_task_chars
        per_turn = turn_overhead(self.max_turns) + MAX_CALL_CHARS + self.max_result_chars
        self.observation_space = gym.spaces.Text(
            max_length=self._header_max + self.max_turns * per_turn, min_length=1, charset=CHARSET
        )
        self.action_space = gym.spaces.Text(
            max_length=MAX_REPLY_CHARS, min_length=0, charset=CHARSET
        )
        self._episode: Episode | None = None
        self._obs = ""
        self._turn = 0
        self._invalid = 0
        self._milestones: set[int] = set()
        self._done = True
        self._success = False
        self._admissible: list[str] = []

    # -- Gymnasium API ---------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        episode = self.family.generate(self.np_random)
        self._episode = episode
        self._turn = 0
        self._invalid = 0
        self._milestones = set()
        self._done = False
        self._success = False
        self._admissible = episode.admissible()
        if self.framing == "compact":
            task = guard_lines(self.family.compact_task(episode.task), self._marks)
            self._obs = compact_header(task, [self._compact(c) for c in self._admissible])
        else:
            self._obs = header(self.system_prompt, guard_lines(episode.task), self._admissible)
        if len(self._obs) > self._header_max:  # pragma: no cover - the tests generate many seeds
            raise RuntimeError(
                f"{self.family.name} generated a task longer than max_task_chars "
                f"({self.family.max_task_chars}); this is a bug in the generator"
            )
        info = {
            "turn": 0,
            "admissible_actions": list(self._admissible),
            "optimal_calls": self.family.optimal_calls(),
        }
        return self._obs, info

    def step(self, action: str | int) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._episode is None:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("the episode is over; call reset() before step()")
        self._turn += 1
        outcome = None
        tool_name = ""
        error = ""
        echo = ""
        try:
            reply = self._reply_text(action)
            if self.framing == "compact":
                tool, values = parse_compact_call(reply, self.family.tool_map)
                echo = compact_call_text(tool, *values)
            else:
                tool, values = parse_call(reply, self.family.tool_map)
                echo = call_text(tool, *values)
            tool_name = tool.name
            outcome = self._episode.call(tool, values)
            result = outcome.result
        except (CallError, ToolError) as err:
            error = str(err)
            result = f"Error: {error}"
            self._invalid += 1
            if not echo:  # not even parsed: echo the raw reply, made safe for its line
                echo = one_line(action if isinstance(action, str) else repr(action), MAX_CALL_CHARS)
        result, cut = clip(guard_lines(result, self._marks), self.max_result_chars)
        if self.framing == "compact":
            self._obs += compact_turn(echo, result)
        else:
            self._obs += turn(self._turn, echo, result)

        reward = 0.0
        if (
            outcome is not None
            and outcome.milestone is not None
            and outcome.milestone not in self._milestones
        ):
            self._milestones.add(outcome.milestone)
            if self.reward_mode == "shaped":
                reward += self.progress_bonus / self.family.milestones()
        terminated = outcome is not None and outcome.final
        if terminated and outcome.success:
            self._success = True
            reward += 1.0
        truncated = not terminated and self._turn >= self.max_turns
        self._done = terminated or truncated
        self._admissible = [] if self._done else self._episode.admissible()

        info: dict[str, Any] = {
            "turn": self._turn,
            "tool": tool_name,
            "invalid_action": bool(error),
            "error": error,
            "result_truncated": cut,
            "admissible_actions": list(self._admissible),
        }
        if self._done:
            info["episode_metrics"] = self.episode_metrics()
        return self._obs, reward, terminated, truncated, info

    def render(self) -> str | None:
        """The conversation so far (``render_mode="ansi"``)."""
        return self._obs if self.render_mode == "ansi" else None

    # -- extras for agents and the runner --------------------------------------------------
    def task_info(self) -> dict[str, Any]:
        """Facts about this configuration that agents may use (``TaskSpec.env_info``)."""
        return {
            **self.family.info(),
            "tools": [t.schema() for t in self.family.tools],
            "final_tool": self.family.final_tool,
            "optimal_calls": self.family.optimal_calls(),
            "milestones": self.family.milestones(),
            "max_turns": self.max_turns,
            "system_prompt": self.system_prompt,
            "reward_mode": self.reward_mode,
            "progress_bonus": self.progress_bonus,
            "max_result_chars": self.max_result_chars,
            "framing": self.framing,
        }

    def episode_metrics(self) -> dict[str, float]:
        """Success, turns used, invalid-call rate, milestone progress and efficiency so far."""
        turns = max(self._turn, 1)
        optimal = self.family.optimal_calls()
        return {
            "success": float(self._success),
            "turns": float(self._turn),
            "invalid_rate": self._invalid / turns,
            "progress": len(self._milestones) / self.family.milestones(),
            "optimal_calls": float(optimal),
            "efficiency": optimal / turns if self._success else 0.0,
        }

    @property
    def admissible_actions(self) -> list[str]:
        """The valid calls at this turn (also ``info["admissible_actions"]``)."""
        return list(self._admissible)

    def get_state(self) -> ToolTaskState:
        """A snapshot of the episode (world, conversation, counters, generator) to branch from.

        Restoring it with :meth:`set_state`, on this env or another one made with the same
        configuration, and stepping the same calls gives the same observations, rewards and
        infos. The snapshot is independent: later steps do not change it.
        """
        if self._episode is None:
            raise RuntimeError("call reset() before get_state()")
        return ToolTaskState(
            config=self._config,
            episode=self._episode.fork(),
            observation=self._obs,
            turn=self._turn,
            invalid_calls=self._invalid,
            milestones=frozenset(self._milestones),
            done=self._done,
            success=self._success,
            admissible=tuple(self._admissible),
            rng_state=self.np_random.bit_generator.state,
            framing=self.framing,
        )

    def set_state(self, state: ToolTaskState) -> None:
        """Continue from a snapshot taken by :meth:`get_state` (the snapshot stays reusable)."""
        if not isinstance(state, ToolTaskState):
            raise TypeError(f"set_state expects a ToolTaskState, got {type(state).__name__}")
        if state.config != self._config:
            raise ValueError(
                f"state was saved by a {state.config[0]}-{state.config[1]} env with parameters "
                f"{dict(state.config[2])}; this env is {self._config[0]}-{self._config[1]} "
                f"with {dict(self._config[2])}"
            )
        if state.framing != self.framing:
            raise ValueError(
                f"state was saved by an env of the {state.framing} framing; this env's is "
                f"{self.framing}"
            )
        self._episode = state.episode.fork()
        self._obs = state.observation
        self._turn = state.turn
        self._invalid = state.invalid_calls
        self._milestones = set(state.milestones)
        self._done = state.done
        self._success = state.success
        self._admissible = list(state.admissible)
        self.np_random.bit_generator.state = state.rng_state

    # -- helpers ---------------------------------------------------------------------------
    def _compact(self, call: str) -> str:
        """A canonical (JSON) call in the compact syntax."""
        tool, values = parse_call(call, self.family.tool_map)
        return compact_call_text(tool, *values)

    def _reply_text(self, action: Any) -> str:
        """The reply as text: a string as is; an integer picks from the admissible calls."""
        if isinstance(action, str):
            return action
        if isinstance(action, (int, np.integer)) and not isinstance(action, bool):
            n = len(self._admissible)
            if 0 <= action < n:
                return self._admissible[int(action)]
            raise CallError(f"action index {int(action)} is out of range: {n} admissible calls")
        raise CallError(
            f"a reply must be text (or an admissible-call index), got {type(action).__name__}"
        )
