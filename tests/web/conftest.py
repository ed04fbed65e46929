"""A real browser for the web pages: Debian's chromium driven by Playwright, against the app served on
loopback; a page that may not reach outside this machine, with its errors collected."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

from tests.support.servers import free_port

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


@dataclass
class Watch:
    outside: list[str] = field(default_factory=list)  # requests for anything but loopback (refused)
    page_errors: list[str] = field(default_factory=list)  # uncaught script errors
    console_errors: list[str] = field(default_factory=list)  # console.error, a CSP refusal among them

    @property
    def problems(self) -> list[str]:
        return self.page_errors + self.console_errors


@pytest.fixture
def watched(page) -> Watch:
    """The page, kept offline (anything but loopback is refused and noted) and watched for errors."""
    watch = Watch()

    def only_loopback(route):
        if urlparse(route.request.url).hostname not in ("127.0.0.1", "localhost"):
            watch.outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", only_loopback)
    page.on("console", lambda message: watch.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    return watch
