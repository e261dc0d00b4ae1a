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
    from entropy_gym.agents.llm.east_fit import fit_east_vector

    out_dir = Path(args.out) if args.out else user_vector_dir()
    path = out_dir / f"{args.name}.json"
    if path.exists() and not args.force:
        raise ConfigError(f"{path} exists; pass --force to overwrite it")
    if (BUNDLED_DIR / f"{args.name}.json").exists() and out_dir.resolve() != BUNDLED_DIR:
        raise ConfigError(
            f"{args.name!r} is a shipped vector name; choose another name (or --out the "
            "shipped directory to refit it)"
        )
    env_id = args.env if ":" in args.env else f"entropy_gym:{args.env}"
    vector = fit_east_vector(
        args.name, env_id, args.env_kwargs, layer=args.layer, episodes=args.episodes,
        num_envs=args.num_envs, seed=args.seed, device=args.device,
        agent_kwargs=args.agent_kwargs,
    )
    vector.save(path)
    p = vector.provenance
    print(f"saved EAST vector {args.name!r} to {path}")
    print(f"  layer {vector.layer}, {p['num_prompts']} prompts from {p['episodes']} episodes, "
          f"mean action entropy {p['entropy_mean']:.3f} (sd {p['entropy_std']:.3f}), "
          f"reference norm {vector.reference_norm:.1f}")
    print(f"  use it as {{\"name\": \"east\", \"vector\": \"{args.name}\", \"beta\": 0.15}}")
    return 0


def cmd_east_list(args: argparse.Namespace) -> int:
    """List the EAST vectors that resolve by name."""
    from entropy_gym.agents.interventions.east import available_vectors, load_vector

    rows = []
    for name, path in available_vectors().items():
        v = load_vector(str(path))
        p = v.provenance
        rows.append([name, v.model_id, str(v.layer), p.get("env_id", "-"),
                     str(p.get("num_prompts", "-")), str(path)])
    if not rows:
        print("no EAST vectors found; fit one with `entropy-gym east fit`")
        return 0
    _print_table(rows, ["name", "model", "layer", "env", "prompts", "file"])
    return 0


def cmd_east_show(args: argparse.Namespace) -> int:
    """Print a vector's provenance as JSON."""
    from entropy_gym.agents.interventions.east import load_vector, vector_path

    v = load_vector(args.name)
    print(json.dumps({"file": str(vector_path(args.name)), "name": v.name, "layer": v.layer,
                      "model_id": v.model_id, "reference_norm": v.reference_norm,
                      "provenance": v.provenance}, indent=1))
    return 0


def _add_east_parser(sub: argparse._SubParsersAction) -> None:
    east = sub.add_parser("east", help="fit, list and show EAST steering vectors")
    east_sub = east.add_subparsers(dest="east_command", required=True, metavar="ACTION")
    p = east_sub.add_parser("fit", help="fit a vector from an LLM agent's own interaction")
    p.add_argument("--name", required=True, help="vector name (file <name>.json)")
    p.add_argument("--env", default="TextBandit/Gaussian-K5-v0", help="env id to play")
    p.add_argument("--env-kwargs", type=_json_kwargs_list, default={},
                   help="JSON env kwargs, or a JSON array of them (episodes are played per item)")
    p.add_argument("--layer", type=int, default=15, help="decoder layer to read and steer")
    p.add_argument("--episodes", type=int, default=8, help="episodes to play")
    p.add_argument("--num-envs", type=int, default=4, help="envs played in one batch")
    p.add_argument("--seed", type=int, default=0, help="agent and env seed")
    p.add_argument("--device", default="cpu", help="torch device")
    p.add_argument("--agent-kwargs", type=_json_arg, default={},
                   help="JSON llm_bandit kwargs (model, answer_prefix, thought_tokens...)")
    p.add_argument("--out", help="directory to write to (default: the user vector directory)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_east_fit)
    p = east_sub.add_parser("list", help="list vectors that resolve by name")
    p.set_defaults(func=cmd_east_list)
    p = east_sub.add_parser("show", help="print a vector's provenance")
    p.add_argument("name", help="vector name or .json path")
    p.set_defaults(func=cmd_east_show)


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

    _add_east_parser(sub)

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
