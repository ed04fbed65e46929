"""Errors the services raise; the web layer turns each into one JSON shape with its status."""

from __future__ import annotations

from typing import Any


class FieldrepError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, errors: dict[str, Any] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.extra = extra


class BadCredentials(FieldrepError):
    status = 401
    code = "bad_credentials"


class NotFound(FieldrepError):
    status = 404
    code = "not_found"


class Forbidden(FieldrepError):
    status = 403
    code = "forbidden"


class Conflict(FieldrepError):
    status = 409
    code = "conflict"


class NotYet(Conflict):
    """Allowed later, not now (the meeting's time has not come); `not_before` says from when."""

    code = "not_yet"


class Gone(FieldrepError):
    status = 410
    code = "gone"


class PreconditionFailed(FieldrepError):
    status = 412
    code = "precondition_failed"


class PreconditionRequired(FieldrepError):
    status = 428
    code = "precondition_required"


def require_matching_etag(current: str, if_match: str | None, what: str,
                          where: str = "its ETag header, or its `etag` in a list", *,
                          missing: str | None = None, stale: str | None = None) -> None:
    """A change to a shared record names the version it was made on: none is 428; one that is not the
    record's current ETag (`current`, unquoted; weak or strong, `*` for any) means someone changed it since: 412.
    `missing` and `stale` replace the default messages where the record's own words say it better."""
    if not (if_match or "").strip():
        raise PreconditionRequired(missing or f"Send If-Match with the ETag of the {what} as you read it ({where}), "
                                   "so that a change someone made meanwhile is not overwritten.")
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in (if_match or "").split(",")}
    if "*" not in tags and current not in tags:
        raise PreconditionFailed(stale or f"The {what} was changed since you read it; reload it and apply your "
                                 "change again.", current_etag=f'"{current}"')


class PayloadTooLarge(FieldrepError):
    status = 413
    code = "payload_too_large"


class UnsupportedMedia(FieldrepError):
    status = 415
    code = "unsupported_media_type"


class Invalid(FieldrepError):
    """Well-formed but unacceptable input; `errors` maps field names to messages."""

    status = 422
    code = "validation_error"
