"""Rows keyed by a reference (profiles and needs): insert, update, import; the profile change log."""
from __future__ import annotations

import sqlite3
from typing import Any, Iterable, Mapping

import sqlite_utils

from .base import Conflict, check_version, encode_row, get_row, next_version, now, transaction

# How a stale write names the record in its French message.
_WHAT = {"profiles": "ce profil", "needs": "ce besoin"}
_DUPLICATE = {
    "profiles": "La référence « {} » est déjà utilisée",
    "needs": "La référence d'offre « {} » est déjà utilisée",
}


def insert_record(db: sqlite_utils.Database, table: str, data: Mapping[str, Any], defaults: Mapping[str, Any]) -> int:
    stamp = now()
    row = encode_row(table, {**defaults, **data, "created_at": stamp, "updated_at": stamp, "version": 1})
    row.pop("id", None)
    try:
        pk = int(db[table].insert(row).last_pk)
    except sqlite3.IntegrityError as exc:
        raise Conflict(_DUPLICATE[table].format(data.get("reference"))) from exc
    if table == "profiles":
        record_profile_change(db, pk)
    return pk


def update_record(db: sqlite_utils.Database, table: str, pk: int, data: Mapping[str, Any], *,
                  expected_version: int | None = None) -> int:
    """Change a row; return its new version. ``expected_version``: the version the writer read
    (``StaleVersion`` when the row changed since, checked under the write lock)."""
    with transaction(db):
        current = get_row(db, table, pk)
        check_version(current, expected_version, _WHAT[table])
        version = next_version(current)
        row = encode_row(table, {**data, "updated_at": now(), "version": version})
        row.pop("id", None)
        try:
            db[table].update(pk, row)
        except sqlite3.IntegrityError as exc:
            raise Conflict(_DUPLICATE[table].format(data.get("reference"))) from exc
        if table == "profiles":
            record_profile_change(db, pk)
        return version


def upsert_records(db: sqlite_utils.Database, table: str, rows: Iterable[Mapping[str, Any]], find, check=None,
            defaults: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Import rows keyed by reference, all or nothing; identical rows are left alone."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction(db):
        for data in rows:
            existing = find(data)
            if existing is None:
                insert_record(db, table, data, defaults or {})
                counts["created"] += 1
                continue
            if check:
                check(existing, data)
            if encode_row(table, {k: existing.get(k) for k in data}) == encode_row(table, data):
                counts["unchanged"] += 1
                continue
            update_record(db, table, existing["id"], data)
            counts["updated"] += 1
    return counts


# -- change log: lets each process bring its matching index up to date --------
def record_profile_change(db: sqlite_utils.Database, profile_id: int) -> None:
    db["profile_changes"].insert({"profile_id": profile_id, "at": now()})


def last_profile_change(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM profile_changes").fetchone()[0]


def profile_changes_since(db: sqlite_utils.Database, seq: int) -> tuple[int, list[int]]:
    """The newest change number and the profiles changed after ``seq`` (each once)."""
    rows = db.execute("SELECT seq, profile_id FROM profile_changes WHERE seq > ? ORDER BY seq", [seq]).fetchall()
    if not rows:
        return seq, []
    return rows[-1][0], list(dict.fromkeys(r[1] for r in rows))
