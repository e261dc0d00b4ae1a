"""How a board is presented (no browser needed): per-env and metric intervals over seeds,
one style per agent, legends outside the panels, fits only over a wide enough entropy range,
no empty panels, and wide tables split to fit the page."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

from entropy_gym.leaderboard import plots, site, table
from entropy_gym.leaderboard.build import build_results
from entropy_gym.leaderboard.markdown import to_markdown
from entropy_gym.runner.suite import load_suite
from entropy_gym.scoring.aggregate import mean_interval
from tests.runner.helpers import synthetic_rows, write_suite

pytest.importorskip("matplotlib")

LABELS = ["random", "weak", "strong"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("board")
    path = write_suite(
        tmp / "s.yaml",
        "s",
        seeds=[0, 1, 2],
        metrics=["hits"],
        envs=["CartPole-v1", "Pendulum-v1"],
        agents=[{"name": "random", "label": label} for label in LABELS],
    )
    suite = load_suite("s", path)
    skill = {"random": 0.0, "weak": 1.0, "strong": 3.0}
    return build_results(suite, synthetic_rows(suite, np.random.default_rng(0), skill=skill))


def test_mean_interval_is_a_seeded_stratified_percentile_bootstrap():
    strata = [[0.0, 1.0, 2.0], [10.0, 10.0]]
    lo, hi = mean_interval(strata, 2000, seed=7)
    assert mean_interval(strata, 2000, seed=7) == [lo, hi]  # same seed, same interval
    # The second stratum never varies: the pooled mean moves by the first one's draws only,
    # between all-zeros (20 / 5 = 4) and all-twos (26 / 5 = 5.2), around the mean 4.6.
    assert 4.0 <= lo < 4.6 < hi <= 5.2
    assert mean_interval([[3.0], [4.0]], 2000, seed=7) is None  # nothing to resample


def test_per_env_scores_and_metrics_carry_intervals_over_seeds(results):
    for row in results["rows"]:
        for env, task in row["per_task"].items():
            cells = [c for c in results["cells"] if (c["label"], c["env"]) == (row["label"], env)]
            seeds = sorted(c["score"] for c in cells)
            lo, hi = task["score_ci"]
            assert len(seeds) == 3 and seeds[0] <= lo <= task["score"] <= hi <= seeds[-1]
            hits = [c["metrics"]["hits"] for c in cells]
            assert task["metrics"]["hits"] == pytest.approx(np.mean(hits))
            assert min(hits) <= task["metrics_ci"]["hits"][0] <= task["metrics_ci"]["hits"][1]
        assert set(row["metrics_ci"]) == {"hits"}
    strong = next(r for r in results["rows"] if r["label"] == "strong")
    # Synthetic cells report hits = their skill on every seed: a point interval.
    assert strong["per_task"]["CartPole-v1"]["metrics_ci"]["hits"] == [3.0, 3.0]
    per_env = table.per_env_rows(results)
    assert all(re.fullmatch(r"-?[\d.]+ \[-?[\d.]+, -?[\d.]+\]", c) for r in per_env for c in r[1:])
    md = to_markdown(results)
    assert "## Score per env (mean over seeds, 95% CI)" in md and "Intervals: 95% percentile" in md
    assert "### CartPole-v1\n\n| agent | hits |" in md and "| strong | 3.00 [3.00, 3.00] |" in md


def test_each_agent_keeps_one_style_and_colours_stay_distinct():
    labels = [f"agent-{i:02d}" for i in range(20)] + ["random"]
    styles = plots.agent_styles(labels)
    colours = [styles[label].color for label in labels[:16]]
    assert len(set(colours)) == 16 and styles["random"].color == "#7f7f7f"
    assert "#7f7f7f" not in colours
    # The style follows the label, not the order or the company it keeps.
    assert plots.agent_styles(labels[::-1]) == styles
    assert plots.agent_styles(labels[:3])["agent-02"] == styles["agent-02"]
    # Beyond 16 agents a colour repeats, but never with the same marker.
    combos = {(s.color, s.marker) for label, s in styles.items() if label != "random"}
    assert len(combos) == 20


def _figures(results):
    with plots._pyplot().rc_context(plots._style()):
        for draw in (plots._profile, plots._entropy_return, plots._entropy_trajectory):
            fig = draw(results)
            if fig is not None:
                yield draw.__name__, fig


def test_legends_and_notes_sit_outside_every_panel(results):
    wide = copy.deepcopy(results)
    for row in wide["rows"]:  # a one-point trajectory on one env: a note above the panels
        row["per_task"]["Pendulum-v1"]["entropy_by_step"] = [0.5]
    for name, fig in _figures(wide):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        floating = [lg.get_window_extent(renderer) for lg in fig.legends]
        if fig._suptitle is not None:
            floating.append(fig._suptitle.get_window_extent(renderer))
        assert fig.legends and not any(ax.get_legend() for ax in fig.axes), name
        for box in floating:
            for ax in fig.axes:
                if ax.get_visible():
                    panel = ax.get_tightbbox(renderer)
                    assert (
                        box.x1 <= panel.x0
                        or panel.x1 <= box.x0
                        or box.y1 <= panel.y0
                        or (panel.y1 <= box.y0)
                    ), (name, box, panel)
        plots._pyplot().close(fig)


def test_each_panel_has_its_own_fit_and_narrow_ranges_get_none(results):
    narrow = copy.deepcopy(results)
    for i, c in enumerate(narrow["cells"]):
        if c["env"] == "Pendulum-v1":
            c["entropy"] = 1.38 + 0.0001 * i  # entropies spanning under 0.1 nats
    with plots._pyplot().rc_context(plots._style()):
        fig = plots._entropy_return(narrow)
    cart, pend = fig.axes[:2]
    fit = narrow["fits"]["CartPole-v1"]["fit"]
    assert (
        cart.get_title()
        == f"CartPole-v1\nfit a={fit['a']:.3g}, b={fit['b']:.3g}, R²={fit['r2']:.2f}"
    )
    assert len(cart.get_lines()) == 1  # the fit's curve
    assert re.fullmatch(
        r"Pendulum-v1\nno fit drawn: entropies span 0.00\d+ nats \(< 0.1\)", pend.get_title()
    )
    assert not pend.get_lines()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [*[r["label"] for r in narrow["rows"]], "fit R = -a exp(H) + b"]
    plots._pyplot().close(fig)


def test_single_point_trajectories_are_named_not_drawn_empty(results):
    single = copy.deepcopy(results)
    for row in single["rows"]:
        row["per_task"]["Pendulum-v1"]["entropy_by_step"] = [0.7]
    with plots._pyplot().rc_context(plots._style()):
        fig = plots._entropy_trajectory(single)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["CartPole-v1"]
    assert fig._suptitle.get_text() == "Not drawn (one decision per episode): Pendulum-v1"
    plots._pyplot().close(fig)
    for row in single["rows"]:
        row["per_task"]["CartPole-v1"]["entropy_by_step"] = [0.7]
    assert plots._entropy_trajectory(single) is None  # nothing to draw: no figure at all


def _column(header: str, width_chars: int) -> site._Column:
    return site._column(header, ["x" * width_chars])


def test_a_table_too_wide_splits_into_the_fewest_even_parts():
    key = [_column("agent", 10)]
    groups = [site._Group(f"env {i}", [_column(f"m{j}", 12) for j in range(4)]) for i in range(5)]
    parts = site._parts(key, groups, site.TABLE_BUDGET_PX)
    room = site.TABLE_BUDGET_PX - sum(c.width() for c in key)
    assert [g.title for part in parts for g in part] == [g.title for g in groups]  # all, in order
    assert all(sum(g.width() for g in part) <= room for part in parts)
    assert len(parts) == -(-sum(g.width() for g in groups) // room)  # no more parts than needed
    assert max(map(len, parts)) - min(map(len, parts)) <= 1  # as even as can be
    # A group wider than a page by itself is cut between its columns.
    (huge,) = site._parts(key, [site._Group("huge", [_column("m", 40)] * 12)], 600)[:1]
    assert all(g.title == "huge" for g in huge)
    assert site._parts(key, groups[:1], site.TABLE_BUDGET_PX) == [groups[:1]]


def test_site_stacks_intervals_and_keeps_every_leaderboard_column(results):
    key, groups = site._grouped(
        table.header(results), table.rows(results), table.column_groups(results)
    )
    columns = key + [c for g in groups for c in g.columns]
    assert [c.header for c in columns] == table.header(results)
    iqm = columns[table.header(results).index("IQM [95% CI]")]
    assert iqm.numeric and all(
        re.fullmatch(r'<span>-?[\d.]+</span><span class="ci">\[.+\]</span>', c) for c in iqm.cells
    )
