"""The ``entropy-gym`` command.

Each sub-command is a small function ``cmd_<name>(args) -> int`` wired in :func:`build_parser`;
the work itself lives in the package modules, so the CLI stays thin. Exit status 0 is success,
1 a failed run or check, 2 bad input (config, arguments).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from entropy_gym.agents.base import ConfigError


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
    from entropy_gym.agents.tools.rollout import calibrate, play_episode
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    from entropy_gym import __version__
    from entropy_gym.registration import FAMILIES

    parser = argparse.ArgumentParser(
        prog="entropy-gym",
        description="Benchmark suite for entropy and exploration under uncertainty.",
    )
    parser.add_argument("--version", action="version", version=f"entropy-gym {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("envs", help="list registered env ids")
    p.add_argument("--family", choices=FAMILIES, help="only this family")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_envs)

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

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``entropy-gym`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as err:
        print(f"entropy-gym: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `entropy-gym envs | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
