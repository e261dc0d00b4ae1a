"""Agents that train end to end on the accelerator: ``jax_ppo`` and ``jax_sac``.

Rollout and update run together under ``jax.jit`` / ``lax.scan`` on a batched pure-JAX env
(:func:`entropy_gym.envs.control.mjx.make_mjx_env` for ``Control/`` ids), so a training update
never leaves the device; only a handful of scalars (telemetry, the budget's episode count)
come back to the host between updates, where the Python hooks run.

Why a compact trainer of our own rather than a library's:

- Brax's training agents (``brax.training.agents.ppo/sac``) are whole training programs with
  a fixed objective and no place to call an intervention: no per-sample loss, no advantages,
  no entropy coefficient between updates, and their own env wrappers and progress logging.
- sbx (SB3 in JAX) jits the gradient step but collects experience the SB3 way, on host-side
  Gymnasium envs one vector step at a time, so the env and the data transfer stay on the
  host and the device waits on Python at every step.
- Both bring their own seeding, budgets and telemetry; entropy-gym needs its ``Budget``, its
  hooks at known points and the SB3 agents' telemetry keys.

Modules: :mod:`.ppo` and :mod:`.sac` (the jitted programs), :mod:`.agent` (the agent interface
and where each hook runs), :mod:`.networks`, :mod:`.distributions`, :mod:`.episodes`,
:mod:`.envs` (which batched env an id trains on), :mod:`.payloads` (what crosses the hooks),
:mod:`.bench` (training throughput). See docs/device.md.

This package imports jax only when an agent is set up or trains, so listing agents stays cheap.
"""

import os

# The runner puts several cells (processes) on one GPU; jax's default grabs 75% of its memory
# in the first, so the next ones fail. Allocate on demand unless the user chose otherwise.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

from entropy_gym.agents.device.agents import JaxPPOAgent, JaxSACAgent

__all__ = ["JaxPPOAgent", "JaxSACAgent"]
