"""The staff consoles' web base: server-rendered pages on the same app, logged in with the same accounts.

A console is a Blueprint that calls `install(blueprint, nav=...)` and whose templates extend
`console/base.html`. It gets, for every view: the logged-in user (`g.console_user`, from a session
cookie that is HttpOnly and SameSite=Strict, tied to an `accounts` login session so that logging out
or deactivating the user ends it at once), a CSRF check on every unsafe request (the `csrf_token`
form field or the `X-CSRF-Token` header of a fetch), a Content-Security-Policy allowing only this
app's own scripts and styles, `Cache-Control: no-store`, and errors as pages (or JSON for a fetch).
The JSON API keeps its bearer tokens; it never reads this cookie.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, Flask, Response, abort, g, jsonify, redirect, render_template, request, session, url_for

from errors import FieldrepError
from models import Role, User

SESSION_HOURS = 12
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'{media}; "
       "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@dataclass(frozen=True)
class NavEntry:
    label: str
    endpoint: str
    roles: tuple[Role, ...]


NAV: list[NavEntry] = []  # every console's pages, for the one navigation bar

base = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static",
                 static_url_path="/static")


def init_console(app: Flask) -> None:
    """Register the base (login, logout, the shared stylesheet and script) and the session cookie's settings."""
    from settings import Settings

    settings: Settings = app.extensions["fieldrep"].settings
    app.config.update(
        SESSION_COOKIE_NAME="fieldrep_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_PATH="/console",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )
    from console import views  # noqa: F401 - the base's routes (and its install, once per process)

    app.register_blueprint(base)


def current_user() -> User | None:
    return g.get("console_user")


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _load_user() -> None:
    from accounts.service import is_session_active
    from api.context import db_session

    g.console_user = None
    if (request.endpoint or "").endswith(".static"):
        return
    user_id, login_id = session.get("uid"), session.get("sid")
    if not isinstance(user_id, int) or not isinstance(login_id, str):
        return
    database = db_session()
    user = database.get(User, user_id)
    if user is not None and user.is_active and is_session_active(database, login_id):
        g.console_user = user
    else:
        session.pop("uid", None)
        session.pop("sid", None)


def _check_csrf() -> None:
    if request.method not in UNSAFE:
        return
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    expected = session.get("csrf") or ""
    # The token decides; these only refuse early what a browser says came from elsewhere. (With
    # Referrer-Policy: no-referrer, a browser sends `Origin: null` on a form post of our own page.)
    origin = request.headers.get("Origin")
    if request.headers.get("Sec-Fetch-Site") == "cross-site" or (
            origin and origin != "null" and urlparse(origin).netloc != request.host):
        abort(403, description="The request came from another site.")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(403, description="The form has expired (CSRF check); reload the page and try again.")


def _finish(response: Response) -> Response:
    media = g.get("console_media_origins") or ()
    response.headers["Content-Security-Policy"] = CSP.format(media="".join(f" {origin}" for origin in media))
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get(CSRF_HEADER) is not None


def _error_page(status: int, message: str):
    if wants_json():
        return jsonify(status=status, message=message), status
    return render_template("console/error.html", status=status, message=message), status


def install(blueprint: Blueprint, nav: Iterable[NavEntry] = ()) -> None:
    """Make `blueprint` a console: login, CSRF, security headers and error pages for each of its views."""
    NAV.extend(entry for entry in nav if entry not in NAV)
    blueprint.before_request(_load_user)
    blueprint.before_request(_check_csrf)
    blueprint.after_request(_finish)

    @blueprint.errorhandler(FieldrepError)
    def _domain_error(error: FieldrepError):
        extra = {"current_etag": error.extra["current_etag"]} if "current_etag" in error.extra else {}
        if wants_json():
            return jsonify(status=error.status, code=error.code, message=error.message, errors=error.errors,
                           **extra), error.status
        return _error_page(error.status, error.message)

    @blueprint.errorhandler(403)
    @blueprint.errorhandler(404)
    def _http_error(error):
        return _error_page(error.code, error.description)


def roles(*allowed: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A console page for these roles: not logged in goes to the login page, another role gets 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            user = current_user()
            if user is None:
                if wants_json():
                    return jsonify(status=401, message="Log in again."), 401
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if user.role not in allowed:
                abort(403, description=f"This page is for: {', '.join(role.value for role in allowed)}.")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def allow_media_from(url: str) -> None:
    """Let the page play audio from the host of `url` (an S3 presigned link); local links are 'self'."""
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https") and parsed.netloc:
        g.console_media_origins = (*g.get("console_media_origins", ()), f"{parsed.scheme}://{parsed.netloc}")


def nav_for(user: User | None) -> list[NavEntry]:
    return [entry for entry in NAV if user is not None and user.role in entry.roles]


@base.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"console_user": current_user, "csrf_token": csrf_token, "console_nav": nav_for}
