"""The micro models' tokenizer: one token per printable character, plus four special tokens.

Every text env of the suite speaks :data:`string.printable` (100 characters), so a
character-level vocabulary covers every observation and every reply exactly, in 104 ids
(``<pad>``, ``<unk>``, the role markers and ``<|end|>``). A 49k-token vocabulary is most of a
small model's cost (its output layer and softmax); here the vocabulary is what keeps a micro
model cheap.

The tokenizer is a ``tokenizers`` object (a word-level model over single characters) wrapped as
a ``PreTrainedTokenizerFast`` with a chat template, so that ``AutoTokenizer.from_pretrained``
loads it from the model directory and the LLM agents format prompts through
``apply_chat_template`` exactly as they do for any other model::

    <|user|>What is 3 + 4?<|end|><|assistant|>Answer: 7<|end|>

``<|end|>`` closes every message and is the end-of-sequence token: a reply stops there.
"""

from __future__ import annotations

import string
from typing import Any

PAD, UNK, END = "<pad>", "<unk>", "<|end|>"
ROLES = ("system", "user", "assistant")
SPECIAL_TOKENS = (PAD, UNK, END, *(f"<|{role}|>" for role in ROLES))
#: The characters of the vocabulary, in id order after the special tokens.
CHARACTERS = string.printable

CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "<|{{ message['role'] }}|>{{ message['content'] }}<|end|>"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}<|assistant|>{%- endif -%}"
)


def vocabulary() -> dict[str, int]:
    """Token -> id: the special tokens first, then every printable character."""
    tokens = [*SPECIAL_TOKENS, *CHARACTERS]
    return {token: index for index, token in enumerate(tokens)}


def build_tokenizer() -> Any:
    """The character-level ``PreTrainedTokenizerFast`` with the chat template above."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel(vocab=vocabulary(), unk_token=UNK))
    # Every character is its own pre-token ([\s\S] matches newlines too).
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    core.add_special_tokens(list(SPECIAL_TOKENS))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token=PAD,
        unk_token=UNK,
        eos_token=END,
        additional_special_tokens=[f"<|{role}|>" for role in ROLES],
        clean_up_tokenization_spaces=False,
        model_max_length=4096,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


__all__ = [
    "CHARACTERS",
    "CHAT_TEMPLATE",
    "END",
    "PAD",
    "SPECIAL_TOKENS",
    "build_tokenizer",
    "vocabulary",
]
