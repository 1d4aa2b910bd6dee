"""Many rows through one statement, without SQLAlchemy's per-row parameter work.

``session.execute(stmt, [dict, ...])`` compiles once but then, for every row,
builds the parameter set, runs each column type's bind processor through
generic machinery and checks the keys: ~20 µs a row of ten values, on the event
loop, as long as SQLite takes to store the row. A pull writes 10,000 rows a sync.

``BulkStatement`` compiles the Core statement once per dialect, keeps the bind
processors of the columns that have one (datetimes, JSON) and sends plain tuples
to the driver's ``executemany`` (``exec_driver_sql``): one hand-over to the
database thread per batch, and the same values as the ORM would write, because the
types' own processors produce them.

On SQLite an INSERT goes further: the batch is one ``INSERT ... SELECT`` over
``json_each`` (the small values of every row in one JSON array, the documents sliced
out of one blob). The ``sqlite3`` module releases the GIL around every row's
``sqlite3_step`` in ``executemany`` and must take it back after each: with the event
loop busy preparing the next pages, a batch of 1,000 rows queued for the GIL a
thousand times (10,000 rows: 0.25 s on their own, over 30 s next to a busy thread).
One statement takes it once and stores the whole batch with it released.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import orjson
from sqlalchemy import JSON, LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement, Insert

JSON_EACH = sqlite3.sqlite_version_info >= (3, 38, 0)
"""JSON functions are built into SQLite from 3.38; older libraries use ``executemany``."""

_BLOB_BYTES = 64 * 1024 * 1024
"""Documents per statement, at most (SQLite refuses a value over 1 GB)."""


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    documents: tuple[str | None, ...]
    """Per column: "text" (JSON) or "blob" (binary) for a document, else None."""
    json_each_sql: str | None
    """An INSERT as one ``INSERT ... SELECT ... FROM json_each(?1)``; see ``_json_each``."""


class BulkStatement:
    """An INSERT or UPDATE with positional parameters, run as ``executemany``
    (an INSERT on SQLite: as one ``json_each`` statement)."""

    def __init__(self, stmt: ClauseElement, columns: Sequence[str] | None = None) -> None:
        """``columns``: for an INSERT, the columns every row gives. A row is a dict
        keyed by the statement's bind names (for an INSERT, the column names)."""
        self.stmt = stmt
        self.columns = list(columns) if columns is not None else None
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        done = self._compiled.get(dialect.name)
        if done is not None:
            return done
        compiled = self.stmt.compile(dialect=dialect, column_keys=self.columns)
        order = compiled.positiontup
        if order is None:
            raise TypeError(f"{dialect.name}: bulk statements need a positional paramstyle")
        types = [compiled.binds[name].type for name in order]
        processors = tuple(t.dialect_impl(dialect).bind_processor(dialect) for t in types)
        documents = tuple(
            "text" if isinstance(t, JSON) else "blob" if isinstance(t, LargeBinary) else None
            for t in types
        )
        json_each_sql = None
        if isinstance(self.stmt, Insert) and dialect.name == "sqlite" and JSON_EACH:
            json_each_sql = _json_each_sql(dialect, self.stmt, order, documents)
        done = _Compiled(compiled.string, tuple(order), processors, documents, json_each_sql)
        self._compiled[dialect.name] = done
        return done

    async def run(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        conn = await session.connection()
        c = self._compile(conn.dialect)
        columns = [[row[name] for row in rows] for name in c.names]
        if c.json_each_sql is not None:
            statements = _json_each(c, columns)
            if statements is not None:
                for params in statements:
                    await conn.exec_driver_sql(c.json_each_sql, params)
                return
        for i, process in enumerate(c.processors):
            if process is not None:
                columns[i] = _processed(process, columns[i])
        await conn.exec_driver_sql(c.sql, list(zip(*columns, strict=True)))


# --------------------------------------------------------------------------- SQLite json_each


def _json_each_sql(
    dialect: Dialect, stmt: Insert, names: Sequence[str], documents: Sequence[str | None]
) -> str:
    """Element ``j`` of a row's array is its ``j``-th small value; after them, each
    document column has two elements, the offset and length of its bytes in that
    column's blob (parameter 2, 3, ...); NULL, NULL stands for NULL (``substr`` of
    NULL is NULL). JSON documents are cast to TEXT, as a bound ``str`` would be."""
    small = sum(kind is None for kind in documents)
    exprs = []
    at, blob = 0, 2
    for kind in documents:
        if kind is None:
            exprs.append(f"json_extract(value, '$[{at}]')")
            at += 1
            continue
        pos = small + 2 * (blob - 2)
        at_len = f"json_extract(value, '$[{pos}]'), json_extract(value, '$[{pos + 1}]')"
        expr = f"substr(?{blob}, {at_len})"
        exprs.append(f"CAST({expr} AS TEXT)" if kind == "text" else expr)
        blob += 1
    quote = dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    # No ORDER BY: json_each yields the elements in array order, and a sort would
    # copy every row once more (tests/integration/test_pull_store.py checks the order).
    return (
        f"INSERT INTO {quote.format_table(stmt.table)} ({columns}) "
        f"SELECT {', '.join(exprs)} FROM json_each(?1)"
    )


_SCALARS = frozenset({str, int, bool, type(None)})
"""What travels in the JSON array exactly as the driver would bind it (no floats:
NaN and infinities have no JSON form)."""


def _json_each(c: _Compiled, columns: list[list[Any]]) -> list[tuple[Any, ...]] | None:
    """Parameters of the ``json_each`` INSERT, one tuple per statement (documents of
    at most ``_BLOB_BYTES`` each), or None when a value cannot travel as JSON (the
    caller then uses ``executemany``)."""
    small: list[list[Any]] = []
    docs: list[list[bytes | None]] = []
    for process, kind, values in zip(c.processors, c.documents, columns, strict=True):
        if kind is None:
            values = values if process is None else _processed(process, values)
            if not set(map(type, values)) <= _SCALARS:
                return None
            small.append(values)
        else:
            docs.append(_document_bytes(process, values))
    lengths = [[0 if d is None else len(d) for d in values] for values in docs]
    sizes = [sum(row) for row in zip(*lengths, strict=True)] if docs else [0] * len(columns[0])
    statements = []
    start = 0
    while start < len(sizes):
        end, total = start + 1, sizes[start]
        while end < len(sizes) and total + sizes[end] <= _BLOB_BYTES:
            total += sizes[end]
            end += 1
        params = _statement(small, docs, lengths, start, end)
        if params is None:
            return None
        statements.append(params)
        start = end
    return statements


def _statement(
    small: list[list[Any]],
    docs: list[list[bytes | None]],
    lengths: list[list[int]],
    start: int,
    end: int,
) -> tuple[Any, ...] | None:
    """Rows ``start:end``: the JSON array, then each document column's blob."""
    where: list[list[int | None]] = []
    blobs: list[bytes] = []
    for values, sizes in zip(docs, lengths, strict=True):
        part, size = values[start:end], sizes[start:end]
        offsets = accumulate(size, initial=1)
        where.append([None if d is None else o for d, o in zip(part, offsets, strict=False)])
        where.append([None if d is None else n for d, n in zip(part, size, strict=True)])
        blobs.append(b"".join([d for d in part if d is not None]))
    rows = zip(*(v[start:end] for v in small), *where, strict=True)
    try:
        array = orjson.dumps(list(rows))
    except TypeError:  # a lone surrogate, an integer over 64 bits
        return None
    return (array.decode(), *blobs)


def _document_bytes(process: Callable[[Any], Any] | None, values: list[Any]) -> list[bytes | None]:
    """A document column as bytes: already-serialised JSON (``JsonText``, as the
    database's JSON serialiser takes it) and binary values as they are, anything
    else through the type's processor (a ``dict`` to its JSON text; ``None`` to
    ``null`` for JSON, as the ORM writes it, to NULL for binary)."""
    out: list[bytes | None] = []
    for value in values:
        if not isinstance(value, bytes):
            value = process(value) if process is not None else value
            value = value.encode() if isinstance(value, str) else value
            value = bytes(value) if value is not None else None
        out.append(value)
    return out


def _processed(process: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``process`` over a column, once per run of the same object (one timestamp for
    every row of a batch is converted once)."""
    out = []
    last: Any = _NOTHING
    done: Any = None
    for value in values:
        if value is not last:
            last, done = value, process(value)
        out.append(done)
    return out


_NOTHING = object()
