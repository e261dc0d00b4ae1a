"""What the SB3 agents pass to interventions at the ``loss`` hook: a
:class:`~entropy_gym.core.payloads.PolicyLossBatch` per PPO minibatch, the loss payload every
trainer shares (defined on the ground floor, importable from here as before)."""

from entropy_gym.core.payloads import PolicyLossBatch

__all__ = ["PolicyLossBatch"]
