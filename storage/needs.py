"""Employers' needs."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import sqlite_utils

from .base import get_row, select, transaction
from .records import insert_record, update_record, upsert_records

NEED_STATUSES = {"ouvert": "Ouvert", "pourvu": "Pourvu", "ferme": "Fermé"}


def create_need(db: sqlite_utils.Database, data: Mapping[str, Any]) -> int:
    with transaction(db):
        return insert_record(db, "needs", data, {"status": "ouvert"})


def update_need(db: sqlite_utils.Database, need_id: int, data: Mapping[str, Any], *,
                expected_version: int | None = None) -> int:
    """Change a need; return its new version (``StaleVersion`` if ``expected_version`` is not current)."""
    return update_record(db, "needs", need_id, data, expected_version=expected_version)


def get_need(db: sqlite_utils.Database, need_id: int) -> dict[str, Any]:
    return get_row(db, "needs", need_id)


def list_needs(db: sqlite_utils.Database, *, employer_id: str | None = None,
               status: str | None = "ouvert") -> list[dict[str, Any]]:
    where, params = ["1 = 1"], []
    if employer_id:
        where.append("needs.employer_id = ?")
        params.append(employer_id)
    if status:
        where.append("needs.status = ?")
        params.append(status)
    sql = (
        "SELECT needs.*, organisations.name AS employer_name FROM needs "
        "JOIN organisations ON organisations.id = needs.employer_id "
        f"WHERE {' AND '.join(where)} ORDER BY needs.start_date, needs.id"
    )
    return select(db, "needs", sql, params)


def need_by_reference(db: sqlite_utils.Database, employer_id: str, reference: str) -> dict[str, Any] | None:
    rows = select(db, "needs", "SELECT * FROM needs WHERE employer_id = ? AND reference = ?", [employer_id, reference])
    return rows[0] if rows else None


def upsert_needs(db: sqlite_utils.Database, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Import needs keyed by (employer, reference), all or nothing."""
    return upsert_records(db, "needs", rows, lambda d: need_by_reference(db, d["employer_id"], d["reference"]),
                   defaults={"status": "ouvert"})
