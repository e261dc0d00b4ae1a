"""Sampling decisions from SB3 policies with the agent's own generator, and their entropy.

Each function returns the actions and the entropy, in nats, of the distribution they were
drawn from, per batch row:

- categorical (Discrete): exact, ``-sum p log p`` of ``softmax(logits)``;
- several categoricals (MultiDiscrete) and Bernoulli (MultiBinary): exact, summed over
  dimensions (the dimensions are independent);
- diagonal Gaussian (PPO/A2C/TRPO on Box): the draws are clipped to the action bounds, as
  SB3 does, so the executed distribution puts the mass outside the box on its faces and has
  no differential entropy. The entropy reported is that of the Gaussian truncated to the box
  (per dimension ``log(sqrt(2 pi e) sigma Z) + (a phi(a) - b phi(b)) / (2 Z)`` with
  ``a, b`` the bounds in standard units and ``Z = Phi(b) - Phi(a)``), a labelled estimate
  of the clipped distribution that, like it, never exceeds the log-volume of the box; it
  equals the Gaussian's ``0.5 log(2 pi e sigma^2)`` when the box holds all of its mass
  (:func:`gaussian_entropy` remains the untruncated one);
- squashed Gaussian (SAC, TQC, CrossQ): ``a = tanh(u)``, ``u ~ N(mu, sigma)``, rescaled to the
  action bounds. Its entropy has no closed form; by the change of variables
  ``H(a) = H(u) + E[log |da/du|]`` it is the exact Gaussian term, plus
  ``sum_d E[log(1 - tanh(u_d)^2)]`` (one-dimensional expectations, since the dimensions are
  independent) by 64-node Gauss-Hermite quadrature, plus ``sum log((high - low) / 2)`` for
  the rescaling. The quadrature is deterministic; against 8M-sample Monte Carlo its error is
  below 0.002 nats per dimension for ``sigma <= 3`` and below 0.02 at SB3's largest
  ``sigma = e^2``;
- epsilon-greedy (DQN, QR-DQN): exact entropy of the mixture ``(1 - eps) * onehot(argmax) +
  eps * uniform``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.distributions import Bernoulli, Categorical, Normal

_HALF_LOG_2PI_E = 0.5 * math.log(2 * math.pi * math.e)


def sample_categorical(
    logits: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Actions ``(batch,)`` from ``softmax(logits)`` and their exact entropy ``(batch,)``."""
    log_p = torch.log_softmax(logits, dim=-1)
    p = log_p.exp()
    actions = torch.multinomial(p, 1, generator=generator).squeeze(-1)
    entropy = -(p * log_p).nan_to_num().sum(-1)  # 0 * log 0 = 0 for masked actions
    return actions, entropy


def sample_multi_categorical(
    dists: list[Categorical], generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """One action per categorical dimension ``(batch, dims)``; entropies summed."""
    draws = [sample_categorical(d.logits, generator) for d in dists]
    actions = torch.stack([a for a, _ in draws], dim=-1)
    entropy = torch.stack([h for _, h in draws], dim=-1).sum(-1)
    return actions, entropy


def sample_bernoulli(
    dist: Bernoulli, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Independent bits ``(batch, n)``; entropies summed."""
    actions = torch.bernoulli(dist.probs, generator=generator)
    return actions, dist.entropy().sum(-1)


def gaussian_entropy(std: torch.Tensor) -> torch.Tensor:
    """Exact entropy of a diagonal Gaussian with per-dimension ``std`` (summed over the last
    axis)."""
    return (_HALF_LOG_2PI_E + torch.log(std)).sum(-1)


def sample_gaussian(dist: Normal, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Draws from a diagonal Gaussian and its exact entropy."""
    noise = torch.randn(dist.mean.shape, generator=generator, device=dist.mean.device)
    return dist.mean + dist.stddev * noise, gaussian_entropy(dist.stddev)


def truncated_gaussian_entropy(
    mean: torch.Tensor, std: torch.Tensor, low: np.ndarray, high: np.ndarray
) -> torch.Tensor:
    """Entropy of a diagonal Gaussian truncated to ``[low, high]`` per dimension (infinite
    bounds allowed), summed over the last axis; computed in float64 with log-CDFs so that a
    mean far outside the box stays finite."""
    mu, sigma = mean.double(), std.double()
    lo = torch.as_tensor(np.asarray(low, dtype=np.float64), device=mu.device)
    hi = torch.as_tensor(np.asarray(high, dtype=np.float64), device=mu.device)
    a, b = (lo - mu) / sigma, (hi - mu) / sigma
    # log Z = log(Phi(b) - Phi(a)), from the tail that keeps precision (mirror when a > 0).
    upper = a > 0
    left = torch.where(upper, -b, a)
    right = torch.where(upper, -a, b)
    log_right = torch.special.log_ndtr(right)
    log_z = log_right + torch.log1p(-torch.exp(torch.special.log_ndtr(left) - log_right))

    def edge(t: torch.Tensor) -> torch.Tensor:  # t phi(t) / Z, 0 at an infinite bound
        finite = torch.isfinite(t)
        safe = torch.where(finite, t, torch.zeros_like(t))
        value = safe * torch.exp(-0.5 * safe * safe - 0.5 * math.log(2 * math.pi) - log_z)
        return torch.where(finite, value, torch.zeros_like(t))

    per_dim = _HALF_LOG_2PI_E + torch.log(sigma) + log_z + 0.5 * (edge(a) - edge(b))
    entropy: torch.Tensor = per_dim.sum(-1).to(mean.dtype)
    return entropy


def log_tanh_jacobian(u: torch.Tensor) -> torch.Tensor:
    """``log(1 - tanh(u)^2)``, computed stably as ``2 (log 2 - u - softplus(-2u))``."""
    return 2.0 * (math.log(2.0) - u - torch.nn.functional.softplus(-2.0 * u))


_HERMITE_NODES = 64
_hermite_cache: dict[tuple[str, torch.dtype], tuple[torch.Tensor, torch.Tensor]] = {}


def _hermite(device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Nodes ``sqrt(2) x_i`` and weights ``w_i / sqrt(pi)`` such that
    ``E[f(z)] ~= sum_i w_i f(node_i)`` for ``z ~ N(0, 1)``."""
    key = (str(device), dtype)
    if key not in _hermite_cache:
        x, w = np.polynomial.hermite.hermgauss(_HERMITE_NODES)
        nodes = torch.as_tensor(np.sqrt(2.0) * x, device=device, dtype=dtype)
        weights = torch.as_tensor(w / np.sqrt(np.pi), device=device, dtype=dtype)
        _hermite_cache[key] = (nodes, weights)
    return _hermite_cache[key]


def squashed_gaussian_entropy(
    mean: torch.Tensor, std: torch.Tensor, log_scale: float
) -> torch.Tensor:
    """Entropy of ``tanh(N(mean, std))`` rescaled by ``exp(log_scale)`` (see above), per row."""
    nodes, weights = _hermite(mean.device, mean.dtype)
    u = mean.unsqueeze(-1) + std.unsqueeze(-1) * nodes  # (batch, dims, nodes)
    jacobian = (log_tanh_jacobian(u) * weights).sum(-1).sum(-1)
    return gaussian_entropy(std) + jacobian + log_scale


def sample_squashed_gaussian(
    dist: Normal, generator: torch.Generator, log_scale: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``tanh`` of a Gaussian draw, in [-1, 1], and the entropy of the rescaled action.

    ``log_scale`` is ``sum log((high - low) / 2)``, the log-Jacobian of the rescaling to the
    action bounds that the caller applies to the returned actions.
    """
    mean, std = dist.mean, dist.stddev
    noise = torch.randn(mean.shape, generator=generator, device=mean.device)
    return torch.tanh(mean + std * noise), squashed_gaussian_entropy(mean, std, log_scale)


def epsilon_greedy_entropy(epsilon: float, n_actions: int) -> float:
    """Entropy of ``(1 - eps) * onehot + eps * uniform`` over ``n_actions`` actions."""
    eps = float(np.clip(epsilon, 0.0, 1.0))
    greedy = 1.0 - eps + eps / n_actions
    other = eps / n_actions
    h = -greedy * math.log(greedy) if greedy > 0 else 0.0
    if other > 0:
        h -= (n_actions - 1) * other * math.log(other)
    return h
