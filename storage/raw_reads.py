"""Precompiled SELECTs for the reads a phone polls, run on one pooled Core connection with the driver's own
SQL (`Connection.exec_driver_sql`): no ORM session, no statement built or compiled per request.

A `RawRead` is a SELECT written once with SQLAlchemy (bound values as named `bindparam`s), compiled once
per dialect to the driver's SQL; each call only turns the values into the driver's parameters with the
columns' own bind processors (UTC datetimes stored naive, enums by name...). The rows come back as the
driver gives them; `RawRead.processors` are the columns' own result processors (what a Core row would
have applied), for a dumper to apply (api.lean.RowDump.compile). The SQL and its values are exactly
what SQLAlchemy would send, and `before_cursor_execute` listeners see them as usual.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

Processor = Callable[[Any], Any] | None


class _Compiled:
    __slots__ = ("binders", "defaults", "names", "positional", "processors", "sql")

    def __init__(self, statement: Select[*tuple[Any, ...]], dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        if "POSTCOMPILE" in self.sql:
            raise ValueError("RawRead takes no expanding IN (give each value its own bindparam)")
        self.positional = bool(compiled.positional)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ()) if self.positional else tuple(compiled.binds)
        self.binders: dict[str, Processor] = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()}
        self.defaults = {name: bind.value for name, bind in compiled.binds.items() if bind.value is not None}
        self.processors: tuple[Processor, ...] | None = None  # from the first answer's column types

    def parameters(self, values: dict[str, Any]) -> Any:
        merged = {**self.defaults, **values} if values else self.defaults
        processed = {}
        for name in self.names:
            value = merged[name]
            binder = self.binders.get(name)
            processed[name] = binder(value) if binder is not None and value is not None else value
        return tuple(processed[name] for name in self.names) if self.positional else processed


class RawRead:
    """One SELECT of `statement`'s columns, compiled once per dialect."""

    def __init__(self, statement: Select[*tuple[Any, ...]]):
        self.statement = statement
        self.columns = tuple(statement.selected_columns)
        self._record: Any = namedtuple("Record", [column.key for column in self.columns], rename=True)  # type: ignore[misc]
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect)
        if found is None:
            found = self._compiled[dialect] = _Compiled(self.statement, dialect)
        return found

    def rows(self, connection: Connection, **values: Any) -> Sequence[Any]:
        """The driver's rows (plain tuples); apply `processors(connection)` to their values.

        Run on the connection's DBAPI cursor: Connection.exec_driver_sql would build a result's metadata
        from the cursor's description every time. The engine's cursor events are still dispatched (the
        tests and the benchmark watch the SQL with them); an engine that echoes takes the usual way."""
        compiled = self.compiled(connection.dialect)
        parameters = compiled.parameters(values)
        if connection.engine.echo:
            result = connection.exec_driver_sql(compiled.sql, parameters)
            cursor = result.cursor
        else:
            cursor = connection.connection.cursor()
            events = connection.dispatch
            if events.before_cursor_execute:
                events.before_cursor_execute(connection, cursor, compiled.sql, parameters, None, False)
            try:
                cursor.execute(compiled.sql, parameters)
            except connection.dialect.loaded_dbapi.Error as error:
                cursor.close()
                dbapi_connection = connection.connection.dbapi_connection
                if connection.dialect.is_disconnect(error, dbapi_connection, cursor):
                    connection.invalidate(error)  # as SQLAlchemy would: the pool then drops it
                raise DBAPIError.instance(compiled.sql, parameters, error, connection.dialect.loaded_dbapi.Error,
                                          dialect=connection.dialect) from error
            if events.after_cursor_execute:
                events.after_cursor_execute(connection, cursor, compiled.sql, parameters, None, False)
        if compiled.processors is None:
            dialect = connection.dialect
            types = [entry[1] for entry in cursor.description]
            compiled.processors = tuple(column.type.dialect_impl(dialect).result_processor(dialect, coltype)
                                        for column, coltype in zip(self.columns, types, strict=True))
        rows = cursor.fetchall()
        cursor.close()
        return rows

    def processors(self, connection: Connection) -> tuple[Processor, ...]:
        processors = self.compiled(connection.dialect).processors
        assert processors is not None, "known once the statement has run"
        return processors

    def values(self, connection: Connection, **values: Any) -> list[tuple[Any, ...]]:
        """The rows with every column processed, as a Core row would hold them."""
        return self.processed(connection, self.rows(connection, **values))

    def processed(self, connection: Connection, rows: Sequence[Any]) -> list[tuple[Any, ...]]:
        processors = self.processors(connection)
        return [tuple(value if processor is None else processor(value)
                      for processor, value in zip(processors, row, strict=True)) for row in rows]

    def records(self, connection: Connection, rows: Sequence[Any]) -> list[Any]:
        """`rows` processed, with the columns' keys as attributes (like Core rows)."""
        return [self._record._make(row) for row in self.processed(connection, rows)]

    def scalar(self, connection: Connection, **values: Any) -> Any:
        rows = self.values(connection, **values)
        return rows[0][0] if rows else None


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A pooled connection for reads only: on PostgreSQL in autocommit, so no BEGIN and ROLLBACK round
    trips (under READ COMMITTED each statement takes its own snapshot anyway; see
    storage.db.read_without_transaction); SQLite's driver starts no transaction for a SELECT."""
    connection = engine.connect()
    try:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection
    finally:
        connection.close()
