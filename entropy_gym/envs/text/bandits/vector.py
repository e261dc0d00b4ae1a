"""Many text bandits stepped at once: the native ``gym.make_vec`` form of every TextBandit id.

The numbers (rewards, regret, metrics) come from one :class:`BanditBatch` in numpy, or in
torch on ``device`` when one is given; only the prompts are rendered per env. Randomness comes
from one generator for the whole batch, seeded by ``reset(seed=...)``: trajectories are
reproducible per seed but differ from those of ``SyncVectorEnv`` over single envs, which seeds
each env separately.

All envs share the horizon, so their episodes start and end together; the three Gymnasium
autoreset modes behave as in ``SyncVectorEnv`` (same info layout: ``final_obs`` and
``final_info`` in ``SAME_STEP`` mode).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from entropy_gym.envs.text.bandits.core import METRICS, BanditBatch
from entropy_gym.envs.text.bandits.env import read_action
from entropy_gym.envs.text.bandits.prompt import CHARSET, PromptWriter
from entropy_gym.envs.text.bandits.spec import BanditSpec


class TextBanditVectorEnv(VectorEnv):
    """``num_envs`` text bandits of one spec; ``device`` puts the numeric core on torch."""

    #: The names of ``info["episode_metrics"]`` (what a suite's ``metrics`` may list).
    EPISODE_METRICS: ClassVar[tuple[str, ...]] = METRICS

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        num_envs: int = 1,
        device: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.bandit = BanditSpec.from_kwargs(**kwargs)
        self.num_envs = int(num_envs)
        self.autoreset_mode = _autoreset_mode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.render_mode = render_mode
        self.writer = PromptWriter(self.bandit)
        self.single_observation_space = spaces.Text(
            max_length=self.writer.max_length, min_length=1, charset=CHARSET
        )
        self.single_action_space = spaces.Discrete(self.bandit.num_arms)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.core = BanditBatch(self.bandit, self.num_envs, device=device)
        self._history = [""] * self.num_envs
        self._invalid_reply: list[str | None] = [None] * self.num_envs
        self._obs: tuple[str, ...] = ()
        self._needs_reset = np.zeros(self.num_envs, dtype=bool)
        self._started = False

    def task_info(self) -> dict[str, Any]:
        """What every env of the batch tells agents (see ``TextBanditEnv.task_info``)."""
        return self.bandit.task_info()

    # -- lifecycle ---------------------------------------------------------------------------
    def reset(
        self,
        *,
        seed: int | list[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[tuple[str, ...], dict[str, Any]]:
        """Reset every env, or those in ``options["reset_mask"]`` (autoreset mode DISABLED)."""
        if seed is not None:
            self.core.seed(seed)
        elif not self._started:
            self.core.seed(None)
        self._started = True
        mask = None if options is None else options.get("reset_mask")
        if mask is not None and self.autoreset_mode != AutoresetMode.DISABLED:
            raise ValueError("options['reset_mask'] needs autoreset_mode=DISABLED")
        mask = np.ones(self.num_envs, dtype=bool) if mask is None else np.asarray(mask, bool)
        self._reset_rows(mask)
        self._obs = self._render_all()
        return self._obs, {}

    def _reset_rows(self, mask: np.ndarray) -> None:
        self.core.reset(mask)
        for i in np.flatnonzero(mask):
            self._history[i] = ""
            self._invalid_reply[i] = None
        self._needs_reset[mask] = False

    def step(
        self, actions: Any
    ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        n = self.num_envs
        if self.autoreset_mode == AutoresetMode.NEXT_STEP and self._needs_reset.any():
            # Every env shares the horizon, so the envs that ended are all of them.
            self._reset_rows(self._needs_reset.copy())
            self._obs = self._render_all()
            zeros = np.zeros(n, dtype=bool)
            return self._obs, np.zeros(n), zeros, zeros.copy(), {}
        if self._needs_reset.any():
            raise RuntimeError(
                "some envs ended their episode; reset them with options={'reset_mask': ...}"
            )
        arms, replies = self._read_actions(actions)
        out = self.core.step(arms)
        rewards = _to_numpy(out.rewards)
        done = _to_numpy(out.done).astype(bool)
        t = int(_to_numpy(self.core.t)[0]) if n else 0
        for i in range(n):
            arm = int(arms[i])
            self._history[i] += self.writer.history_line(
                t, None if arm < 0 else arm, float(rewards[i]), replies[i]
            )
            self._invalid_reply[i] = replies[i] if arm < 0 else None
        ones = np.ones(n, dtype=bool)
        info: dict[str, Any] = {
            "arm": arms.copy(),
            "_arm": ones,
            "optimal_arm": _to_numpy(out.optimal_arm).astype(np.int64),
            "_optimal_arm": ones.copy(),
            "regret": _to_numpy(out.regret),
            "_regret": ones.copy(),
            "reward": rewards.copy(),
            "_reward": ones.copy(),
            "invalid_action": arms < 0,
            "_invalid_action": ones.copy(),
            "step": np.full(n, t, dtype=np.int64),
            "_step": ones.copy(),
        }
        if done.any():
            metrics = {
                k: _to_numpy(v).astype(np.float64) for k, v in self.core.episode_metrics().items()
            }
            info["episode_metrics"] = _masked(metrics, done)
            info["_episode_metrics"] = done.copy()
        obs = self._render_all()
        if self.autoreset_mode == AutoresetMode.SAME_STEP and done.any():
            final_obs = np.full(n, None, dtype=object)
            final_obs[done] = [obs[i] for i in np.flatnonzero(done)]
            final_info = _restrict(info, done)
            self._reset_rows(done)
            obs = self._render_all()
            # As in SyncVectorEnv, an env that reset reports its (empty) reset info.
            info = _restrict(info, ~done)
            info.update(
                final_obs=final_obs,
                _final_obs=done.copy(),
                final_info=final_info,
                _final_info=done.copy(),
            )
        else:
            self._needs_reset = done.copy()
        self._obs = obs
        return obs, rewards, done, np.zeros(n, dtype=bool), info

    def render(self) -> tuple[str, ...] | None:
        """The current prompts (``render_mode="ansi"``)."""
        return self._obs if self.render_mode == "ansi" else None

    # -- helpers -----------------------------------------------------------------------------
    def _read_actions(self, actions: Any) -> tuple[np.ndarray, list[str]]:
        n = self.num_envs
        if isinstance(actions, np.ndarray) and actions.dtype.kind in "iu":
            arms = actions.astype(np.int64).reshape(n)
            bad = (arms < 0) | (arms >= self.bandit.num_arms)
            if bad.any():
                read_action(int(arms[np.flatnonzero(bad)[0]]), self.bandit.labels)
            return arms, [""] * n
        if len(actions) != n:
            raise ValueError(f"expected {n} actions, got {len(actions)}")
        arms = np.empty(n, dtype=np.int64)
        replies = []
        for i, action in enumerate(actions):
            arm, reply = read_action(action, self.bandit.labels)
            arms[i] = -1 if arm is None else arm
            replies.append(reply)
        return arms, replies

    def _render_all(self) -> tuple[str, ...]:
        core = self.core
        t = _to_numpy(core.t).tolist()
        counts = _to_numpy(core.counts).tolist() if self.bandit.history == "summary" else None
        sums = _to_numpy(core.sums).tolist() if self.bandit.history == "summary" else None
        return tuple(
            self.writer.render(
                t[i],
                self._history[i],
                counts[i] if counts else (),
                sums[i] if sums else (),
                self._invalid_reply[i],
            )
            for i in range(self.num_envs)
        )


def _autoreset_mode(value: AutoresetMode | str) -> AutoresetMode:
    """An ``AutoresetMode`` from itself, its value (``"SameStep"``) or name (``"same_step"``)."""
    if isinstance(value, AutoresetMode):
        return value
    key = str(value).replace("_", "").lower()
    for mode in AutoresetMode:
        if key in (mode.value.lower(), mode.name.replace("_", "").lower()):
            return mode
    raise ValueError(
        f"autoreset_mode {value!r} is unknown; expected one of {[m.value for m in AutoresetMode]}"
    )


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    return value.detach().cpu().numpy()


def _masked(values: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    """A vector-info block: each key with its ``_key`` mask, zeros where masked out."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        out[key] = np.where(mask, value, np.zeros_like(value))
        out[f"_{key}"] = mask.copy()
    return out


def _restrict(info: dict[str, Any], mask: np.ndarray) -> dict[str, Any]:
    """``info`` with every ``_key`` mask and-ed with ``mask`` (recursing into nested blocks);
    keys that no env keeps are dropped, as ``SyncVectorEnv`` would never have added them."""
    out: dict[str, Any] = {}
    for key, value in info.items():
        if key.startswith("_"):
            continue
        keep = info[f"_{key}"] & mask
        if not keep.any():
            continue
        out[key] = _restrict(value, mask) if isinstance(value, dict) else value
        out[f"_{key}"] = keep
    return out
