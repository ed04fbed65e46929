"""`Idempotency-Key` for POSTs a phone may retry on a flaky network, and one unit of work per request.

A repeat with the same key and body gets the first answer and creates nothing; the same key with
another body is 422; a repeat while the first is still running is 409. Keys are kept 24 h or more.

The key's record, the request's writes and its jobs commit in one transaction, after the answer is
made, so a process killed at any point leaves either nothing (the retry runs afresh) or everything
(the retry gets the first answer). While the first request runs, its process renews a short lease on
the key; a key whose process died is taken over by the retry within seconds.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from typing import Any

from flask import Response, current_app, request
from flask_jwt_extended import current_user
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.context import database as database_of_app
from api.errors import error_response
from models import IdempotencyRecord, utcnow
from storage.db import Database, rowcount
from storage.heartbeat import Heartbeat

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEEP_FOR = timedelta(hours=48)
# The running request's process renews its claim every LEASE / 3; a dead one's claim lapses after LEASE.
LEASE = timedelta(seconds=10)
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")


def request_fingerprint() -> str:
    """A digest of what the client sent, independent of multipart boundaries and JSON key order."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    if request.mimetype == "multipart/form-data" or request.mimetype == "application/x-www-form-urlencoded":
        for name in sorted(request.form):
            for value in request.form.getlist(name):
                digest.update(f"form:{name}={value}\n".encode())
        for name in sorted(request.files):
            for upload in request.files.getlist(name):
                file_digest = hashlib.sha256()
                upload.stream.seek(0)
                for block in iter(functools.partial(upload.stream.read, 1 << 20), b""):
                    file_digest.update(block)
                upload.stream.seek(0)
                digest.update(f"file:{name}={file_digest.hexdigest()}\n".encode())
    else:
        raw = request.get_data(cache=True)
        try:
            canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
        except (ValueError, UnicodeDecodeError, RecursionError):
            canonical = raw
        digest.update(canonical)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body or "", status=record.status_code)
    for name, value in json.loads(record.response_headers or "{}").items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _in_progress() -> Response:
    return error_response(
        409, "request_in_progress", f"A request with this {HEADER} is still running; retry in a moment."
    )


def _claim(session: Session, user_id: int, key: str, fingerprint: str, owner: str) -> Response | None:
    """Claim the key for this request (committed at once), or answer for it: replay, 409 or 422."""
    now = utcnow()
    existing = session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
    )
    if existing is not None:
        if existing.fingerprint != fingerprint:
            return error_response(
                422,
                "idempotency_key_reused",
                f"This {HEADER} was already used for a different request; use a new key for a new request.",
            )
        if existing.completed_at is not None:
            return _replay(existing)
        # Take over only a claim whose process stopped renewing it (conditional: one taker wins).
        taken = rowcount(session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == existing.id, IdempotencyRecord.completed_at.is_(None),
                   or_(IdempotencyRecord.lease_expires_at.is_(None), IdempotencyRecord.lease_expires_at < now))
            .values(lease_owner=owner, lease_expires_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ))
        session.commit()
        return None if taken == 1 else _in_progress()
    session.add(IdempotencyRecord(user_id=user_id, key=key, fingerprint=fingerprint, endpoint=request.path,
                                  lease_owner=owner, lease_expires_at=now + LEASE))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return _in_progress()
    return None


def _owned(user_id: int, key: str, owner: str):
    return (IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key,
            IdempotencyRecord.lease_owner == owner, IdempotencyRecord.completed_at.is_(None))


def _renewer(database: Database, user_id: int, key: str, owner: str) -> Callable[[], bool]:
    def renew() -> bool:
        with database.transaction() as session:
            return rowcount(session.execute(
                update(IdempotencyRecord).where(*_owned(user_id, key, owner))
                .values(lease_expires_at=utcnow() + LEASE).execution_options(synchronize_session=False)
            )) == 1

    return renew


def _release(database: Database, user_id: int, key: str, owner: str) -> None:
    with database.transaction() as session:
        session.execute(delete(IdempotencyRecord).where(*_owned(user_id, key, owner))
                        .execution_options(synchronize_session=False))


def _run_in_one_transaction(database: Database, view: Callable[..., Any], args: Any, kwargs: Any,
                            complete: Callable[[Session, Response], bool] | None = None) -> Response:
    """Run the view; commit its writes (and `complete`'s) only if the answer keeps them."""
    session = database.session()
    try:
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code >= 400:
            session.rollback()
            return response
        if complete is not None and not complete(session, response):
            session.rollback()
            return _in_progress()
        session.commit()
        return response
    except BaseException:
        session.rollback()
        raise


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Apply below the role check (it needs the current user) and above the smorest decorators.

    The view flushes its writes but does not commit: this decorator commits once, with the key's record.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        database = database_of_app()
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return _run_in_one_transaction(database, view, args, kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return error_response(400, "bad_idempotency_key", f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.")
        user_id, owner = current_user.id, uuid.uuid4().hex
        with database.transaction() as claim_session:
            answer = _claim(claim_session, user_id, key, request_fingerprint(), owner)
        if answer is not None:
            return answer

        def complete(session: Session, response: Response) -> bool:
            """Store the answer with the request's writes; False if a retry took the key over meanwhile."""
            headers = {name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers}
            return rowcount(session.execute(
                update(IdempotencyRecord).where(*_owned(user_id, key, owner))
                .values(completed_at=utcnow(), status_code=response.status_code,
                        response_body=response.get_data(as_text=True), response_headers=json.dumps(headers),
                        lease_owner=None, lease_expires_at=None)
                .execution_options(synchronize_session=False)
            )) == 1

        try:
            with Heartbeat(_renewer(database, user_id, key, owner), LEASE.total_seconds() / 3, name=f"key-{key[:16]}"):
                response = _run_in_one_transaction(database, view, args, kwargs, complete)
        except BaseException:
            _release(database, user_id, key, owner)
            raise
        if response.status_code >= 400:
            # Refused, so nothing was done: the key is free for the corrected request.
            _release(database, user_id, key, owner)
        return response

    apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    manual = apidoc.setdefault("manual_doc", {})
    manual.setdefault("parameters", []).append(
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
            "description": "Retry-safe key: a repeat with the same key and body returns the first answer.",
        }
    )
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]
    return wrapper


def purge_old_keys(session: Session) -> int:
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - KEEP_FOR))
    return rowcount(result) or 0
