from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import delete, func, select

from models import IdempotencyRecord, Recording, utcnow
from tests.conftest import CALLS

CALL = CALLS / "compliant_ru.stereo.ogg"


def _upload(client, headers, key, meeting_id=1, layout=None):
    data = {"meeting_id": str(meeting_id), "file": (io.BytesIO(CALL.read_bytes()), "call.ogg")}
    if layout:
        data["layout"] = layout
    return client.post("/api/v1/recordings", headers={**headers, "Idempotency-Key": key}, data=data,
                       content_type="multipart/form-data")


def _recordings(app, db) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Recording))


def test_retry_with_the_same_key_returns_the_first_answer_and_creates_nothing(app, db, client, login, settings):
    rep = login("rep1")
    first = _upload(client, rep, "retry-1")
    assert first.status_code == 202, first.json
    again = _upload(client, rep, "retry-1")
    assert again.status_code == 202
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _recordings(app, db) == 1


def test_same_key_with_another_body_is_422(app, db, client, login):
    rep = login("rep1")
    assert _upload(client, rep, "retry-2").status_code == 202
    other = _upload(client, rep, "retry-2", layout="rep-right")
    assert other.status_code == 422
    assert other.json["code"] == "idempotency_key_reused"
    assert _recordings(app, db) == 1


def test_repeat_while_the_first_is_still_running_is_409(app, db, client, login):
    rep = login("rep1")
    first = _upload(client, rep, "busy-1")
    assert first.status_code == 202
    _pretend_running(app, db, "busy-1", lease_left=timedelta(minutes=1))
    running = _upload(client, rep, "busy-1")
    assert running.status_code == 409
    assert running.json["code"] == "request_in_progress"
    assert _recordings(app, db) == 0, "the repeat created nothing while the first was running"


def _pretend_running(app, db, key: str, lease_left: timedelta) -> None:
    """As if the request with `key` had not finished and its process renewed (or stopped renewing) the claim."""
    with app.app_context(), db.transaction() as session:
        record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key))
        record.completed_at = record.status_code = record.response_body = None
        record.lease_owner, record.lease_expires_at = "another-process", utcnow() + lease_left
        session.execute(delete(Recording))


def test_a_key_whose_process_died_is_taken_over_within_seconds(app, db, client, login):
    rep = login("rep1")
    assert _upload(client, rep, "died-1").status_code == 202
    _pretend_running(app, db, "died-1", lease_left=-timedelta(seconds=1))  # it stopped renewing: lapsed
    retried = _upload(client, rep, "died-1")
    assert retried.status_code == 202, retried.json
    assert "Idempotent-Replayed" not in retried.headers
    assert _recordings(app, db) == 1
    assert _upload(client, rep, "died-1").headers["Idempotent-Replayed"] == "true"


def test_the_answer_and_the_writes_commit_together(app, db, client, login, monkeypatch):
    """A failure after the view's writes (here: while storing the answer) leaves nothing behind."""
    import api.idempotency

    rep = login("rep1")
    real_utcnow = api.idempotency.utcnow
    calls = {"n": 0}

    def failing_when_completing():
        calls["n"] += 1
        if calls["n"] == 2:  # 1: the claim, 2: storing the answer with the writes
            raise RuntimeError("process killed here")
        return real_utcnow()

    monkeypatch.setattr(api.idempotency, "utcnow", failing_when_completing)
    assert _upload(client, rep, "atomic-1").status_code == 500
    assert _recordings(app, db) == 0, "the recording row was not committed without its key"
    monkeypatch.setattr(api.idempotency, "utcnow", real_utcnow)
    assert _upload(client, rep, "atomic-1").status_code == 202
    assert _recordings(app, db) == 1


def test_keys_are_per_user(client, login):
    first = _upload(client, login("rep1"), "shared-key", meeting_id=1)
    second = _upload(client, login("rep2"), "shared-key", meeting_id=5)
    assert first.status_code == 202 and second.status_code == 202
    assert second.json["id"] != first.json["id"]


def test_a_refused_request_does_not_burn_its_key(app, db, client, login):
    rep = login("rep1")
    wrong = _upload(client, rep, "fix-and-retry", meeting_id=999)
    assert wrong.status_code == 404
    fixed = _upload(client, rep, "fix-and-retry", meeting_id=1)
    assert fixed.status_code == 202, "nothing was done the first time, so the corrected retry runs"
    assert _recordings(app, db) == 1


def test_a_request_that_fails_after_writing_releases_its_key_without_locking(client, login):
    # the first checklist answer stores the default checklist, then the answers are refused
    rep = login("rep1")
    response = client.post("/api/v1/morning-check/checklist", headers={**rep, "Idempotency-Key": "chk-1"},
                           json={"answers": {"passport": "maybe"}})
    assert response.status_code == 422
    fixed = client.post("/api/v1/morning-check/checklist", headers={**rep, "Idempotency-Key": "chk-1"},
                        json={"answers": {"passport": True, "cards_on_hand": 5, "route_rating": 3}})
    assert fixed.status_code == 201
