"""JWT set-up and the `roles_required` decorator every endpoint states its roles with."""

from __future__ import annotations

import functools
import time
from copy import deepcopy
from dataclasses import dataclass
from itertools import chain

from flask import Flask, current_app, g, request
from flask_jwt_extended import JWTManager, current_user, get_jwt, verify_jwt_in_request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest.utils import load_info_from_docstring
from sqlalchemy import event
from sqlalchemy.orm import Session

import storage.ratelimit  # noqa: F401 - registers the fieldrep+database:// rate-limit storage
from accounts import service
from api.context import db_session
from api.errors import error_response
from models import LoginSession, Role, User
from storage.db import read_without_transaction

jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
SESSION_CLAIM = "sid"  # the login session a token belongs to (accounts.service.start_session)



def init_auth(app: Flask) -> None:
    jwt.init_app(app)
    limiter.init_app(app)
    # Only decorated views are limited (no default limits) and their decorator checks itself, so the
    # limiter's before-request pass over every request of every route would find nothing to do.
    app.before_request_funcs[None].remove(limiter._check_request_limit)

    @jwt.user_identity_loader
    def _identity(user: User) -> str:
        return str(user.id)

    @jwt.additional_claims_loader
    def _claims(user: User) -> dict:
        return {"role": user.role.value}

    @jwt.user_lookup_loader
    def _lookup(_header, payload) -> User | None:
        user = db_session().get(User, int(payload["sub"]))
        return user if user is not None and user.is_active else None

    @jwt.token_in_blocklist_loader
    def _revoked(_header, payload) -> bool:
        # Every token names its login session (`sid`); logging out ends the session, and with it the
        # session's access and refresh tokens. A token without one is refused below as invalid.
        session_id = payload.get(SESSION_CLAIM)
        if isinstance(session_id, str):  # one SELECT: the session check and the user lookup then find both loaded
            service.preload_login(db_session(), session_id, payload.get("sub"))
        return isinstance(session_id, str) and not service.is_session_active(db_session(), session_id)

    @jwt.token_verification_loader
    def _complete(_header, payload) -> bool:
        # PyJWT accepts a token without `exp` as never expiring: one minted with our key by mistake
        # (or by a script) must not be a key for life.
        return isinstance(payload.get("exp"), int | float) and isinstance(payload.get(SESSION_CLAIM), str)

    @jwt.expired_token_loader
    def _expired(_header, _payload):
        return error_response(401, "token_expired", "The access token has expired; refresh it or log in again.")

    @jwt.invalid_token_loader
    def _invalid(reason: str):
        return error_response(401, "invalid_token", f"The token is not valid: {reason}.")

    @jwt.unauthorized_loader
    def _missing(reason: str):
        return error_response(401, "unauthorized", f"Log in first: {reason}.")

    @jwt.revoked_token_loader
    def _revoked_answer(_header, _payload):
        return error_response(401, "token_revoked", "The token was revoked (logged out); log in again.")

    @jwt.user_lookup_error_loader
    def _no_user(_header, _payload):
        return error_response(401, "user_inactive", "The account is deactivated or no longer exists.")

    @jwt.needs_fresh_token_loader
    def _not_fresh(_header, _payload):
        return error_response(401, "fresh_login_required", "Log in again with your password.")

    @jwt.token_verification_failed_loader
    def _failed(_header, _payload):
        return error_response(401, "invalid_token", "The token is not valid (it lacks an expiry or a login "
                                                    "session); log in again.")


def _document(wrapper, roles: tuple[Role, ...]):
    apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    manual = apidoc.setdefault("manual_doc", {})
    manual["security"] = BEARER_SECURITY
    names = ", ".join(role.value for role in roles)
    if "description" not in manual and wrapper.__doc__:  # keep the docstring's own description before the roles
        manual["description"] = load_info_from_docstring(wrapper.__doc__).get("description", "")
    manual["description"] = (manual.get("description", "") + f"\n\nRoles: {names}.").strip()
    responses = manual.setdefault("responses", {})
    responses.setdefault(401, {"description": "Not logged in, or the token expired or was revoked"})
    responses.setdefault(403, {"description": f"Only for: {names}"})
    wrapper._apidoc = apidoc


def roles_required(*roles: Role | str):
    """Admit only a logged-in, active user with one of `roles`; 401 otherwise, 403 for another role."""
    allowed = tuple(Role(role) for role in roles)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request()
            if current_user.role not in allowed:
                return error_response(
                    403, "forbidden", f"This needs one of the roles: {', '.join(r.value for r in allowed)}."
                )
            return view(*args, **kwargs)

        _document(wrapper, allowed)
        return wrapper

    return decorator


ALL_ROLES = tuple(Role)


# --- the polled reads: a token checked once, remembered for a few seconds -----------------------------

# How long a token's full check (signature, expiry, login session, user) stands for the process that
# made it. Logging out, a reused refresh token, deactivating or changing a user forget every check in
# the process that saved the change at once (see _forget_checks); the other web processes at most
# this long after.
TOKEN_CHECK_SECONDS = 3.0
_MAX_CHECKS = 10_000


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who a polled read is for: what the hot views need of the user, with no ORM object."""

    id: int
    role: Role
    time_zone: str


# (the app, the Authorization header as sent) -> (checked at, the token's expiry, who)
_checked: dict[tuple[int, str], tuple[float, float, Viewer]] = {}


def _forget_checks(session: Session, _context, _instances) -> None:
    if _checked and any(isinstance(obj, (LoginSession, User)) for obj in chain(session.dirty, session.deleted)):
        _checked.clear()


event.listen(Session, "before_flush", _forget_checks)


def forget_token_checks() -> None:
    _checked.clear()


def _checked_viewer() -> Viewer | None:
    header = request.headers.get("Authorization")
    entry = _checked.get((id(current_app._get_current_object()), header)) if header else None  # type: ignore[attr-defined]
    if entry is None:
        return None
    checked_at, expires_at, viewer = entry
    now = time.time()
    return viewer if 0 <= now - checked_at < TOKEN_CHECK_SECONDS and now < expires_at else None


def _check_token() -> Viewer:
    """The full check (flask-jwt-extended: every answer of a refused token as for any other view)."""
    read_without_transaction(db_session())
    verify_jwt_in_request()
    user: User = current_user
    viewer = Viewer(user.id, user.role, user.time_zone)
    header = request.headers.get("Authorization")
    if header:
        if len(_checked) >= _MAX_CHECKS:
            _checked.clear()
        _checked[id(current_app._get_current_object()), header] = (  # type: ignore[attr-defined]
            time.time(), float(get_jwt()["exp"]), viewer)
    return viewer


def polled_read(*roles: Role | str):
    """`roles_required` for the reads phones poll: the views then read `viewer()`, not `current_user`.

    The same header checked in full within TOKEN_CHECK_SECONDS (and before its expiry) is not checked
    again: no JWT decoding and no query for the login session and the user."""
    allowed = tuple(Role(role) for role in roles)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            who = _checked_viewer() or _check_token()
            if who.role not in allowed:
                return error_response(
                    403, "forbidden", f"This needs one of the roles: {', '.join(r.value for r in allowed)}."
                )
            g.fieldrep_viewer = who
            return view(*args, **kwargs)

        _document(wrapper, allowed)
        return wrapper

    return decorator


def viewer() -> Viewer:
    """The user of a `polled_read` view."""
    return g.fieldrep_viewer
