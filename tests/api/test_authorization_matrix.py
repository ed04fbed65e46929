"""Rep B carrying rep A's ids, in the path, the query or the body, of every operation in the OpenAPI
document: the answer is exactly the one an id that does not exist gets (404 or 422, same body), never
a success on A's data and never a 500. New operations or id fields make this test fail until they are
given a case below."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models import ChannelLayout, MorningCheck, Recording, Task, User, Violation, ViolationStatus
from tests.conftest import DEMO_PASSWORD, WEDNESDAY

UNKNOWN_INT = 2_000_000_000
UNKNOWN_RECORDING = "f" * 32
# Shared by every role, owned by no rep: a rep may read any of them (not "someone else's").
SHARED_IDS = {"script_id"}
# Ids a schema declares read-only (the `id` of a created record): a client never sends them.
READ_ONLY = {"id"}


@dataclass
class World:
    rep_a: dict[str, Any]  # the victim's ids, by parameter name
    rep_b: dict[str, Any]  # the caller's own ids (for the path when the id under test is in the body)


def _recording(session, meeting_id: int, rep_id: int) -> str:
    recording = Recording(meeting_id=meeting_id, rep_id=rep_id, object_key=f"recordings/2026/11/{rep_id:032x}.wav",
                          size_bytes=10, sha256="0" * 64, layout=ChannelLayout("rep-left"), channels=2,
                          duration_s=30.0, call_started_at=datetime.now(UTC))
    session.add(recording)
    session.flush()
    return recording.id


@pytest.fixture
def world(app, db, client, plan_meeting_at) -> World:
    ids: dict[str, dict[str, Any]] = {}
    meetings = {rep: plan_meeting_at(rep, WEDNESDAY + timedelta(days=400), "12:00") for rep in ("rep1", "rep2")}
    with app.app_context(), db.transaction() as session:
        for rep, meeting_id in meetings.items():
            user = session.scalar(select(User).where(User.username == rep))
            task = session.scalar(select(Task).where(Task.meeting_id == meeting_id))
            recording_id = _recording(session, meeting_id, user.id)
            check = MorningCheck(rep_id=user.id, day=WEDNESDAY, selfie_key=f"selfies/{user.id}/2026/11/{'a' * 32}.jpg")
            session.add(check)
            violation = Violation(rep_id=user.id, meeting_id=meeting_id, recording_id=recording_id,
                                  criterion="passport_reminder", status=ViolationStatus.confirmed)
            session.add(violation)
            session.flush()
            ids[rep] = {"meeting_id": meeting_id, "task_id": task.id, "recording_id": recording_id,
                        "check_id": check.id, "rep_id": user.id, "owner_id": user.id, "user_id": user.id,
                        "key": check.selfie_key, "object_key": f"uploads/{user.id}/2026/11/{'b' * 32}.wav",
                        "violation_id": violation.id, "proposal_id": UNKNOWN_INT}
    token = client.post("/api/v1/auth/login", json={"username": "rep1", "password": DEMO_PASSWORD}).json
    ids["rep1"]["since"] = client.get("/api/v1/meetings/changes",
                                      headers={"Authorization": f"Bearer {token['access_token']}"}).json["token"]
    with app.app_context(), db.transaction() as session:
        _support_desk_ids(session, ids)
    return World(ids["rep1"], ids["rep2"])


def _support_desk_ids(session, ids: dict[str, dict[str, Any]]) -> None:
    """Each rep's ticket, a deflection of theirs, and an incident that affects them alone."""
    from models import Incident, OfferTarget, Ticket, TicketDeflection, TicketKind

    for rep in ("rep1", "rep2"):
        rep_id = ids[rep]["rep_id"]
        ticket = Ticket(rep_id=rep_id, kind=TicketKind.other, subject="s", text="t", updated_at=datetime.now(UTC))
        incident = Incident(title="i", text="i", starts_at=datetime.now(UTC) - timedelta(hours=1), regions=[],
                            rep_ids=[rep_id], created_by_id=rep_id)
        deflection = TicketDeflection(rep_id=rep_id, text="t", score=90.0)
        session.add_all([ticket, incident, deflection])
        session.flush()
        ids[rep].update(ticket_id=ticket.id, incident_id=incident.id, deflection_id=deflection.id,
                        assignee_id=rep_id)
        target = OfferTarget(rep_id=rep_id, month=date(2026, 10, 1), offers_presented=10, offers_accepted=4)
        session.add(target)
        session.flush()
        ids[rep]["target_id"] = target.id


UNKNOWN = {"meeting_id": UNKNOWN_INT, "task_id": UNKNOWN_INT, "recording_id": UNKNOWN_RECORDING,
           "check_id": UNKNOWN_INT, "rep_id": UNKNOWN_INT, "owner_id": UNKNOWN_INT, "user_id": UNKNOWN_INT,
           "key": f"selfies/{UNKNOWN_INT}/2026/11/{'c' * 32}.jpg",
           "object_key": f"uploads/{UNKNOWN_INT}/2026/11/{'d' * 32}.wav", "since": "not-a-token",
           "violation_id": UNKNOWN_INT, "proposal_id": UNKNOWN_INT, "ticket_id": UNKNOWN_INT,
           "incident_id": UNKNOWN_INT, "deflection_id": UNKNOWN_INT, "assignee_id": UNKNOWN_INT,
           "target_id": UNKNOWN_INT}


def _bodies() -> dict[str, dict[str, Any]]:
    """A body each operation accepts apart from the id under test (so the id decides the answer)."""
    now = datetime.now(UTC).isoformat()
    later = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    return {
        "POST /api/v1/users": {"username": "intruder", "full_name": "X", "role": "rep", "password": "long-password"},
        "PATCH /api/v1/users/{user_id}": {"full_name": "Renamed"},
        "POST /api/v1/meetings": {"client_name": "C", "address": "A 1", "starts_at": later.isoformat(),
                                  "ends_at": (later + timedelta(hours=1)).isoformat()},
        "PATCH /api/v1/meetings/{meeting_id}": {"client_name": "Renamed"},
        "POST /api/v1/meetings/{meeting_id}/transitions": {"action": "confirm"},
        "POST /api/v1/meetings/{meeting_id}/place": {"address": "B 2", "requested_by": "client"},
        "POST /api/v1/tasks": {"kind": "callback", "title": "T", "deadline_at": later.isoformat()},
        "POST /api/v1/tasks/{task_id}/done": {},
        "PATCH /api/v1/tasks/{task_id}": {"own_planned_at": None},
        "POST /api/v1/tasks/{task_id}/call": {"outcome": "confirmed", "called_at": now},
        "POST /api/v1/morning-checks/{check_id}/selfie-review": {"decision": "approve"},
        "POST /api/v1/recordings/confirm": {},
        "POST /api/v1/recordings/{recording_id}/reanalyze": {},
        "POST /api/v1/violations/{violation_id}/dispute": {"reason": "Not mine"},
        "POST /api/v1/tickets": {"text": "Встреча отмечена отменённой по моей вине", "insist": True},
        "POST /api/v1/tickets/{ticket_id}/messages": {"text": "Фото акта"},
        "POST /api/v1/tickets/{ticket_id}/transitions": {"action": "reopen", "text": "Not fixed"},
        "POST /api/v1/incidents/{incident_id}/answer": {"text": "Fixed"},
        "PATCH /api/v1/incidents/{incident_id}": {"title": "Renamed"},
        "PATCH /api/v1/reports/targets/{target_id}": {"offers_presented": 12},
        "POST /api/v1/meetings/{meeting_id}/corrections": {"reason": "Client cancelled", "caused_by": "client"},
    }


def _id_parameters(spec: dict, operation: dict, path_item: dict) -> list[tuple[str, str]]:
    found = [(parameter["in"], parameter["name"])
             for parameter in operation.get("parameters", []) + path_item.get("parameters", [])
             if parameter["in"] in ("path", "query")]
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        schema = content["schema"]
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        location = "json" if media == "application/json" else "form"
        found += [(location, name) for name, field in schema.get("properties", {}).items()
                  if not field.get("readOnly") and name not in READ_ONLY]
    return [(where, name) for where, name in found
            if name.endswith("_id") or name in ("key", "object_key", "since")]


def _call(client, headers, method: str, path: str, where: str, name: str, value: Any,
          own: dict[str, Any], bodies: dict[str, dict[str, Any]]):
    template = f"{method.upper()} {path}"
    url = path
    for param in (part[1:-1] for part in path.split("/") if part.startswith("{")):
        url = url.replace("{" + param + "}", str(value if (where, name) == ("path", param) else own[param]))
    query = {name: value} if where == "query" else {}
    extra = {"If-Match": '"m0-v0"'}
    if method == "put":
        return client.put(url, headers={**headers, **extra}, data=b"x", query_string=query)
    if method in ("get", "delete"):
        return client.open(url, method=method.upper(), headers={**headers, **extra}, query_string=query)
    if where == "form" or template == "POST /api/v1/recordings":
        form = {"meeting_id": own["meeting_id"], name: value, "file": (io.BytesIO(b"RIFF"), "call.wav")}
        return client.post(url, headers={**headers, **extra}, data=form, content_type="multipart/form-data")
    body = dict(bodies.get(template, {}))
    if template == "POST /api/v1/recordings/confirm":
        body.update(meeting_id=own["meeting_id"], object_key=own["object_key"])
    if where == "json":
        body[name] = value
    return client.open(url, method=method.upper(), headers={**headers, **extra}, json=body, query_string=query)


def _comparable(response) -> Any:
    if not response.is_json:
        return response.get_data()
    body = response.json
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key != "token"}  # a fresh random token each time
    return body


def test_rep_b_with_rep_a_ids_gets_what_an_unknown_id_gets(app, client, login, world):
    spec = client.get("/api/openapi.json").json
    bodies = _bodies()
    headers = login("rep2")
    cases, problems, unhandled = 0, [], []
    for path, path_item in spec["paths"].items():
        for method, operation in path_item.items():
            if method == "parameters":
                continue
            for where, name in _id_parameters(spec, operation, path_item):
                if name in SHARED_IDS:
                    continue
                if name not in UNKNOWN:
                    unhandled.append(f"{method.upper()} {path} {where}:{name}")
                    continue
                cases += 1
                foreign = _call(client, headers, method, path, where, name, world.rep_a[name], world.rep_b, bodies)
                unknown = _call(client, headers, method, path, where, name, UNKNOWN[name], world.rep_b, bodies)
                label = f"{method.upper()} {path} ({where} {name})"
                if foreign.status_code >= 500 or unknown.status_code >= 500:
                    problems.append(f"{label}: {foreign.status_code}/{unknown.status_code}")
                elif foreign.status_code != unknown.status_code or _comparable(foreign) != _comparable(unknown):
                    problems.append(f"{label}: rep A's id -> {foreign.status_code} {_comparable(foreign)!r:.200}, "
                                    f"unknown id -> {unknown.status_code} {_comparable(unknown)!r:.200}")
                elif (foreign.status_code < 300 and isinstance(world.rep_a[name], str)
                      and world.rep_a[name] in foreign.get_data(as_text=True)):
                    problems.append(f"{label}: {foreign.status_code} shows rep A's {name}")
    # Equal answers mean a rep A's id tells rep B nothing an id that does not exist would not (a filter
    # by another rep's id is ignored for a rep, so both list rep B's own records).
    assert not unhandled, f"id fields without a case in this test: {unhandled}"
    assert cases >= 25
    assert not problems, f"{len(problems)} of {cases} cases differ:\n" + "\n".join(problems)


def test_a_call_log_links_only_the_reps_own_recording_of_that_meeting(client, login, world):
    headers = login("rep2")
    call = {"outcome": "confirmed", "called_at": datetime.now(UTC).isoformat()}
    for recording_id in (world.rep_a["recording_id"], UNKNOWN_RECORDING):
        refused = client.post(f"/api/v1/tasks/{world.rep_b['task_id']}/call", headers=headers,
                              json={**call, "recording_id": recording_id})
        assert refused.status_code == 422 and "recording_id" in refused.json["errors"]
    linked = client.post(f"/api/v1/tasks/{world.rep_b['task_id']}/call", headers=headers,
                         json={**call, "recording_id": world.rep_b["recording_id"]})
    assert linked.status_code == 201, linked.json
    assert linked.json["recording_id"] == world.rep_b["recording_id"]
