"""The static site: ``leaderboards/site/index.html`` shows every suite's leaderboard.

One self-contained page (inline CSS and a few lines of inline JS for sortable columns) that
links the plots as relative files (``../<suite>/<plot>.svg``), so it works from the file
system with no network and no server.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from entropy_gym.leaderboard import table
from entropy_gym.leaderboard.plots import PLOTS
from entropy_gym.runner.defaults import DEFAULT_LEADERBOARDS

_CSS = """
:root { --fg:#1d2330; --muted:#5b6475; --line:#dde1e8; --accent:#2f5fb3; --bad:#b3261e; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
       margin: 0; background: #fafbfc; }
header { background: #1d2330; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #c9cfdb; }
nav { padding: 10px 28px; border-bottom: 1px solid var(--line); background: #fff; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; font-weight: 600; }
main { padding: 10px 28px 40px; max-width: 1280px; }
section.suite { background: #fff; border: 1px solid var(--line); border-radius: 8px;
                padding: 6px 20px 16px; margin: 18px 0; }
h2 { margin: 12px 0 4px; }
p.note { color: var(--muted); margin: 4px 0 12px; }
div.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 8px 0 14px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; cursor: pointer; user-select: none; white-space: nowrap; }
th.wrap { white-space: normal; min-width: 6em; }
td.num { text-align: right; white-space: nowrap; }
td.verdict { white-space: nowrap; }
td.better { color: #1b6e2e; font-weight: 600; }
td.worse { color: var(--bad); font-weight: 600; }
td.unresolved { color: var(--muted); }
ul.notes { color: var(--muted); margin: 0 0 12px; padding-left: 18px; font-size: 13px; }
figure { display: inline-block; margin: 8px 16px 8px 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 12px; max-width: 520px; }
ul.failures li { color: var(--bad); }
details.failure summary { color: var(--bad); cursor: pointer; }
details.failure p { margin: 4px 0 8px 18px; color: var(--muted); }
details { margin: 8px 0; }
code { font-size: 12px; }
"""

_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0];
    var rows = Array.from(body.rows);
    var asc = th.dataset.order !== 'asc';
    th.dataset.order = asc ? 'asc' : 'desc';
    var key = function (r) {
      var t = r.cells[col].textContent.trim();
      var n = parseFloat(t.replace(/,/g, ''));
      return isNaN(n) ? t : n;
    };
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      var c = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


#: The verdict column's cells (by their first word) and their style.
_VERDICT_CLASSES = {"better": "better", "worse": "worse", "not": "unresolved"}


def _breakable(text: str) -> str:
    """Text cells may break after ``+``, ``(`` and ``,`` (labels and intervention parameters
    such as ``sac_temperature(alpha=0.05,mode=fixed)``), so that a wide table narrows there
    first."""
    for mark in ("+", "(", ","):
        text = text.replace(mark, mark + "<wbr>")
    return text


def _table(header: list[str], rows: list[list[str]], cls: str) -> str:
    # Long headers (the entropy columns, P(X > baseline)) may wrap; short ones stay on a line.
    head = "".join(
        f'<th class="wrap">{html.escape(h)}</th>' if len(h) > 16 else f"<th>{html.escape(h)}</th>"
        for h in header
    )
    verdicts = header.index("verdict") if "verdict" in header else None
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            numeric = i == 0 or cell[:1].isdigit() or (cell[:1] in "-+" and cell[1:2].isdigit())
            verdict = None
            if i == verdicts:
                verdict = " ".join(("verdict", _VERDICT_CLASSES.get(cell.split(" ", 1)[0], "")))
            style = "num" if numeric else verdict
            text = html.escape(cell) if style else _breakable(html.escape(cell))
            cells.append(
                f'<td class="{style.strip()}">{text}</td>' if style else f"<td>{text}</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table class="{cls} sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _suite_section(results: dict[str, Any]) -> str:
    s = results["suite"]
    name = s["name"]
    parts = [
        f'<section class="suite" id="suite-{html.escape(name)}">',
        f"<h2>{html.escape(name)}</h2>",
        f"<p>{html.escape(s['description'])}</p>",
        f'<p class="note">{html.escape(results["scores"]["note"].capitalize())}. '
        f"{html.escape(table.protocol_line(results))}</p>",
        _table(table.header(results), table.rows(results), "leaderboard"),
    ]
    notes = [n for n in [*table.notes(results), table.random_note(results)] if n]
    if notes:
        parts.append(
            '<ul class="notes">' + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
        )
    parts += [
        "<h3>Score per env (mean over seeds)</h3>",
        _table(table.per_env_header(results), table.per_env_rows(results), "per-env"),
    ]
    typed = table.by_type(results)
    if typed:
        parts += [
            "<h3>By stochasticity type</h3>",
            f'<p class="note">{html.escape(table.BY_TYPE_NOTE)}</p>',
            _table(*typed, "by-type"),
        ]
    for plot in results.get("plots") or []:
        src = f"../{name}/{plot}"
        parts.append(
            f'<figure><img class="plot" src="{html.escape(src)}" alt="{html.escape(plot)}">'
            f"<figcaption>{html.escape(PLOTS.get(plot, plot))}</figcaption></figure>"
        )
    groups = table.failure_groups(results)
    if groups:
        parts.append(f"<h3>Failed cells ({sum(len(c) for _, _, c in groups)})</h3>")
        parts += [
            f'<details class="failure"><summary>{html.escape(label)}: {html.escape(reason)} '
            f"({len(cells)} cell{'s' if len(cells) != 1 else ''})</summary>"
            f"<p>{html.escape(', '.join(cells))}</p></details>"
            for label, reason, cells in groups
        ]
    prov = json.dumps(results["provenance"], indent=1)
    parts.append(
        f"<details><summary>Provenance</summary><pre><code>{html.escape(prov)}</code></pre>"
        f'<p>Per-cell provenance: <a href="../{html.escape(name)}/provenance.json">provenance.json</a>, '
        f'results: <a href="../{html.escape(name)}/results.json">results.json</a>.</p></details>'
    )
    parts.append(
        f'<p class="note">Raw data: <a href="../{html.escape(name)}/cells.csv">cells.csv</a>'
        + (
            f', <a href="../{html.escape(name)}/telemetry.csv">telemetry.csv</a>'
            if any(c.get("telemetry") for c in results["cells"])
            else ""
        )
        + " (every cell with its key, score, entropy kind and versions; every training update)."
        "</p>"
    )
    parts.append("</section>")
    return "\n".join(parts)


def write_site(root: str | Path = DEFAULT_LEADERBOARDS) -> Path:
    """Rebuild ``<root>/site/index.html`` from every ``<root>/<suite>/results.json``."""
    root = Path(root)
    suites = []
    for path in sorted(root.glob("*/results.json")):
        if path.parent.name == "site":
            continue
        suites.append(json.loads(path.read_text()))
    nav = "".join(
        f'<a href="#suite-{html.escape(r["suite"]["name"])}">{html.escape(r["suite"]["name"])}</a>'
        for r in suites
    )
    body = "\n".join(_suite_section(r) for r in suites) or "<p>No leaderboards yet.</p>"
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>entropy-gym leaderboards</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>entropy-gym leaderboards</h1>
<p>Agents and entropy interventions scored with IQM and stratified bootstrap confidence intervals
(seeds are the runs; episodes are averaged within a seed first).</p></header>
<nav>{nav}</nav>
<main>
{body}
</main>
<script>{_JS}</script>
</body>
</html>
"""
    out = root / "site" / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    return out
