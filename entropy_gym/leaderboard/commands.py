"""The board commands that read a published board (or a result store): ``power`` (seeds by
power from a pilot) and ``export`` (CSV and TensorBoard). Wired into ``entropy-gym`` by
:func:`add_board_commands`; the work is in :mod:`entropy_gym.scoring.power` and
:mod:`entropy_gym.leaderboard.export`."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from entropy_gym.core.errors import ConfigError
from entropy_gym.leaderboard.telemetry_budget import LOGGED_KEY, TELEMETRY_BUDGET
from entropy_gym.runner.defaults import (
    DEFAULT_LEADERBOARDS,
    DEFAULT_STORE,
    DEFAULT_SUITE_FILE,
    WORKING_LEADERBOARDS,
)


def published_root(suite: str, out: str | None) -> str:
    """Where a suite's published board is read from: ``out``, else your run's board if there
    is one, else the committed one."""
    if out is not None:
        return out
    mine = WORKING_LEADERBOARDS / suite / "results.json"
    return str(WORKING_LEADERBOARDS if mine.is_file() else DEFAULT_LEADERBOARDS)


def load_board(suite: str, out: str | None) -> dict[str, Any]:
    from entropy_gym.leaderboard.publish import load_results

    root = published_root(suite, out)
    try:
        board = load_results(suite, root)
    except FileNotFoundError as err:
        raise ConfigError(str(err)) from None
    except ValueError as err:  # not JSON
        raise ConfigError(f"{root}/{suite}/results.json is not a leaderboard ({err})") from None
    if not isinstance(board, dict) or not {"suite", "rows", "cells"} <= set(board):
        raise ConfigError(f"{root}/{suite}/results.json is not a leaderboard's results.json")
    return board


def _stored_board(args: argparse.Namespace) -> tuple[dict[str, Any], list[Any]]:
    """The board of ``args.suite`` built from the store ``args.store`` (suite file
    ``args.file``), with the stored rows it was built from."""
    import os

    from entropy_gym.leaderboard.build import build_results, select_rows
    from entropy_gym.runner import Store, load_suite

    suite = load_suite(args.suite, args.file)
    if not os.path.exists(args.store):
        raise ConfigError(f"no result store at {args.store}")
    with Store(args.store) as store:
        rows = select_rows(store, suite)
    if not rows:
        raise ConfigError(f"no stored results for suite {suite.name!r} in {args.store}")
    return build_results(suite, rows), rows


def _pilot(args: argparse.Namespace) -> dict[str, Any]:
    """The board a power analysis reads: built from ``--store`` where given, else published."""
    if args.store is None:
        return load_board(args.suite, args.out)
    return _stored_board(args)[0]


def power_report(
    board: dict[str, Any],
    effect: float | None,
    effect_sd: float | None,
    target: float,
    alpha: float,
    comparisons: int | None,
) -> dict[str, Any]:
    """Per env of a pilot board: seeds, between-seed spread, the effect in spreads, its
    probability of improvement, and the seeds that resolve it alone; then the seeds that
    resolve it on every env at once and the smallest effect the board's own seeds resolve."""
    from entropy_gym.scoring import power as pw

    if comparisons is None:
        groups = board["suite"].get("baseline") or []
        comparisons = max((len(g["compared"]) for g in groups), default=1)
    level = alpha / comparisons
    envs = [e["name"] for e in board["suite"]["envs"]]
    spreads = pw.pilot_spreads(board["cells"], envs)
    if effect is None and effect_sd is None:
        effect_sd = 1.0
    rows, shifts = [], []
    for env in envs:
        spread = spreads[env]["spread"]
        if effect_sd is not None:
            shift: float | None = effect_sd
        elif spread is None:
            shift = None
        else:
            shift = math.inf if spread == 0 else abs(float(effect)) / spread  # type: ignore[arg-type]
        shifts.append(shift)
        rows.append(
            {
                "env": env,
                "pilot_seeds": spreads[env]["seeds"],
                "pilot_agents": spreads[env]["agents"],
                "spread": spread,
                "shift": shift,
                "poi": pw.normal_poi(shift) if shift is not None else None,
                "seeds_needed": pw.seeds_needed(shift, 1, level, target)
                if shift is not None
                else None,
            }
        )
    known = [s for s in shifts if s is not None]
    together = None
    if known and len(known) == len(shifts):
        common = min(known)  # every env resolves at least the smallest shift
        together = pw.seeds_needed(common, len(envs), level, target)
    seeds = len(board["suite"]["seeds"])
    return {
        "suite": board["suite"]["name"],
        "effect": effect,
        "effect_sd": effect_sd,
        "power": target,
        "alpha": alpha,
        "comparisons": comparisons,
        "level": level,
        "envs": rows,
        "seeds_needed_all_envs": together,
        "board": pw.board_power(seeds, len(envs), comparisons, alpha, target),
    }


def _print_power(report: dict[str, Any]) -> None:
    from entropy_gym.leaderboard.table import fmt

    effect = (
        f"a shift of {report['effect_sd']:g} between-seed SDs"
        if report["effect_sd"] is not None
        else f"a shift of {report['effect']:g} in score units"
    )
    print(
        f"{report['suite']}: seeds to resolve {effect} with {report['power']:.0%} power, "
        f"two-sided level {report['level']:.3g} (0.05 / {report['comparisons']} comparisons "
        "with one baseline; Holm's first step), under a normal model of the between-seed "
        "spread"
    )
    header = ["env", "pilot seeds", "spread (SD)", "shift (SDs)", "P(X > Y)", "seeds needed"]
    body = []
    for r in report["envs"]:
        need = r["seeds_needed"]
        body.append(
            [
                r["env"],
                str(r["pilot_seeds"]),
                fmt(r["spread"]),
                "any" if r["shift"] == math.inf else fmt(r["shift"]),
                fmt(r["poi"]),
                "-" if r["shift"] is None else (str(need) if need is not None else "> 1000"),
            ]
        )
    widths = [max(len(x) for x in col) for col in zip(header, *body)]
    for line in [header, ["-" * w for w in widths], *body]:
        print("  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip())
    together = report["seeds_needed_all_envs"]
    if together is not None:
        print(f"All {len(report['envs'])} envs together (the board's test): {together} seeds.")
    b = report["board"]
    if b["smallest_shift"] is None:
        print(
            f"With its {b['seeds']} seeds the board resolves no effect at this level (smallest "
            f"p-value {b['smallest_p_value']:.3g})."
        )
    else:
        print(
            f"With its {b['seeds']} seeds the board resolves a shift of {b['smallest_shift']:.2f} "
            f"SDs on every env (P(X > Y) = {b['smallest_poi']:.2f})."
        )


def cmd_power(args: argparse.Namespace) -> int:
    """Seeds by power: a suite's stored or published cells as a pilot."""
    if args.effect is not None and args.effect_sd is not None:
        raise ConfigError("give --effect (score units) or --effect-sd (between-seed SDs), not both")
    for flag, value in (("--effect", args.effect), ("--effect-sd", args.effect_sd)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ConfigError(f"{flag} must be a number > 0, got {value}")
    if not 0 < args.power < 1:
        raise ConfigError(f"--power must be between 0 and 1, got {args.power}")
    if not 0 < args.alpha < 1:
        raise ConfigError(f"--alpha must be between 0 and 1, got {args.alpha}")
    if args.comparisons is not None and args.comparisons < 1:
        raise ConfigError(f"--comparisons must be >= 1, got {args.comparisons}")
    report = power_report(
        _pilot(args), args.effect, args.effect_sd, args.power, args.alpha, args.comparisons
    )
    if args.json:
        print(json.dumps(report, indent=1, default=lambda v: None))
    else:
        _print_power(report)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a published board's cells and telemetry as CSV (and TensorBoard on request);
    with ``--store``, the board built from the store with every telemetry record."""
    from entropy_gym.leaderboard.export import write_exports, write_tensorboard

    if args.store is not None:
        if args.out is not None:
            raise ConfigError("export reads --store or a board's folder (--out), not both")
        from entropy_gym.leaderboard.publish import cell_provenance, scrub_paths
        from entropy_gym.leaderboard.telemetry_budget import with_full_telemetry

        board, rows = _stored_board(args)
        board = with_full_telemetry(board, rows)
        provenance = scrub_paths(cell_provenance(rows))
    else:
        board = load_board(args.suite, args.out)
        root = published_root(args.suite, args.out)
        provenance_file = Path(root) / args.suite / "provenance.json"
        provenance = json.loads(provenance_file.read_text()) if provenance_file.is_file() else None
    folder = Path(args.to)
    folder.mkdir(parents=True, exist_ok=True)
    written = write_exports(board, folder, provenance)
    print(f"{args.suite}: {', '.join(str(folder / w) for w in written)}")
    if args.tensorboard:
        runs = write_tensorboard(board, args.tensorboard)
        print(f"{args.suite}: {runs} TensorBoard runs in {args.tensorboard}")
    if not any(c.get("telemetry") for c in board["cells"]):
        if args.store is not None:
            print(f"{args.suite}: no agent of these cells logged per-update telemetry")
        else:
            print(
                f"{args.suite}: no per-update telemetry in this board (published before "
                f"results.json kept it, or no agent logged any); `entropy-gym run {args.suite}` "
                "records it"
            )
    elif any(c.get(LOGGED_KEY) for c in board["cells"]):
        print(
            f"{args.suite}: the board keeps at most {TELEMETRY_BUDGET} telemetry records a "
            "cell; --store STORE writes every record from the result store"
        )
    return 0


def add_board_commands(sub: argparse._SubParsersAction) -> None:
    """The ``power`` and ``export`` sub-commands."""
    p = sub.add_parser(
        "power", help="seeds needed to resolve an effect, from a suite's cells as a pilot"
    )
    p.add_argument("suite", help="suite name")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--effect", type=float, default=None, help="effect as a score difference (board units)"
    )
    group.add_argument(
        "--effect-sd",
        type=float,
        default=None,
        help="effect in between-seed standard deviations (default 1)",
    )
    p.add_argument("--power", type=float, default=0.8, help="power wanted (default 0.8)")
    p.add_argument("--alpha", type=float, default=0.05, help="family-wise level (default 0.05)")
    p.add_argument(
        "--comparisons",
        type=int,
        default=None,
        help="agents compared with one baseline (default: the suite's largest group)",
    )
    p.add_argument(
        "--out",
        default=None,
        help=f"leaderboard folder to read (default: yours in {WORKING_LEADERBOARDS}, else "
        f"{DEFAULT_LEADERBOARDS})",
    )
    p.add_argument(
        "--store", default=None, help=f"read the pilot from a result store (e.g. {DEFAULT_STORE})"
    )
    p.add_argument(
        "--file", default=DEFAULT_SUITE_FILE, help=f"suite file (default: {DEFAULT_SUITE_FILE})"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_power)

    p = sub.add_parser(
        "export",
        help="write a board's cells and telemetry as CSV (or TensorBoard); --store: every "
        "telemetry record",
    )
    p.add_argument("suite", help="suite name")
    p.add_argument("--to", required=True, metavar="DIR", help="folder for cells.csv, telemetry.csv")
    p.add_argument(
        "--tensorboard",
        default=None,
        metavar="DIR",
        help="also write the telemetry as TensorBoard event files (needs tensorboard)",
    )
    p.add_argument(
        "--out",
        default=None,
        help=f"leaderboard folder to read (default: yours in {WORKING_LEADERBOARDS}, else "
        f"{DEFAULT_LEADERBOARDS})",
    )
    p.add_argument(
        "--store",
        default=None,
        help="build the board from a result store and write every telemetry record of every "
        f"cell (a published board keeps at most {TELEMETRY_BUDGET} a cell; e.g. {DEFAULT_STORE})",
    )
    p.add_argument(
        "--file",
        default=DEFAULT_SUITE_FILE,
        help=f"suite file, with --store (default: {DEFAULT_SUITE_FILE})",
    )
    p.set_defaults(func=cmd_export)
