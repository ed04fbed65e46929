"""Account use cases; no Flask here."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import Conflict, Invalid, NotFound
from models import RevokedToken, Role, User, utcnow

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
