"""The OpenAPI document tells a mobile team the truth (issue 14).

Every answer any test gets is checked against the document by the test client itself
(tests/support/contract.py, installed in conftest's `app`); these tests check what the document
must say, and the behaviour a client generated from it relies on.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import select

from models import Task, TaskKind, TaskState
from tests.conftest import MOSCOW, WEDNESDAY, WEDNESDAY_8AM
from tests.support.etags import if_match

SHARED_RECORD_CHANGES = [("patch", "/api/v1/meetings/{meeting_id}"), ("delete", "/api/v1/meetings/{meeting_id}"),
                         ("post", "/api/v1/meetings/{meeting_id}/transitions"),
                         ("post", "/api/v1/meetings/{meeting_id}/place")]


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").json


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_the_document_is_valid_openapi_with_an_operation_id_on_every_operation(spec):
    validate_spec(spec)
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids)), "operationIds are unique"


def test_every_path_with_a_record_id_documents_404_and_every_error_has_the_error_body(spec):
    for path, method, operation in operations(spec):
        if "{" in path:
            assert "404" in operation["responses"], (method, path)
        for code, response in operation["responses"].items():
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
            if code.isdigit() and int(code) >= 400:
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_error_bodies_document_their_extra_fields(spec):
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert {"current_etag", "allowed", "status_now", "not_before"} <= set(error)


@pytest.mark.parametrize("method, path", SHARED_RECORD_CHANGES)
def test_changes_to_meetings_require_if_match_and_document_412_and_428(spec, method, path):
    operation = spec["paths"][path][method]
    if_match_header = next(p for p in operation["parameters"] if p["name"] == "If-Match")
    assert if_match_header["in"] == "header" and if_match_header["required"] is True
    assert {"412", "428"} <= set(operation["responses"])
    assert "ETag" in operation["responses"]["412"]["headers"]


def test_headers_are_documented(spec):
    route = spec["paths"]["/api/v1/route"]["get"]
    assert any(p["name"] == "If-None-Match" for p in route["parameters"])
    assert "ETag" in route["responses"]["200"]["headers"] and "ETag" in route["responses"]["304"]["headers"]
    plan = spec["paths"]["/api/v1/meetings"]["post"]["responses"]["201"]
    assert {"ETag", "Idempotent-Replayed"} <= set(plan["headers"])
    assert spec["components"]["headers"]["PAGINATION"]["schema"] == {"type": "string"}


def test_nullable_fields_and_enums(spec):
    schemas = spec["components"]["schemas"]
    meeting = schemas["Meeting"]["properties"]
    for name in ("status_reason", "caused_by", "place_change_requested_by"):
        assert meeting[name]["nullable"] is True, name
    assert "rescheduled" in meeting["status"]["enum"] and meeting["status"]["type"] == "string"
    recording = schemas["Recording"]["properties"]
    for name in ("language", "expected_language", "adherence", "analysed_at"):
        assert recording[name]["nullable"] is True, name
    assert set(recording["status"]["enum"]) == {"queued", "processing", "analysed", "failed"}
    task = schemas["Task"]["properties"]
    assert "retry_call" in task["kind"]["enum"] and "expired" in task["state"]["enum"]
    assert "not_reachable" in task["call_outcome"]["enum"] and task["call_outcome"]["nullable"] is True
    assert schemas["ChecklistVersion"]["properties"]["id"]["nullable"] is True


def test_typed_shapes_instead_of_free_form_objects(spec):
    schemas = spec["components"]["schemas"]
    questions = schemas["ChecklistVersion"]["properties"]["questions"]["items"]
    assert questions == {"$ref": "#/components/schemas/Question"}
    morning = schemas["Today"]["properties"]["morning_check"]
    assert morning == {"$ref": "#/components/schemas/TodayMorningCheck"}
    assert {"checklist_submitted", "checklist_submitted_at", "deadline_at", "instant_card_meetings"} <= set(
        schemas["TodayMorningCheck"]["properties"])
    assert "oneOf" in schemas["ChecklistAnswers"]["properties"]["answers"]["additionalProperties"]


def test_the_recording_upload_form_and_the_import_formats_are_described(spec):
    upload = spec["paths"]["/api/v1/recordings"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    form = spec["components"]["schemas"][upload["$ref"].rsplit("/", 1)[-1]]
    assert set(form["properties"]) == {"file", "meeting_id", "layout", "call_started_at"}
    assert set(form["required"]) == {"file", "meeting_id"}
    described = spec["paths"]["/api/v1/meetings/import"]["post"]["description"]
    assert "username" in described and "local" in described and "client_name" in described


def test_recording_ids_do_not_swallow_confirm_and_upload_url(app, spec):
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/api/v1/recordings/confirm", method="POST")[0] == "recordings.RecordingConfirm"
    assert adapter.match("/api/v1/recordings/" + "a" * 32, method="GET")[0] == "recordings.RecordingItem"
    with pytest.raises(Exception, match="405"):
        adapter.match("/api/v1/recordings/upload-url", method="GET")


def test_a_patch_with_nothing_to_change_is_422(client, login, plan_meeting_at):
    meeting = plan_meeting_at("rep1", WEDNESDAY + timedelta(days=30), "10:00")
    support = login("support")
    empty = client.patch(f"/api/v1/meetings/{meeting}", headers=if_match(client, support, meeting), json={})
    assert empty.status_code == 422 and "at least one field" in str(empty.json["errors"])
    no_body = client.patch(f"/api/v1/meetings/{meeting}", headers=if_match(client, support, meeting))
    assert no_body.status_code == 422


@pytest.mark.time_machine(WEDNESDAY_8AM)
def test_if_match_is_required_a_stale_one_gets_412_with_the_current_etag(client, login, plan_meeting_at):
    meeting = plan_meeting_at("rep1", WEDNESDAY, "15:00")
    support, path = login("support"), f"/api/v1/meetings/{meeting}"
    missing = client.patch(path, headers=support, json={"client_phone": "+79160000001"})
    assert missing.status_code == 428 and "If-Match" in missing.json["message"]
    for action in ({"action": "confirm"},):
        assert client.post(f"{path}/transitions", headers=login("rep1"), json=action).status_code == 428
    listed = client.get("/api/v1/meetings", headers=support, query_string={"rep_id": 4}).json
    etag = next(m["etag"] for m in listed if m["id"] == meeting)  # no need to read the meeting first
    changed = client.patch(path, headers={**support, "If-Match": etag}, json={"client_phone": "+79160000001"})
    assert changed.status_code == 200
    stale = client.patch(path, headers={**support, "If-Match": etag}, json={"client_phone": "+79160000002"})
    assert stale.status_code == 412
    assert stale.json["current_etag"].startswith('"') and stale.headers["ETag"] == stale.json["current_etag"]


@pytest.mark.time_machine(WEDNESDAY_8AM)
def test_a_weak_if_none_match_matches_the_route(client, login, plan_meeting_at):
    plan_meeting_at("rep1", WEDNESDAY, "15:00")
    rep = login("rep1")
    etag = client.get("/api/v1/route", headers=rep).headers["ETag"]
    assert client.get("/api/v1/route", headers={**rep, "If-None-Match": f"W/{etag}"}).status_code == 304


@pytest.mark.time_machine(WEDNESDAY_8AM)
def test_the_clock_decides_when_a_visit_starts_and_when_a_client_is_a_no_show(client, login, plan_meeting_at,
                                                                              time_machine):
    meeting = plan_meeting_at("rep1", WEDNESDAY, "09:30")
    rep, path = login("rep1"), f"/api/v1/meetings/{meeting}/transitions"
    early = client.post(path, headers=if_match(client, rep, meeting), json={"action": "start"})
    assert early.status_code == 409 and early.json["code"] == "not_yet"
    assert datetime.fromisoformat(early.json["not_before"]) == datetime.combine(WEDNESDAY, time(9, 0), MOSCOW)
    ahead = client.post(path, headers=if_match(client, rep, meeting), json={"action": "no_show"})
    assert ahead.status_code == 409 and ahead.json["code"] == "not_yet"
    time_machine.move_to(datetime.combine(WEDNESDAY, time(8, 10), MOSCOW))
    assert client.post(path, headers=if_match(client, rep, meeting), json={"action": "start"}).status_code == 409
    time_machine.move_to(datetime.combine(WEDNESDAY, time(9, 35), MOSCOW))
    rep = {"Authorization": "Bearer " + client.post("/api/v1/auth/login", json={
        "username": "rep1", "password": "demo-password-1"}).json["access_token"]}
    assert client.post(path, headers=if_match(client, rep, meeting), json={"action": "no_show"}).status_code == 200


@pytest.mark.time_machine(WEDNESDAY_8AM)
def test_after_a_reschedule_the_client_is_called_again_before_the_new_time(app, db, client, login, plan_meeting_at):
    meeting = plan_meeting_at("rep1", WEDNESDAY, "09:00")
    rep = login("rep1")
    call = next(t for t in client.get("/api/v1/tasks", headers=rep, query_string={"state": "open"}).json
                if t["meeting_id"] == meeting)
    logged = client.post(f"/api/v1/tasks/{call['id']}/call", headers=rep,
                         json={"outcome": "not_reachable", "called_at": datetime.now(UTC).isoformat()})
    retry = logged.json["next_task"]
    new_start = datetime.combine(WEDNESDAY + timedelta(days=2), time(11, 0), MOSCOW)
    moved = client.post(f"/api/v1/meetings/{meeting}/transitions", headers=if_match(client, rep, meeting), json={
        "action": "reschedule", "caused_by": "client", "starts_at": new_start.isoformat(),
        "ends_at": (new_start + timedelta(hours=1)).isoformat()})
    assert moved.status_code == 200, moved.json
    with app.app_context():
        tasks = {t.id: t for t in db.session.scalars(select(Task).where(Task.meeting_id == meeting))}
    assert tasks[retry["id"]].state is TaskState.cancelled, "the retry about the old time is closed"
    fresh = [t for t in tasks.values() if t.state is TaskState.open]
    assert len(fresh) == 1 and fresh[0].kind is TaskKind.reminder_call
    assert fresh[0].deadline_at == new_start and fresh[0].due_at == new_start - timedelta(hours=1)


def in_two_days() -> str:
    return (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()


@pytest.mark.parametrize("path, body", [
    ("/api/v1/tasks", lambda: {"owner_id": 4, "kind": "follow_up", "title": "Bring the forms",
                               "deadline_at": in_two_days()}),
    ("/api/v1/checklists", lambda: {"effective_from": "2030-01-01", "questions": [
        {"id": "passport", "text": "Passport?", "type": "yes_no", "must_be": True}]}),
])
def test_a_retried_post_with_the_same_idempotency_key_creates_nothing_new(client, login, path, body):
    headers, sent = {**login("manager"), "Idempotency-Key": f"retry-{path}"}, body()
    first = client.post(path, headers=headers, json=sent)
    again = client.post(path, headers=headers, json=sent)
    assert first.status_code == 201, first.json
    assert again.status_code == 201 and again.json == first.json and again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.time_machine(datetime.combine(WEDNESDAY, time(9, 30), MOSCOW))
def test_a_late_morning_check_is_marked_late_and_the_deadline_is_an_instant(client, login):
    rep = login("rep1")
    answered = client.post("/api/v1/morning-check/checklist", headers=rep,
                           json={"answers": {"passport": True, "cards_on_hand": 0, "route_rating": 4}})
    assert answered.status_code == 201 and answered.json["late"] is True
    assert datetime.fromisoformat(answered.json["deadline_at"]) == datetime.combine(WEDNESDAY, time(9, 0), MOSCOW)
    today = client.get("/api/v1/today", headers=rep).json["morning_check"]
    assert today["late"] is True and today["checklist_submitted"] and today["checklist_submitted_at"]
