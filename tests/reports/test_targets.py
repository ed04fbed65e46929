"""Managers set each rep's personal-offer targets per month; a rep reads their own; the figures count
against them at once."""

from __future__ import annotations

import pytest


@pytest.fixture
def reps(make_rep):
    return {"ra": make_rep("ra", "Europe/Moscow"), "rb": make_rep("rb", "Europe/Moscow")}


def _set(client, headers, rep_id, presented=20, accepted=8, month="2026-10-17", key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/reports/targets", headers={**headers, **extra},
                       json={"rep_id": rep_id, "month": month, "offers_presented": presented,
                             "offers_accepted": accepted})


def test_a_manager_sets_a_reps_month_target_and_the_figures_count_against_it(client, login, reps):
    manager = login("manager")
    made = _set(client, manager, reps["ra"], key="target-1")
    assert made.status_code == 201, made.json
    assert made.json["month"] == "2026-10-01" and made.headers["ETag"] == made.json["etag"]
    assert _set(client, manager, reps["ra"], key="target-1").json["id"] == made.json["id"], "a retry is replayed"
    again = _set(client, manager, reps["ra"], month="2026-10-02")
    assert again.status_code == 409 and f"/targets/{made.json['id']}" in again.json["message"]

    figures = client.get(f"/api/v1/reports/figures?period=month&day=2026-10-15&rep_id={reps['ra']}",
                         headers=manager).json["rows"][0]
    assert figures["offers_presented_target"] == 20 and figures["offers_accepted_target"] == 8
    week = client.get(f"/api/v1/reports/figures?period=range&date_from=2026-10-01&date_to=2026-10-07"
                      f"&rep_id={reps['ra']}", headers=manager).json["rows"][0]
    assert week["offers_presented_target"] == pytest.approx(20 * 7 / 31, abs=0.01)


def test_a_change_needs_the_etag_it_was_made_on(client, login, reps):
    manager = login("manager")
    target = _set(client, manager, reps["ra"]).json
    url = f"/api/v1/reports/targets/{target['id']}"
    assert client.patch(url, headers=manager, json={"offers_presented": 25}).status_code == 428
    changed = client.patch(url, headers={**manager, "If-Match": target["etag"]}, json={"offers_presented": 25})
    assert changed.status_code == 200 and changed.json["offers_presented"] == 25
    stale = client.patch(url, headers={**manager, "If-Match": target["etag"]}, json={"offers_accepted": 1})
    assert stale.status_code == 412 and stale.json["current_etag"] == changed.headers["ETag"]
    assert client.patch(url, headers={**manager, "If-Match": changed.headers["ETag"]}, json={}).status_code == 422


@pytest.mark.parametrize("body, field", [
    ({"offers_presented": 5, "offers_accepted": 6}, "offers_accepted"),
    ({"offers_presented": -1, "offers_accepted": 0}, "offers_presented"),
    ({"offers_presented": 5, "offers_accepted": 1, "month": "2026-13-01"}, "month"),
])
def test_impossible_targets_are_a_clear_422(client, login, reps, body, field):
    answer = client.post("/api/v1/reports/targets", headers=login("manager"),
                         json={"rep_id": reps["ra"], "month": "2026-10-01", **body})
    assert answer.status_code == 422 and field in str(answer.json["errors"])


def test_a_rep_reads_only_their_own_targets_and_sets_none(client, login, reps):
    manager = login("manager")
    own = _set(client, manager, reps["ra"]).json
    other = _set(client, manager, reps["rb"]).json
    rep = login("ra")
    assert [target["id"] for target in client.get("/api/v1/reports/targets", headers=rep).json] == [own["id"]]
    assert client.get(f"/api/v1/reports/targets?rep_id={reps['rb']}", headers=rep).json == [own]
    assert client.get(f"/api/v1/reports/targets/{other['id']}", headers=rep).status_code == 404
    assert _set(client, rep, reps["ra"], month="2026-11-01").status_code == 403
    assert client.patch(f"/api/v1/reports/targets/{own['id']}", headers={**rep, "If-Match": own["etag"]},
                        json={"offers_presented": 1}).status_code == 403
    assert _set(client, manager, 999999).status_code == 404
    for role in ("qa", "support"):
        assert client.get("/api/v1/reports/targets", headers=login(role)).status_code == 403
