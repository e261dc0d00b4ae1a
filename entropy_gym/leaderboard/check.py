"""``entropy-gym leaderboard SUITE --check``: does a committed leaderboard reproduce?

The suite's cells are run again into a fresh store, the leaderboard is rebuilt, and every row
of the committed ``results.json`` must come back with the same set of rows, the same number of
failed cells, and an IQM inside the committed row's confidence interval. On the same machine
and library versions the result is identical; elsewhere it must stay within the intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def compare(committed: dict[str, Any], fresh: dict[str, Any]) -> CheckReport:
    """Compare a committed leaderboard with a freshly built one (suite rows only)."""
    report = CheckReport()
    old = {r["label"]: r for r in committed["rows"] if r.get("source", "suite") == "suite"}
    new = {r["label"]: r for r in fresh["rows"] if r.get("source", "suite") == "suite"}
    for label in sorted(set(old) - set(new)):
        report.problems.append(f"{label}: in the committed leaderboard but not in the re-run")
    for label in sorted(set(new) - set(old)):
        report.problems.append(f"{label}: in the re-run but not in the committed leaderboard")
    for label in [lab for lab in old if lab in new]:
        o, n = old[label], new[label]
        if o["cells_failed"] != n["cells_failed"]:
            report.problems.append(
                f"{label}: {n['cells_failed']} failed cells, committed {o['cells_failed']}"
            )
        if o["iqm"] is None or n["iqm"] is None:
            if (o["iqm"] is None) != (n["iqm"] is None):
                report.problems.append(
                    f"{label}: IQM {_num(n['iqm'])} but committed {_num(o['iqm'])}"
                )
            continue
        lo, hi = o["iqm_ci"]
        inside = lo - 1e-9 * max(1.0, abs(lo)) <= n["iqm"] <= hi + 1e-9 * max(1.0, abs(hi))
        same = n["iqm"] == o["iqm"]
        verdict = "identical" if same else ("within CI" if inside else "OUTSIDE CI")
        report.lines.append(
            f"{label}: IQM {_num(n['iqm'])} vs committed {_num(o['iqm'])} "
            f"[{_num(lo)}, {_num(hi)}]: {verdict}"
        )
        if not inside:
            report.problems.append(
                f"{label}: IQM {_num(n['iqm'])} outside the committed CI [{_num(lo)}, {_num(hi)}]"
            )
    return report


def _num(value: object) -> str:
    """A score for people: at most four decimals, no exponent, no trailing zeros."""
    if not isinstance(value, (int, float)):
        return str(value)
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
