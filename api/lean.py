"""Schema dumps for the reads phones poll, without ORM objects: a table's rows straight to plain dicts.

`RowDump(MeetingSchema, Meeting.__table__)` turns a Core row of that table into exactly what
`MeetingSchema().dump(meeting)` gives (tests hold the two equal), at a fraction of the cost: the
plain fields (numbers, strings, ISO dates, lists, enums by value) are converted by a precomputed
function each; any other field (a Function, a Nested...) is serialised by the schema's own field.
The schema stays the one contract: a field added to it appears here with no second place to edit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import marshmallow as ma
from flask import Response, current_app, request
from sqlalchemy import JSON, Column, Table

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


_REMEMBERED = 4096  # per column of a compiled dump: the converted values of the texts seen last


def _then(processor: Converter, converter: Converter) -> Converter:
    def convert(value: Any) -> Any:
        return converter(processor(value))

    return convert


def _lazy_row(index: dict[str, int], processors: tuple[Converter | None, ...]) -> type:
    """A driver's row seen as the object a field reads: each column processed when read."""

    class Row:
        __slots__ = ("_row",)

        def __init__(self, row: Sequence[Any]):
            self._row = row

        def __getattr__(self, name: str) -> Any:
            position = index.get(name)
            if position is None:
                raise AttributeError(name)
            processor = processors[position]
            return self._row[position] if processor is None else processor(self._row[position])

    return Row


class RowDump:
    """Dumps rows of `table` (all its columns selected) as `schema` dumps the mapped objects."""

    def __init__(self, schema: type[ma.Schema], table: Table):
        self.schema = schema()
        self.columns: tuple[Column[Any], ...] = tuple(table.columns)
        names = {column.key for column in self.columns}
        self._steps: list[tuple[str, str, Converter | None, ma.fields.Field]] = []
        self._compiled: dict[tuple[Any, ...], Callable[[Sequence[Any]], dict[str, Any]]] = {}
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

    def compile(self, processors: Sequence[Callable[[Any], Any] | None]) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """`dump` for the driver's own rows (tuples of `columns`, unprocessed), as one generated function:
        each value goes through its column's result processor (`processors`, what a Core row applies),
        then the field's converter, into a dict literal in the schema's order. Rows of a table whose
        schema has other fields (a Function...) also get an object with the processed columns for them."""
        found = self._compiled.get(tuple(processors))
        if found is not None:
            return found
        index = {column.key: position for position, column in enumerate(self.columns)}
        scope: dict[str, Any] = {"_attribute": _attribute, "_missing": ma.missing,
                                 "_Row": _lazy_row(index, tuple(processors))}
        lines = ["def dump(row):"]
        entries, others = [], []
        for number, (key, attribute, converter, field) in enumerate(self._steps):
            if converter is not None:
                position = index[attribute]
                processor = processors[position]
                if processor is None:
                    value = f"row[{position}]" if converter is _same else f"c{number}(row[{position}])"
                elif isinstance(self.columns[position].type, JSON):  # (SQLite: the text) parsed once per text;
                    processor = functools.lru_cache(maxsize=_REMEMBERED)(processor)  # the converter copies it
                    value = f"c{number}(m{number}(row[{position}]))"
                else:  # an immutable value (text, number, enum...) from a driver's plain value: remembered
                    processor = functools.lru_cache(maxsize=_REMEMBERED, typed=True)(_then(processor, converter))
                    converter = _same
                    value = f"m{number}(row[{position}])"
                scope[f"c{number}"], scope[f"m{number}"] = converter, processor
            else:
                scope[f"f{number}"] = field.serialize
                value = f"f{number}({attribute!r}, obj, accessor=_attribute)"
                others.append(key)
            entries.append(f"{key!r}: {value}")
        if others:
            lines.append("    obj = _Row(row)")
        lines.append(f"    result = {{{', '.join(entries)}}}")
        for key in others:
            lines.append(f"    if result[{key!r}] is _missing:")
            lines.append(f"        del result[{key!r}]")
        lines.append("    return result")
        exec("\n".join(lines), scope)
        self._compiled[tuple(processors)] = scope["dump"]
        return scope["dump"]


def lean_query(blp: Any, schema: type[ma.Schema], fast: Callable[[str], dict[str, Any] | None]):
    """`blp.arguments(schema, location="query")` (documented and parsed the same), except that a query
    string `fast` reads without the schema (it returns the view's argument, or None: parse as usual)
    skips webargs. `fast` accepts only what the schema would take as is (no escapes, no unknown names)."""
    parse = blp.arguments(schema, location="query")

    def decorator(view):
        parsed = parse(view)

        @functools.wraps(parsed)
        def wrapper(*args, **kwargs):
            query = fast(request.environ.get("QUERY_STRING", ""))
            if query is None:
                return parsed(*args, **kwargs)
            return view(*args, query, **kwargs)

        return wrapper

    return decorator


def no_query(query_string: str) -> dict[str, Any] | None:
    return {} if not query_string else None


def json_response(body: Any, headers: dict[str, str] | None = None) -> Response:
    """`jsonify(body)` with `headers` added."""
    response: Response = current_app.json.response(body)  # type: ignore[assignment]
    if headers:
        response.headers.update(headers)
    return response
