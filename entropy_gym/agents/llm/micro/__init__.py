"""Micro language models pretrained inside the project: the miniature tier of LLM RL.

Llama-architecture models of about 0.1M and 1M parameters with a character-level vocabulary
(:mod:`.tokenizer`, :mod:`.architecture`), pretrained by one reproducible command
(``entropy-gym models pretrain NAME``, :mod:`.pretrain`) on demonstrations from the suite's own
envs that teach the format but not the best policy (:mod:`.demos`), and shipped in the package
with their provenance (:mod:`.catalog`). ``make_agent("llm_grpo", model="micro-s")`` trains one
on ``Reasoning/``, ``TextBandit/`` and ``ToolTask/`` ids (their ``framing="compact"``), at a
small fraction of SmolLM2's cost per update. docs/llm-rl.md describes the tier.
"""
