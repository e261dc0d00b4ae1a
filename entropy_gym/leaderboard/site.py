"""The static site: ``leaderboards/site/index.html`` shows every suite's leaderboard.

One self-contained page (inline CSS and a few lines of inline JS for sortable columns) that
links the plots as relative files (``../<suite>/<plot>.svg``), so it works from the file
system with no network and no server.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass
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
main { padding: 10px 28px 40px; max-width: 1400px; }
section.suite { background: #fff; border: 1px solid var(--line); border-radius: 8px;
                padding: 6px 20px 16px; margin: 18px 0; }
h2 { margin: 12px 0 4px; }
p.note { color: var(--muted); margin: 4px 0 12px; }
div.scroll { overflow-x: auto; max-width: 100%; }
div.scroll + div.scroll table { margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px;
        font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
         vertical-align: top; background: #fff; }
th { background: #f2f4f7; vertical-align: bottom; }
th[data-col] { cursor: pointer; user-select: none; }
th.group { text-align: center; border-bottom: 2px solid var(--line); font-weight: 600; }
th.num, td.num { text-align: right; }
td.num span, th span { display: block; white-space: nowrap; }
span.ci, span.sub { color: var(--muted); font-size: 12px; }
td.verdict span { display: block; white-space: nowrap; }
td.line { white-space: nowrap; }
th.group, .gstart { border-left: 1px solid var(--line); }
td.better { color: #1b6e2e; font-weight: 600; }
td.worse { color: var(--bad); font-weight: 600; }
td.unresolved { color: var(--muted); }
/* a table wider than a narrow window scrolls, its first column staying in view */
div.scroll th:first-child, div.scroll td:first-child { position: sticky; left: 0; z-index: 1; }
ul.notes { color: var(--muted); margin: 0 0 12px; padding-left: 18px; font-size: 13px; }
figure { display: inline-block; margin: 8px 16px 8px 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 12px; max-width: 620px; }
ul.failures li { color: var(--bad); }
details.failure summary { color: var(--bad); cursor: pointer; }
details.failure p { margin: 4px 0 8px 18px; color: var(--muted); }
details { margin: 8px 0; }
code { font-size: 12px; }
"""

# Sorting a column sorts its table, and the other parts of the same table (split to fit the
# page: same data-group) follow its row order.
_JS = """
document.querySelectorAll('table.sortable th[data-col]').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), col = Number(th.dataset.col);
    var body = table.tBodies[0];
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
    var group = table.dataset.group;
    document.querySelectorAll('table[data-group="' + group + '"]').forEach(function (other) {
      if (other === table) return;
      var byRow = {};
      Array.from(other.tBodies[0].rows).forEach(function (r) { byRow[r.dataset.row] = r; });
      rows.forEach(function (r) { other.tBodies[0].appendChild(byRow[r.dataset.row]); });
    });
  });
});
"""


#: The verdict column's cells (by their first word) and their style.
_VERDICT_CLASSES = {
    "better": "better",
    "worse": "worse",
    "not": "unresolved",
    "unresolved": "unresolved",
}

#: Estimated narrowest width (px) a table's columns may take on a 1,400 px window: the page's
#: content is about 1,290 px wide there, and the estimate (:func:`_text_px`, every column at
#: its narrowest) leaves the browser room to widen the text columns.
TABLE_BUDGET_PX = 1200
#: Text cells up to this long stay on one line; longer ones break after ``+(,=``.
NOWRAP_CHARS = 24
#: A cell's padding and border (px).
_PAD_PX = 18
#: Characters narrower than a digit, in DejaVu Sans (the widest common fallback of
#: system-ui): 0.35 em or less; digits 0.64 em, capitals and wide letters 0.74 em or less.
_NARROW = frozenset(" .,:;[]()|!'/ilrtfj-")
_WIDE = frozenset("mwMW%@")


def _text_px(text: str, size: float = 13.0, bold: bool = False) -> float:
    """A generous estimate of ``text``'s width on one line, in px at font ``size``."""
    em = sum(
        0.35 if ch in _NARROW else 0.74 if ch.isupper() or ch in _WIDE else 0.64 for ch in text
    )
    return em * size * (1.1 if bold else 1.0)


#: A number as :func:`table.fmt` writes it, a count (``3/9``) or ``-``.
_VALUE = r"-|[-+]?\d[\d,]*(?:\.\d+)?(?:/\d+)?|<0\.001"
#: A statistic: ``value [lo, hi] (note)``, interval and note optional.
_STAT = re.compile(rf"^(?P<value>{_VALUE})(?: \[(?P<ci>[^\]]*)\])?(?: \((?P<note>[^()]*)\))?$")
#: A verdict: ``better than ppo (p 0.004)``.
_VERDICT = re.compile(r"^(?P<word>.+?) (?P<p>\(p [^)]*\))$")


@dataclass
class _Column:
    """One column of a table: its header, its cells' HTML, the widest line of its cells
    (px, estimated), whether it holds numbers (right-aligned), each cell's class."""

    header: str
    cells: list[str]
    text_px: float
    numeric: bool
    classes: list[str]

    def width(self) -> float:
        """The narrowest the column can be (px, estimated): its widest unbreakable line."""
        main, _, sub = self.header.partition(" [")
        head = max(
            [_text_px(p, bold=True) for p in _pieces(main, "/_-")] + [_text_px(sub + "[", 12)]
        )
        return max(head, self.text_px) + _PAD_PX


@dataclass
class _Group:
    """Columns that stay together where a table is split (an env's, the scores'), with a title
    shown above them where it has one."""

    title: str | None
    columns: list[_Column]

    def width(self) -> float:
        return sum(c.width() for c in self.columns)


def _breakable(text: str) -> str:
    """Text cells may break after ``+``, ``(``, ``,`` and ``=`` (labels and intervention
    parameters such as ``sac_temperature(alpha=0.05,mode=fixed)``), so that a wide table
    narrows there first."""
    for mark in ("+", "(", ",", "="):
        text = text.replace(mark, mark + "<wbr>")
    return text


def _pieces(text: str, marks: str) -> list[str]:
    """``text`` cut where a line may break: at spaces and after each of ``marks``."""
    for mark in marks:
        text = text.replace(mark, mark + " ")
    return text.split()


def _widest_piece(text: str) -> float:
    """The widest piece of a text cell that cannot break (px)."""
    return max((_text_px(p) for p in _pieces(text, "+(,=")), default=0.0)


def _header_html(text: str) -> str:
    """A header, with its ``[95% CI]`` on a line of its own and line breaks allowed after
    ``/``, ``_`` and ``-`` (env ids, metric names)."""
    main, _, sub = text.partition(" [")
    escaped = html.escape(main)
    for mark in ("/", "_", "-"):
        escaped = escaped.replace(mark, mark + "<wbr>")
    if sub:
        escaped += f'<span class="sub">[{html.escape(sub)}</span>'
    return escaped


def _column(header: str, texts: list[str], verdict: bool = False) -> _Column:
    """A column's cells: statistics stack their interval and note under the value (so a
    column is as narrow as its widest line), verdicts their p-value; text may break."""
    stats = [_STAT.match(t) for t in texts]
    numeric = not verdict and all(stats) and any(t != "-" for t in texts)
    cells, classes = [], []
    px = 0.0
    for text, stat in zip(texts, stats, strict=True):
        if numeric and stat:
            lines = [html.escape(stat["value"])]
            px = max(px, _text_px(stat["value"]))
            if stat["ci"] is not None:
                lines.append(f'<span class="ci">[{html.escape(stat["ci"])}]</span>')
                px = max(px, _text_px(f"[{stat['ci']}]", 12))
            if stat["note"] is not None:
                lines.append(f'<span class="ci">({html.escape(stat["note"])})</span>')
                px = max(px, _text_px(f"({stat['note']})", 12))
            cells.append(f"<span>{lines[0]}</span>" + "".join(lines[1:]))
            classes.append("num")
        elif verdict:
            match = _VERDICT.match(text)
            style = " ".join(("verdict", _VERDICT_CLASSES.get(text.split(" ", 1)[0], ""))).strip()
            if match:
                cells.append(
                    f"<span>{html.escape(match['word'])}</span>"
                    f'<span class="ci">{html.escape(match["p"])}</span>'
                )
                px = max(px, _text_px(match["word"], bold=True), _text_px(match["p"], 12))
            else:
                cells.append(html.escape(text))
                px = max(px, _text_px(text))
            classes.append(style)
        elif len(text) <= NOWRAP_CHARS:  # a label or a short intervention: one line
            cells.append(html.escape(text))
            px = max(px, _text_px(text))
            classes.append("line")
        else:
            cells.append(_breakable(html.escape(text)))
            px = max(px, _widest_piece(text))
            classes.append("")
    return _Column(header, cells, px, numeric, classes)


def _columns(header: list[str], rows: list[list[str]]) -> list[_Column]:
    return [
        _column(h, [row[i] for row in rows], verdict=h == "verdict") for i, h in enumerate(header)
    ]


def _parts(key: list[_Column], groups: list[_Group], budget: float) -> list[list[_Group]]:
    """The groups in the fewest consecutive parts whose tables (each with the ``key``
    columns) fit ``budget``, as even as can be; a group wider than a part by itself is cut
    between its columns first."""
    room = budget - sum(c.width() for c in key)
    units: list[_Group] = []
    for group in groups:
        run: list[_Column] = []
        for column in group.columns:
            if run and sum(c.width() for c in run) + column.width() > room:
                units.append(_Group(group.title, run))
                run = []
            run.append(column)
        units.append(_Group(group.title, run))
    widths = [u.width() for u in units]
    count, used = 1, 0.0
    for w in widths:  # fewest parts: greedy
        if used and used + w > room:
            count, used = count + 1, 0.0
        used += w
    return _even_split(units, widths, count)


def _even_split(units: list[_Group], widths: list[float], count: int) -> list[list[_Group]]:
    """``units`` in ``count`` consecutive parts with the widest part as narrow as can be."""
    n = len(units)
    count = min(count, n)
    prefix = [0.0]
    for w in widths:
        prefix.append(prefix[-1] + w)
    # best[k][i]: the narrowest widest part splitting the first i units in k parts.
    best = [[math.inf] * (n + 1) for _ in range(count + 1)]
    cut = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0.0
    for k in range(1, count + 1):
        for i in range(k, n + 1):
            for j in range(k - 1, i):
                value = max(best[k - 1][j], prefix[i] - prefix[j])
                if value < best[k][i]:
                    best[k][i], cut[k][i] = value, j
    parts, i = [], n
    for k in range(count, 0, -1):
        parts.append(units[cut[k][i] : i])
        i = cut[k][i]
    return parts[::-1]


def _table(key: list[_Column], groups: list[_Group], cls: str, group_id: str, rows: int) -> str:
    """The table of ``key`` columns and ``groups``, as one ``<table>`` where it fits the page,
    else as several that each repeat the key columns and sort together. Titled groups (an
    env's columns) get their title in a header row above their columns, and a rule on their
    left."""
    return "".join(
        _part(key, part, cls, group_id, rows) for part in _parts(key, groups, TABLE_BUDGET_PX)
    )


def _part(key: list[_Column], part: list[_Group], cls: str, group_id: str, rows: int) -> str:
    titled = any(g.title for g in part)
    # (column, whether it starts a titled group)
    columns = [(c, False) for c in key] + [
        (c, titled and i == 0) for g in part for i, c in enumerate(g.columns)
    ]

    def classes(*names: str) -> str:
        text = " ".join(n for n in names if n)
        return f' class="{text}"' if text else ""

    top, second = [], []
    for index, (column, starts) in enumerate(columns):
        span = ' rowspan="2"' if titled and index < len(key) else ""
        cell = (
            f"<th{classes('num' if column.numeric else '', 'gstart' if starts else '')}{span}"
            f' data-col="{index}">{_header_html(column.header)}</th>'
        )
        (second if titled and index >= len(key) else top).append(cell)
    if titled:
        top += [
            f'<th class="group" colspan="{len(g.columns)}">{_header_html(g.title or "")}</th>'
            for g in part
        ]
    head = "<tr>" + "".join(top) + "</tr>" + ("<tr>" + "".join(second) + "</tr>" if titled else "")
    body = "".join(
        f'<tr data-row="{r}">'
        + "".join(
            f"<td{classes(c.classes[r], 'gstart' if starts else '')}>{c.cells[r]}</td>"
            for c, starts in columns
        )
        + "</tr>"
        for r in range(rows)
    )
    return (
        f'<div class="scroll"><table class="{cls} sortable" data-group="{html.escape(group_id)}">'
        f"<thead>{head}</thead><tbody>{body}</tbody></table></div>"
    )


def _grouped(
    header: list[str], rows: list[list[str]], sizes: list[int]
) -> tuple[list[_Column], list[_Group]]:
    """``header``'s first ``sizes[0]`` columns as the key, the rest in groups of ``sizes``."""
    columns = _columns(header, rows)
    key, start, groups = columns[: sizes[0]], sizes[0], []
    for size in sizes[1:]:
        groups.append(_Group(None, columns[start : start + size]))
        start += size
    return key, groups


def _per_env(results: dict[str, Any]) -> tuple[str, list[_Column], list[_Group]]:
    """The per-env table: each env's score, and where the suite has metrics, each env's
    metrics beside it under the env's name."""
    header, rows = table.per_env_header(results), table.per_env_rows(results)
    scores = _columns(header, rows)
    metrics = {env: (h, r) for env, h, r in table.per_env_metrics(results)}
    if not metrics:
        return table.PER_ENV_TITLE, scores[:1], [_Group(None, [c]) for c in scores[1:]]
    groups = []
    for column in scores[1:]:
        env = column.header
        column.header = "score"
        extra = _columns(*metrics[env])[1:] if env in metrics else []
        groups.append(_Group(env, [column, *extra]))
    return "Score and metrics per env (mean over seeds, 95% CI)", scores[:1], groups


def _suite_section(results: dict[str, Any]) -> str:
    s = results["suite"]
    name = s["name"]
    parts = [
        f'<section class="suite" id="suite-{html.escape(name)}">',
        f"<h2>{html.escape(name)}</h2>",
        f"<p>{html.escape(s['description'])}</p>",
        f'<p class="note">{html.escape(results["scores"]["note"].capitalize())}. '
        f"{html.escape(table.protocol_line(results))}</p>",
        _table(
            *_grouped(table.header(results), table.rows(results), table.column_groups(results)),
            "leaderboard",
            f"{name}-leaderboard",
            len(results["rows"]),
        ),
    ]
    notes = [n for n in [*table.notes(results), table.random_note(results)] if n]
    if notes:
        parts.append(
            '<ul class="notes">' + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
        )
    title, key, groups = _per_env(results)
    parts += [
        f"<h3>{html.escape(title)}</h3>",
        f'<p class="note">{html.escape(table.interval_note(results))}</p>',
        _table(key, groups, "per-env", f"{name}-per-env", len(results["rows"])),
    ]
    typed = table.by_type(results)
    if typed:
        key, groups = _grouped(*typed, [1, len(typed[0]) - 1])
        parts += [
            "<h3>By stochasticity type</h3>",
            f'<p class="note">{html.escape(table.BY_TYPE_NOTE)}</p>',
            _table(key, groups, "by-type", f"{name}-by-type", len(typed[1])),
        ]
    transfer_note = table.type_transfer_note(results)
    if transfer_note:
        parts += [
            f"<h3>{html.escape(table.TYPE_TRANSFER_TITLE)}</h3>",
            f'<p class="note">{html.escape(transfer_note)}</p>',
        ]
        transfer = table.type_transfer(results)
        if transfer:
            key, groups = _grouped(*transfer, [1, len(transfer[0]) - 1])
            parts.append(
                _table(key, groups, "type-transfer", f"{name}-type-transfer", len(transfer[1]))
            )
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
