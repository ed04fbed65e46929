"""What the figures measure a rep against: the personal-offer targets a manager sets per rep and month."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin


class OfferTarget(CreatedAtMixin, Base):
    """A rep's targets for a calendar month (`month` is its first day): offers presented and accepted."""

    __tablename__ = "offer_targets"
    __table_args__ = (UniqueConstraint("rep_id", "month", name="uq_offer_targets_rep_id_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    month: Mapped[date] = mapped_column(Date)
    offers_presented: Mapped[int] = mapped_column(default=0)
    offers_accepted: Mapped[int] = mapped_column(default=0)
