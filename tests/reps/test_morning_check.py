from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from errors import Invalid
from models import User, Violation
from reps.checklist import DEFAULT_QUESTIONS, failed_rules, validate_answers
from reps.morning import record_missing_morning_checks
from tests.conftest import FIXTURES, MOSCOW, WEDNESDAY, WEDNESDAY_8AM
from tests.support.etags import if_match

IMAGES = FIXTURES / "images"


def photo(name="one_face.jpg", taken: datetime | None = None, gps: bool = False, fmt="JPEG",
          capture_time: bool = True) -> bytes:
    """A phone photo: the camera records when it was taken (now, unless `taken`; none if not capture_time)."""
    image = Image.open(IMAGES / name)
    exif = Image.Exif()
    if taken is None and capture_time:
        taken = datetime.now(MOSCOW)
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if gps:
        exif[0x8825] = {1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)}
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, format=fmt, exif=exif.tobytes())
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def upload(client, headers, data: bytes, name="selfie.jpg"):
    return client.post("/api/v1/morning-check/selfie", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.time_machine(WEDNESDAY_8AM)  # "taken today" is not torn apart by a midnight between taking and uploading
def test_a_selfie_with_one_face_taken_today_is_stored_without_location_and_queued(app, client, login, settings):
    rep = login("rep1")
    response = upload(client, rep, photo(taken=datetime.now(MOSCOW), gps=True))
    assert response.status_code == 201, response.json
    assert response.json["selfie_status"] == "pending"
    check_id = response.json["id"]
    link = client.get(f"/api/v1/morning-checks/{check_id}/selfie-url", headers=rep).json
    stored = Image.open(io.BytesIO(client.get(link["url"]).data))
    assert stored.format == "JPEG"
    assert 0x8825 not in stored.getexif(), "no GPS in the stored copy"
    queue = client.get("/api/v1/morning-checks", headers=login("manager")).json
    assert [item["id"] for item in queue] == [check_id]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_photo_without_a_capture_time_is_422_as_it_cannot_be_shown_to_be_from_today(client, login, fmt):
    response = upload(client, login("rep1"), photo(fmt=fmt, capture_time=False), f"selfie.{fmt.lower()}")
    assert response.status_code == 422 and "no time it was taken" in response.json["message"]


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"%PDF-1.4 not a photo at all", "not a photo"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "not a photo"),
])
def test_a_file_that_is_not_a_photo_is_422(client, login, data, message):
    response = upload(client, login("rep1"), data)
    assert response.status_code == 422 and message in response.json["message"]


def test_a_photo_with_no_face_or_two_faces_is_422(client, login):
    rep = login("rep1")
    no_face = upload(client, rep, photo("no_face.jpg"))
    assert no_face.status_code == 422 and "No face" in no_face.json["message"]
    face = Image.open(IMAGES / "one_face.jpg")
    pair = Image.new("RGB", (face.width * 2, face.height))
    pair.paste(face, (0, 0))
    pair.paste(face, (face.width, 0))
    out = io.BytesIO()
    pair.save(out, format="JPEG")
    two = upload(client, rep, out.getvalue())
    assert two.status_code == 422 and "faces were found" in two.json["message"]


def test_an_old_photo_is_422(client, login):
    response = upload(client, login("rep1"), photo(taken=datetime.now(MOSCOW) - timedelta(days=2)))
    assert response.status_code == 422 and "not today" in response.json["message"]


def test_the_supervisor_approves_or_rejects_with_a_reason(client, login):
    rep, manager = login("rep1"), login("manager")
    check = upload(client, rep, photo()).json
    no_reason = client.post(f"/api/v1/morning-checks/{check['id']}/selfie-review", headers=manager,
                            json={"decision": "reject"})
    assert no_reason.status_code == 422
    rejected = client.post(f"/api/v1/morning-checks/{check['id']}/selfie-review", headers=manager,
                           json={"decision": "reject", "reason": "No tie"})
    assert rejected.status_code == 200 and rejected.json["selfie_status"] == "rejected"
    mine = client.get("/api/v1/morning-check", headers=rep).json
    assert mine["selfie_status"] == "rejected" and mine["selfie_reject_reason"] == "No tie"
    violations = client.get("/api/v1/violations", headers=rep).json
    assert [v["criterion"] for v in violations] == ["morning_check_failed"]
    assert client.post(f"/api/v1/morning-checks/{check['id']}/selfie-review", headers=rep,
                       json={"decision": "approve"}).status_code == 403


def test_the_checklist_is_validated_against_the_version_in_force(client, login):
    rep = login("rep1")
    bad = client.post("/api/v1/morning-check/checklist", headers=rep,
                      json={"answers": {"passport": "yes", "cards_on_hand": -1, "route_rating": 9, "extra": 1}})
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"passport", "cards_on_hand", "route_rating", "extra"}


@pytest.mark.time_machine(WEDNESDAY_8AM)
def test_passing_checklist_and_one_that_fails_for_cards_and_passport(client, login, plan_meeting_at):
    # rep1 hands over an instant card at two of today's meetings; tomorrow's and a cancelled one do not count
    plan_meeting_at("rep1", WEDNESDAY, "10:00", products=["instant_debit_card"])
    plan_meeting_at("rep1", WEDNESDAY, "12:30", products=["credit_card"])
    plan_meeting_at("rep1", WEDNESDAY, "15:00", products=["deposit_agreement", "instant_debit_card"])
    cancelled = plan_meeting_at("rep1", WEDNESDAY, "17:30", products=["instant_debit_card"])
    assert client.post(f"/api/v1/meetings/{cancelled}/transitions", headers=if_match(client, login("rep1"), cancelled),
                       json={
        "action": "cancel", "caused_by": "client", "reason": "Changed their mind"}).status_code == 200
    plan_meeting_at("rep1", WEDNESDAY + timedelta(days=1), "10:00", products=["instant_debit_card"])
    # rep2 (Yekaterinburg, 10:00 there now) too: two of today's meetings
    plan_meeting_at("rep2", WEDNESDAY, "11:00", products=["instant_debit_card"])
    plan_meeting_at("rep2", WEDNESDAY, "16:30", products=["deposit_agreement", "instant_debit_card"])
    ok = client.post("/api/v1/morning-check/checklist", headers=login("rep1"),
                     json={"answers": {"passport": True, "cards_on_hand": 2, "route_rating": 4}})
    assert ok.status_code == 201 and ok.json["checklist_failures"] == []
    again = client.post("/api/v1/morning-check/checklist", headers=login("rep1"),
                        json={"answers": {"passport": True, "cards_on_hand": 2, "route_rating": 4}})
    assert again.status_code == 409
    failing = client.post("/api/v1/morning-check/checklist", headers=login("rep2"),
                          json={"answers": {"passport": False, "cards_on_hand": 1, "route_rating": 2,
                                            "route_comment": "Too far apart"}})
    assert failing.status_code == 201
    assert failing.json["checklist_failures"] == ["passport: answered no",
                                                  "cards_on_hand: 1 on hand, today's route needs 2"]
    violations = client.get("/api/v1/violations", headers=login("rep2")).json
    assert [v["criterion"] for v in violations] == ["morning_check_failed"]


def test_checklist_rules_as_functions():
    answers = validate_answers(DEFAULT_QUESTIONS, {"passport": True, "cards_on_hand": 0, "route_rating": 5})
    assert failed_rules(DEFAULT_QUESTIONS, answers, 0) == []
    assert failed_rules(DEFAULT_QUESTIONS, answers, 1) == ["cards_on_hand: 0 on hand, today's route needs 1"]
    with pytest.raises(Invalid):
        validate_answers(DEFAULT_QUESTIONS, {"passport": True, "cards_on_hand": True, "route_rating": 3})


def test_managers_publish_a_new_checklist_version(client, login):
    manager = login("manager")
    created = client.post("/api/v1/checklists", headers=manager, json={"effective_from": "2000-01-02", "questions": [
        {"id": "passport", "text": "Passport?", "type": "yes_no", "must_be": True},
        {"id": "umbrella", "text": "Umbrella?", "type": "yes_no", "required": False}]})
    assert created.status_code == 201, created.json
    current = client.get("/api/v1/checklists", headers=login("rep1")).json
    assert [q["id"] for q in current["questions"]] == ["passport", "umbrella"]
    bad = client.post("/api/v1/checklists", headers=manager, json={"effective_from": "2030-01-01", "questions": [
        {"id": "x", "text": "X", "type": "essay"}]})
    assert bad.status_code == 422


@pytest.mark.parametrize("submitted_at, missing_reps", [
    ("08:00", ["rep2"]),  # rep1 was in time; rep2 did nothing
    ("10:30", ["rep1", "rep2"]),  # rep1 was late
])
def test_missing_morning_check_after_the_deadline_in_each_reps_zone(app, db, client, login, time_machine,
                                                                    submitted_at, missing_reps):
    def moscow(at: str) -> datetime:
        return datetime.combine(WEDNESDAY, time.fromisoformat(at), MOSCOW).astimezone(UTC)

    time_machine.move_to(moscow(submitted_at))
    assert upload(client, login("rep1"), photo()).status_code == 201
    assert client.post("/api/v1/morning-check/checklist", headers=login("rep1"), json={
        "answers": {"passport": True, "cards_on_hand": 3, "route_rating": 5}}).status_code == 201
    with app.app_context():
        with db.transaction() as session:
            assert record_missing_morning_checks(session, "09:00", now=moscow("06:00")) == 0, "before any deadline"
        # noon in Moscow is 14:00 in Yekaterinburg: both reps' 09:00 deadlines have passed
        for _ in range(2):
            with db.transaction() as session:
                record_missing_morning_checks(session, "09:00", now=moscow("12:00"))
        missing = db.session.scalars(select(Violation).where(Violation.criterion == "morning_check_missing")).all()
        usernames = {user.id: user.username for user in db.session.scalars(select(User))}
    assert sorted(usernames[v.rep_id] for v in missing) == missing_reps, "each missing rep recorded once"


def test_an_iphone_heic_selfie_is_accepted_and_stored_as_jpeg(client, login):
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = datetime.now(MOSCOW).strftime("%Y:%m:%d %H:%M:%S")  # as the camera writes it
    Image.open(IMAGES / "one_face.jpg").save(out, format="HEIF", quality=80, exif=exif.tobytes())
    response = upload(client, login("rep1"), out.getvalue(), "IMG_0001.HEIC")
    assert response.status_code == 201, response.json
    link = client.get(f"/api/v1/morning-checks/{response.json['id']}/selfie-url", headers=login("rep1")).json
    assert Image.open(io.BytesIO(client.get(link["url"]).data)).format == "JPEG"
