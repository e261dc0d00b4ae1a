"""RL fine-tuning of a local causal LM on the suite's text envs (the ``llm_grpo`` agent).

* :mod:`.batch`: what crosses the token-level hooks (the rollout plan, the packed token
  rollout, the per-token loss batch).
* :mod:`.sampling`: batched sampling with the KV cache, the exact entropy of every token.
* :mod:`.episodes`: groups of single- and multi-turn episodes played with the sampler.
* :mod:`.objective`: group-normalised advantages, token log-probs, loss aggregation.
* :mod:`.agent`: :class:`~entropy_gym.agents.llm.rl.agent.GRPOAgent`, the agent itself.

docs/llm-rl.md explains the trainer, every intervention and what a CPU budget can show.
"""
