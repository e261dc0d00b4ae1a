"""Agents that train on the STORI/MinAtar-* ids end to end under jit, seeds as a batch
dimension: ``minatar_ppo`` and ``minatar_dqn`` (:mod:`.agents`)."""
