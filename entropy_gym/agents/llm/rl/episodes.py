"""Groups of episodes for one update, played with the sampler.

Every env of every group steps together: at each turn the prompts of all envs still playing
are sampled in one batch. A group is ``group_size`` envs reset with the same seed (the same
problem, the same bandit, the same tool task), so their returns differ only by the policy's
samples; that is what group-normalised advantages compare. With a ``branch_turn``, one trunk
episode plays the group's first turns, the env's state is saved there, and every member
restores it and plays on (the trunk's turns count in every member's sample).

A turn's prompt is the env's observation as the user message of the model's chat template
(text envs show their whole history in it), and the reply is the decoded generated text.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from entropy_gym.agents.llm.rl.answers import AnswerTracker
from entropy_gym.agents.llm.rl.batch import RolloutPlan, Trajectory, Turn
from entropy_gym.agents.llm.rl.sampling import LogitsHook, sample
from entropy_gym.core.errors import ConfigError

#: ``prompt_ids(observation) -> token ids`` of a turn's prompt.
PromptBuilder = Callable[[str], list[int]]


class EpisodeRunner:
    """Plays the episodes of a :class:`RolloutPlan` on envs built by ``make_env``."""

    def __init__(
        self,
        make_env: Callable[[int], Any],
        prompt_ids: PromptBuilder,
        decode: Callable[[Sequence[int]], str],
        *,
        stop_ids: Sequence[int],
        pad_id: int,
    ) -> None:
        self.make_env, self.prompt_ids, self.decode = make_env, prompt_ids, decode
        self.stop_ids, self.pad_id = list(stop_ids), int(pad_id)
        self._envs: list[Any] = []

    def envs(self, count: int) -> list[Any]:
        """``count`` envs, built once and reused across updates."""
        while len(self._envs) < count:
            self._envs.append(self.make_env(len(self._envs)))
        return self._envs[:count]

    def close(self) -> None:
        for env in self._envs:
            env.close()
        self._envs = []

    def play(
        self,
        model: Any,
        plan: RolloutPlan,
        seeds: Sequence[int],
        generator: torch.Generator,
        logits_hook: LogitsHook | None = None,
    ) -> list[Trajectory]:
        """One trajectory per (group, member), groups in order; group ``g`` resets with
        ``seeds[g]``."""
        if len(seeds) != plan.groups:
            raise ValueError(f"need {plan.groups} group seeds, got {len(seeds)}")
        n = plan.groups * plan.group_size
        envs = self.envs(n)
        trajectories = [Trajectory(group=i // plan.group_size) for i in range(n)]
        self._answers = [AnswerTracker() for _ in range(n)]
        obs: list[str | None] = [None] * n
        for i, env in enumerate(envs):
            obs[i], _ = env.reset(seed=int(seeds[i // plan.group_size]))
        if plan.branch_turn is not None:
            self._play_trunks(model, plan, envs, obs, trajectories, generator, logits_hook)
        self._play_turns(model, plan, envs, obs, trajectories, generator, logits_hook)
        return trajectories

    # -- internals ---------------------------------------------------------------------------
    def _play_turns(
        self,
        model: Any,
        plan: RolloutPlan,
        envs: list[Any],
        obs: list[str | None],
        trajectories: list[Trajectory],
        generator: torch.Generator,
        logits_hook: LogitsHook | None,
        only: Sequence[int] | None = None,
        turns: int | None = None,
    ) -> None:
        """Step the envs of ``only`` (default all) until their episodes end, or for ``turns``
        turns; ``obs[i]`` becomes ``None`` when env ``i``'s episode ends."""
        active = [i for i in (range(len(envs)) if only is None else only) if obs[i] is not None]
        played = 0
        while active and (turns is None or played < turns):
            prompts = [self.prompt_ids(str(obs[i])) for i in active]
            drawn = sample(
                model,
                prompts,
                max_new_tokens=plan.max_new_tokens,
                stop_ids=self.stop_ids,
                pad_id=self.pad_id,
                generator=generator,
                logits_hook=logits_hook,
            )
            still = []
            for k, i in enumerate(active):
                text = self.decode(drawn.tokens[k])
                trajectories[i].turns.append(
                    Turn(prompts[k], drawn.tokens[k], drawn.logprobs[k], drawn.entropies[k], text)
                )
                next_obs, reward, terminated, truncated, info = envs[i].step(text)
                trajectories[i].reward += float(reward)
                tracker = self._answers[i]
                tracker.step(text, info, bool(terminated or truncated), bool(terminated))
                trajectories[i].answer, trajectories[i].solved = tracker.result()
                if terminated or truncated:
                    obs[i] = None
                    trajectories[i].metrics = {
                        k2: float(v) for k2, v in (info.get("episode_metrics") or {}).items()
                    }
                else:
                    obs[i] = next_obs
                    still.append(i)
            active = still
            played += 1

    def _play_trunks(
        self,
        model: Any,
        plan: RolloutPlan,
        envs: list[Any],
        obs: list[str | None],
        trajectories: list[Trajectory],
        generator: torch.Generator,
        logits_hook: LogitsHook | None,
    ) -> None:
        """Play each group's first member for ``branch_turn`` turns, then copy its state,
        turns and return into the other members."""
        size = plan.group_size
        leaders = list(range(0, len(envs), size))
        for i in leaders:
            if not (
                hasattr(envs[i].unwrapped, "get_state") and hasattr(envs[i].unwrapped, "set_state")
            ):
                raise ConfigError(
                    f"rollout plan branch_turn needs envs that save their state (ToolTask/); "
                    f"{type(envs[i].unwrapped).__name__} cannot"
                )
        self._play_turns(
            model,
            plan,
            envs,
            obs,
            trajectories,
            generator,
            logits_hook,
            only=leaders,
            turns=plan.branch_turn,
        )
        for lead in leaders:
            state = envs[lead].unwrapped.get_state() if obs[lead] is not None else None
            for m in range(lead + 1, lead + size):
                trajectories[m].turns = list(trajectories[lead].turns)
                trajectories[m].reward = trajectories[lead].reward
                trajectories[m].metrics = dict(trajectories[lead].metrics)
                trajectories[m].answer = trajectories[lead].answer
                trajectories[m].solved = trajectories[lead].solved
                self._answers[m] = copy.deepcopy(self._answers[lead])
                if state is None:
                    obs[m] = None
                else:
                    envs[m].unwrapped.set_state(state)
                    obs[m] = obs[lead]


def group_seeds(seed: int, update: int, groups: int) -> list[int]:
    """Env seeds of an update's groups, from the agent seed and the update index."""
    state = np.random.SeedSequence([seed, 0x6E0B, update]).generate_state(groups, dtype=np.uint32)
    return [int(s) for s in state]


__all__ = ["EpisodeRunner", "PromptBuilder", "group_seeds"]
