"""The micro models' architecture: a Llama decoder from ``transformers`` at three sizes.

A Llama-architecture model loads through ``AutoModelForCausalLM`` like any local model
directory, so ``llm_grpo``, its sampler and packing, the in-context LLM agents and TRL all run
a micro model unchanged. Embeddings are tied to the output layer (with a 106-symbol vocabulary
they are a few thousand parameters either way).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Size:
    """Depth, width, attention heads and MLP width of one micro size."""

    layers: int
    width: int
    heads: int
    mlp: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


SIZES: dict[str, Size] = {
    "s": Size(layers=2, width=64, heads=4, mlp=256),
    "m": Size(layers=4, width=128, heads=4, mlp=512),
    "l": Size(layers=6, width=256, heads=8, mlp=1024),
}
#: Longest sequence the models are built for (rotary positions extrapolate past it).
CONTEXT = 2048


def build_model(size: str, tokenizer: Any, seed: int) -> Any:
    """A freshly initialised ``LlamaForCausalLM`` of ``size`` for ``tokenizer``, its weights
    drawn from ``torch.manual_seed(seed)``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    if size not in SIZES:
        raise ValueError(f"micro size {size!r} is unknown; expected one of {tuple(SIZES)}")
    shape = SIZES[size]
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=shape.width,
        intermediate_size=shape.mlp,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        num_key_value_heads=shape.heads,
        max_position_embeddings=CONTEXT,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def parameter_count(model: Any) -> int:
    """Distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in model.parameters())


__all__ = ["CONTEXT", "SIZES", "Size", "build_model", "parameter_count"]
