"""The static leaderboard site renders its tables and plots in headless Chromium, offline
from the file system."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from entropy_gym.leaderboard import table
from entropy_gym.leaderboard.publish import publish
from entropy_gym.runner.suite import load_suite
from tests.runner.helpers import REPO, synthetic_rows, write_suite

pytestmark = pytest.mark.browser

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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
def render():
    """``render(index)`` opens a page in one headless Chromium (launched once per module) and
    reports each suite section's table rows, headers and plots."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = chromium()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=FLAGS)

        def open_page(index: Path) -> dict:
            requests, errors = [], []
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(index.as_uri())
            page.wait_for_load_state("load")
            report = page.evaluate("""() => Array.from(document.querySelectorAll('section.suite')).map(s => ({
                id: s.id,
                headers: Array.from(s.querySelectorAll('table.leaderboard th')).map(th => th.textContent),
                rows: Array.from(s.querySelectorAll('table.leaderboard tbody tr')).map(
                    tr => Array.from(tr.cells).map(td => td.textContent)),
                plots: Array.from(s.querySelectorAll('img.plot')).map(img => ({
                    src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0,
                    width: img.getBoundingClientRect().width})),
            }))""")
            first = page.locator("section.suite table.leaderboard").first
            first.locator("th").nth(1).click()  # sort by agent, ascending
            sorted_agents = first.locator("tbody tr td:nth-child(2)").all_text_contents()
            page.close()
            return {
                "sections": report,
                "requests": requests,
                "errors": errors,
                "sorted": sorted_agents,
            }

        try:
            yield open_page
        finally:
            browser.close()


def test_site_renders_every_suite_offline(tmp_path, render):
    root = tmp_path / "leaderboards"
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
    out = render(root / "site" / "index.html")
    sections = {s["id"]: s for s in out["sections"]}
    assert set(sections) == {"suite-alpha", "suite-beta"}
    alpha = sections["suite-alpha"]
    assert (
        alpha["headers"][:4] == ["rank", "agent", "intervention", "IQM [95% CI]"]
        and "hits" in alpha["headers"]
    )
    assert [r[1] for r in alpha["rows"]] == ["beta", "zeta", "random"]  # ranked by IQM
    assert len(sections["suite-beta"]["rows"]) == 1
    plots = [p for s in out["sections"] for p in s["plots"]]
    assert len(plots) >= 8 and all(p["ok"] and p["width"] > 100 for p in plots), plots
    assert out["sorted"] == ["beta", "random", "zeta"]  # the header click sorts in the page
    assert all(url.startswith("file://") for url in out["requests"]), out["requests"]
    assert not out["errors"], out["errors"]


def test_committed_site_renders(render):
    index = REPO / "leaderboards" / "site" / "index.html"
    if not index.is_file():
        pytest.skip("no committed leaderboards/site/index.html")
    suites = [
        json.loads(p.read_text()) for p in sorted((REPO / "leaderboards").glob("*/results.json"))
    ]
    out = render(index)
    sections = {s["id"]: s for s in out["sections"]}
    for results in suites:
        section = sections[f"suite-{results['suite']['name']}"]
        assert len(section["rows"]) == len(results["rows"])
        # Every board declares a baseline, and its page shows each row's verdict.
        column = section["headers"].index("verdict")
        shown = [row[column] for row in section["rows"]]
        assert shown == [r[table.header(results).index("verdict")] for r in table.rows(results)]
        assert "baseline" in shown and all(
            v == "baseline" or v == "-" or v.split(" ")[0] in ("better", "worse", "not")
            for v in shown
        )
        assert len(section["plots"]) == len(results["plots"]) and all(
            p["ok"] for p in section["plots"]
        )
    assert all(url.startswith("file://") for url in out["requests"])
    assert not out["errors"], out["errors"]
