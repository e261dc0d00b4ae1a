"""EMPG: entropy-modulated step advantages, with a bonus for future clarity.

From "Harnessing Uncertainty: Entropy-Modulated Policy Gradients for Long-Horizon LLM Agents":
the gradient of a step should grow with the agent's confidence in it (amplify confident correct
steps, penalise confident errors, attenuate uncertain steps), and a bonus should favour steps
that lead to predictable next steps. The choices made here (the paper gives no formulas): a
step is one agent turn (one row of the rollout; a single-turn task has one step per sample);
its entropy ``H_k`` is the mean sampling entropy of its tokens; its confidence
``c_k = exp(-H_k / tau)`` is normalised to mean 1 over the update's steps; the step's
advantage is ``A * c_k + zeta * c_{k+1}`` on every token of the step, where ``A`` is the
group-normalised outcome advantage and ``c_{k+1}`` the next turn's confidence in the same
sample (0 after the last turn). So a success (``A > 0``) lifts confident steps more, a failure
(``A < 0``) pushes confident steps down harder, and uncertain steps move less either way.
"""

from __future__ import annotations

from typing import Any, ClassVar

from entropy_gym.agents.interventions.token import TokenIntervention, check_nonnegative
from entropy_gym.core.errors import ConfigError


def step_confidence(rollout: Any, tau: float) -> Any:
    """``(rows,)`` confidence ``exp(-H_k / tau)`` of each step, normalised to mean 1."""
    import torch

    mask = rollout.response_mask
    tokens = mask.sum(dim=1).clamp(min=1)
    entropy = (rollout.sampling_entropy * mask).sum(dim=1) / tokens
    confidence = torch.exp(-entropy.float() / tau)
    return confidence / confidence.mean().clamp(min=1e-12)


def next_step(rollout: Any) -> Any:
    """``(rows,)`` index of the row holding the next turn of the same sample, or -1."""
    import torch

    rows = rollout.row_sample.numel()
    following = torch.full((rows,), -1, dtype=torch.long, device=rollout.row_sample.device)
    where = {
        (int(s), int(t)): i
        for i, (s, t) in enumerate(zip(rollout.row_sample.tolist(), rollout.row_turn.tolist()))
    }
    for i, (s, t) in enumerate(zip(rollout.row_sample.tolist(), rollout.row_turn.tolist())):
        following[i] = where.get((int(s), int(t) + 1), -1)
    return following


class EMPG(TokenIntervention):
    """Step advantages ``A * c_k + zeta * c_{k+1}`` from step confidences ``c``."""

    name: ClassVar[str] = "empg"
    requires: ClassVar[frozenset[str]] = frozenset({"token_advantages"})
    description: ClassVar[str] = "EMPG: entropy-modulated step advantages + future-clarity bonus"

    def __init__(self, tau: float = 1.0, zeta: float = 0.05) -> None:
        tau = check_nonnegative(self.name, "tau", tau)
        if tau == 0:
            raise ConfigError("empg tau must be > 0")
        zeta = check_nonnegative(self.name, "zeta", zeta)
        super().__init__(tau=tau, zeta=zeta)
        self.tau, self.zeta = tau, zeta
        self._last: dict[str, float] = {}

    def on_token_advantages(self, advantages: Any, rollout: Any) -> Any:
        import torch

        c = step_confidence(rollout, self.tau).to(advantages.dtype)
        following = next_step(rollout)
        bonus = torch.where(following >= 0, c[following.clamp(min=0)], torch.zeros_like(c))
        out = advantages * c[:, None] + self.zeta * bonus[:, None]
        out = torch.where(rollout.response_mask, out, torch.zeros_like(out))
        self._last = {
            "confidence_min": float(c.min()),
            "confidence_max": float(c.max()),
            "bonus_mean": float(bonus.mean()),
        }
        return out

    def telemetry(self) -> dict[str, float]:
        """The last update's confidence range and mean bonus."""
        return dict(self._last)
