"""``jax_ppo`` and ``jax_sac``: the device programs behind the agent interface, and exactly
where each hook runs.

``on_sb3_kwargs(kwargs) -> kwargs`` (counts towards ``ent_coef`` and ``schedule``)
    Once in ``setup``, on the host, with the agent's options as a dict (a copy); the options
    it returns are checked again. ``ent_coef`` there is PPO's coefficient or SAC's alpha
    (a number: fixed; ``"auto"`` / ``"auto_<x>"``: learned), ``target_entropy`` SAC's target
    in [-1, 1] action units, as for the SB3 agents.

``schedule`` -- ``on_schedule(progress, values) -> values``
    On the host, once in ``setup`` (progress 0; an unknown key is refused there) and before
    every update, with the budget's used fraction and the current ``values``: jax_ppo
    ``learning_rate``, ``ent_coef``, ``clip_range``; jax_sac ``learning_rate``, ``ent_coef``
    (alpha). What it returns feeds the next jitted update as an argument (no recompile)
    and stays in force until changed.

``advantages`` (jax_ppo) -- ``on_advantages(advantages, rollout) -> advantages``
    Once per update on the host, between the jitted rollout (with GAE) and the jitted
    update: ``advantages`` is float32 numpy ``(n_steps, num_envs)``, ``rollout`` a
    :class:`~entropy_gym.agents.device.payloads.HostRollout`; value targets are fixed. Only
    when such an intervention is attached is the update split in two (rollout, copy to the
    host, update); otherwise rollout and update are one jitted call.

``loss`` (jax_ppo) -- ``on_loss(batch) -> per-sample loss``
    Inside the jitted update, per minibatch, with a
    :class:`~entropy_gym.agents.device.payloads.DeviceLossBatch` of jax arrays. jax calls
    ``on_loss`` while it traces the update (once per compilation), so it must be written
    with array operations that work on jax arrays (``jnp``, arithmetic, ``.mean()``);
    Python side effects and host values it reads happen at trace time only. Interventions
    written for torch (``clip_cov``, ``kl_cov``: ``torch.nonzero``, generators, ``.item()``)
    cannot trace and are refused in ``check_task`` / ``setup`` with one line.

``ent_coef`` -- ``on_ent_coef(coef, entropy) -> coef``
    On the host, once per update, just before the jitted update. jax_ppo: with the entropy
    coefficient in force and the current policy's exact entropy (state-independent std);
    jax_sac: with alpha and the policy entropy (env units) on a replay batch at the end of
    the previous update (NaN in a train call's first update), only for interventions with
    their own ``on_ent_coef``; the returned alpha replaces the learned or fixed one.

Telemetry (one record per update): ``step``, ``episodes``, ``return`` (mean of the last 100
training episodes, once one has ended), ``entropy`` (nats), ``ent_coef`` (PPO coefficient /
SAC alpha), ``learning_rate``; PPO adds ``clip_range``, ``clip_fraction``, ``approx_kl``,
``policy_loss``, ``value_loss``, ``loss``; SAC adds ``actor_loss``, ``critic_loss``,
``alpha_loss``, ``gradient_steps``; and ``<intervention>/<signal>`` per intervention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from entropy_gym.agents.device.agent import DeviceAgent
from entropy_gym.agents.device.envs import BatchedEnv
from entropy_gym.agents.device.options import PPOOptions, SACOptions
from entropy_gym.agents.hooks import chain_advantages
from entropy_gym.core.errors import ConfigError


@dataclass
class PPOModel:
    """What jax_ppo learns (device arrays); ``state`` is the live training state in ``train``."""

    params: Any
    opt_state: Any
    state: Any = None

    @property
    def live_params(self) -> Any:
        return self.state.params if self.state is not None else self.params


@dataclass
class SACModel:
    """What jax_sac learns (device arrays), with SB3's names for its temperature:
    ``current_ent_coef()`` and ``target_entropy`` (in [-1, 1] action units)."""

    params: Any
    opt_states: Any
    learn_alpha: bool
    target_entropy: float
    state: Any = None

    @property
    def live_params(self) -> Any:
        return self.state.params if self.state is not None else self.params

    def current_ent_coef(self) -> float:
        return float(np.exp(np.asarray(self.live_params.log_alpha)))

    def set_ent_coef(self, value: float) -> None:
        if not (value > 0 or (value == 0 and not self.learn_alpha)):
            raise ValueError(
                f"an intervention set the entropy coefficient to {value!r}; it must stay > 0"
            )
        import jax.numpy as jnp

        log_alpha = jnp.log(jnp.asarray(value, jnp.float32))
        if self.state is not None:
            params = self.state.params._replace(log_alpha=log_alpha)
            self.state = self.state._replace(params=params)
        else:
            self.params = self.params._replace(log_alpha=log_alpha)


def _scalar(value: float) -> Any:
    return np.asarray(value, dtype=np.float32)


class JaxPPOAgent(DeviceAgent):
    """PPO trained on the device (:mod:`.ppo`): hooks ``schedule``, ``advantages``, ``loss``,
    ``ent_coef`` (see the module docstring for where each runs)."""

    name: ClassVar[str] = "jax_ppo"
    hooks: ClassVar[frozenset[str]] = frozenset({"schedule", "advantages", "loss", "ent_coef"})
    description: ClassVar[str] = (
        "PPO in JAX, rollout and update jitted on the device (batched MJX Control/ envs); Box"
    )
    options_class: ClassVar[type[PPOOptions]] = PPOOptions
    options: PPOOptions

    # -- checks ------------------------------------------------------------------------------
    def _check_interventions(self) -> None:
        ivs = [iv for iv in self.interventions_at("loss") if iv.overrides("on_loss")]
        if ivs:
            check_loss_hooks(self.name, ivs, self._minibatch_size())

    def _minibatch_size(self) -> int:
        o = self.options
        return o.n_steps * o.num_envs // o.n_minibatches

    @property
    def steps_per_update(self) -> int:
        return self.options.n_steps * self.options.num_envs

    def _chunk_text(self) -> str:
        return "n_steps * num_envs"

    # -- model -------------------------------------------------------------------------------
    def _build_model(self, key: Any) -> PPOModel:
        import jax
        import jax.numpy as jnp

        from entropy_gym.agents.device import ppo

        task = self.task
        assert task is not None
        space: Any = task.action_space
        self._low = jnp.asarray(space.low, jnp.float32)
        self._high = jnp.asarray(space.high, jnp.float32)
        o = self.options
        init = jax.jit(ppo.init_params, static_argnums=(1, 2, 3, 4))
        obs_size = int(np.prod(task.observation_space.shape or ()))
        params = init(key, obs_size, space.shape[0], o.hidden, o.log_std_init)
        return PPOModel(params=params, opt_state=ppo.OPTIMIZER.init(params))

    def _initial_values(self) -> dict[str, float]:
        o = self.options
        return {
            "learning_rate": o.learning_rate,
            "ent_coef": o.ent_coef,
            "clip_range": o.clip_range,
        }

    def _set_values(self, values: dict[str, float]) -> None:
        self.values = values

    def _hyper(self) -> Any:
        from entropy_gym.agents.device.ppo import PPOHyper

        o, v = self.options, self.values
        return PPOHyper(
            learning_rate=_scalar(v["learning_rate"]),
            ent_coef=_scalar(v["ent_coef"]),
            clip_range=_scalar(v["clip_range"]),
            vf_coef=_scalar(o.vf_coef),
            max_grad_norm=_scalar(o.max_grad_norm),
            gamma=_scalar(o.gamma),
            gae_lambda=_scalar(o.gae_lambda),
        )

    def policy_entropy(self) -> float:
        """Exact entropy (nats) of the current Gaussian policy (its std is state-independent)."""
        log_std = np.asarray(self._require_model().live_params["log_std"], dtype=np.float64)
        return float(np.sum(0.5 * math.log(2 * math.pi * math.e) + log_std))

    # -- training ----------------------------------------------------------------------------
    def _start(self, env: BatchedEnv, model: PPOModel, key: Any) -> Any:
        from entropy_gym.agents.device.ppo import PPOShape, ppo_program

        o = self.options
        shape = PPOShape(
            num_envs=o.num_envs,
            n_steps=o.n_steps,
            n_epochs=o.n_epochs,
            n_minibatches=o.n_minibatches,
            hidden=o.hidden,
            activation=o.activation,
            normalize_advantage=o.normalize_advantage,
        )
        loss_ivs = tuple(iv for iv in self.interventions_at("loss") if iv.overrides("on_loss"))
        program = ppo_program(env, shape, loss_ivs)
        model.state = program.reset(model.params, model.opt_state, key)
        return program

    def _update(self, program: Any) -> dict[str, float]:
        import jax

        model: PPOModel = self.model
        if self.interventions_at("advantages"):
            model.state, rollout = program.collect(model.state, self._hyper())
            rollout = self._hook_advantages(rollout)
            self._hook_ent_coef()
            model.state, metrics = program.learn(model.state, rollout, self._hyper())
        else:
            self._hook_ent_coef()
            model.state, metrics = program.collect_and_learn(model.state, self._hyper())
        out = {k: float(v) for k, v in jax.device_get(metrics).items()}
        out.update(self.values)
        return out

    def _hook_advantages(self, rollout: Any) -> Any:
        import jax
        import jax.numpy as jnp

        from entropy_gym.agents.device.payloads import HostRollout

        host = jax.device_get(rollout)
        advantages = np.asarray(host.advantages, dtype=np.float32)
        view = HostRollout(
            observations=host.obs,
            actions=host.actions,
            rewards=host.rewards,
            values=host.values,
            log_probs=host.log_probs,
            episode_starts=host.episode_starts,
            returns=host.returns,
        )
        advantages = chain_advantages(self.interventions_at("advantages"), advantages, view)
        return rollout._replace(advantages=jnp.asarray(advantages))

    def _hook_ent_coef(self) -> None:
        ivs = [iv for iv in self.interventions_at("ent_coef") if iv.overrides("on_ent_coef")]
        if not ivs:
            return
        coef, entropy = self.values["ent_coef"], self.policy_entropy()
        for iv in ivs:
            out = iv.on_ent_coef(coef, entropy)
            if out is not None:
                coef = float(out)
        self.values = {**self.values, "ent_coef": coef}

    def _finish(self, program: Any, model: PPOModel) -> None:
        model.params, model.opt_state = model.state.params, model.state.opt_state
        model.state = None

    def _decide(self, obs: Any, key: Any) -> tuple[Any, Any]:
        from entropy_gym.agents.device import ppo

        decision: tuple[Any, Any] = ppo.act(
            self.model.params,
            obs,
            key,
            self._low,
            self._high,
            activation=self.options.activation,
            deterministic=self.deterministic,
        )
        return decision


class JaxSACAgent(DeviceAgent):
    """SAC trained on the device (:mod:`.sac`): hooks ``schedule`` and ``ent_coef`` (see the
    module docstring); ``sac_temperature`` and ``entropy_target`` act on its alpha as on
    SB3's SAC."""

    name: ClassVar[str] = "jax_sac"
    hooks: ClassVar[frozenset[str]] = frozenset({"schedule", "ent_coef"})
    description: ClassVar[str] = (
        "SAC in JAX, acting, replay and updates jitted on the device (batched MJX Control/ "
        "envs); Box"
    )
    options_class: ClassVar[type[SACOptions]] = SACOptions
    options: SACOptions
    max_entropy: ClassVar[bool] = True

    @property
    def steps_per_update(self) -> int:
        return self.options.steps_per_update * self.options.num_envs

    def _chunk_text(self) -> str:
        return "steps_per_update * num_envs"

    # -- model -------------------------------------------------------------------------------
    def _build_model(self, key: Any) -> SACModel:
        import jax
        import jax.numpy as jnp

        from entropy_gym.agents.device import sac

        task = self.task
        assert task is not None
        space: Any = task.action_space
        self._low = jnp.asarray(space.low, jnp.float32)
        self._high = jnp.asarray(space.high, jnp.float32)
        self._log_scale = jnp.asarray(self.action_log_scale, jnp.float32)
        o = self.options
        learn_alpha, alpha = o.alpha_mode(self.name)
        init = jax.jit(sac.init_params, static_argnums=(1, 2, 3))
        obs_size = int(np.prod(task.observation_space.shape or ()))
        params = init(key, obs_size, space.shape[0], o.hidden, alpha)
        return SACModel(
            params=params,
            opt_states=sac.init_opt_states(params),
            learn_alpha=learn_alpha,
            target_entropy=o.target(space.shape[0]),
        )

    def _initial_values(self) -> dict[str, float]:
        return {
            "learning_rate": self.options.learning_rate,
            "ent_coef": self.model.current_ent_coef(),
        }

    def _set_values(self, values: dict[str, float]) -> None:
        if values["ent_coef"] != self.values["ent_coef"]:
            self.model.set_ent_coef(values["ent_coef"])
        self.values = values

    def _hyper(self) -> Any:
        from entropy_gym.agents.device.sac import SACHyper

        o, model = self.options, self.model
        return SACHyper(
            learning_rate=_scalar(self.values["learning_rate"]),
            gamma=_scalar(o.gamma),
            tau=_scalar(o.tau),
            learn_alpha=_scalar(1.0 if model.learn_alpha else 0.0),
            target_entropy=_scalar(model.target_entropy),
            learning_starts=np.asarray(o.learning_starts, dtype=np.int32),
        )

    # -- training ----------------------------------------------------------------------------
    def _start(self, env: BatchedEnv, model: SACModel, key: Any) -> Any:
        from entropy_gym.agents.device.sac import SACShape, sac_program

        o = self.options
        capacity = -(-o.buffer_size // o.num_envs) * o.num_envs
        tracker = self._tracker
        if tracker is not None and tracker.budget.env_steps is not None:
            capacity = min(capacity, tracker.budget.env_steps)  # a whole number of updates
        shape = SACShape(
            num_envs=o.num_envs,
            buffer_size=capacity,
            batch_size=o.batch_size,
            gradient_steps=o.gradient_steps,
            steps_per_update=o.steps_per_update,
            hidden=o.hidden,
            activation=o.activation,
        )
        program = sac_program(env, shape)
        model.state = program.reset(model.params, model.opt_states, key)
        self._last_entropy = math.nan
        return program

    def _update(self, program: Any) -> dict[str, float]:
        import jax

        model: SACModel = self.model
        self._hook_ent_coef()
        model.state, metrics = program.update(model.state, self._hyper())
        out = {k: float(v) for k, v in jax.device_get(metrics).items()}
        self._last_entropy = out["entropy"]
        self.values = {**self.values, "ent_coef": out["ent_coef"]}
        out["learning_rate"] = self.values["learning_rate"]
        return out

    def _hook_ent_coef(self) -> None:
        ivs = [iv for iv in self.interventions_at("ent_coef") if iv.overrides("on_ent_coef")]
        if not ivs:
            return
        model: SACModel = self.model
        coef = model.current_ent_coef()
        for iv in ivs:
            out = iv.on_ent_coef(coef, self._last_entropy)
            if out is not None:
                coef = float(out)
        model.set_ent_coef(coef)
        self.values = {**self.values, "ent_coef": coef}

    def _finish(self, program: Any, model: SACModel) -> None:
        model.params, model.opt_states = model.state.params, model.state.opt_states
        model.state = None

    def _decide(self, obs: Any, key: Any) -> tuple[Any, Any]:
        from entropy_gym.agents.device import sac

        decision: tuple[Any, Any] = sac.act(
            self.model.params.actor,
            obs,
            key,
            self._low,
            self._high,
            self._log_scale,
            activation=self.options.activation,
            deterministic=self.deterministic,
        )
        return decision


def check_loss_hooks(agent: str, interventions: list[Any], minibatch_size: int) -> None:
    """Trace each ``on_loss`` on abstract jax arrays (nothing runs); refuse one that cannot
    run inside the jitted update, or returns the wrong shape, in one line."""
    import jax
    import jax.numpy as jnp

    from entropy_gym.agents.device.payloads import DeviceLossBatch
    from entropy_gym.agents.device.ppo import run_loss_hooks

    n = minibatch_size

    def traced(upto: int) -> Any:
        zeros = jnp.zeros((n,), jnp.float32)
        batch = DeviceLossBatch(
            log_prob=zeros,
            old_log_prob=zeros,
            ratio=zeros + 1.0,
            advantages=zeros,
            clip_range=jnp.asarray(0.2, jnp.float32),
            clipped=jnp.zeros((n,), bool),
            entropy=zeros,
            pg_loss=zeros,
            key=jax.random.PRNGKey(0),
        )
        return run_loss_hooks(interventions[:upto], batch)

    for i, iv in enumerate(interventions, start=1):
        try:
            out = jax.eval_shape(lambda i=i: traced(i))
        except Exception as err:
            detail = " ".join(str(err).split())[:160] or type(err).__name__
            raise ConfigError(
                f"intervention '{iv.name}' cannot run inside agent '{agent}''s jitted loss: its "
                f"on_loss must use array operations that work on jax arrays "
                f"({type(err).__name__}: {detail})"
            ) from err
        if getattr(out, "shape", None) != (n,):
            raise ConfigError(
                f"intervention '{iv.name}' on_loss returned shape "
                f"{getattr(out, 'shape', None)}, expected the per-sample loss of shape ({n},)"
            )
