"""Login, token refresh, logout, the current user, and user management for managers."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    current_user,
    decode_token,
    get_jwt,
    jwt_required,
)
from flask_smorest import Blueprint
from jwt import PyJWTError
from sqlalchemy import select

from accounts import service
from accounts.auth import ALL_ROLES, SESSION_CLAIM, limiter, roles_required
from accounts.schemas import (
    LoginSchema,
    LogoutSchema,
    TokenSchema,
    UserCreateSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from api.context import app_settings, db_session
from api.fields import ID_PATH
from api.guards import NO_STORE
from api.idempotency import idempotent
from api.pagination import SelectPage
from errors import BadCredentials, FieldrepError
from models import Role, User, utcnow

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in, refresh and revoke tokens")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="User accounts (managers)")




def _login_rate_key() -> str:
    from flask import request

    body = request.get_json(silent=True)
    username = str(body.get("username", "")).strip().lower()[:64] if isinstance(body, dict) else ""
    return f"{request.remote_addr}|{username}"


def _tokens_for(user: User, session_id: str, refresh_jti: str | None = None, fresh: bool = False) -> dict:
    """An access token of the login session, and with `refresh_jti` the session's new refresh token."""
    settings = app_settings()
    claims = {SESSION_CLAIM: session_id}
    tokens = {
        "access_token": create_access_token(identity=user, fresh=fresh, additional_claims=claims),
        "token_type": "Bearer",
        "expires_in": int(settings.access_token_expires.total_seconds()),
    }
    if refresh_jti:
        tokens["refresh_token"] = create_refresh_token(identity=user, additional_claims={**claims, "jti": refresh_jti})
    return tokens


def _not_stored(tokens: dict):
    """Token answers must not be kept by a browser, a proxy or an HTTP cache on the phone."""
    return tokens, 200, NO_STORE


@blp.route("/login")
class Login(MethodView):
    @limiter.limit(lambda: app_settings().login_rate_limit, key_func=_login_rate_key)
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Wrong username or password, or the account is deactivated")
    @blp.alt_response(429, description="Too many login attempts")
    def post(self, credentials):
        """Log in with a password; returns an access token and a refresh token."""
        session = db_session()
        user = service.authenticate(session, credentials["username"], credentials["password"])
        if user is None:
            raise BadCredentials("Wrong username or password, or the account is deactivated.")
        refresh_jti = service.new_token_id()
        login = service.start_session(session, user, refresh_jti=refresh_jti,
                                      expires_at=utcnow() + app_settings().refresh_token_expires)
        session.commit()
        return _not_stored(_tokens_for(user, login.id, refresh_jti, fresh=True))


@blp.route("/refresh")
class Refresh(MethodView):
    @jwt_required(refresh=True)
    @blp.response(200, TokenSchema)
    @blp.doc(security=[{"bearerAuth": []}], description="Send the refresh token as the bearer token.")
    @blp.alt_response(401, description="The refresh token was revoked, expired, or already used (reusing an "
                                       "old one ends the login on every device: log in again)")
    def post(self):
        """Exchange the refresh token for a new access token and a new refresh token (the old one is spent).

        Keep only the newest refresh token: sending a spent one again ends the whole login."""
        session = db_session()
        claims = get_jwt()
        refresh_jti = service.new_token_id()
        try:
            login = service.rotate_refresh_token(session, claims[SESSION_CLAIM], claims["jti"], refresh_jti)
        finally:
            session.commit()  # a detected reuse revokes the session even though this answers 401
        return _not_stored(_tokens_for(current_user, login.id, refresh_jti))


@blp.route("/logout")
class Logout(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(LogoutSchema)
    @blp.response(204)
    def post(self, body):
        """End this login: its access and refresh tokens stop working (and those of the login that
        `refresh_token` belongs to, if it is another one of yours)."""
        session = db_session()
        service.end_session(session, get_jwt()[SESSION_CLAIM])
        if body.get("refresh_token"):
            try:
                refresh = decode_token(body["refresh_token"], allow_expired=True)
            except PyJWTError:
                refresh = None
            if (refresh and refresh.get("type") == "refresh" and refresh.get("sub") == str(current_user.id)
                    and isinstance(refresh.get(SESSION_CLAIM), str)):
                service.end_session(session, refresh[SESSION_CLAIM])
        session.commit()


@blp.route("/me")
class Me(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.response(200, UserSchema)
    def get(self):
        """The logged-in user."""
        return current_user


@users_blp.route("")
class Users(MethodView):
    @roles_required(Role.manager)
    @users_blp.arguments(UserQuerySchema, location="query")
    @users_blp.response(200, UserSchema(many=True))
    @users_blp.paginate(SelectPage)
    def get(self, query):
        """List users by username, optionally by role and active state; paged (50 a page by default)."""
        statement = select(User).order_by(User.username)
        if "role" in query:
            statement = statement.where(User.role == query["role"])
        if "active" in query:
            statement = statement.where(User.is_active == query["active"])
        return statement

    @roles_required(Role.manager)
    @idempotent
    @users_blp.arguments(UserCreateSchema)
    @users_blp.response(201, UserSchema)
    def post(self, data):
        """Create a user."""
        session = db_session()
        user = service.create_user(session, **data)
        session.flush()
        return user


@users_blp.route(f"/<{ID_PATH}:user_id>")
class UserItem(MethodView):
    @roles_required(Role.manager)
    @users_blp.response(200, UserSchema)
    def get(self, user_id):
        """One user."""
        return service.get_user(db_session(), user_id)

    @roles_required(Role.manager)
    @users_blp.arguments(UserUpdateSchema)
    @users_blp.response(200, UserSchema)
    def patch(self, changes, user_id):
        """Change a user; `is_active: false` deactivates the account at once (its tokens stop working)."""
        session = db_session()
        user = service.get_user(session, user_id)
        if user.id == current_user.id and changes.get("is_active") is False:
            raise FieldrepError("You cannot deactivate your own account.")
        service.update_user(session, user, **changes)
        session.commit()
        return user

