"""The functional batched env: ``reset(key)`` and ``step(state, action)``, pure and jit-able.

One step of one env runs the type's hooks around ``frame_skip`` calls of ``mjx.step``, in the
order of the CPU classes, then the task's reward and termination, the time limit, and the
same-step autoreset: envs whose episode ended take a freshly reset state (computed every step
from their own key, and selected with ``jnp.where``). The batch is a ``jax.vmap`` of that.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from mujoco import mjx

from entropy_gym.envs.control.mjx.state import MjxState
from entropy_gym.envs.control.mjx.tasks import TaskDynamics
from entropy_gym.envs.control.mjx.types import Plain


class MjxControlEnv:
    """``num_envs`` copies of one ``Control/`` id on MJX (float32).

    Build it with :func:`entropy_gym.envs.control.mjx.make_mjx_env`. ``reset`` and ``step``
    are pure functions of their arguments (wrap them in ``jax.jit`` or call them inside a
    jitted loop); the env object itself holds only constants.
    """

    def __init__(
        self,
        *,
        env_id: str,
        num_envs: int,
        model: mjx.Model,
        data: mjx.Data,
        task: TaskDynamics,
        stochasticity: Plain,
        max_episode_steps: int,
        action_low: np.ndarray,
        action_high: np.ndarray,
        task_info: dict[str, Any],
    ) -> None:
        self.env_id = env_id
        self.num_envs = int(num_envs)
        self.model = model
        self.task = task
        self.stochasticity = stochasticity
        self.max_episode_steps = int(max_episode_steps)
        self.obs_size = task.obs_size
        self.action_low = np.asarray(action_low, np.float32)
        self.action_high = np.asarray(action_high, np.float32)
        self.action_size = int(self.action_low.shape[0])
        self._data0 = data
        self._task_info = task_info

    def task_info(self) -> dict[str, Any]:
        """What the CPU env's ``task_info()`` says (task, type, parameters, velocity dims)."""
        return dict(self._task_info)

    # -- the batch ---------------------------------------------------------------------------
    def reset(self, key: jax.Array) -> MjxState:
        """Every env reset, each from its own key split off ``key``."""
        return self.reset_from_keys(jax.random.split(key, self.num_envs))

    def reset_from_keys(self, keys: jax.Array) -> MjxState:
        """Every env reset, env ``i`` from ``keys[i]`` (``reset(seed=[...])`` of the vector env)."""
        return jax.vmap(self._reset_one)(keys)

    def step(self, state: MjxState, action: jax.Array) -> MjxState:
        """One step of every env (``action``: ``(num_envs, action_size)``), with autoreset."""
        return jax.vmap(self._step_one)(state, jnp.asarray(action, jnp.float32))

    # -- one env -----------------------------------------------------------------------------
    def _reset_one(self, key: jax.Array) -> MjxState:
        task, kind = self.task, self.stochasticity
        k_state, k_obs, k_next = jax.random.split(key, 3)
        qpos, qvel = task.reset_state(k_state)
        data = self._data0.replace(qpos=qpos, qvel=qvel)
        if task.reads_body_positions:
            data = mjx.kinematics(self.model, data)
        obs, mask_info = kind.mask_obs(k_obs, task.observe(data))
        obs = obs.astype(jnp.float32)
        reset_info = {**task.reset_info(data), **kind.reset_info(), **mask_info}
        info = {**task.empty_info(), **kind.empty_info(), **mask_info}
        return MjxState(
            data=data,
            obs=obs,
            reward=jnp.zeros((), jnp.float32),
            terminated=jnp.asarray(False),
            truncated=jnp.asarray(False),
            final_obs=obs,
            t=jnp.zeros((), jnp.int32),
            key=k_next,
            info=info,
            reset_info=reset_info,
            extra=kind.extra_init(),
        )

    def _step_one(self, state: MjxState, action: jax.Array) -> MjxState:
        task, kind = self.task, self.stochasticity
        k_next, k_act, k_event, k_obs, k_reset = jax.random.split(state.key, 5)
        executed, act_info = kind.corrupt_action(k_act, action)
        model, model_info = kind.model_at(self.model, state.t)
        data, extra, event_info = kind.disturb(k_event, model, state.data, state.extra)
        before = task.position(data)
        data = data.replace(ctrl=executed)
        data = jax.lax.fori_loop(0, task.frame_skip, lambda _, d: mjx.step(model, d), data)
        if task.reads_contact_forces:
            data = mjx.rne_postconstraint(model, data)
        data, extra, settle_info = kind.settle(data, extra)
        reward, terminated, task_info = task.outcome(before, data, executed)
        obs, mask_info = kind.mask_obs(k_obs, task.observe(data))
        obs = obs.astype(jnp.float32)
        t = state.t + 1
        truncated = t >= self.max_episode_steps
        info = {**task_info, **act_info, **model_info, **event_info, **settle_info, **mask_info}

        fresh = self._reset_one(k_reset)
        done = terminated | truncated

        def pick(new: Any, old: Any) -> Any:
            return jax.tree_util.tree_map(lambda a, b: jnp.where(done, a, b), new, old)

        return MjxState(
            data=pick(fresh.data, data),
            obs=jnp.where(done, fresh.obs, obs),
            reward=reward,
            terminated=terminated,
            truncated=truncated,
            final_obs=obs,
            t=jnp.where(done, 0, t).astype(jnp.int32),
            key=k_next,
            info=info,
            reset_info=fresh.reset_info,
            extra=pick(fresh.extra, extra),
        )
