"""Metrics, normalisation and aggregate statistics.

* :mod:`~entropy_gym.scoring.normalise`: random/reference normalisation per env.
* :mod:`~entropy_gym.scoring.aggregate`: IQM and mean with stratified bootstrap CIs,
  probability of improvement, performance profiles (rliable; seeds on the runs axis).
* :mod:`~entropy_gym.scoring.entropy`: per-cell entropy telemetry and the collapse flag.
* :mod:`~entropy_gym.scoring.fit`: the fit ``R = -a * exp(H) + b``.
* :mod:`~entropy_gym.scoring.robustness`: STORI robustness relative to type 3.1.
* :mod:`~entropy_gym.scoring.llm_shapes`: the entropy papers' shape checks on ``llm_grpo``
  telemetry, with bootstrap intervals over seeds and verdicts.
"""
