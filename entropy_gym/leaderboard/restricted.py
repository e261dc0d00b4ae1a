"""What a submission restricted with ``--envs``/``--seeds`` scored (``entropy-gym submit``):
the board of the whole suite ranks only agents with every cell, so the submission's own lines
come from a board of the cells it ran."""

from __future__ import annotations

from entropy_gym.runner.store import Store
from entropy_gym.runner.suite import Suite


def restricted_report(full: Suite, subset: Suite, store: Store, label: str) -> list[str]:
    """What a submission restricted with ``--envs``/``--seeds`` scored on the cells it ran: the
    board of the whole suite ranks only agents with every cell, so there it has no rank or
    IQM. Its IQM and rank over the restricted envs and seeds, then its score per env (no lines
    when nothing was restricted)."""
    from entropy_gym.leaderboard.build import build_results, select_rows
    from entropy_gym.leaderboard.table import per_env_header, per_env_rows, with_ci

    if len(subset.envs) == len(full.envs) and len(subset.seeds) == len(full.seeds):
        return []
    results = build_results(subset, select_rows(store, subset))
    row = next(r for r in results["rows"] if r["label"] == label)
    ranked = [r for r in results["rows"] if r["rank"] is not None]
    where = (
        f"{len(subset.envs)} of {len(full.envs)} envs x {len(subset.seeds)} of "
        f"{len(full.seeds)} seeds"
    )
    rank = (
        f"rank {row['rank']} of {len(ranked)} agents with these cells" if row["rank"] else "no rank"
    )
    lines = [
        f"{label} on the cells it ran ({where}): IQM {with_ci(row['iqm'], row['iqm_ci'])}, {rank}",
        "score per env (mean over seeds):",
    ]
    header = per_env_header(results)[1:]
    values = next(r for r in per_env_rows(results) if r[0] == label)[1:]
    lines += [f"  {env}: {value}" for env, value in zip(header, values, strict=True)]
    return lines


__all__ = ["restricted_report"]
