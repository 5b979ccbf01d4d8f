"""Employers' needs."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import sqlite_utils

from .base import Conflict, NotFound, get_row, now, select, transaction
from .records import insert_record, update_record, upsert_records

NEED_STATUSES = {"ouvert": "Ouvert", "pourvu": "Pourvu", "ferme": "Fermé"}


def create_need(db: sqlite_utils.Database, data: Mapping[str, Any]) -> int:
    with transaction(db):
        return insert_record(db, "needs", data, {"status": "ouvert"})


def update_need(db: sqlite_utils.Database, need_id: int, data: Mapping[str, Any]) -> None:
    update_record(db, "needs", need_id, data)


# A need's link to a lot is shown only while the need's employer is that lot's titulaire
# (a lot awarded to another company drops the link on read as well as on write).
_NEED_SELECT = (
    "SELECT needs.*, organisations.name AS employer_name, contracts.reference AS linked_contract_reference, "
    "contracts.title AS linked_contract_title, lots.number AS lot_number, lots.title AS lot_title, "
    "lots.titulaire_id AS lot_titulaire_id FROM needs "
    "JOIN organisations ON organisations.id = needs.employer_id "
    "LEFT JOIN lots ON lots.id = needs.lot_id LEFT JOIN contracts ON contracts.id = lots.contract_id "
)


def _linked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``public_contract`` is the reference of the linked lot's contract, never typed text."""
    for row in rows:
        if row.get("lot_id") and row.get("lot_titulaire_id") != row["employer_id"]:
            row.update(lot_id=None, linked_contract_reference=None, linked_contract_title=None, lot_number=None,
                       lot_title=None)
        row["public_contract"] = row.get("linked_contract_reference")
    return rows


def get_need(db: sqlite_utils.Database, need_id: int) -> dict[str, Any]:
    try:
        rows = select(db, "needs", _NEED_SELECT + "WHERE needs.id = ?", [need_id])
    except OverflowError:
        rows = []
    if not rows:
        raise NotFound(f"needs {need_id}")
    return _linked(rows)[0]


def link_need(db: sqlite_utils.Database, need_id: int, lot_id: int | None) -> None:
    """Link a need to a lot (or unlink it with None). Callers check that the need's employer is the
    lot's titulaire (``permissions.can_link_need_to_lot``); checked here again, as a Conflict."""
    with transaction(db):
        need = get_row(db, "needs", need_id)
        if lot_id is not None:
            lot = get_row(db, "lots", lot_id)
            if lot.get("titulaire_id") != need["employer_id"]:
                raise Conflict("Ce lot n'est pas attribué à votre entreprise : vous ne pouvez pas y rattacher ce besoin")
        db["needs"].update(need_id, {"lot_id": lot_id, "public_contract_unverified": None, "updated_at": now()})


def linked_needs(db: sqlite_utils.Database, lot_id: int, *, status: str | None = None) -> list[dict[str, Any]]:
    """Needs of the lot's titulaire linked to this lot."""
    where, params = ["needs.lot_id = ?", "needs.employer_id = lots.titulaire_id"], [lot_id]
    if status:
        where.append("needs.status = ?")
        params.append(status)
    return _linked(select(db, "needs", _NEED_SELECT + f"WHERE {' AND '.join(where)} ORDER BY needs.id", params))


def list_needs(db: sqlite_utils.Database, *, employer_id: str | None = None,
               status: str | None = "ouvert") -> list[dict[str, Any]]:
    where, params = ["1 = 1"], []
    if employer_id:
        where.append("needs.employer_id = ?")
        params.append(employer_id)
    if status:
        where.append("needs.status = ?")
        params.append(status)
    sql = _NEED_SELECT + f"WHERE {' AND '.join(where)} ORDER BY needs.start_date, needs.id"
    return _linked(select(db, "needs", sql, params))


def need_by_reference(db: sqlite_utils.Database, employer_id: str, reference: str) -> dict[str, Any] | None:
    rows = select(db, "needs", "SELECT * FROM needs WHERE employer_id = ? AND reference = ?", [employer_id, reference])
    return rows[0] if rows else None


def upsert_needs(db: sqlite_utils.Database, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Import needs keyed by (employer, reference), all or nothing."""
    return upsert_records(db, "needs", rows, lambda d: need_by_reference(db, d["employer_id"], d["reference"]),
                   defaults={"status": "ouvert"})
