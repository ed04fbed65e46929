"""One JSON error shape for every error: {status, code, message, errors?}."""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, jsonify
from flask_smorest import Api
from sqlalchemy.exc import StatementError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from errors import FieldrepError

log = logging.getLogger(__name__)


class ErrorSchema(ma.Schema):
    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    code = ma.fields.String(required=True, metadata={"description": "machine-readable error code"})
    message = ma.fields.String(required=True, metadata={"description": "what went wrong and what to fix"})
    errors = ma.fields.Dict(metadata={"description": "per-field messages (422), or other details"})
    current_etag = ma.fields.String(metadata={"description": "412: the record's ETag now (also in the ETag header)"})
    allowed = ma.fields.List(ma.fields.String(), metadata={
        "description": "409 on a meeting transition: the actions allowed from the current state"})
    status_now = ma.fields.String(metadata={"description": "409 on a meeting transition: the meeting's state now"})
    not_before = ma.fields.AwareDateTime(metadata={
        "description": "409 `not_yet`: from when the action is allowed (a start, a no-show)"})


def _code_for(status: int, name: str) -> str:
    return {401: "unauthorized", 422: "validation_error", 429: "rate_limited"}.get(
        status, name.lower().replace(" ", "_").replace("-", "_")
    )


def error_response(status: int, code: str, message: str, errors=None, headers=None, **extra):
    body = {"status": status, "code": code, "message": message, **extra}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_webargs(messages: dict) -> dict:
    """webargs nests messages by location ({'json': {...}}); the client wants field -> messages."""
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


class FieldrepApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        message = data.get("message") or error.description or error.name
        errors = data.get("errors")
        if errors is None and "messages" in data:
            errors = _flatten_webargs(data["messages"])
            if status == 422:
                message = "The request has invalid fields: " + ", ".join(sorted(map(str, errors)))
        if status == 400 and errors == {"json": ["Invalid JSON body."]}:
            message = "The request body is not valid JSON."
        headers = dict(data.get("headers") or {})
        if status == 405 and isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        if status == 429:
            message = f"Too many attempts ({error.description}); wait and try again."
        if status >= 500:
            message = "Internal server error; the incident was logged."
        return error_response(status, _code_for(status, error.name), message, errors, headers)


def register_error_handlers(app: Flask, api: Api) -> None:
    @app.errorhandler(FieldrepError)
    def handle_domain_error(error: FieldrepError):
        # A 412 carries the record's current ETag as a header too, as the If-Match it failed against would
        headers = {"ETag": error.extra["current_etag"]} if "current_etag" in error.extra else None
        return error_response(error.status, error.code, error.message, error.errors, headers, **error.extra)

    @app.errorhandler(StatementError)
    def handle_rejected_value(error: StatementError):
        # A column type refused a value from the request (models.base.UTCDateTime): the client's error.
        if isinstance(error.orig, FieldrepError):
            return handle_domain_error(error.orig)
        return handle_unexpected(error)

    @app.errorhandler(StaleDataError)
    def handle_concurrent_change(_error: StaleDataError):
        return error_response(
            409, "concurrent_change",
            "Someone changed this record at the same moment and their change was saved first; "
            "reload it and apply your change again if it still makes sense.",
        )

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return api.handle_http_exception(error)
        log.exception("unhandled error", exc_info=error)
        return api.handle_http_exception(InternalServerError())
