"""Schema dumps for the reads phones poll, without ORM objects: a table's rows straight to plain dicts.

`RowDump(MeetingSchema, Meeting.__table__)` turns a Core row of that table into exactly what
`MeetingSchema().dump(meeting)` gives (tests hold the two equal), at a fraction of the cost: the
plain fields (numbers, strings, ISO dates, lists, enums by value) are converted by a precomputed
function each; any other field (a Function, a Nested...) is serialised by the schema's own field.
The schema stays the one contract: a field added to it appears here with no second place to edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import marshmallow as ma
from sqlalchemy import Column, Table

Converter = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _enum_value(value: Any) -> Any:
    return None if value is None else value.value


def _list(value: Any) -> Any:
    return None if value is None else list(value)


def _dict(value: Any) -> Any:
    return None if value is None else dict(value)


def _float(value: Any) -> Any:
    return None if value is None else float(value)


def _attribute(obj: Any, key: str, default: Any = ma.missing) -> Any:
    return getattr(obj, key, default)


def _plain_converter(field: ma.fields.Field) -> Converter | None:
    """How to dump `field` without marshmallow, when that is plainly the same; None: let the field do it."""
    if isinstance(field, (ma.fields.Function, ma.fields.Method, ma.fields.Nested, ma.fields.Pluck)):
        return None
    if isinstance(field, (ma.fields.DateTime, ma.fields.Date)):  # AwareDateTime and NaiveDateTime included
        return _iso if field.format in (None, "iso") else None
    if isinstance(field, ma.fields.Enum):
        return _enum_value if field.by_value is True else None
    if isinstance(field, ma.fields.Float):
        return _float if not field.as_string else None
    if isinstance(field, (ma.fields.Integer, ma.fields.Boolean)) and not getattr(field, "as_string", False):
        return _same
    if type(field) in (ma.fields.String, ma.fields.Email, ma.fields.Raw):
        return _same
    if isinstance(field, ma.fields.List) and type(field.inner) is ma.fields.String:
        return _list
    if type(field) is ma.fields.Dict and field.key_field is None and field.value_field is None:
        return _dict
    return None


class RowDump:
    """Dumps rows of `table` (all its columns selected) as `schema` dumps the mapped objects."""

    def __init__(self, schema: type[ma.Schema], table: Table):
        self.schema = schema()
        self.columns: tuple[Column[Any], ...] = tuple(table.columns)
        names = {column.key for column in self.columns}
        self._steps: list[tuple[str, str, Converter | None, ma.fields.Field]] = []
        for name, field in self.schema.dump_fields.items():
            attribute = field.attribute or name
            converter = _plain_converter(field) if attribute in names else None
            self._steps.append((field.data_key or name, attribute, converter, field))

    def dump(self, row: Any) -> dict[str, Any]:
        """One row (a Core `Row`, or anything with the columns as attributes) as the schema's dict."""
        result: dict[str, Any] = {}
        for key, attribute, converter, field in self._steps:
            if converter is not None:
                result[key] = converter(getattr(row, attribute))
            else:
                value = field.serialize(attribute, row, accessor=_attribute)
                if value is not ma.missing:
                    result[key] = value
        return result

    def dump_all(self, rows: Iterable[Any]) -> list[dict[str, Any]]:
        return [self.dump(row) for row in rows]
