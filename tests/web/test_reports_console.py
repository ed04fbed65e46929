"""The managers' dashboard in a real browser (Debian's chromium, driven by Playwright), offline: log in as the
manager, see the figures tables and the three server-drawn plots for October's fixed data set, export CSV."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.reports.test_figures import fleet  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


def test_a_manager_sees_the_figures_and_plots_and_exports_csv(server, page, watched, fleet):  # noqa: F811
    outside, problems = watched.outside, watched.problems
    page.goto(f"{server}/console/reports/?period=month&day=2026-10-15")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#teams")
    assert "2026-10-01 – 2026-10-31" in page.inner_text("#period")
    teams = page.inner_text("#teams")
    assert "North" in teams and "South" in teams
    assert page.locator("#reps tr").count() == 4  # a header and three reps
    assert page.locator("svg.chart").count() == 3
    assert page.locator('polyline[data-series="caused by the rep"]').count() == 1
    assert page.locator('svg[aria-label="violations by criterion"] rect').count() == 5
    assert page.locator('svg[aria-label="reminder-call discipline by team"] rect[data-part="missing"]').count() == 2
    page.screenshot(path=str(Path(tempfile.gettempdir()) / "fieldrep-figures.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text()
    assert text.splitlines()[0].startswith("key,label,day,planned")
    assert len(text.splitlines()) == 4
    assert outside == [] and problems == []
