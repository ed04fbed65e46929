"""What every request and answer goes through before and after its view: bounds on the input that no
schema sees (URL length, JSON size and depth) and the security headers on every answer.

Input past these bounds is answered in the API's JSON error shape with a message saying what to
send instead, never with a 500 (a 5,000-deep JSON makes the JSON parser recurse out of stack) or
with the web server's HTML page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

from apispec import BasePlugin
from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from api.errors import error_response

# Longer than any URL the API hands out or a client needs (query filters, a sync token); gunicorn is
# started with the same request-line limit and answers past it in the same JSON shape (api/server.py).
MAX_URL_BYTES = 8190
# Deeper than any body of the contract (a call script is 5 levels): past it the request is refused
# before a parser or a schema walks it.
MAX_JSON_DEPTH = 32

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The docs page (Swagger UI, served from our own files): its one inline script is allowed by its hash.
DOCS_CSP = ("default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # a signed download link never leaks through a Referer
    "Cross-Origin-Resource-Policy": "same-origin",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), without recursing."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def check_json_body(body: bytes, max_bytes: int, max_depth: int = MAX_JSON_DEPTH) -> Response | None:
    """The error answer for a JSON body too large or too deeply nested, or None when it is acceptable.

    A body that is not JSON at all is left to the view's parser (400 with its own message)."""
    if len(body) > max_bytes:
        return _json_too_large(max_bytes)
    try:
        parsed = json.loads(body)
    except RecursionError:
        parsed = None
        depth = max_depth + 1
    except ValueError:
        return None
    else:
        depth = json_depth(parsed)
    if depth > max_depth:
        return error_response(400, "json_too_deep",
                              f"The JSON body nests lists or objects more than {max_depth} levels deep; "
                              "no operation takes that, so flatten it.")
    return None


def _json_too_large(max_bytes: int) -> Response:
    return error_response(413, "payload_too_large",
                          f"The JSON body is larger than {max_bytes // 1024} KB; send less in one request.")


def init_request_guards(app: Flask) -> None:
    from services import services_of

    max_json_bytes = services_of(app).settings.max_json_bytes

    @app.before_request
    def _bounded_input():
        if len(request.full_path.encode()) > MAX_URL_BYTES:  # the dev server has no limit of its own
            return error_response(414, "uri_too_long",
                                  f"The URL is longer than {MAX_URL_BYTES} bytes; send fewer or shorter "
                                  "query parameters.")
        if request.is_json and request.content_length != 0:
            if request.content_length and request.content_length > max_json_bytes:
                return _json_too_large(max_json_bytes)  # refused before reading it
            return check_json_body(request.get_data(cache=True), max_json_bytes)
        return None

    app.session_interface = CookieSessions()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers iterate as (name, value)
        for lowered, name, value in _SECURITY_HEADERS_LOWERED:
            if lowered not in present:
                headers.add(name, value)
        if "content-security-policy" not in present:
            headers["Content-Security-Policy"] = _csp_for(response)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


_SECURITY_HEADERS_LOWERED = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS.items())


class CookieSessions(SecureCookieSessionInterface):
    """Flask's cookie sessions (the consoles'), without building the cookie signer for a request that
    sends no session cookie, as every API call: the session it opens is the same empty one."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def _csp_for(response: Response) -> str:
    if response.mimetype != "text/html" or response.direct_passthrough:
        return API_CSP
    scripts = _INLINE_SCRIPT.findall(response.get_data())
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
                      for script in scripts)
    return DOCS_CSP.format(hashes=hashes).replace("  ", " ")


class GuardsPlugin(BasePlugin):
    """Documents the answers these guards give on every operation (before the view is reached)."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            responses.setdefault(414, {"description": f"The URL is longer than {MAX_URL_BYTES} bytes"})
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                responses.setdefault(413, {"description": "The JSON body is larger than FIELDREP_MAX_JSON_KB"})
                responses.setdefault(400, {"description": f"Malformed request: a body that is not JSON, or JSON "
                                                          f"nested more than {MAX_JSON_DEPTH} levels deep"})
