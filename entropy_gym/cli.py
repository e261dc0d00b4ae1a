"""The ``entropy-gym`` command.

Each sub-command is a small function ``cmd_<name>(args) -> int`` wired in :func:`build_parser`;
the work itself lives in the package modules, so the CLI stays thin. Exit status 0 is success,
1 a failed run or check, 2 bad input (config, arguments).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from entropy_gym.core.errors import ConfigError
from entropy_gym.runner.defaults import (
    BACKENDS,
    DEFAULT_LEADERBOARDS,
    DEFAULT_STORE,
    DEFAULT_SUITE_FILE,
    DEVICES,
    WORKING_LEADERBOARDS,
)
from entropy_gym.runner.failure import CellFailure


def _print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line.rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())


def cmd_envs(args: argparse.Namespace) -> int:
    """List registered env ids."""
    import entropy_gym  # noqa: F401  (registers the ids)
    from entropy_gym.registration import env_cards

    cards = env_cards(args.family)
    if args.json:
        print(json.dumps([c.to_dict() for c in cards], indent=1))
        return 0
    rows = [[c.id, c.family, c.game or "-", c.type, c.description] for c in cards]
    _print_table(rows, ["id", "family", "game", "type", "description"])
    print(f"\n{len(cards)} env ids")
    return 0


def cmd_suites(args: argparse.Namespace) -> int:
    """List the suites of a suite file: cells, budget, and the first line of each description."""
    from entropy_gym.runner import load_suites

    suites = load_suites(args.file)
    rows = []
    for suite in suites.values():
        cells = len(suite.agents) * len(suite.envs) * len(suite.seeds)
        budget = ", ".join(f"{k} {v:g}" for k, v in (suite.budget or {}).items()) or "none"
        own = sum(e.budget is not None or e.eval_episodes is not None for e in suite.envs)
        budget += f" (own on {own} env{'s' if own > 1 else ''})" if own else ""
        text = " ".join(suite.description.split())
        rows.append(
            [suite.name, str(cells), f"{len(suite.agents)}x{len(suite.envs)}x{len(suite.seeds)}",
             budget, text if len(text) <= 70 else text[:67] + "..."]
        )  # fmt: skip
    _print_table(rows, ["suite", "cells", "agents x envs x seeds", "budget", "description"])
    print(f"\n{len(rows)} suites in {args.file}; run one with `entropy-gym run SUITE`")
    return 0


def cmd_agents(args: argparse.Namespace) -> int:
    """List built-in agents with their hooks, and interventions with the hooks they need."""
    from entropy_gym.agents.registry import describe_agents, describe_interventions

    agents, interventions = describe_agents(), describe_interventions()
    if args.json:
        print(json.dumps({"agents": agents, "interventions": interventions}, indent=1))
        return 0
    _print_table(
        [[a["name"], ",".join(a["hooks"]) or "-", a["description"]] for a in agents],
        ["agent", "hooks offered", "description"],
    )
    print()
    _print_table(
        [[i["name"], ",".join(i["requires"]), i["description"]] for i in interventions],
        ["intervention", "hooks needed", "description"],
    )
    return 0


# -- tool tasks (ToolTask/, ScienceWorld/) --------------------------------------------------
def _kwargs(pairs: Sequence[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"--kw expects key=value, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def cmd_tooltask(args: argparse.Namespace) -> int:
    """Print one episode's conversation, or measure the random and oracle agents' success."""
    import gymnasium as gym

    try:
        return _tooltask(args)
    except (ValueError, gym.error.Error) as err:  # bad id or env kwargs: bad input, not a crash
        raise ConfigError(str(err)) from err


def _tooltask(args: argparse.Namespace) -> int:
    import entropy_gym  # noqa: F401  (registers the ids)
    from entropy_gym.agents.registry import make_agent
    from entropy_gym.experiments.tool_calibration import calibrate, play_episode
    from entropy_gym.registration import env_cards

    kwargs = _kwargs(args.kw)
    if args.action == "show":
        if not args.env:
            raise ConfigError("tooltask show needs an env id, e.g. ToolTask/FileTree-easy-v0")
        agent = make_agent(args.agent)
        text, ret, metrics = play_episode(agent, args.env, seed=args.seed, env_kwargs=kwargs)
        print(text)
        print(f"return {ret:g}; " + ", ".join(f"{k} {v:g}" for k, v in metrics.items()))
        return 0
    cards = env_cards("tool-task")
    ids = [args.env] if args.env else [c.id for c in cards if c.id.startswith("ToolTask/")]
    rows, scores = [], {}
    for eid in ids:
        rnd, orc = calibrate(
            eid,
            args.episodes,
            args.oracle_episodes,
            seed=args.seed,
            num_envs=args.num_envs,
            env_kwargs=kwargs,
        )
        scores[eid] = round(rnd["success"], 4)
        print(f"{eid}: random {rnd['success']:.4f}", file=sys.stderr, flush=True)
        rows.append(
            [
                eid,
                f"{rnd['success']:.4f}",
                f"{rnd['success_se']:.4f}",
                f"{rnd['length']:.1f}",
                f"{rnd['entropy_mean']:.2f}",
                f"{orc['success']:.2f}",
                f"{orc['turns']:.0f}",
            ]
        )
    header = [
        "id",
        "random success",
        "se",
        "random turns",
        "random entropy",
        "oracle success",
        "oracle turns",
    ]
    _print_table(rows, header)
    print("\nRANDOM_SCORES = " + json.dumps(scores, indent=4))
    return 0


# -- runner: run, leaderboard, submit, show ---------------------------------------------------
def _run_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the commands that run cells."""
    p.add_argument(
        "--file", default=DEFAULT_SUITE_FILE, help=f"suite file (default: {DEFAULT_SUITE_FILE})"
    )
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default=BACKENDS[0],
        help="local: cell processes on this machine (default); ray: Ray tasks",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="cells at a time (default: CPUs available)"
    )
    p.add_argument(
        "--device",
        choices=DEVICES,
        default=DEVICES[0],
        help="device of the agents (auto: cuda when torch sees one)",
    )
    p.add_argument(
        "--store",
        default=None,
        help=f"result store (default: $ENTROPY_GYM_STORE or {DEFAULT_STORE})",
    )
    p.add_argument(
        "--address", default=None, help="Ray cluster address (default: start a local Ray instance)"
    )
    p.add_argument(
        "--out",
        default=None,
        help=f"leaderboard folder (default: {WORKING_LEADERBOARDS}; with --check, the committed "
        f"{DEFAULT_LEADERBOARDS})",
    )
    p.add_argument(
        "--publish",
        action="store_true",
        help=f"write the board into the committed {DEFAULT_LEADERBOARDS}/ (and its site)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")


def _subset_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--seeds",
        default=None,
        metavar="S[,S...]",
        help="run only these of the suite's seeds (comma-separated)",
    )
    p.add_argument(
        "--envs",
        default=None,
        metavar="ENV[,ENV...]",
        help="run only these of the suite's envs (leaderboard names or ids, comma-separated)",
    )


def _subset(suite: Any, args: argparse.Namespace) -> Any:
    """``suite`` restricted to ``--seeds`` and ``--envs``; an unknown one is a ConfigError."""
    import dataclasses

    seeds, envs = suite.seeds, suite.envs
    if getattr(args, "seeds", None) is not None:
        try:
            wanted = [int(s) for s in args.seeds.split(",") if s.strip()]
        except ValueError:
            raise ConfigError(f"--seeds {args.seeds!r}: expected integers like 0,1,2") from None
        unknown = [s for s in wanted if s not in suite.seeds]
        if not wanted:
            raise ConfigError(
                f"--seeds {args.seeds!r}: expected some of the suite's seeds {list(suite.seeds)}"
            )
        if unknown:
            raise ConfigError(
                f"--seeds {args.seeds!r}: {unknown} not among the suite's seeds {list(suite.seeds)}"
            )
        seeds = tuple(s for s in suite.seeds if s in wanted)
    if getattr(args, "envs", None) is not None:
        wanted_envs = [e.strip() for e in args.envs.split(",") if e.strip()]
        known = {e.name for e in suite.envs} | {e.id for e in suite.envs}
        unknown_envs = [e for e in wanted_envs if e not in known]
        if unknown_envs or not wanted_envs:
            what = f"{unknown_envs} not among" if unknown_envs else "expected some of"
            raise ConfigError(
                f"--envs {args.envs!r}: {what} the suite's envs: "
                f"{', '.join(e.name for e in suite.envs)}"
            )
        envs = tuple(e for e in suite.envs if e.name in wanted_envs or e.id in wanted_envs)
    return dataclasses.replace(suite, seeds=seeds, envs=envs)


def _store_path(args: argparse.Namespace) -> str:
    from entropy_gym.runner.defaults import default_store_path

    return args.store or str(default_store_path())


def _report_failures(summary: object) -> None:
    failed = summary.failed
    for outcome in failed[:20]:
        print(f"  failed: {outcome.cell.describe()}: {outcome.reason}", file=sys.stderr)
    if len(failed) > 20:
        print(
            f"  ... and {len(failed) - 20} more (see the leaderboard's failed cells)",
            file=sys.stderr,
        )


def cmd_run(args: argparse.Namespace) -> int:
    """Run a suite's cells (resuming from the store) and publish its leaderboard."""
    from entropy_gym.leaderboard.publish import publish_from_store
    from entropy_gym.runner import Store, check_runnable, expand, load_suite, run_cells

    full = load_suite(args.suite, args.file)
    suite = _subset(full, args)
    check_runnable(suite)
    cells = expand(suite)
    _writable_folder(args.out)  # an output folder that cannot be written fails now
    with Store(_store_path(args)) as store:
        summary = run_cells(
            cells,
            store,
            backend=args.backend,
            workers=args.workers,
            address=args.address,
            device=args.device,
            quiet=args.quiet,
            retry_failed=args.retry_failed,
            protect=(args.out, str(DEFAULT_LEADERBOARDS)),
        )
        publish_from_store(full, store, args.out)  # the whole suite's board, what is stored
    print(f"{summary.line()}; leaderboard in {args.out}/{suite.name}/")
    _report_failures(summary)
    return 0 if summary.ok else 1


def cmd_leaderboard(args: argparse.Namespace) -> int:
    """Build a suite's leaderboard from the store, or check that the committed one reproduces."""
    from entropy_gym.leaderboard.build import build_results, select_rows
    from entropy_gym.leaderboard.publish import load_results, publish
    from entropy_gym.runner import Store, check_runnable, expand, load_suite, run_cells

    suite = load_suite(args.suite, args.file)
    if args.from_results is not None and args.check:
        raise ConfigError(
            "--from-results rebuilds a board without running; it cannot go with --check"
        )
    if args.from_results is not None:
        from entropy_gym.leaderboard.publish import publish_from_results

        _writable_folder(args.out)

        source = args.from_results or args.out
        try:
            results = publish_from_results(suite, source, args.out)
        except FileNotFoundError as err:
            raise ConfigError(str(err)) from None
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError(
                f"{source}/{suite.name}/results.json cannot be rebuilt ({type(err).__name__}: {err})"
            ) from None
        print(
            f"{suite.name}: leaderboard rebuilt from {source}/{suite.name}/results.json "
            f"({len(results['cells'])} cells) in {args.out}/{suite.name}/"
        )
        return 0
    if not args.check:
        _writable_folder(args.out)
        hint = f"run `entropy-gym run {suite.name}` first"
        if not os.path.exists(_store_path(args)):
            raise ConfigError(f"no result store at {_store_path(args)}; {hint}")
        with Store(_store_path(args)) as store:
            rows = select_rows(store, suite)
        if not rows:
            raise ConfigError(
                f"no stored results for suite {suite.name!r} in {_store_path(args)}; {hint}"
            )
        publish(suite, rows, args.out)
        print(
            f"{suite.name}: leaderboard from {len(rows)} stored cells in {args.out}/{suite.name}/"
        )
        return 0

    import tempfile

    from entropy_gym.leaderboard.check import compare

    try:
        committed = load_results(suite.name, args.out)
    except FileNotFoundError as err:
        raise ConfigError(str(err)) from None
    if args.fresh_out:
        _writable_folder(args.fresh_out, "--fresh-out")
    check_runnable(suite)
    with tempfile.TemporaryDirectory(prefix="entropy-gym-check-") as tmp:
        with Store(f"{tmp}/check.sqlite") as store:
            run_cells(
                expand(suite),
                store,
                backend=args.backend,
                workers=args.workers,
                address=args.address,
                device=args.device,
                quiet=args.quiet,
            )
            rows = select_rows(store, suite)
            fresh = build_results(suite, rows)
            if args.fresh_out:
                publish(suite, rows, args.fresh_out)
                print(
                    f"{suite.name}: the re-run's leaderboard is in {args.fresh_out}/{suite.name}/"
                )
    with _damaged(f"{args.out}/{suite.name}/results.json"):
        report = compare(committed, fresh)
    for line in report.lines:
        print(line)
    for problem in report.problems:
        print(f"entropy-gym: check failed: {problem}", file=sys.stderr)
    print(
        f"{suite.name}: committed leaderboard {'reproduces' if report.ok else 'does NOT reproduce'}"
    )
    return 0 if report.ok else 1


def cmd_submit(args: argparse.Namespace) -> int:
    """Score a user's agent class on a suite, in isolated cell processes."""
    from entropy_gym.leaderboard.publish import publish_from_store
    from entropy_gym.leaderboard.restricted import restricted_report
    from entropy_gym.leaderboard.table import with_ci
    from entropy_gym.runner import Store, load_suite, run_cells
    from entropy_gym.runner.submit import check_label, submission_cells

    full = load_suite(args.suite, args.file)
    suite = _subset(full, args)
    try:
        params = json.loads(args.config) if args.config else {}
    except json.JSONDecodeError as err:
        raise ConfigError(f"--config must be a JSON object ({err})") from None
    except (RecursionError, ValueError) as err:
        raise ConfigError(f"--config must be a JSON object ({type(err).__name__})") from None
    if not isinstance(params, dict):
        raise ConfigError(f"--config must be a JSON object, got {args.config!r}")
    if "name" in params:
        raise ConfigError(
            "--config may not set 'name': the agent is the class given as FILE.py:Class"
        )
    cells = submission_cells(
        suite,
        args.agent,
        label=args.label,
        params=params,
        time_limit_s=args.time_limit,
        memory_limit_mb=args.memory_limit_mb,
    )
    _writable_folder(args.out)  # an output folder that cannot be written fails now
    from entropy_gym.runner.submit import probe

    probe(
        suite,
        cells,
        protect=(_store_path(args), args.out, str(DEFAULT_LEADERBOARDS)),
        device=args.device,
    )
    with Store(_store_path(args)) as store:
        removed = check_label(store, suite, cells, replace=args.replace)
        if removed:
            print(
                f"replaced {removed} stored cells of the earlier submission {cells[0].agent_label!r}"
            )
        summary = run_cells(
            cells,
            store,
            backend=args.backend,
            workers=args.workers,
            address=args.address,
            device=args.device,
            quiet=args.quiet,
            retry_failed=True,
            protect=(args.out, str(DEFAULT_LEADERBOARDS)),
        )
        results = publish_from_store(full, store, args.out)
        restricted = restricted_report(full, suite, store, cells[0].agent_label)
    row = next(r for r in results["rows"] if r["label"] == cells[0].agent_label)
    print(summary.line().replace(f"{suite.name}:", f"{row['label']}:", 1))
    print(
        f"{row['label']} on {suite.name}: rank {row['rank'] or '-'} of {len(results['rows'])}, "
        f"IQM {with_ci(row['iqm'], row['iqm_ci'])}, {row['cells_failed']}/{row['cells']} cells failed; "
        f"leaderboard in {args.out}/{suite.name}/"
    )
    for line in restricted:
        print(line)
    _report_failures(summary)
    return 0 if summary.ok else 1


def cmd_remove(args: argparse.Namespace) -> int:
    """Delete a submission's stored rows and publish the board again without it."""
    from entropy_gym.leaderboard.publish import publish_from_store
    from entropy_gym.runner import Store, load_suite

    suite = load_suite(args.suite, args.file)
    _writable_folder(args.out)
    if args.label in {a.label for a in suite.agents}:
        raise ConfigError(
            f"{args.label!r} is an agent of suite {suite.name!r}, not a submission; remove it "
            f"from {args.file} instead"
        )
    path = _store_path(args)
    if not os.path.exists(path):
        raise ConfigError(f"no result store at {path}")
    with Store(path) as store, store.run_lock():
        keys = [
            r.key
            for r in store.rows(suite.name, source="submit")
            if r.cell.agent_label == args.label
        ]
        if not keys:
            labels = sorted({r.cell.agent_label for r in store.rows(suite.name, source="submit")})
            raise ConfigError(
                f"no submission {args.label!r} on suite {suite.name!r} in {path}; submitted: "
                f"{', '.join(labels) or 'none'}"
            )
        removed = store.delete(suite.name, keys)
        publish_from_store(suite, store, args.out)
    print(
        f"removed {removed} cells of {args.label!r} from {suite.name}; board in {args.out}/{suite.name}/"
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print a suite's published leaderboard."""
    from entropy_gym.leaderboard.publish import load_results

    root = args.out
    if root is None:
        mine = WORKING_LEADERBOARDS / args.suite / "results.json"
        root = str(WORKING_LEADERBOARDS if mine.is_file() else DEFAULT_LEADERBOARDS)
    try:
        results = load_results(args.suite, root)
    except FileNotFoundError as err:
        raise ConfigError(str(err)) from None
    with _damaged(f"{root}/{args.suite}/results.json"):
        return _show(args, results, root)


@contextlib.contextmanager
def _damaged(path: str) -> Iterator[None]:
    """A published board that lacks what reading it needs is a one-line error naming it."""
    try:
        yield
    except (KeyError, TypeError, IndexError, AttributeError) as err:
        raise ConfigError(
            f"{path} is damaged or from another version ({type(err).__name__}: {err}); "
            "publish it again"
        ) from None


def _show(args: argparse.Namespace, results: dict[str, Any], root: str) -> int:
    from entropy_gym.leaderboard.show import print_leaderboard

    if args.telemetry is not None:
        from entropy_gym.leaderboard.show import print_telemetry

        print_telemetry(results, args.telemetry, args.env, args.seed)
        return 0
    if args.env is not None or args.seed is not None:
        raise ConfigError("--env and --seed select the cells of --telemetry LABEL")
    if args.markdown:
        from entropy_gym.leaderboard.markdown import to_markdown

        print(to_markdown(results), end="")
        return 0
    print_leaderboard(results)
    where = f"{root}/{args.suite}/"
    site = f"{root}/site/index.html"
    print(
        f"\nBoard: {where} (site: {site}). Next: `entropy-gym submit my_agent.py:MyAgent "
        f"--suite {args.suite}` scores your agent beside these."
    )
    return 0


def add_runner_commands(sub: argparse._SubParsersAction) -> None:
    """The runner's sub-commands: run, leaderboard, submit, show."""
    p = sub.add_parser(
        "run", help="run a suite (resumes from the store) and publish its leaderboard"
    )
    p.add_argument("suite", help="suite name in benchmarks.yaml")
    _run_options(p)
    p.add_argument("--retry-failed", action="store_true", help="run stored failed cells again")
    _subset_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "leaderboard", help="build a suite's leaderboard from the store, or --check it"
    )
    p.add_argument("suite", help="suite name in benchmarks.yaml")
    _run_options(p)
    p.add_argument(
        "--check",
        action="store_true",
        help="re-run the suite's cells and fail unless the committed leaderboard reproduces "
        "within its confidence intervals",
    )
    p.add_argument(
        "--fresh-out",
        default=None,
        metavar="DIR",
        help="with --check: also publish the re-run's leaderboard to DIR (e.g. for a CI artifact)",
    )
    p.add_argument(
        "--from-results",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="rebuild from the published DIR/SUITE/results.json instead of the store (default "
        "DIR: the output folder), e.g. after an upgrade adds columns",
    )
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("submit", help="score your agent class (FILE.py:Class) on a suite")
    p.add_argument("agent", metavar="FILE.py:Class", help="your agent class")
    p.add_argument("--suite", required=True, help="suite name in benchmarks.yaml")
    p.add_argument("--label", default=None, help="leaderboard row name (default: the class name)")
    p.add_argument("--config", default=None, help="JSON object of keyword arguments for the class")
    p.add_argument(
        "--time-limit", type=float, default=None, help="seconds per cell (default: the suite's)"
    )
    p.add_argument(
        "--memory-limit-mb", type=int, default=8192, help="address-space limit per cell (MiB)"
    )
    p.add_argument(
        "--replace", action="store_true", help="overwrite an earlier submission with this label"
    )
    _run_options(p)
    _subset_options(p)
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("remove", help="delete a submission's rows and publish the board again")
    p.add_argument("suite", help="suite name")
    p.add_argument("label", help="the submission's label (its class name unless --label)")
    p.add_argument(
        "--file", default=DEFAULT_SUITE_FILE, help=f"suite file (default: {DEFAULT_SUITE_FILE})"
    )
    p.add_argument("--store", default=None, help=f"result store (default: {DEFAULT_STORE})")
    p.add_argument(
        "--out", default=None, help=f"leaderboard folder (default: {WORKING_LEADERBOARDS})"
    )
    p.add_argument(
        "--publish", action="store_true", help=f"publish into the committed {DEFAULT_LEADERBOARDS}/"
    )
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("show", help="print a suite's leaderboard")
    p.add_argument("suite", help="suite name")
    p.add_argument(
        "--out",
        default=None,
        help=f"leaderboard folder (default: your run's in {WORKING_LEADERBOARDS} if there is "
        f"one, else the committed {DEFAULT_LEADERBOARDS})",
    )
    p.add_argument(
        "--markdown",
        action="store_true",
        help="print the board as Markdown (e.g. for a CI job summary)",
    )
    p.add_argument(
        "--telemetry",
        default=None,
        metavar="LABEL",
        help="print an agent's per-update telemetry (mean over seeds per env; --env, --seed "
        "pick cells)",
    )
    p.add_argument("--env", default=None, help="with --telemetry: this env only (name or id)")
    p.add_argument("--seed", type=int, default=None, help="with --telemetry: this seed's cell")
    p.set_defaults(func=cmd_show)


# -- east: EAST steering vectors (entropy_gym.agents.interventions.east) ---------------------
def _json_arg(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object, e.g. '{\"horizon\": 30}'")
    return value


def _json_kwargs_list(text: str) -> dict | list:
    """A JSON object, or a JSON array of objects (one per env variant)."""
    if text.lstrip().startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            raise argparse.ArgumentTypeError(f"not valid JSON: {err}") from None
        if not value or not all(isinstance(v, dict) for v in value):
            raise argparse.ArgumentTypeError("expected a non-empty JSON array of objects")
        return value
    return _json_arg(text)


def cmd_east_fit(args: argparse.Namespace) -> int:
    """Fit an EAST vector from an unsteered LLM agent's play and save it with provenance."""
    from pathlib import Path

    from entropy_gym.agents.interventions.east import BUNDLED_DIR, user_vector_dir
    from entropy_gym.experiments.east_fit import fit_east_vector

    out_dir = Path(args.out) if args.out else user_vector_dir()
    path = out_dir / f"{args.name}.json"
    if path.exists() and not args.force:
        raise ConfigError(f"{path} exists; pass --force to overwrite it")
    if (BUNDLED_DIR / f"{args.name}.json").exists() and out_dir.resolve() != BUNDLED_DIR:
        raise ConfigError(
            f"{args.name!r} is a shipped vector name; choose another name (or --out the "
            "shipped directory to refit it)"
        )
    env_ids = [e if ":" in e else f"entropy_gym:{e}" for e in args.env]
    vector = fit_east_vector(
        args.name,
        env_ids,
        args.env_kwargs,
        layer=args.layer,
        episodes=args.episodes,
        num_envs=args.num_envs,
        seed=args.seed,
        device=args.device,
        agent_kwargs=args.agent_kwargs,
    )
    vector.save(path)
    p = vector.provenance
    print(f"saved EAST vector {args.name!r} to {path}")
    print(
        f"  layer {vector.layer}, {p['num_prompts']} prompts from {p['episodes']} episodes, "
        f"mean action entropy {p['entropy_mean']:.3f} (sd {p['entropy_std']:.3f}), "
        f"reference norm {vector.reference_norm:.1f}"
    )
    print(
        f'  use it as {{"name": "east", "vector": "{args.name}", "beta": 0.1, "positions": "last"}}'
    )
    return 0


def cmd_east_list(args: argparse.Namespace) -> int:
    """List the EAST vectors that resolve by name."""
    from entropy_gym.agents.interventions.east import available_vectors, load_vector

    rows = []
    for name, path in available_vectors().items():
        v = load_vector(str(path))
        p = v.provenance
        env = p.get("env_id", "-")
        rows.append(
            [
                name,
                v.model_id,
                str(v.layer),
                env if isinstance(env, str) else ",".join(env),
                str(p.get("num_prompts", "-")),
                str(path),
            ]
        )
    if not rows:
        print("no EAST vectors found; fit one with `entropy-gym east fit`")
        return 0
    _print_table(rows, ["name", "model", "layer", "env", "prompts", "file"])
    return 0


def cmd_east_show(args: argparse.Namespace) -> int:
    """Print a vector's provenance as JSON."""
    from entropy_gym.agents.interventions.east import load_vector, vector_path

    v = load_vector(args.name)
    print(
        json.dumps(
            {
                "file": str(vector_path(args.name)),
                "name": v.name,
                "layer": v.layer,
                "model_id": v.model_id,
                "reference_norm": v.reference_norm,
                "provenance": v.provenance,
            },
            indent=1,
        )
    )
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """List the micro models: size, tokenizer, where each starts on every task, provenance."""
    from entropy_gym.agents.llm.micro.catalog import describe_models

    models = describe_models()
    if args.json:
        print(json.dumps(models, indent=1))
        return 0
    rows = []
    for m in models:
        start = m["start"] or {}
        tasks = "; ".join(
            f"{task} {r.get('success', float('nan')):.2f} ({r.get('token_entropy', 0):.2f} nats)"
            for task, r in start.items()
        )
        prov = m["provenance"]
        commit = (prov.get("commit") or "-")[:10] + ("+dirty" if prov.get("dirty") else "")
        rows.append(
            [
                m["name"],
                m["size"],
                f"{m['parameters'] / 1e6:.2f}M" if m["parameters"] else "-",
                "chars (106)" if m["tokenizer"] else "-",
                tasks if m["trained"] else "not trained",
                commit,
                (prov.get("data_sha256") or "-")[:12],
            ]
        )
    _print_table(
        rows,
        ["name", "size", "params", "tokenizer", "start success (token entropy)", "commit", "data"],
    )
    print(
        "\n`entropy-gym models --json` prints the full provenance; pretrain with "
        "`entropy-gym models pretrain NAME`"
    )
    return 0


def cmd_models_pretrain(args: argparse.Namespace) -> int:
    """Pretrain a micro model from its recipe and save it with provenance."""
    import time
    from pathlib import Path

    from entropy_gym.agents.llm.micro.catalog import RECIPES
    from entropy_gym.experiments.micro_pretrain import pretrain_and_save

    if args.name not in RECIPES:
        raise ConfigError(
            f"micro model {args.name!r} is unknown; expected one of: {', '.join(RECIPES)}"
        )
    if args.steps is not None and args.steps < 1:
        raise ConfigError(f"--steps must be an integer >= 1, got {args.steps}")
    total = args.steps or RECIPES[args.name].steps
    started = time.perf_counter()

    def progress(step: int, loss: float) -> None:
        if step % 50 == 0 or step == total - 1:
            elapsed = time.perf_counter() - started
            print(f"step {step + 1}/{total}  loss {loss:.4f}  {elapsed:.0f} s", flush=True)

    record = pretrain_and_save(
        args.name,
        Path(args.out) if args.out else None,
        args.steps,
        progress,
        Path(args.checkpoints) if args.checkpoints else None,
    )
    print(
        f"saved {args.name} ({record['parameters']} parameters), data {record['data_sha256'][:12]}"
    )
    for task, r in record["start"].items():
        print(
            f"  {task}: success {r.get('success', float('nan')):.3f}, valid {r['valid']:.3f}, "
            f"token entropy {r['token_entropy']:.3f}, answer entropy "
            f"{r.get('answer_entropy', float('nan')):.3f}"
        )
    return 0


def _add_models_parser(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="list the micro models, or pretrain one")
    models.add_argument("--json", action="store_true", help="print every model's record as JSON")
    models.set_defaults(func=cmd_models)
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION")
    p = models_sub.add_parser("pretrain", help="pretrain a micro model from its recipe")
    p.add_argument("name", help="micro model name (see `entropy-gym models`)")
    p.add_argument("--out", help="directory to write to (default: the shipped directory)")
    p.add_argument("--steps", type=int, help="train only this many steps (default: the recipe's)")
    p.add_argument(
        "--checkpoints",
        help="keep checkpoints in this directory every 100 steps and resume from them",
    )
    p.set_defaults(func=cmd_models_pretrain)


#: The envs of the text-bandits suite: what ``east fit`` plays by default.
SUITE_BANDIT_ENVS = ("TextBandit/Bernoulli-K5-hard-v0", "TextBandit/Gaussian-K5-v0")


def _add_east_parser(sub: argparse._SubParsersAction) -> None:
    from entropy_gym.agents.interventions.east import DEFAULT_LAYER

    east = sub.add_parser("east", help="fit, list and show EAST steering vectors")
    east_sub = east.add_subparsers(dest="east_command", required=True, metavar="ACTION")
    p = east_sub.add_parser("fit", help="fit a vector from an LLM agent's own interaction")
    p.add_argument("--name", required=True, help="vector name (file <name>.json)")
    p.add_argument(
        "--env",
        nargs="+",
        default=list(SUITE_BANDIT_ENVS),
        metavar="ENV_ID",
        help="env ids to play, each under every --env-kwargs item "
        f"(default: {' '.join(SUITE_BANDIT_ENVS)})",
    )
    p.add_argument(
        "--env-kwargs",
        type=_json_kwargs_list,
        default={},
        help="JSON env kwargs, or a JSON array of them (episodes are played per item)",
    )
    p.add_argument(
        "--layer",
        type=int,
        default=DEFAULT_LAYER,
        help=f"decoder layer to read and steer (default: {DEFAULT_LAYER})",
    )
    p.add_argument("--episodes", type=int, default=8, help="episodes to play")
    p.add_argument("--num-envs", type=int, default=4, help="envs played in one batch")
    p.add_argument("--seed", type=int, default=0, help="agent and env seed")
    p.add_argument("--device", default="cpu", help="torch device")
    p.add_argument(
        "--agent-kwargs",
        type=_json_arg,
        default={},
        help="JSON llm_bandit kwargs (model, answer_prefix, thought_tokens...)",
    )
    p.add_argument("--out", help="directory to write to (default: the user vector directory)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_east_fit)
    p = east_sub.add_parser("list", help="list vectors that resolve by name")
    p.set_defaults(func=cmd_east_list)
    p = east_sub.add_parser("show", help="print a vector's provenance")
    p.add_argument("name", help="vector name or .json path")
    p.set_defaults(func=cmd_east_show)


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (with a pointer to ``--help``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"entropy-gym: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    from entropy_gym import __version__
    from entropy_gym.registration import FAMILIES

    parser = _OneLineParser(
        prog="entropy-gym",
        description="Benchmark suite for entropy and exploration under uncertainty.",
    )
    parser.add_argument("--version", action="version", version=f"entropy-gym {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("envs", help="list registered env ids")
    p.add_argument("--family", type=str.lower, choices=FAMILIES, help="only this family (any case)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_envs)

    p = sub.add_parser("suites", help="list the suites of the suite file")
    p.add_argument(
        "--file", default=DEFAULT_SUITE_FILE, help=f"suite file (default: {DEFAULT_SUITE_FILE})"
    )
    p.set_defaults(func=cmd_suites)

    p = sub.add_parser("agents", help="list agents, interventions and their hooks")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_agents)

    p = sub.add_parser("tooltask", help="tool tasks: print an episode, or calibrate random scores")
    p.add_argument(
        "action",
        choices=("show", "calibrate"),
        help="show: one episode's conversation; calibrate: random/oracle success rates",
    )
    p.add_argument("env", nargs="?", help="env id (calibrate: default every ToolTask/ id)")
    p.add_argument("--agent", default="tool_oracle", help="agent for show (default tool_oracle)")
    p.add_argument("--seed", type=int, default=0, help="env and agent seed (default 0)")
    p.add_argument("--kw", action="append", default=[], metavar="KEY=VALUE", help="env kwarg")
    p.add_argument("--episodes", type=int, default=4000, help="random-agent episodes per id")
    p.add_argument("--oracle-episodes", type=int, default=100, help="oracle episodes per id")
    p.add_argument("--num-envs", type=int, default=16, help="envs stepped together")
    p.set_defaults(func=cmd_tooltask)
    add_runner_commands(sub)
    from entropy_gym.leaderboard.commands import add_board_commands

    add_board_commands(sub)
    from entropy_gym.leaderboard.shape_checks import add_shape_commands

    add_shape_commands(sub)
    _add_east_parser(sub)
    _add_models_parser(sub)

    return parser


def _resolve_out(args: argparse.Namespace) -> None:
    """``--out`` of the commands that write boards: the working folder unless ``--publish``
    (the committed boards) or an explicit folder; ``--check`` reads the committed ones."""
    if not hasattr(args, "publish"):
        return
    if args.publish and args.out is not None and args.out != str(DEFAULT_LEADERBOARDS):
        raise ConfigError(f"--publish writes {DEFAULT_LEADERBOARDS}/; it cannot go with --out")
    if args.out is None:
        committed = args.publish or getattr(args, "check", False)
        args.out = str(DEFAULT_LEADERBOARDS if committed else WORKING_LEADERBOARDS)


def _check_paths(args: argparse.Namespace) -> None:
    """Refuse path options that cannot be what they name, before any work starts."""
    from pathlib import Path

    _resolve_out(args)
    store = getattr(args, "store", None)
    if store:
        path = Path(store)
        if path.is_dir():
            raise ConfigError(
                f"--store {store} is a directory; expected the path of a SQLite file "
                "(e.g. runs/results.sqlite)"
            )
        if path.exists() and not path.is_file():
            raise ConfigError(f"--store {store} is not a regular file; expected a SQLite file")
    for option in ("out", "fresh_out"):
        folder = getattr(args, option, None)
        if folder and Path(folder).exists() and not Path(folder).is_dir():
            flag = "--" + option.replace("_", "-")
            raise ConfigError(f"{flag} {folder} is not a directory; expected a folder to write to")
    suite_file = getattr(args, "file", None)
    if isinstance(suite_file, str) and Path(suite_file).is_dir():
        raise ConfigError(f"--file {suite_file} is a directory; expected a suite YAML file")
    if getattr(args, "address", None) and getattr(args, "backend", "local") != "ray":
        raise ConfigError("--address only applies to --backend ray")
    from entropy_gym.runner.suite import limit

    seconds = limit("seconds")
    for option, bound, ok in (
        ("workers", ">= 1", lambda v: v >= 1),
        # False for NaN too; infinity would never kill a hanging agent
        ("time_limit", f"> 0 and at most {seconds} (seconds)", lambda v: 0 < v <= seconds),
        ("memory_limit_mb", ">= 1", lambda v: v >= 1),
    ):
        value = getattr(args, option, None)
        if value is not None and not ok(value):
            raise ConfigError(f"--{option.replace('_', '-')} must be {bound}, got {value}")
    if store and hasattr(args, "publish"):
        _store_outside_boards(store, args)


def _store_outside_boards(store: str, args: argparse.Namespace) -> None:
    """The store may not lie in a folder a board of the command is published to (the suite's
    own, or the site's): publishing would overwrite it (``--store out/suite/results.json``)."""
    real = os.path.realpath(store)
    roots = {str(DEFAULT_LEADERBOARDS), str(WORKING_LEADERBOARDS)}
    roots.update(f for f in (getattr(args, "out", None), getattr(args, "fresh_out", None)) if f)
    names = [n for n in (getattr(args, "suite", None), "site") if isinstance(n, str) and n]
    for root in roots:
        for name in names:
            folder = os.path.realpath(os.path.join(root, name))
            if real == folder or real.startswith(folder.rstrip(os.sep) + os.sep):
                raise ConfigError(
                    f"--store {store} lies inside the leaderboard folder {folder}, whose "
                    "files publishing replaces; expected a store elsewhere (e.g. "
                    "runs/results.sqlite)"
                )


def _writable_folder(folder: str, flag: str = "--out") -> None:
    """Make ``folder`` and check that files can be written there, before any cell runs."""
    import tempfile

    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise ConfigError(
            f"{flag} {folder} cannot be written to ({err.strerror or type(err).__name__}); "
            "expected a folder this user can write"
        ) from None


def _os_error(err: OSError) -> str:
    """One line for a file-system error: what failed, on which path."""
    what = err.strerror or type(err).__name__
    where = err.filename if err.filename is not None else ""
    if err.filename2 is not None:
        where = f"{where} -> {err.filename2}"
    return f"{what}: {where}" if where else str(err).splitlines()[0]


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``entropy-gym`` console script.

    Every user-caused failure (a bad suite or option, a path that cannot be read or written,
    a store that is not one) ends as one line on stderr and exit status 2.
    """
    import signal
    import sqlite3

    parser = build_parser()
    args = parser.parse_args(argv)
    if argv is None:  # the console script: SIGTERM stops the run as Ctrl-C does (cells killed)
        signal.signal(signal.SIGTERM, _terminate)
    try:
        _check_paths(args)
        return int(args.func(args) or 0)
    except ConfigError as err:
        for line in getattr(err, "lines", None) or [str(err)]:  # a file's problems together
            print(f"entropy-gym: error: {line}", file=sys.stderr)
        return 2
    except OSError as err:  # BrokenPipeError is handled below
        if isinstance(err, BrokenPipeError):
            return 0
        print(f"entropy-gym: error: {_os_error(err)}", file=sys.stderr)
        return 2
    except sqlite3.Error as err:
        store = getattr(args, "store", None) or "the result store"
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(
            f"entropy-gym: error: {store} cannot be used as a result store ({message})",
            file=sys.stderr,
        )
        return 2
    except CellFailure as fail:  # an agent or env failed outside the runner (east fit, tooltask)
        print(f"entropy-gym: error: {fail.reason}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `entropy-gym envs | head`
        return 0
    except KeyboardInterrupt:
        print(
            "entropy-gym: interrupted; finished cells are stored, the same command resumes",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
