"""``python -m entropy_gym.agents.hooks_doc [FILE]``: print the hook table of
:mod:`entropy_gym.agents.hooks`, or rewrite it between the markers in FILE (docs/agents.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from entropy_gym.agents.hooks import hook_table, with_hook_table


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(hook_table(), end="")
        return 0
    path = Path(args[0])
    path.write_text(with_hook_table(path.read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
