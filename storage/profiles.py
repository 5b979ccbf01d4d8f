"""Job-seekers' profiles."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import sqlite_utils

from .base import Conflict, get_row, select, transaction
from .records import insert_record, update_record, upsert_records

def create_profile(db: sqlite_utils.Database, data: Mapping[str, Any]) -> int:
    """Insert a profile; raise ``Conflict`` if its reference is taken."""
    with transaction(db):
        return insert_record(db, "profiles", data, {"archived": 0})


def update_profile(db: sqlite_utils.Database, profile_id: int, data: Mapping[str, Any], *,
                   expected_version: int | None = None) -> int:
    """Change a profile; return its new version (``StaleVersion`` if ``expected_version`` is not current)."""
    return update_record(db, "profiles", profile_id, data, expected_version=expected_version)


def set_profile_archived(db: sqlite_utils.Database, profile_id: int, archived: bool) -> int:
    return update_record(db, "profiles", profile_id, {"archived": int(archived)})


def get_profile(db: sqlite_utils.Database, profile_id: int) -> dict[str, Any]:
    return get_row(db, "profiles", profile_id)


def profile_by_reference(db: sqlite_utils.Database, reference: str) -> dict[str, Any] | None:
    rows = select(db, "profiles", "SELECT * FROM profiles WHERE reference = ?", [reference])
    return rows[0] if rows else None


def list_profiles(db: sqlite_utils.Database, *, siae_id: str | None = None, include_archived: bool = False,
                  search: str | None = None) -> list[dict[str, Any]]:
    where, params = ["1 = 1"], []
    if siae_id:
        where.append("siae_id = ?")
        params.append(siae_id)
    if not include_archived:
        where.append("archived = 0")
    if search:
        where.append("(first_name LIKE ? OR reference LIKE ? OR skills_text LIKE ?)")
        params += [f"%{search}%"] * 3
    return select(db, "profiles", f"SELECT * FROM profiles WHERE {' AND '.join(where)} ORDER BY reference", params)


def upsert_profiles(db: sqlite_utils.Database, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Import profiles keyed by ``reference`` (unique across structures), all or nothing."""

    def same_structure(existing: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        if existing["siae_id"] != data.get("siae_id"):
            raise Conflict(f"La référence « {data['reference']} » appartient à une autre structure")

    return upsert_records(db, "profiles", rows, lambda d: profile_by_reference(db, d["reference"]), same_structure,
                   {"archived": 0})
