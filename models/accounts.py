"""Users, their roles and revoked tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin


class Role(str, enum.Enum):
    rep = "rep"
    qa = "qa"
    qa_lead = "qa_lead"  # a QA reviewer who also accepts proposed script examples and publishes them
    support = "support"
    manager = "manager"


class User(CreatedAtMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    region: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role.value})>"


class RevokedToken(Base):
    """A JWT that was logged out before it expired; rows past expires_at can be purged."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime]


class LoginSession(Base):
    """One login on one device: its refresh tokens form a family and every access token names it (`sid`).

    Only the newest refresh token (`refresh_jti`) of the family is accepted; showing an older one means
    it was copied, so the whole session is revoked. Logout revokes the session: its access and refresh
    tokens stop working at once.
    """

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    refresh_jti: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    refreshed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class RateLimitCounter(Base):
    """A fixed-window counter of the rate limiter, in the database every web process shares."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[float]  # unix time the window ends
