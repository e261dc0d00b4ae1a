"""The entropy papers' shape checks (a)-(h) from a result store: which cells each check reads,
the report (``shape_checks.json``, ``shape_checks.md``) and the ``shape-checks`` command.

The statistics, intervals and verdict rules are in :mod:`entropy_gym.scoring.llm_shapes`; here
the cells are picked. A store holds the ``llm-rl`` board and its two companions (one store for
all three suites); every check reads full per-update telemetry (a published board keeps a
thinned subset). The arms compared are found by their **intervention configuration**, not
only by label: plain is the baseline label (``grpo``; else the cells without interventions),
and an intervention's arm is the cells with exactly that one intervention (and matching
parameters, e.g. ``forking_tokens`` with ``invert``) whose other settings equal plain's on the
same suite and task. Checks whose cells the store lacks say ``not run``.

Where the checks look (suite names are options; the defaults are ``benchmarks.yaml``'s):

* (a), (b): plain on every task of the main suite (``llm-rl``; any suite with a plain
  ``llm_grpo`` row, e.g. the pilot's);
* (c): ``clip_cov`` and ``kl_cov`` against plain on every task of the main suite;
* (d): ``forking_tokens`` (top 20%) and its ``invert`` ablation (bottom 80%) against plain on
  the Reasoning task of the shapes suite, and the top 20% on every task of the main suite;
* (e): the largest ``entropy_bonus`` coefficient of the shapes suite, per task;
* (f): every ``entropy_target`` target of the shapes suite, per task;
* (g): ``empg`` and ``epo`` against plain on the main suite's multi-turn tasks (``TextBandit/``,
  ``ToolTask/``), with the board's normalised scores (the suite's anchors where the suite file
  defines it, else the env catalog's);
* (h): ``lp_reg`` against plain in the long suite (``llm-rl-long``), per task.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entropy_gym.core.errors import ConfigError
from entropy_gym.runner.defaults import DEFAULT_STORE, DEFAULT_SUITE_FILE
from entropy_gym.scoring import llm_shapes as shapes
from entropy_gym.scoring.llm_shapes import Part

#: Version of ``shape_checks.json``.
REPORT_VERSION = 1
MAIN_SUITE, SHAPES_SUITE, LONG_SUITE, BASELINE = "llm-rl", "llm-rl-shapes", "llm-rl-long", "grpo"
MULTI_TURN = ("TextBandit/", "ToolTask/")
REASONING = "Reasoning/"

ENTROPY_MECHANISM = "The Entropy Mechanism of Reinforcement Learning for Reasoning Language Models"
#: Each check: its paper finding and where the finding comes from.
CHECKS: dict[str, tuple[str, str]] = {
    "a": (
        "Plain GRPO's token entropy collapses, and R = -a exp(H) + b fits its (entropy, "
        "reward) trajectory, with -a + b the ceiling",
        ENTROPY_MECHANISM,
    ),
    "b": (
        "The covariance of token log-prob and advantage stays mostly positive, and entropy "
        "change follows it (falls when it is positive)",
        ENTROPY_MECHANISM,
    ),
    "c": (
        "Clip-Cov and KL-Cov hold entropy above plain without losing pass@k at large k",
        ENTROPY_MECHANISM,
    ),
    "d": (
        "Training on the 20% highest-entropy (forking) tokens matches the full gradient; "
        "training on the 80% lowest does worse",
        "Beyond the 80/20 Rule: High-Entropy Minority Tokens Drive Effective RL for LLM Reasoning",
    ),
    "e": (
        "A large entropy bonus makes entropy explode",
        "SIREN (global entropy explosion); EPO (chaotic exploration)",
    ),
    "f": (
        "An entropy target is held at several levels, and performance against the target is "
        "non-monotonic (first improves, then declines)",
        "Arbitrary Entropy Policy Optimization (AEPO)",
    ),
    "g": (
        "EMPG and EPO improve multi-turn agents over plain",
        "Entropy-Modulated Policy Gradients (EMPG); Entropy-regularized Policy Optimization (EPO)",
    ),
    "h": (
        "Over about 1,000 updates Lp-Reg stays stable where plain collapses",
        "Low-probability Tokens Sustain Exploration in RLVR (Lp-Reg)",
    ),
}


def legend() -> dict[str, str]:
    """How each check is computed and judged (the report's legend; the module docstring of
    :mod:`entropy_gym.scoring.llm_shapes` says the same at length)."""
    s = shapes
    edge = f"the mean of its first (last) {s.EDGE} updates' training token entropy"
    return {
        "intervals": "95% percentile bootstrap over seeds (each arm's seeds resampled with "
        "replacement, two arms independently; a seed's values travel together), seeded from "
        "the check's name: the report is a pure function of the store. No interval below "
        f"{s.MIN_SEEDS} seeds (verdict inconclusive).",
        "start/end": f"a seed's start (end) entropy is {edge}; an arm's is the mean over "
        "seeds; end held-out values are the evaluation after the last update.",
        "a": "collapse: end/start entropy ratio; reproduced when its interval lies below 1, not "
        f"reproduced when above {1 - s.COLLAPSE_MARGIN:g}. Fit: the across-seed mean entropy "
        f"and reward per update (success; return on the bandit), averaged in windows of "
        f"{s.WINDOW} updates ending at the last, fitted by least squares to R = -a exp(H) + b; "
        "ceiling = -a + b (reward at H = 0) against the reward reached (last window). "
        f"Reproduced when a > 0 and R^2 > {s.FIT_R2:g} (intervals); not reproduced when "
        f"either interval lies at or below 0 / {s.FIT_R2:g}.",
        "b": "share: per seed, the share of updates with covariance > 0 among those whose "
        "covariance is not 0 (all-tied groups carry none); reproduced when the mean share's "
        "interval lies above 0.5. Tracking: per seed, Pearson's r over updates between the "
        "covariance at t and H(t+1) - H(t); mean over seeds; reproduced when below 0, not "
        f"reproduced when above -{s.CORRELATION_MARGIN:g}.",
        "c": "end entropy and end held-out pass@k at the largest k measured, intervention "
        "minus plain; reproduced when the entropy difference lies above 0 and the pass@k "
        "difference is not wholly below 0; not reproduced when the entropy difference lies "
        "at or below 0 or the pass@k difference wholly below 0.",
        "d": "end held-out success, intervention minus plain. Top 20%: reproduced (matches) "
        f"when the interval lies above -{s.SUCCESS_MARGIN:g}, not reproduced when at or "
        f"below it. Bottom 80%: reproduced (worse) when below 0, not reproduced when above "
        f"-{s.SUCCESS_MARGIN:g}.",
        "e": f"explosion = the end entropy more than {s.EXPLOSION_RATIO:g}x the start; "
        f"reproduced when the end/start interval lies above {s.EXPLOSION_RATIO:g}, not "
        "reproduced when at or below; end / ln V is the end entropy against the uniform "
        "distribution's over the model's vocabulary.",
        "f": f"held: |end entropy - target| within {s.TARGET_TOLERANCE:.0%} of the target "
        "(interval), not held when beyond. Shape: non-monotonic (reproduced) when an interior "
        "target's end held-out success beats both extreme targets' (both differences' "
        "intervals above 0); not reproduced when every interior target is below an extreme "
        "(an interval wholly below 0).",
        "g": "the board's normalised score (evaluation return against the random and "
        "reference anchors) and end held-out success, intervention minus plain, on the "
        "multi-turn tasks; reproduced when the score difference lies above 0, not reproduced "
        f"when at or below {s.SCORE_MARGIN:g}.",
        "h": "collapse: end/start entropy ratio below "
        f"{s.LONG_COLLAPSE_RATIO:g} (interval; 'holds' when at or above); fall: the best "
        "held-out success checkpoint of the across-seed mean curve minus its end; 'falls' "
        f"when the interval lies above {s.FALL_MARGIN:g}, 'stable' when at or below. "
        "Reproduced when plain collapses or falls while Lp-Reg holds and is stable; not "
        "reproduced when Lp-Reg collapses or falls, or plain holds and is stable.",
    }


# -- cells -----------------------------------------------------------------------------------
Interventions = tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]


def interventions_of(config: Mapping[str, Any]) -> Interventions:
    """An agent config's interventions as ``((name, ((param, value), ...)), ...)``."""
    out: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
    for item in config.get("interventions") or ():
        if isinstance(item, str):
            out.append((item, ()))
        elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
            params = tuple(sorted((k, v) for k, v in item.items() if k != "name"))
            out.append((item["name"], params))
    return tuple(out)


def _settings(config: Mapping[str, Any]) -> str:
    """Everything of an agent config but its interventions and label, as a stable string."""
    rest = {k: v for k, v in config.items() if k not in ("interventions", "label")}
    return json.dumps(rest, sort_keys=True, default=repr)


@dataclass
class Arm:
    """One agent configuration's finished cells on one task of one suite."""

    suite: str
    label: str
    env: str
    env_id: str
    config: dict[str, Any]
    cells: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    scores: dict[int, float] = field(default_factory=dict)

    @property
    def interventions(self) -> Interventions:
        return interventions_of(self.config)

    def only(self, name: str) -> dict[str, Any] | None:
        """The parameters of the arm's one intervention when it is ``name``, else ``None``."""
        found = self.interventions
        return dict(found[0][1]) if len(found) == 1 and found[0][0] == name else None


def load_arms(store: Any, suite_name: str, suite: Any | None) -> list[Arm]:
    """The finished cells of ``suite_name`` grouped into arms: the suite's current cells where
    the suite file defines it (:func:`~entropy_gym.leaderboard.build.select_rows`), else every
    stored row of that name. Scores are the board's (normalised where anchors exist)."""
    from entropy_gym.leaderboard.build import select_rows, suite_anchors
    from entropy_gym.scoring.normalise import anchors_for

    rows = select_rows(store, suite) if suite is not None else store.rows(suite_name)
    anchors = suite_anchors(suite) if suite is not None else {}
    arms: dict[tuple[str, str, str], Arm] = {}
    for row in sorted(rows, key=lambda r: r.finished_at):  # a later row of a cell wins
        if not row.ok or row.result is None:
            continue
        cell = row.cell
        config = dict(cell.agent_config)
        key = (cell.agent_label, cell.env_name, _settings(config) + repr(interventions_of(config)))
        arm = arms.setdefault(
            key, Arm(suite_name, cell.agent_label, cell.env_name, cell.env_id, config)
        )
        arm.cells[cell.seed] = [dict(r) for r in row.result.telemetry]
        anchor = anchors.get(cell.env_name) or anchors_for(cell.env_id)
        arm.scores[cell.seed] = anchor.apply(row.result.mean_return)
    return sorted(arms.values(), key=lambda a: (a.env, a.label))


def vocabulary_size(config: Mapping[str, Any]) -> int | None:
    """The vocabulary of an agent config's model where its files say (a micro model's name,
    or a model folder with a ``config.json``); ``None`` otherwise."""
    from entropy_gym.agents.llm.micro.catalog import is_micro_model, model_dir

    model = config.get("model")
    if not isinstance(model, str):
        return None
    folder = model_dir(model) if is_micro_model(model) else Path(model)
    try:
        size = json.loads((folder / "config.json").read_text()).get("vocab_size")
    except (OSError, ValueError, AttributeError):
        return None
    return int(size) if isinstance(size, int) and size > 1 else None


class Board:
    """The arms of one suite, with plain and intervention look-ups per task."""

    def __init__(
        self, name: str, arms: Sequence[Arm], baseline: str, envs: Sequence[str], absent: str = ""
    ):
        self.name, self.arms, self.baseline = name, list(arms), baseline
        self.envs = list(envs) or sorted({a.env for a in arms})
        #: What the store lacks when the board has no arm (for ``not run``).
        self.absent = absent or f"suite {name}"

    def plain(self, env: str) -> Arm | None:
        """The baseline label's arm on ``env`` (the most seeds), else the arm without
        interventions."""
        here = [a for a in self.arms if a.env == env]
        named = [a for a in here if a.label == self.baseline]
        bare = [a for a in here if not a.interventions and a.config.get("name") == "llm_grpo"]
        pool = named or bare
        return max(pool, key=lambda a: len(a.cells)) if pool else None

    def variants(
        self, env: str, name: str, params: Callable[[dict[str, Any]], bool] = lambda p: True
    ) -> list[Arm]:
        """Arms on ``env`` with the one intervention ``name`` whose parameters pass
        ``params`` and whose other settings are plain's."""
        plain = self.plain(env)
        if plain is None:
            return []
        settings = _settings(plain.config)
        return [
            a
            for a in self.arms
            if a.env == env
            and (p := a.only(name)) is not None
            and params(p)
            and _settings(a.config) == settings
        ]

    def variant(self, env: str, name: str, label: str, params: Any = lambda p: True) -> Arm | None:
        """The arm of :meth:`variants` labelled ``label``, else the one with the most seeds."""
        found = self.variants(env, name, params)
        named = [a for a in found if a.label == label]
        pool = named or found
        return max(pool, key=lambda a: len(a.cells)) if pool else None


def _where(board: Board, env: str, arm: Arm | None = None, plain: Arm | None = None) -> str:
    if arm is None:
        return f"{env} ({board.name})"
    return f"{arm.label} vs {plain.label if plain else board.baseline} on {env} ({board.name})"


# -- the checks ------------------------------------------------------------------------------
def plain_checks(main: Board, reps: int) -> dict[str, list[Part]]:
    """(a) and (b) on every task of the main suite."""
    out: dict[str, list[Part]] = {"a": [], "b": []}
    claims = {
        "a": ("token entropy collapses", "R = -a exp(H) + b fits (entropy, reward)"),
        "b": (
            "covariance mostly positive",
            "entropy change tracks covariance (negative correlation)",
        ),
    }
    if not main.envs:
        for check, names in claims.items():
            out[check] = [shapes.not_run(check, c, main.name, main.absent) for c in names]
        return out
    for env in main.envs:
        plain = main.plain(env)
        where = _where(main, env)
        if plain is None:
            for check, names in claims.items():
                out[check] += [
                    shapes.not_run(check, c, where, f"{main.baseline} cells") for c in names
                ]
            continue
        out["a"].append(shapes.entropy_collapse(plain.cells, where, reps))
        out["a"].append(shapes.entropy_reward_fit(plain.cells, where, reps))
        out["b"].append(shapes.covariance_positive(plain.cells, where, reps))
        out["b"].append(shapes.covariance_tracks_entropy(plain.cells, where, reps))
    return out


def _compare(
    board: Board,
    env: str,
    check: str,
    claim: str,
    label: str,
    name: str,
    params: Any,
    compute: Callable[[Arm, Arm, str], Part],
) -> Part:
    plain = board.plain(env)
    arm = board.variant(env, name, label, params)
    if plain is None or arm is None:
        where = f"{label} vs {board.baseline} on {env} ({board.name})"
        if not board.arms:
            where, missing = f"{label} vs {board.baseline} ({board.name})", board.absent
        elif plain is None:
            missing = f"{board.baseline} cells"
        else:
            missing = f"{label} ({name}) cells"
        return shapes.not_run(check, claim, where, missing)
    return compute(plain, arm, _where(board, env, arm, plain))


def covariance_rule_checks(main: Board, reps: int) -> list[Part]:
    """(c) Clip-Cov and KL-Cov against plain on every task of the main suite."""
    claim = "holds entropy above plain without losing pass@k"
    parts = []
    for env in main.envs or [main.name]:
        for name in ("clip_cov", "kl_cov"):
            parts.append(
                _compare(
                    main,
                    env,
                    "c",
                    claim,
                    f"grpo+{name}",
                    name,
                    lambda p: True,
                    lambda plain, arm, where: shapes.holds_entropy(
                        plain.cells, arm.cells, where, reps
                    ),
                )
            )
    return parts


def _top(p: dict[str, Any]) -> bool:
    return not p.get("invert", False) and math.isclose(float(p.get("top", 0.2)), 0.2)


def _bottom(p: dict[str, Any]) -> bool:
    return bool(p.get("invert", False)) and math.isclose(float(p.get("top", 0.2)), 0.2)


def forking_checks(main: Board, shapes_board: Board, reps: int) -> list[Part]:
    """(d) Top 20% and bottom 80% on the shapes suite's Reasoning task; top 20% on every task
    of the main suite."""
    parts = []

    def run(expect: str) -> Callable[[Arm, Arm, str], Part]:
        return lambda plain, arm, where: shapes.success_difference(
            plain.cells, arm.cells, where, reps, expect=expect
        )

    def top(board: Board, env: str) -> Part:
        claim = "top 20% matches the full gradient"
        return _compare(
            board, env, "d", claim, "grpo+forking_tokens", "forking_tokens", _top, run("match")
        )

    reasoning = [e for e in shapes_board.envs if _env_id(shapes_board, e).startswith(REASONING)]
    for env in reasoning or [shapes_board.name]:
        parts.append(top(shapes_board, env))
        parts.append(
            _compare(
                shapes_board,
                env,
                "d",
                "bottom 80% does worse than the full gradient",
                "grpo+forking_tokens@bottom80",
                "forking_tokens",
                _bottom,
                run("worse"),
            )
        )
    for env in main.envs or [main.name]:
        parts.append(top(main, env))
    return parts


def _env_id(board: Board, env: str) -> str:
    return next((a.env_id for a in board.arms if a.env == env), env)


def _missing(board: Board, env: str, check: str, claim: str, label: str) -> Part:
    """A part whose arm the board lacks (or the whole suite, where the store has none)."""
    if not board.arms:
        return shapes.not_run(check, claim, f"{label} ({board.name})", board.absent)
    return shapes.not_run(check, claim, f"{label} on {env} ({board.name})", f"{label} cells")


def _bonus(arm: Arm) -> float:
    """An entropy-bonus arm's coefficient (the intervention's default, 0.01, if unset)."""
    return float((arm.only("entropy_bonus") or {}).get("coef", 0.01))


def bonus_checks(shapes_board: Board, reps: int) -> list[Part]:
    """(e) The largest entropy-bonus coefficient of the shapes suite, per task."""
    claim = "a large entropy bonus makes entropy explode"
    parts = []
    for env in shapes_board.envs or [shapes_board.name]:
        arms = shapes_board.variants(env, "entropy_bonus")
        if not arms:
            parts.append(_missing(shapes_board, env, "e", claim, "grpo+entropy_bonus@1"))
            continue
        arm = max(arms, key=lambda a: (_bonus(a), len(a.cells)))
        coef = _bonus(arm)
        where = f"{arm.label} (coef {coef:g}) on {env} ({shapes_board.name})"
        part = shapes.entropy_explosion(arm.cells, where, reps, vocabulary_size(arm.config))
        part.facts["coef"] = coef
        parts.append(part)
    return parts


def target_checks(shapes_board: Board, reps: int) -> list[Part]:
    """(f) Every entropy target of the shapes suite, per task, and the shape across them."""
    parts = []
    for env in shapes_board.envs or [shapes_board.name]:
        by_target: dict[float, Arm] = {}
        for arm in shapes_board.variants(env, "entropy_target"):
            target = (arm.only("entropy_target") or {}).get("target")
            if isinstance(target, (int, float)) and not isinstance(target, bool):
                kept = by_target.get(float(target))
                if kept is None or len(arm.cells) > len(kept.cells):
                    by_target[float(target)] = arm
        if not by_target:
            claim = "entropy_target holds its target"
            parts.append(_missing(shapes_board, env, "f", claim, "grpo+entropy_target@X"))
            continue
        for target, arm in sorted(by_target.items()):
            where = f"{arm.label} on {env} ({shapes_board.name})"
            parts.append(shapes.holds_target(arm.cells, target, where, reps))
        where = f"{len(by_target)} targets on {env} ({shapes_board.name})"
        parts.append(shapes.target_shape({t: a.cells for t, a in by_target.items()}, where, reps))
    return parts


def multi_turn_checks(main: Board, reps: int) -> list[Part]:
    """(g) EMPG and EPO against plain on the main suite's multi-turn tasks."""
    claim = "improves on plain on a multi-turn task"
    envs = [e for e in main.envs if _env_id(main, e).startswith(MULTI_TURN)]
    parts = []
    for env in envs or [f"multi-turn tasks of {main.name}"]:
        for name in ("empg", "epo"):
            parts.append(
                _compare(
                    main,
                    env,
                    "g",
                    claim,
                    f"grpo+{name}",
                    name,
                    lambda p: True,
                    lambda plain, arm, where: shapes.multi_turn_gain(
                        plain.cells, arm.cells, plain.scores, arm.scores, where, reps
                    ),
                )
            )
    return parts


def long_checks(long_board: Board, reps: int) -> list[Part]:
    """(h) Lp-Reg against plain over the long suite's updates, per task."""
    claim = "Lp-Reg stays stable where plain collapses"
    return [
        _compare(
            long_board,
            env,
            "h",
            claim,
            "grpo+lp_reg",
            "lp_reg",
            lambda p: True,
            lambda plain, arm, where: shapes.long_run_stability(
                plain.cells, arm.cells, where, reps
            ),
        )
        for env in long_board.envs or [long_board.name]
    ]


# -- the report ------------------------------------------------------------------------------
def _board(store: Any, name: str, suite_file: str | None, baseline: str) -> Board:
    suite = None
    if suite_file is not None:
        from entropy_gym.runner import load_suites

        suite = load_suites(suite_file).get(name)
    arms = load_arms(store, name, suite)
    envs = [e.name for e in suite.envs] if suite is not None else []
    envs = [e for e in envs if any(a.env == e for a in arms)]
    absent = ""
    if not arms and suite is not None and any(r.ok for r in store.rows(name)):
        absent = f"suite {name} as {suite_file} defines it (its stored cells are of another config)"
    return Board(name, arms, baseline, envs, absent)


def shape_checks(
    store_path: str | Path,
    *,
    suite: str = MAIN_SUITE,
    shapes_suite: str = SHAPES_SUITE,
    long_suite: str = LONG_SUITE,
    baseline: str = BASELINE,
    suite_file: str | None = None,
    reps: int = 2000,
) -> dict[str, Any]:
    """The shape-check report of a store (what ``shape_checks.json`` holds). With a
    ``suite_file``, a suite it defines counts only its current cells and its anchors."""
    from entropy_gym.runner import Store

    if not os.path.isfile(store_path):
        raise ConfigError(f"no result store at {store_path}")
    if reps < 1:
        raise ConfigError(f"--reps must be >= 1, got {reps}")
    with Store(store_path) as store:
        main = _board(store, suite, suite_file, baseline)
        side = _board(store, shapes_suite, suite_file, baseline)
        long = _board(store, long_suite, suite_file, baseline)
    parts = plain_checks(main, reps)
    parts["c"] = covariance_rule_checks(main, reps)
    parts["d"] = forking_checks(main, side, reps)
    parts["e"] = bonus_checks(side, reps)
    parts["f"] = target_checks(side, reps)
    parts["g"] = multi_turn_checks(main, reps)
    parts["h"] = long_checks(long, reps)
    checks = []
    for check, (finding, source) in CHECKS.items():
        verdict, summary = shapes.check_verdict(parts[check])
        checks.append(
            {
                "check": check,
                "finding": finding,
                "source": source,
                "verdict": verdict,
                "summary": summary,
                "parts": [p.to_dict() for p in parts[check]],
            }
        )
    return {
        "version": REPORT_VERSION,
        "store": str(store_path),
        "suites": {"main": suite, "shapes": shapes_suite, "long": long_suite},
        "baseline": baseline,
        "reps": reps,
        "confidence": 0.95,
        "checks": checks,
        "legend": legend(),
    }


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown: verdicts by check, the numbers of every part, the legend."""
    suites = report["suites"]
    lines = [
        "# Shape checks: the entropy papers' findings on this store",
        "",
        f"From `{report['store']}`: suites `{suites['main']}` (main), `{suites['shapes']}` "
        f"(shapes), `{suites['long']}` (long); plain is `{report['baseline']}`. Intervals: 95% "
        f"percentile bootstrap over seeds, {report['reps']} replications.",
        "",
        "| check | paper finding | source | verdict | parts |",
        "|---|---|---|---|---|",
    ]
    for c in report["checks"]:
        lines.append(
            f"| ({c['check']}) | {_cell(c['finding'])} | {_cell(c['source'])} | "
            f"**{c['verdict']}** | {_cell(c['summary'])} |"
        )
    lines += ["", "## Numbers", "", "| check | claim | where | numbers [95% CI] | verdict |"]
    lines.append("|---|---|---|---|---|")
    for c in report["checks"]:
        for p in c["parts"]:
            numbers = "; ".join(
                f"{name} {shapes.Estimate(v['value'], tuple(v['ci']) if v['ci'] else None).text()}"
                for name, v in p["numbers"].items()
            )
            facts = _facts(p["facts"])
            text = "; ".join(x for x in (numbers, facts, p["note"]) if x) or "-"
            lines.append(
                f"| ({p['check']}) | {_cell(p['claim'])} | {_cell(p['where'])} | {_cell(text)} | "
                f"{p['verdict']} |"
            )
    lines += ["", "## How each check is computed", ""]
    for key, text in report["legend"].items():
        name = f"({key})" if len(key) == 1 else key
        lines.append(f"- **{name}** {text}")
    return "\n".join(lines) + "\n"


def _facts(facts: Mapping[str, Any]) -> str:
    """The facts a reader needs beside the numbers (reward used, k, seeds, states)."""
    shown = []
    for key in ("reward", "k", "coef", "vocabulary", "shape", "plain", "arm", "seeds"):
        if facts.get(key) is not None:
            label = {"arm": "Lp-Reg", "k": "pass@k k"}.get(key, key)
            shown.append(f"{label}: {facts[key]}")
    curves, points = facts.get("success_curves"), facts.get("checkpoints")
    if curves and points:
        for name, curve in curves.items():
            who = "Lp-Reg" if name == "arm" else name
            values = "/".join(shapes.Estimate(v).text() for v in curve)
            shown.append(
                f"{who} held-out success at updates {'/'.join(map(str, points))}: {values}"
            )
    return "; ".join(shown)


def write_report(report: Mapping[str, Any], folder: str | Path) -> list[Path]:
    """Write ``shape_checks.json`` and ``shape_checks.md`` into ``folder``."""
    from entropy_gym.leaderboard.atomic import write_text

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "shape_checks.json", out / "shape_checks.md"]
    write_text(written[0], json.dumps(report, indent=1, default=_json_default) + "\n")
    write_text(written[1], to_markdown(report))
    return written


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return repr(value)


# -- the command -----------------------------------------------------------------------------
def cmd_shape_checks(args: argparse.Namespace) -> int:
    """Compute the shape checks of a store; print them, and with ``--out`` write them."""
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise ConfigError(f"--out {args.out} is not a folder")
    suite_file = args.file
    if suite_file is None and os.path.isfile(DEFAULT_SUITE_FILE):
        suite_file = DEFAULT_SUITE_FILE
    report = shape_checks(
        args.store,
        suite=args.suite,
        shapes_suite=args.shapes_suite,
        long_suite=args.long_suite,
        baseline=args.baseline,
        suite_file=suite_file,
        reps=args.reps,
    )
    if args.json:
        print(json.dumps(report, indent=1, default=_json_default))
    else:
        print(to_markdown(report), end="")
    if args.out:
        written = write_report(report, args.out)
        print(f"\nWrote {', '.join(str(w) for w in written)}")
    return 0


def add_shape_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """The ``shape-checks`` sub-command."""
    p = sub.add_parser(
        "shape-checks",
        help="the entropy papers' shape checks (a)-(h) from an llm-rl result store",
    )
    p.add_argument(
        "--store", default=str(DEFAULT_STORE), help=f"result store (default: {DEFAULT_STORE})"
    )
    p.add_argument(
        "--suite",
        default=MAIN_SUITE,
        help=f"main suite: (a)-(d), (g) (default: {MAIN_SUITE}; e.g. llm-rl-micro-pilot)",
    )
    p.add_argument(
        "--shapes-suite", default=SHAPES_SUITE, help=f"(d)-(f) (default: {SHAPES_SUITE})"
    )
    p.add_argument("--long-suite", default=LONG_SUITE, help=f"(h) (default: {LONG_SUITE})")
    p.add_argument(
        "--baseline", default=BASELINE, help=f"plain llm_grpo's label (default: {BASELINE})"
    )
    p.add_argument(
        "--file",
        default=None,
        help="suite file: a suite it defines counts its current cells only, with its anchors "
        f"(default: {DEFAULT_SUITE_FILE} where there is one)",
    )
    p.add_argument("--reps", type=int, default=2000, help="bootstrap replications (default: 2000)")
    p.add_argument(
        "--out", default=None, metavar="DIR", help="write shape_checks.md and .json into DIR"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    p.set_defaults(func=cmd_shape_checks)
