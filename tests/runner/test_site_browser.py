"""The static leaderboard site renders its tables and plots in headless Chromium, offline
from the file system, and reads at a 1,400 px window: no table wider than its container
(every column in view), no legend or note over a panel, one distinct colour per agent."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from entropy_gym.leaderboard import table
from entropy_gym.leaderboard.plots import RANDOM_LABEL
from entropy_gym.leaderboard.publish import publish
from entropy_gym.runner.suite import load_suite
from tests.runner.helpers import REPO, synthetic_rows, write_suite

pytestmark = pytest.mark.browser

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH = 1400

# Per suite section: each table, put back together from its parts (tables split to fit the
# page share a data-group and repeat their key columns), and where each part sits.
SECTIONS_JS = """(keys) => Array.from(document.querySelectorAll('section.suite')).map(s => {
    const text = e => e.innerText.replace(/\\s+/g, ' ').trim();
    const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; };
    const style = getComputedStyle(s);
    const inner = [s.getBoundingClientRect().left + parseFloat(style.paddingLeft),
                   s.getBoundingClientRect().right - parseFloat(style.paddingRight)];
    const tables = {};
    for (const t of s.querySelectorAll('table')) {
        const kind = t.classList[0];
        const heads = Array.from(t.querySelectorAll('th[data-col]'))
            .sort((a, b) => a.dataset.col - b.dataset.col).map(text);
        const rows = Array.from(t.tBodies[0].rows).sort((a, b) => a.dataset.row - b.dataset.row)
            .map(tr => Array.from(tr.cells).map(text));
        const wrap = t.parentElement;
        const layout = {table: box(t), overflow: wrap.scrollWidth - wrap.clientWidth};
        const key = keys[kind] || 1;
        if (!tables[kind]) {
            tables[kind] = {headers: heads, rows: rows, parts: [layout],
                            groups: Array.from(t.querySelectorAll('th.group')).map(text)};
        } else {
            const whole = tables[kind];
            whole.headers.push(...heads.slice(key));
            rows.forEach((r, i) => whole.rows[i].push(...r.slice(key)));
            whole.parts.push(layout);
            whole.groups.push(...Array.from(t.querySelectorAll('th.group')).map(text));
        }
    }
    return {
        id: s.id, inner: inner, tables: tables,
        plots: Array.from(s.querySelectorAll('img.plot')).map(img => ({
            src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0,
            width: img.getBoundingClientRect().width})),
    };
})"""

# In one SVG plot: the boxes of the axes (panels with their ticks, labels and titles), of the
# figure's legend and note, and the legend's entries (label and colour).
SVG_JS = """() => {
    const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const axes = Array.from(document.querySelectorAll('g[id^="axes_"]')).map(box);
    const floating = Array.from(document.querySelectorAll('g#legend, g#note'))
        .map(e => ({id: e.id, box: box(e)}));
    const entries = [];
    const legend = document.getElementById('legend');
    let colour = null;
    for (const g of legend ? legend.children : []) {
        if (g.id.startsWith('line2d') || g.id.startsWith('PathCollection')) {
            const m = g.outerHTML.match(/(?:stroke|fill): (#[0-9a-f]{6})/);
            colour = m ? m[1] : null;
        } else if (g.id.startsWith('text')) {
            const note = Array.from(g.childNodes).find(n => n.nodeType === Node.COMMENT_NODE);
            entries.push({label: note ? note.textContent.trim() : '', colour: colour});
        }
    }
    const inside = document.querySelectorAll('g[id^="axes_"] g[id^="legend"]').length;
    return {axes: axes, floating: floating, entries: entries, inside: inside};
}"""


def chromium() -> str:
    for candidate in (
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        shutil.which("chromium") or "",
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip(
        "no Chromium found (/usr/bin/chromium); install it with `apt-get install -y chromium`"
    )


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = chromium()
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def render(browser):
    """``render(index)`` opens a page at 1,400 x 900 px and reports each suite section's
    tables (put back together from their parts), their layout and plots; and the leaderboard
    sorted by agent in the page."""

    def open_page(index: Path) -> dict:
        requests, errors = [], []
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(index.as_uri())
        page.wait_for_load_state("load")
        keys = {"leaderboard": 2, "per-env": 1, "by-type": 1}
        report = page.evaluate(SECTIONS_JS, keys)
        section = page.locator("section.suite").first
        section.locator("table.leaderboard").first.locator("th").nth(1).click()  # by agent
        tables = section.locator("table.leaderboard")
        in_order = [
            tables.nth(i).locator("tbody tr td:nth-child(2)").all_text_contents()
            for i in range(tables.count())
        ]
        page.close()
        return {"sections": report, "requests": requests, "errors": errors, "sorted": in_order}

    return open_page


@pytest.fixture(scope="module")
def inspect_svg(browser):
    """``inspect_svg(path)``: the boxes and legend entries of one SVG plot (:data:`SVG_JS`)."""

    def inspect(path: Path) -> dict:
        page = browser.new_page()
        page.goto(path.as_uri())
        out = page.evaluate(SVG_JS)
        page.close()
        return out

    return inspect


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def overlap(a: list[float], b: list[float], slack: float = 0.5) -> bool:
    return (
        a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack
    )


def assert_fits(section: dict) -> None:
    """Every table (each part of a split one) lies inside the section, its container shows
    all of it (nothing to scroll to): every column is in view at 1,400 px."""
    left, right = section["inner"]
    for kind, whole in section["tables"].items():
        for part in whole["parts"]:
            assert part["overflow"] <= 0, (section["id"], kind, part)
            lo, hi = part["table"]
            assert left - 0.5 <= lo and hi <= right + 0.5, (section["id"], kind, part, right)


def assert_plots_read(folder: Path, plots: list[str], inspect_svg) -> dict[str, str]:
    """No legend or note overlaps a panel (its ticks, labels and title) or another; agents'
    legend colours are distinct, and the same on every plot. Returns label -> colour."""
    colours: dict[str, str] = {}
    for plot in plots:
        out = inspect_svg(folder / plot)
        assert out["inside"] == 0, (folder.name, plot, "a legend inside a panel")
        floating = out["floating"]
        for item in floating:
            for panel in out["axes"]:
                assert not overlap(item["box"], panel), (folder.name, plot, item["id"], panel)
        for i, a in enumerate(floating):
            for b in floating[i + 1 :]:
                assert not overlap(a["box"], b["box"]), (folder.name, plot, a["id"], b["id"])
        agents = [e for e in out["entries"] if not e["label"].startswith("fit ")]
        shown = [e["colour"] for e in agents]
        assert None not in shown and len(set(shown)) == len(shown), (folder.name, plot, agents)
        for e in agents:
            assert colours.setdefault(e["label"], e["colour"]) == e["colour"], (plot, e)
    return colours


def publish_toy_boards(root: Path, tmp_path: Path) -> None:
    for name, labels in (("alpha", ["random", "zeta", "beta"]), ("beta", ["random"])):
        path = write_suite(
            tmp_path / f"{name}.yaml",
            name,
            seeds=[0, 1, 2],
            metrics=["hits"],
            envs=["CartPole-v1", "Pendulum-v1"],
            agents=[{"name": "random", "label": label} for label in labels],
        )
        suite = load_suite(name, path)
        skill = {label: float(i) for i, label in enumerate(labels)}
        publish(suite, synthetic_rows(suite, np.random.default_rng(0), skill=skill), root)


def test_site_renders_every_suite_offline(tmp_path, render):
    root = tmp_path / "leaderboards"
    publish_toy_boards(root, tmp_path)
    out = render(root / "site" / "index.html")
    sections = {s["id"]: s for s in out["sections"]}
    assert set(sections) == {"suite-alpha", "suite-beta"}
    board = sections["suite-alpha"]["tables"]["leaderboard"]
    assert board["headers"][:4] == ["rank", "agent", "intervention", "IQM [95% CI]"]
    assert "hits" in board["headers"]
    assert [r[1] for r in board["rows"]] == ["beta", "zeta", "random"]  # ranked by IQM
    # Per env: the score with its interval over the three seeds.
    per_env = sections["suite-alpha"]["tables"]["per-env"]
    assert re.fullmatch(r"-?[\d.]+ \[-?[\d.]+, -?[\d.]+\]", per_env["rows"][0][1]), per_env
    assert len(sections["suite-beta"]["tables"]["leaderboard"]["rows"]) == 1
    plots = [p for s in out["sections"] for p in s["plots"]]
    assert len(plots) >= 8 and all(p["ok"] and p["width"] > 100 for p in plots), plots
    assert out["sorted"][0] == ["beta", "random", "zeta"]  # the header click sorts in the page
    assert all(url.startswith("file://") for url in out["requests"]), out["requests"]
    assert not out["errors"], out["errors"]


def test_a_wide_board_splits_to_fit_and_sorts_as_one(tmp_path, render, inspect_svg):
    """Sixteen agents with long labels, six envs with long names and five metrics: every
    table still fits 1,400 px with every column, split into parts that sort together, and
    each agent has a colour of its own on every plot."""
    labels = [f"agent-{i:02d}+an_intervention_with_a_long_name" for i in range(15)] + ["random"]
    path = write_suite(
        tmp_path / "wide.yaml",
        "wide",
        seeds=[0, 1],
        metrics=["hits", "suffix_failure", "best_arm_frac", "greedy_frac", "invalid_rate"],
        envs=[
            {
                "id": "CartPole-v1",
                "name": f"Family/Some-Long-Env-Name-{i}-v0",
                "kwargs": {"max_episode_steps": 100 + i},
            }
            for i in range(6)
        ],
        agents=[{"name": "random", "label": label} for label in labels],
        baseline="random",
    )
    suite = load_suite("wide", path)
    rows = synthetic_rows(
        suite, np.random.default_rng(1), skill={lab: i / 3 for i, lab in enumerate(labels)}
    )
    for row in rows:
        row.result.metrics.update({m: row.result.metrics["hits"] / 7 for m in suite.metrics[1:]})
    root = tmp_path / "leaderboards"
    results = publish(suite, rows, root)
    out = render(root / "site" / "index.html")
    (section,) = out["sections"]
    assert_fits(section)
    tables = section["tables"]
    board = tables["leaderboard"]
    assert len(board["parts"]) >= 2  # too wide for one table at 1,400 px
    expected = [[norm(c) for c in row] for row in table.rows(results)]
    assert board["headers"] == table.header(results) and board["rows"] == expected
    per_env = tables["per-env"]  # each env's score and metrics, under the env's name
    assert per_env["groups"] == [e.name for e in suite.envs] and len(per_env["parts"]) >= 2
    assert len(per_env["headers"]) == 1 + len(suite.envs) * (1 + len(suite.metrics))
    # Sorting by agent in the first part reorders every part: rows stay whole across parts.
    assert all(part == sorted(labels) for part in out["sorted"]), out["sorted"]
    colours = assert_plots_read(root / "wide", results["plots"], inspect_svg)
    assert len(set(colours.values())) == len(labels) == len(colours)
    assert not out["errors"], out["errors"]


COMMITTED = sorted((REPO / "leaderboards").glob("*/results.json"))


@pytest.fixture(scope="module")
def committed(render):
    index = REPO / "leaderboards" / "site" / "index.html"
    if not index.is_file():
        pytest.skip("no committed leaderboards/site/index.html")
    return render(index)


@pytest.mark.parametrize("path", COMMITTED, ids=[p.parent.name for p in COMMITTED])
def test_committed_board_reads_at_1400_px(path, committed, inspect_svg):
    results = json.loads(path.read_text())
    sections = {s["id"]: s for s in committed["sections"]}
    section = sections[f"suite-{results['suite']['name']}"]
    assert_fits(section)
    # Every column of the board is on the page, with the text the Markdown board has.
    board = section["tables"]["leaderboard"]
    assert board["headers"] == table.header(results)
    assert board["rows"] == [[norm(c) for c in row] for row in table.rows(results)]
    # Every board declares a baseline, and its page shows each row's verdict.
    shown = [row[board["headers"].index("verdict")] for row in board["rows"]]
    assert "baseline" in shown and all(
        v == "baseline" or v == "-" or v.split(" ")[0] in ("better", "worse", "not") for v in shown
    )
    # Per env: every env's score with its interval over seeds, and the suite's metrics.
    per_env = section["tables"]["per-env"]
    envs = [e["name"] for e in results["suite"]["envs"]]
    metrics = table.per_env_metrics(results)
    assert (per_env["groups"] or per_env["headers"][1:]) == envs
    assert len(per_env["headers"]) == 1 + len(envs) + sum(len(h) - 1 for _, h, _ in metrics)
    assert all(re.search(r"\[.+, .+\]", cell) for row in per_env["rows"] for cell in row[1:])
    assert len(section["plots"]) == len(results["plots"]) and all(p["ok"] for p in section["plots"])
    colours = assert_plots_read(path.parent, results["plots"], inspect_svg)
    agents = {r["label"] for r in results["rows"]}
    assert set(colours) <= agents and len(set(colours.values())) == len(colours)
    if RANDOM_LABEL in colours:
        assert colours[RANDOM_LABEL] == "#7f7f7f"


def test_committed_site_is_offline(committed):
    assert all(url.startswith("file://") for url in committed["requests"])
    assert not committed["errors"], committed["errors"]
