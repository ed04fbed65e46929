"""The interactive API docs in a real browser (Debian's chromium, driven by Playwright), offline."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

from tests.conftest import DEMO_PASSWORD
from tests.support.servers import free_port

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(app):
    port = free_port()
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        yield page
        browser.close()


def test_the_docs_render_from_local_files_and_a_login_works_from_them(server, page):
    outside = []

    def only_loopback(route):
        if urlparse(route.request.url).hostname not in ("127.0.0.1", "localhost"):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", only_loopback)
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
