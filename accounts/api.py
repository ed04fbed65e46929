"""Login, token refresh, logout, the current user, and user management for managers."""

from __future__ import annotations

from datetime import UTC, datetime

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
from accounts.auth import ALL_ROLES, limiter, roles_required
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
from api.idempotency import idempotent
from errors import BadCredentials, FieldrepError
from models import Role, User

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in, refresh and revoke tokens")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="User accounts (managers)")




def _login_rate_key() -> str:
    from flask import request

    body = request.get_json(silent=True)
    username = str(body.get("username", "")).strip().lower()[:64] if isinstance(body, dict) else ""
    return f"{request.remote_addr}|{username}"


def _tokens_for(user: User, with_refresh: bool = True) -> dict:
    settings = app_settings()
    tokens = {
        "access_token": create_access_token(identity=user, fresh=with_refresh),
        "token_type": "Bearer",
        "expires_in": int(settings.access_token_expires.total_seconds()),
    }
    if with_refresh:
        tokens["refresh_token"] = create_refresh_token(identity=user)
    return tokens


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
        session.commit()
        return _tokens_for(user)


@blp.route("/refresh")
class Refresh(MethodView):
    @jwt_required(refresh=True)
    @blp.response(200, TokenSchema)
    @blp.doc(security=[{"bearerAuth": []}], description="Send the refresh token as the bearer token.")
    def post(self):
        """Exchange a refresh token for a new access token."""
        return _tokens_for(current_user, with_refresh=False)


@blp.route("/logout")
class Logout(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(LogoutSchema)
    @blp.response(204)
    def post(self, body):
        """Revoke the access token in use, and the refresh token if given."""
        session = db_session()
        claims = get_jwt()
        service.revoke_token(
            session,
            jti=claims["jti"],
            user_id=current_user.id,
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
        if body.get("refresh_token"):
            try:
                refresh = decode_token(body["refresh_token"], allow_expired=True)
            except PyJWTError:
                refresh = None
            if refresh and refresh.get("type") == "refresh" and refresh.get("sub") == str(current_user.id):
                service.revoke_token(
                    session,
                    jti=refresh["jti"],
                    user_id=current_user.id,
                    expires_at=datetime.fromtimestamp(refresh["exp"], UTC),
                )
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
    def get(self, query):
        """List users, optionally by role and active state."""
        statement = select(User).order_by(User.username)
        if "role" in query:
            statement = statement.where(User.role == query["role"])
        if "active" in query:
            statement = statement.where(User.is_active == query["active"])
        return db_session().scalars(statement).all()

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

