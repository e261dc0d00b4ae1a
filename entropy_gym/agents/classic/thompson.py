"""Thompson sampling: pull the arm that is best under one draw from the posterior."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from entropy_gym.agents.base import TaskSpec, categorical_entropy
from entropy_gym.agents.classic.bandit_base import BanditAgent
from entropy_gym.core.errors import ConfigError

LIKELIHOODS = ("auto", "bernoulli", "gaussian")


class ThompsonAgent(BanditAgent):
    """Thompson sampling with a conjugate posterior per arm.

    - Bernoulli rewards: ``Beta(1 + s, 1 + n - s)`` (uniform prior; ``s`` the reward sum, so
      rewards in [0, 1] count as fractional successes).
    - Gaussian rewards with known noise ``sigma``: prior ``Normal(0, prior_std^2)``, posterior
      precision ``1/prior_std^2 + n/sigma^2`` and mean ``(s/sigma^2) / precision``.

    ``likelihood="auto"`` reads the reward kind (and ``noise_std``) from the env's
    ``task_info``. The action is one posterior draw's argmax. The probability of each arm
    being that argmax has no closed form, so the reported entropy is a Monte-Carlo estimate:
    the plug-in entropy of the argmax histogram over ``entropy_samples`` further posterior
    draws (biased low by about ``(K - 1) / (2 * entropy_samples)`` nats, the Miller-Madow
    first-order bias, when every arm has some probability).
    """

    name: ClassVar[str] = "thompson"
    description: ClassVar[str] = "bandit: Thompson sampling (Beta or Gaussian posterior)"

    def __init__(
        self,
        likelihood: str = "auto",
        prior_std: float = 1.0,
        noise_std: float | None = None,
        entropy_samples: int = 256,
    ) -> None:
        if likelihood not in LIKELIHOODS:
            raise ConfigError(
                f"thompson likelihood {likelihood!r} is unknown; expected one of {LIKELIHOODS}"
            )
        if not prior_std > 0:
            raise ConfigError(f"thompson prior_std must be > 0, got {prior_std!r}")
        if noise_std is not None and not noise_std > 0:
            raise ConfigError(f"thompson noise_std must be > 0, got {noise_std!r}")
        if int(entropy_samples) < 1:
            raise ConfigError(f"thompson entropy_samples must be >= 1, got {entropy_samples!r}")
        config: dict[str, Any] = dict(
            likelihood=likelihood,
            prior_std=float(prior_std),
            noise_std=noise_std,
            entropy_samples=int(entropy_samples),
        )
        super().__init__(**config)
        self.likelihood = likelihood
        self.prior_std = float(prior_std)
        self.noise_std = noise_std
        self.entropy_samples = int(entropy_samples)

    def setup(self, task: TaskSpec, seed: int, device: str) -> None:
        super().setup(task, seed, device)
        info = dict(task.env_info or {})
        self._kind = self.likelihood
        if self._kind == "auto":
            self._kind = info.get("reward", "bernoulli")
            if self._kind not in ("bernoulli", "gaussian"):
                raise ConfigError(
                    f"thompson cannot tell the reward kind of env {task.env_id!r}; set "
                    "likelihood to 'bernoulli' or 'gaussian'"
                )
        self._sigma = float(self.noise_std or info.get("noise_std") or 1.0)

    def _draw(self, size: int) -> np.ndarray:
        """``size`` posterior draws of every arm's mean: shape (size, n_envs, K)."""
        n, s = self.counts, self.sums
        shape = (size, *n.shape)
        if self._kind == "bernoulli":
            s = np.clip(s, 0.0, n)
            return self.rng.beta(1.0 + s, 1.0 + n - s, size=shape)
        precision = 1.0 / self.prior_std**2 + n / self._sigma**2
        mean = (s / self._sigma**2) / precision
        return mean + self.rng.standard_normal(shape) / np.sqrt(precision)

    def decide(self) -> tuple[np.ndarray, np.ndarray]:
        actions = self._draw(1)[0].argmax(axis=1)
        winners = self._draw(self.entropy_samples).argmax(axis=2)  # (samples, n_envs)
        k = self.num_arms
        hist = np.stack([np.bincount(w, minlength=k) for w in winners.T]) / self.entropy_samples
        return actions.astype(np.int64), categorical_entropy(hist)
