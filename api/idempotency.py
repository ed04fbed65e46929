"""`Idempotency-Key` for POSTs a phone may retry on a flaky network.

A repeat with the same key and body gets the first answer and creates nothing; the same key with
another body is 422; a repeat while the first is still running is 409. Keys are kept 24 h or more.
"""

from __future__ import annotations

import functools
import hashlib
import json
from copy import deepcopy
from datetime import timedelta

from flask import Response, current_app, request
from flask_jwt_extended import current_user
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.context import database as database_of_app
from api.errors import error_response
from models import IdempotencyRecord, utcnow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEEP_FOR = timedelta(hours=48)
# A request that never finished (the server died mid-way) stops blocking its key after this.
ABANDONED_AFTER = timedelta(minutes=10)
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
                for block in iter(lambda: upload.stream.read(1 << 20), b""):
                    file_digest.update(block)
                upload.stream.seek(0)
                digest.update(f"file:{name}={file_digest.hexdigest()}\n".encode())
    else:
        raw = request.get_data(cache=True)
        try:
            canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
        except (ValueError, UnicodeDecodeError):
            canonical = raw
        digest.update(canonical)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body or "", status=record.status_code)
    for name, value in json.loads(record.response_headers or "{}").items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _claim(session: Session, user_id: int, key: str, fingerprint: str) -> IdempotencyRecord | Response:
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
        if utcnow() - existing.created_at < ABANDONED_AFTER:
            return error_response(
                409, "request_in_progress", f"A request with this {HEADER} is still running; retry in a moment."
            )
        session.delete(existing)
        session.flush()
    record = IdempotencyRecord(user_id=user_id, key=key, fingerprint=fingerprint, endpoint=request.path)
    session.add(record)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return error_response(
            409, "request_in_progress", f"A request with this {HEADER} is still running; retry in a moment."
        )
    return record


def idempotent(view):
    """Apply below the role check (it needs the current user) and above the smorest decorators."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(*args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return error_response(400, "bad_idempotency_key", f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.")
        database = database_of_app()
        with database.transaction() as session:
            claimed = _claim(session, current_user.id, key, request_fingerprint())
            if isinstance(claimed, Response):
                return claimed
            record_id = claimed.id
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            # Drop the failed request's own writes first: on SQLite they would lock out the next step.
            database.session.rollback()
            _forget(database, record_id)
            raise
        if response.status_code >= 500 or response.status_code in (409, 429):
            database.session.rollback()
            _forget(database, record_id)
            return response
        with database.transaction() as session:
            record = session.get(IdempotencyRecord, record_id)
            record.completed_at = utcnow()
            record.status_code = response.status_code
            record.response_body = response.get_data(as_text=True)
            record.response_headers = json.dumps(
                {name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers}
            )
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
    wrapper._apidoc = apidoc
    return wrapper


def purge_old_keys(session: Session) -> int:
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - KEEP_FOR))
    return result.rowcount or 0


def _forget(database, record_id: int) -> None:
    with database.transaction() as session:
        record = session.get(IdempotencyRecord, record_id)
        if record is not None:
            session.delete(record)
