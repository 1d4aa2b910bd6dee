"""``UtcDateTime`` on SQLite binds through its own one-call formatter: it must write
exactly what SQLAlchemy's generic chain writes, since SQLite compares the text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from roamkit.store.tables import UtcDateTime

DIALECT = sqlite.dialect()
PLUS2 = timezone(timedelta(hours=2))
MINUS_530 = timezone(timedelta(hours=-5, minutes=-30))


def _processor(dialect: Any, generic: bool = False) -> Any:
    """What SQLAlchemy uses for a bound value: the type's dialect implementation."""
    impl = UtcDateTime().dialect_impl(dialect)
    return TypeDecorator.bind_processor(impl, dialect) if generic else impl.bind_processor(dialect)


def _generic(value: Any) -> Any:
    return _processor(DIALECT, generic=True)(value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        datetime(2026, 11, 21, 19, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 21, 19, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 11, 21, 19, 0, 0),  # naive: taken as UTC
        datetime(2026, 3, 29, 1, 30, 5, 7, tzinfo=PLUS2),
        datetime(2026, 1, 1, 0, 0, 0, tzinfo=MINUS_530),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_sqlite_binds_what_the_generic_chain_binds(value: Any) -> None:
    assert _processor(DIALECT)(value) == _generic(value)


@pytest.mark.parametrize(
    "value", [datetime(1, 1, 1, tzinfo=PLUS2), datetime(2026, 1, 1).date(), "2026-01-01"]
)
def test_what_the_generic_chain_refuses_is_refused_alike(value: Any) -> None:
    with pytest.raises(Exception) as fast:
        _processor(DIALECT)(value)
    with pytest.raises(Exception) as generic:
        _generic(value)
    assert type(fast.value) is type(generic.value)


def test_other_databases_keep_the_generic_chain() -> None:
    dialect = postgresql.dialect()
    process, expected = _processor(dialect), _processor(dialect, generic=True)
    value = datetime(2026, 1, 1, tzinfo=PLUS2)
    assert (process(value) if process else value) == (expected(value) if expected else value)
