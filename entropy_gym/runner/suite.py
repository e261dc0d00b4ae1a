"""Suites from ``benchmarks.yaml``: read, validate, and check that they can run.

Validation happens in two steps, both before any cell runs:

* :func:`load_suites` checks the file's structure (types, ranges, unknown keys, duplicate
  labels) without importing anything heavy, so ``leaderboard`` and ``show`` stay fast.
* :func:`check_runnable` builds every agent with its interventions (unknown names and refused
  hook combinations raise there) and constructs every env once (unknown ids, bad kwargs).

Every problem raises :class:`SuiteError`, one line naming the file, the key path (e.g.
``suites.ci.agents[2].interventions[0]``) and what was expected.

Every count and size is bounded (:data:`LIMITS`), so that one line of a suite cannot take the
machine down or burn a day per cell; the message names the limit and the environment variable
that raises it (``ENTROPY_GYM_LIMIT_<NAME>``, e.g. ``ENTROPY_GYM_LIMIT_SEEDS=5000``). Text that
reaches the boards (descriptions, labels, names) may not hold control characters.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from entropy_gym.core.errors import ConfigError
from entropy_gym.runner.defaults import DEFAULT_SUITE_FILE
from entropy_gym.runner.labels import label_problem, skeleton
from entropy_gym.runner.vectorization import NATIVE, VECTORIZATIONS

#: Keys of one suite, with whether each is required.
SUITE_KEYS: dict[str, bool] = {
    "description": True,
    "seeds": True,
    "eval_episodes": True,
    "envs": True,
    "agents": True,
    "num_envs": False,
    "budget": False,
    "time_limit_s": False,
    "metrics": False,
    "bootstrap_reps": False,
    "vectorization": False,
    "baseline": False,
}
ENV_KEYS = (
    "id",
    "name",
    "kwargs",
    "random_score",
    "reference_score",
    "reference_source",
    "budget",
    "eval_episodes",
    "agent_params",
    "vectorization",
)
BUDGET_KEYS = ("env_steps", "episodes", "seconds")
DEFAULT_TIME_LIMIT_S = 600.0
#: The largest integer the result store (SQLite) holds: no limit raises a seed past it.
MAX_STORED_INTEGER = 2**63 - 1
DEFAULT_BOOTSTRAP_REPS = 2000
_METRIC_NAME = re.compile(r"^[A-Za-z0-9_./-]+$")
_SUITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Suite names that would collide with other folders under ``leaderboards/``.
RESERVED_SUITE_NAMES = frozenset({"site"})
#: Upper bounds of a suite's counts and sizes; each can be raised with the environment
#: variable ``ENTROPY_GYM_LIMIT_<NAME>`` (upper case).
LIMITS: dict[str, int] = {
    "seeds": 1_000,  # seeds per suite
    "seed": 2**32 - 1,  # the largest seed
    "eval_episodes": 10_000,
    "num_envs": 1_024,  # envs stepped together in a SyncVectorEnv (one Python env each)
    "native_num_envs": 65_536,  # envs of one native vector env (vectorization: native)
    "envs": 1_000,  # envs per suite
    "agents": 1_000,  # agents per suite
    "cells": 100_000,  # agents x envs x seeds
    "env_steps": 10**9,  # budget
    "episodes": 10**7,  # budget
    "seconds": 7 * 24 * 3600,  # budget, and time_limit_s
    "bootstrap_reps": 100_000,
    "text": 2_000,  # characters of a description
    "label": 200,  # characters of a label or an env name
    "number": 10**9,  # absolute value of a number in env kwargs or agent parameters
    "string": 10_000,  # characters of a string in env kwargs or agent parameters
    "depth": 8,  # nesting of lists and mappings in env kwargs or agent parameters
}


def limit(name: str) -> int:
    """The bound ``name`` of :data:`LIMITS`, or its ``ENTROPY_GYM_LIMIT_<NAME>`` override."""
    raw = os.environ.get(f"ENTROPY_GYM_LIMIT_{name.upper()}")
    if raw is None:
        return LIMITS[name]
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"ENTROPY_GYM_LIMIT_{name.upper()}={raw!r}: expected an integer"
        ) from None
    if value < 1:
        raise ConfigError(f"ENTROPY_GYM_LIMIT_{name.upper()}={raw!r}: expected an integer >= 1")
    return value


def _over(name: str) -> str:
    return f"(the limit is {limit(name)}; raise it with ENTROPY_GYM_LIMIT_{name.upper()})"


def control_character(text: str, allow: str = "") -> str | None:
    """The first control character of ``text`` (other than those in ``allow``), if any."""
    for ch in text:
        if ch not in allow and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return ch
    return None


class SuiteError(ConfigError):
    """A suite file that cannot run; the message names the file and the key path."""

    def __init__(self, file: str | Path, key: str, message: str) -> None:
        self.file, self.key = str(file), key
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")


class SuiteErrors(SuiteError):
    """Several problems of one suite file, reported together: ``errors`` holds each (one line
    apiece); ``str()`` is the first with a count of the others."""

    def __init__(self, errors: Sequence[SuiteError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        ConfigError.__init__(self, str(first))
        self.file, self.key = first.file, first.key

    @property
    def lines(self) -> list[str]:
        return [str(e) for e in self.errors]


@dataclass(frozen=True)
class EnvEntry:
    """One env of a suite: a Gymnasium id, its kwargs, and optional normalisation anchors.

    ``name`` is the task's column name on the leaderboard (the id, unless the same id appears
    with different kwargs). Anchors given here override the env catalog's; ``budget`` and
    ``eval_episodes``, where given, replace the suite's for this env's cells (a multi-turn task
    beside single-turn ones can then train and evaluate on fewer, longer episodes), and
    ``agent_params`` are merged into every suite agent's config on this env (per-env
    hyperparameters, as RL Zoo keeps them; a submitted agent does not get them).
    ``vectorization`` (``sync`` or ``native``), where given, replaces the suite's for this env
    (see :mod:`entropy_gym.runner.vectorization`).
    """

    id: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    random_score: float | None = None
    reference_score: float | None = None
    reference_source: str | None = None
    budget: Mapping[str, float] | None = None
    eval_episodes: int | None = None
    agent_params: Mapping[str, Any] = field(default_factory=dict)
    vectorization: str | None = None


@dataclass(frozen=True)
class AgentEntry:
    """One agent row of a suite: its label and the config ``make_agent`` builds it from."""

    label: str
    config: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.config["name"])

    @property
    def interventions(self) -> list[Mapping[str, Any] | str]:
        return list(self.config.get("interventions") or [])


@dataclass(frozen=True)
class BaselineGroup:
    """Agents compared with one baseline agent (``suites.<name>.baseline``). ``everyone``:
    the suite named one baseline for every other row, so submissions are compared with it
    too; otherwise ``compared`` lists the suite labels of the group."""

    baseline: str
    compared: tuple[str, ...]
    everyone: bool = False


@dataclass(frozen=True)
class Suite:
    """A validated suite: envs x agents x seeds, with the evaluation protocol."""

    name: str
    description: str
    seeds: tuple[int, ...]
    eval_episodes: int
    envs: tuple[EnvEntry, ...]
    agents: tuple[AgentEntry, ...]
    num_envs: int = 1
    budget: Mapping[str, float] | None = None
    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    metrics: tuple[str, ...] = ()
    bootstrap_reps: int = DEFAULT_BOOTSTRAP_REPS
    file: str = DEFAULT_SUITE_FILE
    vectorization: str | None = None
    baselines: tuple[BaselineGroup, ...] = ()

    def budget_for(self, env: EnvEntry) -> Mapping[str, float] | None:
        """The training budget of ``env``'s cells: its own where the suite gives one."""
        return env.budget if env.budget is not None else self.budget

    def eval_episodes_for(self, env: EnvEntry) -> int:
        """Evaluation episodes of ``env``'s cells: its own where the suite gives them."""
        return env.eval_episodes if env.eval_episodes is not None else self.eval_episodes

    def vectorization_for(self, env: EnvEntry) -> str | None:
        """How ``env``'s cells batch their envs: its own choice, else the suite's, else
        ``None`` (the agent's wish, else ``sync``)."""
        return env.vectorization if env.vectorization is not None else self.vectorization

    def env_by_name(self, name: str) -> EnvEntry:
        for env in self.envs:
            if env.name == name:
                return env
        raise KeyError(name)


# -- structure ------------------------------------------------------------------------------
class _Checker:
    """Small helpers that raise :class:`SuiteError` with the file and key path."""

    def __init__(self, file: str | Path) -> None:
        self.file = file

    def fail(self, key: str, message: str) -> SuiteError:
        return SuiteError(self.file, key, message)

    def mapping(self, value: Any, key: str, what: str = "a mapping") -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected {what}, got {_show(value)}")
        for k in value:
            if not isinstance(k, str):
                raise self.fail(key, f"expected string keys, got {_show(k)}")
        return value

    def keys(self, value: Mapping[str, Any], key: str, allowed: Sequence[str]) -> None:
        for k in value:
            if k not in allowed:
                raise self.fail(
                    f"{key}.{k}" if key else k,
                    f"unknown key; expected one of: {', '.join(allowed)}",
                )

    def integer(self, value: Any, key: str, minimum: int, bound: str | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"expected an integer >= {minimum}, got {_show(value)}")
        if bound is not None and value > limit(bound):
            raise self.fail(
                key, f"expected at most {limit(bound)}, got {_show(value)} {_over(bound)}"
            )
        return int(value)

    def number(
        self,
        value: Any,
        key: str,
        *,
        positive: bool = False,
        minimum: float | None = None,
        bound: str | None = None,
    ) -> float:
        ok = (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (math.isfinite(value) if isinstance(value, float) else abs(value) < 2**63)
        )
        if ok and positive and not value > 0:
            ok = False
        if ok and minimum is not None and value < minimum:
            ok = False
        if not ok:
            want = (
                "a number > 0"
                if positive
                else (f"a number >= {minimum:g}" if minimum is not None else "a finite number")
            )
            raise self.fail(key, f"expected {want}, got {_show(value)}")
        if bound is not None and value > limit(bound):
            raise self.fail(
                key, f"expected at most {limit(bound)}, got {_show(value)} {_over(bound)}"
            )
        return float(value)

    def string(self, value: Any, key: str, bound: str = "label", allow: str = "") -> str:
        """A non-empty string of at most ``limit(bound)`` characters, no control characters
        (but those in ``allow``)."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {_show(value)}")
        if not _encodable(value):
            raise self.fail(key, "holds a lone surrogate; expected valid Unicode text")
        if len(value) > limit(bound):
            raise self.fail(
                key, f"expected at most {limit(bound)} characters, got {len(value)} {_over(bound)}"
            )
        bad = control_character(value, allow)
        if bad is not None:
            raise self.fail(key, f"contains the control character {bad!r}; expected printable text")
        return value

    def vectorization(self, value: Any, key: str) -> str | None:
        """``None`` (not given) or one of :data:`~entropy_gym.runner.vectorization.VECTORIZATIONS`."""
        if value is None or value in VECTORIZATIONS:
            return None if value is None else str(value)
        raise self.fail(key, f"expected one of: {', '.join(VECTORIZATIONS)}, got {_show(value)}")

    def count(self, items: Sequence[Any], key: str, bound: str) -> None:
        if len(items) > limit(bound):
            raise self.fail(
                key, f"expected at most {limit(bound)} entries, got {len(items)} {_over(bound)}"
            )

    def free_value(self, value: Any, key: str, depth: int = 0) -> None:
        """Env kwargs and agent parameters: finite, bounded numbers and strings, shallow."""
        if depth > limit("depth"):
            raise self.fail(key, f"nested deeper than {limit('depth')} levels {_over('depth')}")
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                raise self.fail(key, f"expected a finite number, got {_show(value)}")
            if abs(value) > limit("number"):
                raise self.fail(
                    key,
                    f"expected a number of at most {limit('number'):g} in size, got "
                    f"{_show(value)} {_over('number')}",
                )
            return
        if isinstance(value, str):
            if not _encodable(value):
                raise self.fail(key, "holds a lone surrogate; expected valid Unicode text")
            if len(value) > limit("string"):
                raise self.fail(
                    key,
                    f"expected at most {limit('string')} characters, got {len(value)} "
                    f"{_over('string')}",
                )
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.free_value(item, f"{key}[{i}]", depth + 1)
            return
        if isinstance(value, Mapping):
            for k, item in value.items():
                self.free_value(item, f"{key}.{k}", depth + 1)
            return
        raise self.fail(key, f"expected a number, string, list or mapping, got {_show(value)}")

    def sequence(self, value: Any, key: str, *, non_empty: bool = True) -> list[Any]:
        if not isinstance(value, list) or (non_empty and not value):
            raise self.fail(
                key, f"expected a {'non-empty ' if non_empty else ''}list, got {_show(value)}"
            )
        return value


def _encodable(text: str) -> bool:
    """Whether ``text`` is valid Unicode (no lone surrogate): what SQLite and JSON can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


#: The largest suite file read (bytes).
MAX_SUITE_FILE_BYTES = 16 * 2**20


class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML's safe loader, refusing a key repeated in one mapping (YAML says keys are
    unique; PyYAML would keep the last one silently)."""


def _unique_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key: construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice in one mapping", key_node.start_mark
            )
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_suite_text(path: Path) -> str:
    """The suite file's text: a regular file (not a FIFO or a device that never ends) of at
    most :data:`MAX_SUITE_FILE_BYTES`, in UTF-8."""
    shown = str(path)
    if not path.exists():
        raise SuiteError(shown, "", "file not found (run from the repository root or pass --file)")
    if not path.is_file():
        raise SuiteError(shown, "", "not a regular file; expected a suite YAML file")
    with open(path, "rb") as f:
        data = f.read(MAX_SUITE_FILE_BYTES + 1)
    if len(data) > MAX_SUITE_FILE_BYTES:
        raise SuiteError(shown, "", f"larger than {MAX_SUITE_FILE_BYTES // 2**20} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SuiteError(
            shown, "", f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})"
        ) from None


def load_suites(path: str | Path = DEFAULT_SUITE_FILE) -> dict[str, Suite]:
    """Every suite of ``path``, structurally validated (see the module docstring)."""
    path = Path(path)
    shown = str(path)
    text = read_suite_text(path)
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a safe loader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise SuiteError(shown, "", f"{where}not valid YAML ({problem})") from None
    except RecursionError:
        raise SuiteError(shown, "", "nested too deeply to be a suite file") from None
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SuiteError(shown, "", f"not a valid suite file ({message})") from None
    check = _Checker(shown)
    top = check.mapping(data, "", "a mapping with a 'suites' key")
    check.keys(top, "", ["suites"])
    if "suites" not in top:
        raise check.fail("suites", "missing; expected a mapping of suite names to suites")
    suites = check.mapping(top["suites"], "suites", "a mapping of suite names to suites")
    if not suites:
        raise check.fail("suites", "expected at least one suite")
    parsed: dict[str, Suite] = {}
    problems: list[SuiteError] = []
    for name, body in suites.items():
        try:
            parsed[name] = _parse_suite(check, name, body)
        except SuiteErrors as errs:
            problems.extend(errs.errors)
        except SuiteError as err:
            problems.append(err)
    if problems:
        raise SuiteErrors(problems) if len(problems) > 1 else problems[0]
    return parsed


def load_suite(name: str, path: str | Path = DEFAULT_SUITE_FILE) -> Suite:
    """One suite by name; an unknown name lists the known ones."""
    suites = load_suites(path)
    if name not in suites:
        close = difflib.get_close_matches(name, list(suites), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SuiteError(
            path, f"suites.{name}", f"no such suite; {hint}expected one of: {', '.join(suites)}"
        )
    return suites[name]


def _parse_suite(check: _Checker, name: str, body: Any) -> Suite:
    """One suite; every section is checked even after another failed, and the problems are
    raised together (:class:`SuiteErrors`)."""
    key = f"suites.{name}"
    if not _SUITE_NAME.match(name) or name in RESERVED_SUITE_NAMES:
        raise check.fail(
            key, "expected a suite name of letters, digits, '_', '.', '-' (not 'site')"
        )
    body = check.mapping(body, key)
    problems: list[SuiteError] = []

    def section(parse: Any, *args: Any) -> Any:
        try:
            return parse(*args)
        except SuiteErrors as errs:
            problems.extend(errs.errors)
        except SuiteError as err:
            problems.append(err)
        return None

    section(check.keys, body, key, list(SUITE_KEYS))
    for k, required in SUITE_KEYS.items():
        if required and k not in body:
            problems.append(check.fail(f"{key}.{k}", "missing required key"))
    if problems:
        raise SuiteErrors(problems)
    description = section(check.string, body["description"], f"{key}.description", "text", "\n\t")
    seeds = section(_parse_seeds, check, body["seeds"], f"{key}.seeds")
    eval_episodes = section(
        check.integer, body["eval_episodes"], f"{key}.eval_episodes", 1, "eval_episodes"
    )
    num_envs = section(
        check.integer, body.get("num_envs", 1), f"{key}.num_envs", 1, "native_num_envs"
    )
    vectorization = section(check.vectorization, body.get("vectorization"), f"{key}.vectorization")
    time_limit = section(
        lambda: check.number(
            body.get("time_limit_s", DEFAULT_TIME_LIMIT_S),
            f"{key}.time_limit_s",
            positive=True,
            bound="seconds",
        )
    )
    reps = section(
        check.integer,
        body.get("bootstrap_reps", DEFAULT_BOOTSTRAP_REPS),
        f"{key}.bootstrap_reps",
        100,
        "bootstrap_reps",
    )
    budget = section(_parse_budget, check, body.get("budget"), f"{key}.budget")
    metrics = section(
        lambda: tuple(
            _metric_name(check, m, f"{key}.metrics[{i}]")
            for i, m in enumerate(
                check.sequence(body.get("metrics", []), f"{key}.metrics", non_empty=False)
            )
        )
    )
    envs = section(_parse_envs, check, body["envs"], f"{key}.envs")
    agents = section(_parse_agents, check, body["agents"], f"{key}.agents")
    baselines: tuple[BaselineGroup, ...] = ()
    if agents is not None and body.get("baseline") is not None:
        baselines = section(
            _parse_baseline, check, body["baseline"], f"{key}.baseline", [a.label for a in agents]
        )
    if problems:
        raise SuiteErrors(problems)
    _check_sync_num_envs(check, num_envs, vectorization, envs, key)
    cells = len(envs) * len(agents) * len(seeds)
    if cells > limit("cells"):
        raise check.fail(
            key,
            f"expected at most {limit('cells')} cells, got {len(agents)} agents x {len(envs)} envs "
            f"x {len(seeds)} seeds = {cells} {_over('cells')}",
        )
    return Suite(
        name=name,
        description=description,
        seeds=seeds,
        eval_episodes=eval_episodes,
        envs=envs,
        agents=agents,
        num_envs=num_envs,
        budget=budget,
        time_limit_s=time_limit,
        metrics=metrics,
        bootstrap_reps=reps,
        file=str(check.file),
        vectorization=vectorization,
        baselines=baselines,
    )


def _parse_baseline(
    check: _Checker, value: Any, key: str, labels: Sequence[str]
) -> tuple[BaselineGroup, ...]:
    """``baseline: LABEL`` (every other agent is compared with it) or ``baseline: {LABEL:
    [LABEL, ...], ...}`` (groups); each label an agent of the suite, each compared agent in
    one group only, no baseline compared in another group."""

    def known(label: Any, where: str) -> str:
        if not isinstance(label, str) or label not in labels:
            raise check.fail(
                where,
                f"unknown agent label {_show(label)}; expected one of: {', '.join(labels)}",
            )
        return label

    if isinstance(value, str):
        base = known(value, key)
        others = tuple(lab for lab in labels if lab != base)
        if not others:
            raise check.fail(key, f"{base!r} is the only agent; expected others to compare with it")
        return (BaselineGroup(base, others, everyone=True),)
    groups = check.mapping(
        value, key, "an agent label, or a mapping of baseline labels to lists of labels"
    )
    if not groups:
        raise check.fail(key, "expected at least one baseline")
    seen: dict[str, str] = {}
    out = []
    for base, members in groups.items():
        known(base, f"{key}.{base}")
        items = check.sequence(members, f"{key}.{base}")
        compared = []
        for i, label in enumerate(items):
            where = f"{key}.{base}[{i}]"
            known(label, where)
            if label == base:
                raise check.fail(
                    where, f"{label!r} is this group's baseline; expected another agent"
                )
            if label in groups:
                raise check.fail(
                    where, f"{label!r} is a baseline itself; expected an agent that is not"
                )
            if label in seen:
                raise check.fail(
                    where,
                    f"{label!r} is also compared in {seen[label]}; expected each agent under one "
                    "baseline",
                )
            seen[label] = where
            compared.append(label)
        out.append(BaselineGroup(base, tuple(compared)))
    return tuple(out)


def _check_sync_num_envs(
    check: _Checker, num_envs: int, vectorization: str | None, envs: Sequence[EnvEntry], key: str
) -> None:
    """More than ``limit("num_envs")`` envs only where every env is batched natively."""
    if num_envs <= limit("num_envs"):
        return
    for i, env in enumerate(envs):
        if (env.vectorization or vectorization) != NATIVE:
            raise check.fail(
                f"{key}.num_envs",
                f"expected at most {limit('num_envs')} for {env.name} stepped in a "
                f"SyncVectorEnv, got {num_envs} {_over('num_envs')}, or set vectorization: "
                f"native on {key}.envs[{i}]",
            )


def _parse_budget(check: _Checker, value: Any, key: str) -> dict[str, float] | None:
    if value is None:
        return None
    raw = check.mapping(value, key)
    check.keys(raw, key, BUDGET_KEYS)
    if not raw:
        raise check.fail(key, f"expected at least one of: {', '.join(BUDGET_KEYS)}")
    return {
        k: (
            check.integer(v, f"{key}.{k}", 0, k)
            if k != "seconds"
            else check.number(v, f"{key}.{k}", minimum=0, bound="seconds")
        )
        for k, v in raw.items()
    }


def _metric_name(check: _Checker, value: Any, key: str) -> str:
    if not isinstance(value, str) or not _METRIC_NAME.match(value):
        raise check.fail(
            key, f"expected an episode metric name (letters, digits, _ . / -), got {_show(value)}"
        )
    return value


def _parse_seeds(check: _Checker, value: Any, key: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        return tuple(range(check.integer(value, key, 1, "seeds")))
    items = check.sequence(value, key)
    check.count(items, key, "seeds")
    seeds = tuple(check.integer(s, f"{key}[{i}]", 0, "seed") for i, s in enumerate(items))
    for i, seed in enumerate(seeds):
        if seed > MAX_STORED_INTEGER:
            raise check.fail(
                f"{key}[{i}]",
                f"expected at most {MAX_STORED_INTEGER} (the store's integer range), got {seed}",
            )
    if len(set(seeds)) != len(seeds):
        raise check.fail(key, f"expected distinct seeds, got {list(seeds)}")
    return seeds


def _parse_envs(check: _Checker, value: Any, key: str) -> tuple[EnvEntry, ...]:
    entries = []
    items = check.sequence(value, key)
    check.count(items, key, "envs")
    for i, item in enumerate(items):
        k = f"{key}[{i}]"
        if isinstance(item, str):
            entries.append(EnvEntry(id=check.string(item, k)))
            continue
        item = check.mapping(item, k, "an env id or a mapping with 'id'")
        check.keys(item, k, ENV_KEYS)
        if "id" not in item:
            raise check.fail(f"{k}.id", "missing required key")
        kwargs = dict(check.mapping(item.get("kwargs") or {}, f"{k}.kwargs"))
        check.free_value(kwargs, f"{k}.kwargs")
        if "max_episode_steps" in kwargs and kwargs["max_episode_steps"] is not None:
            check.integer(kwargs["max_episode_steps"], f"{k}.kwargs.max_episode_steps", 1)
        anchors = {a: item.get(a) for a in ("random_score", "reference_score")}
        given = [a for a, v in anchors.items() if v is not None]
        if given and len(given) != 2:
            raise check.fail(k, "expected both random_score and reference_score, or neither")
        for a in given:
            check.number(anchors[a], f"{k}.{a}")
        if given:
            if anchors["random_score"] == anchors["reference_score"]:
                raise check.fail(
                    f"{k}.reference_score", "expected a value different from random_score"
                )
            check.string(item.get("reference_source"), f"{k}.reference_source", "text")
        budget = _parse_budget(check, item.get("budget"), f"{k}.budget")
        vectorization = check.vectorization(item.get("vectorization"), f"{k}.vectorization")
        eval_episodes = (
            check.integer(item["eval_episodes"], f"{k}.eval_episodes", 1, "eval_episodes")
            if item.get("eval_episodes") is not None
            else None
        )
        params = dict(check.mapping(item.get("agent_params") or {}, f"{k}.agent_params"))
        check.free_value(params, f"{k}.agent_params")
        reserved = sorted(set(params) & {"name", "label", "interventions"})
        if reserved:
            raise check.fail(
                f"{k}.agent_params.{reserved[0]}",
                "expected agent parameters only (not name, label or interventions)",
            )
        entries.append(
            EnvEntry(
                id=check.string(item["id"], f"{k}.id"),
                kwargs=kwargs,
                name=check.string(item["name"], f"{k}.name") if "name" in item else "",
                random_score=None
                if anchors["random_score"] is None
                else float(anchors["random_score"]),
                reference_score=None
                if anchors["reference_score"] is None
                else float(anchors["reference_score"]),
                reference_source=item.get("reference_source"),
                budget=budget,
                eval_episodes=eval_episodes,
                agent_params=params,
                vectorization=vectorization,
            )
        )
    return _name_envs(check, entries, key)


def _name_envs(check: _Checker, entries: list[EnvEntry], key: str) -> tuple[EnvEntry, ...]:
    """Give each env its leaderboard name: the id, plus its kwargs where the id repeats."""
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.id] = counts.get(e.id, 0) + 1
    named: list[EnvEntry] = []
    seen: dict[str, int] = {}
    tasks: dict[tuple[str, str], int] = {}
    for i, e in enumerate(entries):
        task = (e.id, repr(sorted(e.kwargs.items())))
        if task in tasks:
            raise check.fail(
                f"{key}[{i}]",
                f"duplicate env {e.id!r} with the same kwargs as {key}[{tasks[task]}]; "
                "expected distinct ids or kwargs",
            )
        tasks[task] = i
        name = e.name
        if not name:
            suffix = ",".join(f"{k}={v}" for k, v in sorted(e.kwargs.items()))
            name = f"{e.id}[{suffix}]" if counts[e.id] > 1 and suffix else e.id
        if name in seen:
            raise check.fail(
                f"{key}[{i}]",
                f"duplicate env {name!r} (also {key}[{seen[name]}]); "
                "expected distinct ids or kwargs, or a distinct 'name'",
            )
        seen[name] = i
        named.append(replace(e, name=name))
    return tuple(named)


def _parse_agents(check: _Checker, value: Any, key: str) -> tuple[AgentEntry, ...]:
    entries: list[AgentEntry] = []
    seen: dict[str, int] = {}  # label skeleton -> index
    items_label: dict[int, str] = {}
    items = check.sequence(value, key)
    check.count(items, key, "agents")
    for i, item in enumerate(items):
        k = f"{key}[{i}]"
        if isinstance(item, str):
            config: dict[str, Any] = {"name": check.string(item, k, "string")}
            label = None
        else:
            item = check.mapping(item, k, "an agent name or a mapping with 'name'")
            if "name" not in item:
                raise check.fail(f"{k}.name", "missing required key")
            config = {kk: v for kk, v in item.items() if kk != "label"}
            check.free_value(config, k)
            config["name"] = check.string(item["name"], f"{k}.name", "string")
            label = check.string(item["label"], f"{k}.label") if "label" in item else None
            ivs = check.sequence(
                item.get("interventions") or [], f"{k}.interventions", non_empty=False
            )
            for j, iv in enumerate(ivs):
                jk = f"{k}.interventions[{j}]"
                if isinstance(iv, str):
                    check.string(iv, jk)
                else:
                    iv = check.mapping(iv, jk, "an intervention name or a mapping with 'name'")
                    if "name" not in iv:
                        raise check.fail(f"{jk}.name", "missing required key")
                    check.string(iv["name"], f"{jk}.name")
            if not ivs:
                config.pop("interventions", None)
        if label is not None:
            check.string(label, f"{k}.label")
            problem = label_problem(label)
            if problem:
                raise check.fail(f"{k}.label", f"{label!r} cannot name a row: {problem}")
        label = label or check.string(default_label(config), f"{k}", "string")
        look = skeleton(label)
        if look in seen:
            same = (
                ""
                if label == items_label[seen[look]]
                else f" looks like {items_label[seen[look]]!r}"
            )
            raise check.fail(
                f"{k}",
                f"duplicate agent label {label!r}{same} (also {key}[{seen[look]}]); "
                "expected a distinct 'label'",
            )
        seen[look] = i
        items_label[i] = label
        entries.append(AgentEntry(label=label, config=config))
    return tuple(entries)


def default_label(config: Mapping[str, Any]) -> str:
    """``name`` (the class name for ``file.py:Class`` references) joined with its
    interventions and their parameters, e.g. ``ppo+entropy_bonus(coef=0.01)``."""
    name = str(config["name"])
    base = name.rsplit(":", 1)[1] if ":" in name else name
    params = {k: v for k, v in config.items() if k not in ("name", "interventions")}
    if params:
        base += "(" + ",".join(f"{k}={v}" for k, v in sorted(params.items())) + ")"
    parts = [base]
    for iv in config.get("interventions") or []:
        parts.append(intervention_label(iv))
    return "+".join(parts)


def intervention_label(iv: Mapping[str, Any] | str) -> str:
    """``temperature(t=2.0)`` for ``{"name": "temperature", "t": 2.0}``."""
    if isinstance(iv, str):
        return iv
    params = {k: v for k, v in iv.items() if k != "name"}
    args = ",".join(f"{k}={v}" for k, v in sorted(params.items()))
    return f"{iv['name']}({args})" if args else str(iv["name"])


# -- runnability ------------------------------------------------------------------------------
def check_runnable(suite: Suite, *, build_envs: bool = True) -> None:
    """Build every env and every agent (with interventions) of ``suite`` once, and check each
    agent against each env (:meth:`~entropy_gym.agents.base.BaseAgent.check_task`) and the
    suite's metrics against what its envs report.

    Envs batched natively (``vectorization: native``, the suite's or an agent's) must have a
    vector entry point.

    Raises :class:`SuiteError` naming the key of the first env, agent, intervention or metric
    that cannot run, so that a bad config fails before any cell runs.
    """
    from entropy_gym.agents.registry import make_agent, make_intervention
    from entropy_gym.runner.envs import make_env, resolve_env_id
    from entropy_gym.runner.evaluation import task_of
    from entropy_gym.runner.vectorization import require_vector_entry_point

    base = f"suites.{suite.name}"
    tasks = []
    reported: set[str] = set()
    undeclared = False
    for i, env in enumerate(suite.envs):
        key = f"{base}.envs[{i}]"
        try:
            resolve_env_id(env.id)
        except ConfigError as err:
            raise SuiteError(suite.file, f"{key}.id" if env.kwargs else key, str(err)) from None
        if suite.vectorization_for(env) == NATIVE:
            try:
                require_vector_entry_point(env.id)
            except ConfigError as err:
                where = f"{key}.vectorization" if env.vectorization else f"{base}.vectorization"
                raise SuiteError(suite.file, where, str(err)) from None
        if not build_envs:
            continue
        try:
            built = make_env(env.id, env.kwargs)
        except Exception as err:
            raise SuiteError(
                suite.file,
                key,
                f"gym.make({env.id!r}, **{dict(env.kwargs)!r}) raised {type(err).__name__}: {err}",
            ) from None
        try:
            tasks.append((env, task_of(built, env.id, env.kwargs, suite.num_envs)))
            declared = getattr(built.unwrapped, "EPISODE_METRICS", None)
            if declared is None:
                undeclared = True  # an env that does not say what it reports: cannot check
            else:
                reported.update(declared)
        finally:
            built.close()
    if build_envs and not undeclared:
        for j, metric in enumerate(suite.metrics):
            if metric not in reported:
                known = ", ".join(sorted(reported)) or "none (they report no episode metrics)"
                raise SuiteError(
                    suite.file,
                    f"{base}.metrics[{j}]",
                    f"unknown metric {metric!r}; the suite's envs report: {known}",
                )
    for i, entry in enumerate(suite.agents):
        key = f"{base}.agents[{i}]"
        plain = {k: v for k, v in entry.config.items() if k != "interventions"}
        try:
            agent = make_agent(plain)
        except ConfigError as err:
            raise SuiteError(suite.file, key, str(err)) from None
        except Exception as err:  # a user class whose constructor fails
            raise SuiteError(
                suite.file, key, f"building the agent raised {type(err).__name__}: {err}"
            ) from None
        for j, iv_spec in enumerate(entry.interventions):
            iv_key = f"{key}.interventions[{j}]"
            try:
                agent.attach(make_intervention(iv_spec))
            except ConfigError as err:
                raise SuiteError(suite.file, iv_key, str(err)) from None
            except Exception as err:
                raise SuiteError(
                    suite.file,
                    iv_key,
                    f"building the intervention raised {type(err).__name__}: {err}",
                ) from None
        for n, env in enumerate(suite.envs):
            if env.agent_params:
                try:
                    make_agent({**plain, **env.agent_params})
                except Exception as err:
                    raise SuiteError(
                        suite.file,
                        f"{base}.envs[{n}].agent_params",
                        f"agent {entry.label!r} with these parameters: {err}",
                    ) from None
        _check_agent_vectorization(suite, key, entry.label, agent)
        checked: set[tuple[str, str]] = set()
        check_task = getattr(agent, "check_task", None)
        for env, task in tasks:
            spaces = (repr(task.observation_space), repr(task.action_space))
            if check_task is None or spaces in checked:
                continue
            checked.add(spaces)
            try:
                check_task(task)
            except ConfigError as err:
                where = "" if env.id in str(err) else f"on {env.name or env.id}: "
                raise SuiteError(suite.file, key, f"{where}{err}") from None
            except Exception as err:
                raise SuiteError(
                    suite.file,
                    key,
                    f"on {env.name or env.id}: checking the agent raised "
                    f"{type(err).__name__}: {err}",
                ) from None


def _check_agent_vectorization(suite: Suite, key: str, label: str, agent: Any) -> None:
    """An agent's ``vectorization`` wish must be known, and ``native`` needs a vector entry
    point on every env whose suite entry leaves the choice to the agent."""
    from entropy_gym.runner.vectorization import (
        check_vectorization,
        require_vector_entry_point,
    )

    wish = getattr(agent, "vectorization", None)
    if wish is None:
        return
    try:
        check_vectorization(wish, f"agent {label!r}")
    except ConfigError as err:
        raise SuiteError(suite.file, key, str(err)) from None
    if wish != NATIVE:
        return
    for env in suite.envs:
        if suite.vectorization_for(env) is None:
            try:
                require_vector_entry_point(env.id)
            except ConfigError as err:
                raise SuiteError(
                    suite.file, key, f"agent {label!r} asks for vectorization: native; {err}"
                ) from None
