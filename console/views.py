"""The consoles' login, logout and home: one page each, for every staff console."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from flask import redirect, render_template, request, session, url_for

from accounts import service as accounts
from accounts.auth import limiter
from api.context import app_settings, db_session
from console import SESSION_HOURS, base, csrf_token, current_user, install, nav_for
from models import Role, utcnow

STAFF = tuple(role for role in Role if role != Role.rep)
install(base)


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site (never another host: an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return None
    return target


def _login_key() -> str:
    return f"console|{request.remote_addr}|{request.form.get('username', '').strip().lower()[:64]}"


@base.get("/")
def home():
    user = current_user()
    if user is None:
        return redirect(url_for("console.login"))
    pages = nav_for(user)
    if pages:
        return redirect(url_for(pages[0].endpoint))
    return render_template("console/error.html", status=403, message="No console for your role yet."), 403


@base.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: app_settings().login_rate_limit, key_func=_login_key, methods=["POST"])
def login():
    error = None
    if request.method == "POST":
        database = db_session()
        user = accounts.authenticate(database, request.form.get("username", ""), request.form.get("password", ""))
        if user is None or user.role not in STAFF:
            error = "Wrong username or password, or not a staff account."
        else:
            login_session = accounts.start_session(database, user, refresh_jti=accounts.new_token_id(),
                                                   expires_at=utcnow() + timedelta(hours=SESSION_HOURS))
            database.commit()
            session.clear()  # a new session id and CSRF token after login (no fixation)
            session.permanent = True
            session.update(uid=user.id, sid=login_session.id)
            csrf_token()
            return redirect(_safe_next(request.args.get("next")) or url_for("console.home"))
    return render_template("console/login.html", error=error), 401 if error else 200


@base.post("/logout")
def logout():
    login_id = session.get("sid")
    if isinstance(login_id, str):
        database = db_session()
        accounts.end_session(database, login_id)
        database.commit()
    session.clear()
    return redirect(url_for("console.login"))
