"""Experiment drivers: measurements and fits that play agents through the runner and write
committed data with its provenance.

They sit above the runner (they call its evaluation loop and its provenance) and below the
CLI, which fronts some of them; nothing in the envs, the agents or the runner imports them.

* :mod:`~entropy_gym.experiments.tool_calibration`: the random and oracle anchors of a tool
  task, and one episode shown (``entropy-gym tooltask calibrate`` / ``show``).
* :mod:`~entropy_gym.experiments.east_fit`: an EAST steering vector fitted from an LLM agent's
  own play (``entropy-gym east fit``).
* :mod:`~entropy_gym.experiments.micro_pretrain`: a micro model trained from its recipe and
  saved with provenance (``entropy-gym models pretrain``).
* :mod:`~entropy_gym.experiments.control_random_scores`: the random-policy score of every
  ``Control/`` id (``python -m entropy_gym.experiments.control_random_scores``).
* :mod:`~entropy_gym.experiments.stori_anchors`: the measured anchors of the ALE games without
  published scores (``python -m entropy_gym.experiments.stori_anchors``).
"""
