"""What every aggregate module shares: errors, timestamps, JSON columns, transactions.

Rows come back as plain dicts with JSON columns decoded. Every write that
touches more than one row runs in ``transaction(db)``: ``BEGIN IMMEDIATE``
takes the write lock at the start, so two processes never both read then try
to upgrade to a write (the case where SQLite's busy timeout cannot help and
answers "database is locked" at once). Nested blocks become savepoints.
"""
from __future__ import annotations

import contextlib
import json
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo
from typing import Any, Iterable, Iterator, Mapping

import sqlite_utils
from sqlite_utils.db import NotFoundError

# Columns stored as JSON text, decoded on read.
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "profiles": ("experiences", "eligibility", "skill_map"),
    "ledger_versions": ("data",),
    "needs": ("skills", "skill_map"),
    "proposals": ("explanation",),
    "declaration_events": ("changes",),
    "notifications": ("context",),
    "mail_queue": ("context",),
    "followup_checkins": ("difficulties",),
}
# JSON columns holding an object (decoded to {} when empty); the others hold lists.
_JSON_OBJECTS = {"explanation", "data", "changes", "context"}


class NotFound(LookupError):
    """No row with this id (or not visible to the caller)."""


class Conflict(ValueError):
    """The write would break a uniqueness or workflow rule; the message is in French."""


class StaleVersion(Conflict):
    """The row changed since the writer read it (optimistic concurrency): nothing was written.

    ``current`` is the row as it is now, so the caller can show the other person's change.
    """

    def __init__(self, message: str, current: dict[str, Any]) -> None:
        super().__init__(message)
        self.current = current


STALE_MESSAGE = ("Quelqu'un d'autre a modifié {what} pendant votre saisie : rien n'a été enregistré. "
                 "Vérifiez ses changements, puis enregistrez à nouveau.")


def check_version(row: Mapping[str, Any], expected: int | None, what: str) -> None:
    """Refuse a write based on an older read. ``expected`` None: the caller read nothing to compare
    (a script's partial update); the write is applied as is."""
    if expected is not None and int(row.get("version") or 1) != int(expected):
        raise StaleVersion(STALE_MESSAGE.format(what=what), dict(row))


def next_version(row: Mapping[str, Any]) -> int:
    return int(row.get("version") or 1) + 1


def now() -> str:
    """The current time in UTC, to the second, ISO 8601 (what every ``*_at`` column holds)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


# Dates of the people's lives (a hire, a check-in, an exit) are days in France.
LOCAL_TIMEZONE = ZoneInfo("Europe/Paris")


def today() -> date:
    """Today's date in France (what every ``*_on`` and ``*_date`` column holds)."""
    return datetime.now(timezone.utc).astimezone(LOCAL_TIMEZONE).date()


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """All or nothing: the block's writes commit together or not at all.

    The outermost block starts with ``BEGIN IMMEDIATE`` (write lock taken
    first, waiting up to the busy timeout); an inner block is a savepoint, so
    storage functions compose: a view can wrap a change and its audit row in
    one transaction.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise


def decode_row(table: str, row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row)
    for column in JSON_COLUMNS.get(table, ()):
        value = out.get(column)
        if isinstance(value, str) and value:
            out[column] = json.loads(value)
        elif value is None or value == "":
            out[column] = {} if column in _JSON_OBJECTS else []
    return out


def encode_row(table: str, data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for column in JSON_COLUMNS.get(table, ()):
        if column in out and not isinstance(out[column], str):
            out[column] = json.dumps(out[column], ensure_ascii=False)
    for key, value in out.items():
        if isinstance(value, bool):
            out[key] = int(value)
    return out


def select(db: sqlite_utils.Database, table: str, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Rows of a query, decoded as rows of ``table``."""
    return [decode_row(table, r) for r in db.query(sql, list(params))]


def get_row(db: sqlite_utils.Database, table: str, pk: Any) -> dict[str, Any]:
    try:
        return decode_row(table, db[table].get(pk))
    except (NotFoundError, OverflowError) as exc:  # an id beyond 64 bits exists nowhere
        raise NotFound(f"{table} {pk}") from exc


def iter_table(db: sqlite_utils.Database, table: str) -> Iterator[dict[str, Any]]:
    for row in db[table].rows:
        yield decode_row(table, row)

