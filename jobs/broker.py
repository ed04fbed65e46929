"""Housekeeping of the embedded broker (Celery's SQLAlchemy transport).

That transport marks a delivered message invisible and never deletes it, so its table only grows.
The job rows hold the truth about the work, so a message delivered an hour ago is of no further use.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

SQLA_PREFIX = "sqla+"
KEEP_DELIVERED = timedelta(hours=1)


def purge_delivered_messages(broker_url: str, keep: timedelta = KEEP_DELIVERED, now: datetime | None = None) -> int:
    """Delete messages delivered longer than `keep` ago; other brokers clean up after themselves: 0."""
    if not broker_url.startswith(SQLA_PREFIX):
        return 0
    engine = create_engine(make_url(broker_url.removeprefix(SQLA_PREFIX)))
    try:
        if not inspect(engine).has_table("kombu_message"):
            return 0
        # kombu stamps delivery with its own local, naive clock.
        cutoff = (now or datetime.now()) - keep
        with engine.begin() as connection:
            result = connection.execute(
                text("DELETE FROM kombu_message"
                     " WHERE visible = :hidden AND (timestamp IS NULL OR timestamp < :cutoff)"),
                {"hidden": False, "cutoff": cutoff},
            )
        return result.rowcount or 0
    finally:
        engine.dispose()
