"""Stable-Baselines3 and sb3-contrib agents, and exactly what they pass at each hook.

Agents (``make_agent(name)``): ``ppo``, ``a2c``, ``trpo``, ``recurrent_ppo``, ``dqn``,
``qrdqn``, ``sac``, ``tqc``, ``crossq``, ``td3``. Any SB3 constructor argument passes through
config: ``{"name": "ppo", "n_steps": 128, "learning_rate": 3e-4}``.

Hooks offered::

    ppo             logits, loss, advantages, ent_coef
    a2c             logits, advantages, ent_coef
    trpo            logits, advantages
    recurrent_ppo   logits, advantages
    dqn, qrdqn      schedule
    sac, tqc, crossq  ent_coef
    td3             (none)

Callbacks, called for every attached intervention that requires the hook, in attachment
order; a callback that returns ``None`` leaves the value as it was. An intervention must
define at least one callback of each hook it requires (checked when it is attached).

``logits`` -- ``on_logits(logits) -> logits``
    In ``act``, for Discrete action spaces: the policy's logits, a ``torch.Tensor`` of shape
    ``(n_envs, n_actions)`` on the agent's device. The action is sampled from
    ``softmax(returned logits)`` and the reported entropy is that distribution's. Decisions
    only: training rollouts sample from the unmodified policy, so PPO's importance ratios
    stay exact. An intervention at ``logits`` on a non-Discrete action space is refused in
    ``setup``.

``loss`` -- ``on_loss(batch: PolicyLossBatch) -> per-sample loss``
    PPO, for each minibatch of each epoch: a :class:`PolicyLossBatch` with per-sample
    ``log_prob``, ``old_log_prob``, ``ratio``, ``advantages`` (normalised if PPO normalises
    them), ``clip_range``, ``clipped`` (bool: the clipped branch is active), ``entropy``,
    ``pg_loss`` (the clipped surrogate, or what an earlier intervention returned) and a seeded
    ``generator``. Return a ``(batch,)`` tensor that replaces ``pg_loss``; the update
    minimises ``pg_loss.mean() + ent_coef * (-entropy.mean()) + vf_coef * value_loss``.

``advantages`` -- ``on_advantages(advantages, rollout) -> advantages``
    On-policy agents, once per update, after GAE and before the first minibatch:
    ``advantages`` is a float32 ``numpy`` array of shape ``(n_steps, n_envs)``; ``rollout``
    is SB3's rollout buffer (``observations``, ``actions``, ``rewards``, ``values``,
    ``log_probs``, ``episode_starts``, ``returns``, same leading shape). Return an array of the
    same shape. Value targets (``returns``) were computed before and are not changed.

``ent_coef`` -- ``on_ent_coef(coef, entropy) -> coef`` and ``on_sb3_kwargs(kwargs) -> kwargs``
    PPO: before each minibatch's gradient step, with the entropy coefficient in force and the
    minibatch's mean policy entropy (nats; ``-mean log_prob`` where there is no closed form).
    A2C: the same, once per update (one gradient step over the whole rollout).
    SAC, TQC, CrossQ: before each ``train`` call (every ``train_freq`` env steps) with alpha and
    the policy entropy estimated on one replay batch (in env action units, see
    :mod:`entropy_gym.agents.sb3.sampling`); the returned alpha is written to SB3's
    ``log_ent_coef`` (automatic mode, which then keeps learning from it) or
    ``ent_coef_tensor`` (fixed mode).
    ``on_sb3_kwargs`` is called once in ``setup``, before the SB3 model is built, with the SB3
    constructor arguments (a copy); it sets the knobs SB3 itself owns (``ent_coef``,
    ``target_entropy``, ``exploration_*``). It is also honoured at ``schedule``.

``schedule`` -- ``on_schedule(progress, values) -> values``
    DQN, QR-DQN: after every vector-env step (and once in ``setup``), with training progress
    in [0, 1] (the largest used fraction of the budget's env steps, episodes or seconds) and
    ``{"epsilon": ...}`` after SB3's own linear schedule; the returned ``epsilon`` is used for
    the next action during training and, after training, for decisions.

Every callback may also read ``self.agent.progress`` (the same progress) and
``self.agent.task`` (the env's spaces).

Telemetry (``agent.telemetry()``): on-policy agents log one record per update, off-policy
agents one every ``telemetry_every`` env steps: ``step`` (env steps), ``episodes``,
``return`` (mean of the last 100 training episodes, once one has ended), ``entropy`` (mean
policy entropy, nats), ``ent_coef`` (PPO, A2C, RecurrentPPO, SAC family) or ``epsilon``
(DQN family), PPO's ``clip_fraction`` and ``approx_kl``, and ``<intervention>/<signal>`` for
each attached intervention.
"""

from entropy_gym.agents.sb3.agent import SB3Agent
from entropy_gym.core.payloads import PolicyLossBatch

__all__ = ["PolicyLossBatch", "SB3Agent"]
