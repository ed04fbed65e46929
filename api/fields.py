"""Field types shared by the schemas, bounded so that no input can overflow the database."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import validate

MAX_ID = 2**31 - 1
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
ID_PATH = f"int(min=1, max={MAX_ID})"  # Flask URL converter for record ids


def RecordId(**kwargs) -> ma.fields.Integer:  # noqa: N802 - reads like a field class
    return ma.fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def CalendarDay(**kwargs) -> ma.fields.Date:  # noqa: N802
    return ma.fields.Date(validate=validate.Range(min=FIRST_DAY, max=LAST_DAY), **kwargs)
