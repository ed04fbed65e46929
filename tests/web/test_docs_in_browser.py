"""The interactive API docs in a real browser (Debian's chromium, driven by Playwright), offline."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.slow


def test_the_docs_render_from_local_files_and_a_login_works_from_them(server, page, watched):
    outside = watched.outside
    page.goto(f"{server}/api/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Fieldrep" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("#operations-auth-postLogin")
    assert page.locator(".opblock").count() > 30, "every operation is listed"
    assert outside == [], f"the docs page reached outside this machine: {outside}"
    page.screenshot(path=str(Path(tempfile.gettempdir()) / "fieldrep-docs.png"))  # for a person to look at

    # Try it out: log in from the docs page itself
    page.click("#operations-auth-postLogin .opblock-summary")
    page.click("#operations-auth-postLogin button.try-out__btn")
    page.fill("#operations-auth-postLogin textarea.body-param__text",
              f'{{"username": "rep1", "password": "{DEMO_PASSWORD}"}}')
    page.click("#operations-auth-postLogin button.execute")
    page.wait_for_selector("#operations-auth-postLogin .live-responses-table tbody .response-col_status")
    status = page.inner_text("#operations-auth-postLogin .live-responses-table tbody .response-col_status")
    assert "200" in status
    assert "access_token" in page.inner_text("#operations-auth-postLogin .live-responses-table")
