"""Account use cases; no Flask here."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import Conflict, FieldrepError, Invalid, NotFound
from models import LoginSession, RevokedToken, Role, User, utcnow
from models.base import new_uuid

_hasher = PasswordHasher()
# Verifying against a dummy hash for unknown users keeps login time the same for both cases.
_DUMMY_HASH = _hasher.hash("fieldrep-dummy-password")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"Unknown time zone {name!r}",
                      errors={"time_zone": ["Use an IANA name such as Asia/Yekaterinburg."]}) from exc
    return name


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    full_name: str,
    time_zone: str = "Europe/Moscow",
    email: str | None = None,
    region: str | None = None,
) -> User:
    username = username.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("Password too short", errors={"password": [f"At least {MIN_PASSWORD_LENGTH} characters."]})
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"A user named {username!r} already exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=Role(role),
        full_name=full_name,
        time_zone=check_time_zone(time_zone),
        email=email,
        region=region,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    return user


def set_active(session: Session, user: User, active: bool) -> User:
    user.is_active = active
    user.deactivated_at = None if active else utcnow()
    return user


def update_user(session: Session, user: User, **changes) -> User:
    if "password" in changes:
        password = changes.pop("password")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise Invalid("Password too short", errors={"password": [f"At least {MIN_PASSWORD_LENGTH} characters."]})
        user.password_hash = hash_password(password)
    if "time_zone" in changes:
        check_time_zone(changes["time_zone"])
    if "is_active" in changes:
        set_active(session, user, changes.pop("is_active"))
    for name, value in changes.items():
        setattr(user, name, value)
    return user


def revoke_token(session: Session, *, jti: str, user_id: int, expires_at: datetime) -> None:
    if session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, user_id=user_id, expires_at=expires_at, revoked_at=utcnow()))


def is_token_revoked(session: Session, jti: str) -> bool:
    return session.get(RevokedToken, jti) is not None


def purge_expired_revocations(session: Session) -> int:
    expired = session.scalars(select(RevokedToken).where(RevokedToken.expires_at < utcnow())).all()
    for row in expired:
        session.delete(row)
    return len(expired)


# --- login sessions: one per login, holding the family of its refresh tokens ----------------------

class TokenRefused(FieldrepError):
    status = 401
    code = "token_revoked"


class RefreshTokenReused(TokenRefused):
    code = "refresh_token_reused"


def new_token_id() -> str:
    return new_uuid()


def start_session(session: Session, user: User, *, refresh_jti: str, expires_at: datetime) -> LoginSession:
    login = LoginSession(id=new_uuid(), user_id=user.id, refresh_jti=refresh_jti, created_at=utcnow(),
                         expires_at=expires_at)
    session.add(login)
    return login


def end_session(session: Session, session_id: str, reason: str = "logout") -> None:
    login = session.get(LoginSession, session_id)
    if login is not None and login.revoked_at is None:
        login.revoked_at, login.revoked_reason = utcnow(), reason


def preload_login(session: Session, session_id: str, user_id: object) -> None:
    """Load a token's login session and its user with one SELECT, into the session's identity map, where
    is_session_active and the request's user lookup then find them without a query of their own."""
    try:
        user_key = int(str(user_id))
    except ValueError:
        return
    # kept referenced for the session's life: the identity map holds objects only weakly
    session.info["fieldrep.preloaded_login"] = session.execute(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == session_id, User.id == user_key)).first()


def is_session_active(session: Session, session_id: str) -> bool:
    login = session.get(LoginSession, session_id)
    return login is not None and login.revoked_at is None and login.expires_at > utcnow()


def rotate_refresh_token(session: Session, session_id: str, presented_jti: str, new_jti: str) -> LoginSession:
    """Accept the session's newest refresh token once, and make `new_jti` the only one accepted next.

    An older refresh token of the family coming back means two parties hold it (it was copied): the
    whole session is revoked, so the thief's and the owner's tokens stop working alike and the owner
    logs in again. The caller commits even when this raises, so the revocation is kept.
    """
    login = session.get(LoginSession, session_id)
    if login is None or login.revoked_at is not None or login.expires_at <= utcnow():
        raise TokenRefused("This login has ended (logged out, or its refresh token was reused); log in again.")
    if login.refresh_jti != presented_jti:
        end_session(session, session_id, reason="refresh_reused")
        raise RefreshTokenReused("This refresh token was already used, so it may have been copied: the login "
                                 "is ended on every device that shared it; log in again with your password.")
    login.refresh_jti, login.refreshed_at = new_jti, utcnow()
    return login


def purge_ended_sessions(session: Session) -> int:
    ended = session.scalars(select(LoginSession).where(LoginSession.expires_at < utcnow())).all()
    for row in ended:
        session.delete(row)
    return len(ended)
