"""gunicorn as `fieldrep run` starts it: its own error answers in the API's JSON shape, and an access
log that never holds a usable signed link.

gunicorn answers some requests itself, before the app sees them (a request line over its limit, a
malformed header): with an HTML page, which the app cannot parse as the one error shape it expects.
The worker below writes the same answer as JSON. The access log writes each request line; a signed
download or upload link in it is a working credential for anyone who reads the log, so the logger
blanks every signature (ours and S3's) and the Authorization header.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

from gunicorn import util
from gunicorn.glogging import Logger
from gunicorn.workers.sync import SyncWorker

# gunicorn's largest request-line limit; the app refuses longer URLs itself, in JSON (api/guards.py).
REQUEST_LINE_LIMIT = 8190
SIGNED_QUERY = re.compile(r"((?:signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s\"]*",
                          re.IGNORECASE)
SECRET_HEADERS = ("{authorization}i", "{cookie}i", "{http_authorization}e", "{http_cookie}e")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """The text with every signed-link credential blanked (the link no longer works if copied)."""
    return SIGNED_QUERY.sub(lambda match: match.group(1) + REDACTED, text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if name in SECRET_HEADERS:
                atoms[name] = REDACTED
            elif isinstance(value, str):
                atoms[name] = redact(value)
        return atoms


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's util.write_error, answering in the API's error shape instead of an HTML page."""
    code = {414: "uri_too_long", 431: "headers_too_large"}.get(status_int) or reason.lower().replace(" ", "_")
    message = {414: f"The URL is longer than {REQUEST_LINE_LIMIT} bytes; send fewer or shorter query parameters.",
               431: "The request headers are too large or too many; send fewer or shorter headers."}.get(
        status_int, f"{reason}: {mesg}")
    body = json.dumps({"status": status_int, "code": code, "message": message}).encode()
    phrase = reason or HTTPStatus(status_int).phrase
    head = (f"HTTP/1.1 {status_int} {phrase}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Content-Type-Options: nosniff\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


@contextmanager
def _json_error_pages() -> Iterator[None]:
    html_writer = util.write_error
    util.write_error = write_json_error  # the sync worker handles one request at a time
    try:
        yield
    finally:
        util.write_error = html_writer


class JSONErrorsWorker(SyncWorker):
    """gunicorn's sync worker whose own error answers (414, 431, 400 on a malformed request) are JSON.

    Once the worker has built the app, everything alive then (modules, the app, its schemas and routes) lives
    as long as the worker: `gc.freeze()` moves it out of the collector's generations, so the full collections
    that land on a request walk only what requests allocated since (they were a tail-latency source)."""

    def load_wsgi(self) -> None:
        super().load_wsgi()
        gc.collect()
        gc.freeze()

    def handle_error(self, req, client, addr, exc) -> None:
        with _json_error_pages():
            super().handle_error(req, client, addr, exc)


GUNICORN_OPTIONS = ("--worker-class", f"{__name__}.JSONErrorsWorker", "--logger-class", f"{__name__}.RedactingLogger",
                    "--limit-request-line", str(REQUEST_LINE_LIMIT))
