"""The QA console in a real browser (Debian's chromium, driven by Playwright), offline: log in as QA,
open the queue, open a call, seek by clicking a violation, dismiss it with a comment by keyboard,
and see the call leave the queue."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.qa.conftest import calls, violation_of  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow
FORCED_CALL = "forced_location_ru.stereo.ogg"  # one flag: forced_location, heard at 16.18 s


@pytest.fixture
def settings_overrides():
    return {"qa_double_review_percent": 0}


def test_a_reviewer_dismisses_a_flag_by_keyboard_and_the_call_leaves_the_queue(server, page, watched, calls):  # noqa: F811
    outside, problems = watched.outside, watched.problems

    page.goto(f"{server}/console/qa/")
    page.fill("input[name=username]", "qa")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#queue")
    recording = calls[FORCED_CALL]
    assert page.locator("#queue tr.queue-row").count() == 6
    row = page.locator(f'#queue tr[data-recording="{recording}"]')
    assert "forced_location" in row.inner_text()

    row.locator("button", has_text="Review").click()
    page.wait_for_selector("#transcript li")
    assert "Oleg Zaitsev" in page.inner_text("h1")
    page.wait_for_function("document.getElementById('audio').readyState >= 1", timeout=20_000)
    page.click("#violations li.violation .muted")  # the violation (not a button): seeks to its evidence
    page.wait_for_function("Math.abs(document.getElementById('audio').currentTime - 16.18) < 0.6")
    assert page.locator("#transcript li.evidence").count() >= 1
    page.screenshot(path=str(Path(tempfile.gettempdir()) / "fieldrep-qa-call.png"), full_page=True)

    page.keyboard.press("d")  # dismiss: asks for the comment first
    comment = page.locator("#violations li.violation textarea")
    assert comment.evaluate("box => box === document.activeElement")
    comment.type("The client chose the metro; the rep only agreed")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/console/qa/")
    page.wait_for_selector("#queue")
    assert page.locator(f'#queue tr[data-recording="{recording}"]').count() == 0
    assert page.locator("#queue tr.queue-row").count() == 5

    page.goto(f"{server}/console/qa/?status=reviewed")
    assert page.locator(f'#queue tr[data-recording="{recording}"]').count() == 1
    page.goto(f"{server}/console/qa/figures")
    assert "forced_location" in page.inner_text("#figures")
    assert outside == [], f"the console reached outside this machine: {outside}"
    assert problems == [], f"errors in the page (a CSP refusal, a script error): {problems}"
