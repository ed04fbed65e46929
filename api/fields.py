"""Field types shared by the schemas, bounded so that no input can overflow the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import marshmallow as ma
from marshmallow import validate

MAX_ID = 2**31 - 1
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
ID_PATH = f"int(min=1, max={MAX_ID})"  # Flask URL converter for record ids
# Instants a request may carry: far beyond any real meeting or call, well inside what the arithmetic
# on them (deadlines, local days) and the database's time types can hold; year 1 or 9999 overflowed.
FIRST_MOMENT = datetime.combine(FIRST_DAY, time.min, UTC)
END_OF_MOMENTS = datetime.combine(LAST_DAY, time.max, UTC)
MOMENT_RANGE = f"between {FIRST_DAY.isoformat()}T00:00:00Z and {LAST_DAY.isoformat()}T23:59:59Z"


def RecordId(**kwargs) -> ma.fields.Integer:  # noqa: N802 - reads like a field class
    return ma.fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def CalendarDay(**kwargs) -> ma.fields.Date:  # noqa: N802
    return ma.fields.Date(validate=validate.Range(min=FIRST_DAY, max=LAST_DAY), **kwargs)


def Moment(**kwargs) -> ma.fields.AwareDateTime:  # noqa: N802
    """An instant with its UTC offset (ISO 8601), within the years the service works with."""
    metadata = dict(kwargs.pop("metadata", {}))
    metadata["description"] = (metadata.get("description", "ISO 8601 with offset") + f"; {MOMENT_RANGE}").lstrip("; ")
    metadata.setdefault("x-minimum", FIRST_MOMENT.isoformat())
    metadata.setdefault("x-maximum", END_OF_MOMENTS.isoformat())
    return ma.fields.AwareDateTime(validate=validate.Range(min=FIRST_MOMENT, max=END_OF_MOMENTS,
                                                           error=f"Must be {MOMENT_RANGE}."),
                                   metadata=metadata, **kwargs)
