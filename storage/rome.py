"""France Travail's ROME, as imported."""
from __future__ import annotations

from typing import Any, Mapping

import sqlite_utils

from .base import transaction

ROME_TABLES = ("rome_metiers", "rome_appellations", "rome_items", "rome_metier_items", "rome_mobility", "rome_naf",
               "rome_naf_metiers")


def replace_rome(db: sqlite_utils.Database, version: str, rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Replace the imported ROME by a new release, in one transaction."""
    with transaction(db):
        for table in ROME_TABLES:
            db.execute(f"DELETE FROM {table}")
        for table in ROME_TABLES:
            db[table].insert_all(rows.get(table, []), batch_size=5000)
        db["meta"].upsert({"key": "rome_version", "value": version}, pk="key")
    return {table: len(rows.get(table, [])) for table in ROME_TABLES}


def rome_version(db: sqlite_utils.Database) -> str | None:
    rows = list(db.query("SELECT value FROM meta WHERE key = 'rome_version'"))
    return rows[0]["value"] if rows else None


def rome_rows(db: sqlite_utils.Database) -> dict[str, list[dict[str, Any]]]:
    return {table: list(db[table].rows) for table in ROME_TABLES}
