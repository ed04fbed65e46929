"""The support console in a real browser (Debian's chromium, driven by Playwright), offline: a rep disputes a
meeting recorded as cancelled by them; a support agent logs in, opens the queue, opens the ticket, corrects the
meeting from it and answers; the rep then sees the corrected record and the answer."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.slow


@pytest.fixture
def disputed_meeting(client, login, plan_meeting_at):
    meeting_id = plan_meeting_at("rep1", date.today() - timedelta(days=2), "12:00", client_name="Olga Smirnova")
    rep = login("rep1")
    etag = client.get(f"/api/v1/meetings/{meeting_id}", headers=rep).headers["ETag"]
    client.post(f"/api/v1/meetings/{meeting_id}/transitions", headers={**rep, "If-Match": etag},
                json={"action": "cancel", "caused_by": "rep", "reason": "отмечено по ошибке"})
    ticket = client.post("/api/v1/tickets", headers=rep, json={
        "text": "Встречу отменила клиентка, а отмена записана на меня", "meeting_id": meeting_id}).json
    return meeting_id, ticket["id"]


def test_support_corrects_a_meeting_from_a_ticket_and_the_rep_sees_it(server, page, watched, client, login,
                                                                      disputed_meeting):
    meeting_id, ticket_id = disputed_meeting
    outside, problems = watched.outside, watched.page_errors
    page.goto(f"{server}/console/support/")
    page.fill("input[name=username]", "support")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#tickets")
    row = page.locator(f'#tickets tr[data-ticket="{ticket_id}"]')
    assert "отмена записана на меня" in row.inner_text()
    row.locator("a", has_text="Open").click()

    page.wait_for_selector("#meeting-record")
    assert page.inner_text("#meeting-status") == "cancelled" and page.inner_text("#meeting-caused-by") == "rep"
    page.select_option("#correct-caused-by", "client")
    page.fill("#correct-reason", "Клиентка позвонила в банк и отменила сама")
    page.click("#do-correct")
    page.wait_for_selector("#corrections")
    assert page.inner_text("#meeting-caused-by") == "client"
    assert "Клиентка позвонила" in page.inner_text("#corrections")

    page.fill("#resolve-text", "Исправили: отмена по инициативе клиента, на премию не влияет.")
    page.click("#do-resolve")
    page.wait_for_selector("#ticket-answer")
    assert page.inner_text("#ticket-state") == "resolved"
    page.screenshot(path=str(Path(tempfile.gettempdir()) / "fieldrep-support-ticket.png"), full_page=True)
    assert outside == [] and problems == []

    rep = login("rep1")
    record = client.get(f"/api/v1/meetings/{meeting_id}/record", headers=rep).json
    assert record["meeting"]["caused_by"] == "client"
    assert record["corrections"][0]["reason"] == "Клиентка позвонила в банк и отменила сама"
    ticket = client.get(f"/api/v1/tickets/{ticket_id}", headers=rep).json
    assert ticket["state"] == "resolved" and ticket["answer"].startswith("Исправили")
