"""The suite's token-level interventions inside other trainers (verl, TRL).

``llm_grpo`` is the trainer the suite scores; the modules here carry the same interventions
into the two trainers researchers use at scale, so a rule compared on a CPU board can be run
past one machine unchanged:

- :mod:`.token_loss`: the per-token policy loss with the ``loss`` and ``ent_coef`` hooks, on
  ``(batch, length)`` tensors, shared by both adapters;
- :mod:`.verl_loss`: a verl policy loss (``register_policy_loss``) that routes verl's loss
  through the interventions (:mod:`.verl_plugin` registers it in every verl process);
- :mod:`.trl_trainer`: a ``GRPOTrainer`` subclass whose loss goes through them.

They live outside ``entropy_gym.agents`` because they are not agents of the suite: nothing in
the runner imports them, and each imports its library (absent from the main environment in
verl's case) only when used. See ``docs/llm-rl.md`` ("Past one machine").
"""
