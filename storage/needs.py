"""Employers' needs."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import sqlite_utils

from .base import Conflict, NotFound, get_row, select, transaction
from .records import insert_record, update_record, upsert_records

NEED_STATUSES = {"ouvert": "Ouvert", "pourvu": "Pourvu", "ferme": "Fermé"}


def _check_lot(db: sqlite_utils.Database, lot_id: int | None, employer_id: str) -> None:
    """A need links only to a lot its employer is the titulaire of (the pages and the API choose among
    the employer's own lots; this is the rule's last line)."""
    if lot_id is not None and get_row(db, "lots", lot_id).get("titulaire_id") != employer_id:
        raise Conflict("Ce lot n'est pas attribué à votre entreprise : vous ne pouvez pas y rattacher ce besoin")


def create_need(db: sqlite_utils.Database, data: Mapping[str, Any]) -> int:
    with transaction(db):
        _check_lot(db, data.get("lot_id"), data["employer_id"])
        return insert_record(db, "needs", data, {"status": "ouvert"})


def update_need(db: sqlite_utils.Database, need_id: int, data: Mapping[str, Any], *,
                expected_version: int | None = None) -> int:
    """Change a need; return its new version (``StaleVersion`` if ``expected_version`` is not current).

    ``lot_id`` in ``data`` links the need to that lot (``None`` unlinks it)."""
    with transaction(db):
        if data.get("lot_id") is not None:
            _check_lot(db, data["lot_id"], get_row(db, "needs", need_id)["employer_id"])
        if "lot_id" in data:
            data = {**data, "public_contract_unverified": None}
        return update_record(db, "needs", need_id, data, expected_version=expected_version)


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


def link_need(db: sqlite_utils.Database, need_id: int, lot_id: int | None) -> int:
    """Link a need to a lot (or unlink it with None); a new version of the need. Callers check that the
    need's employer is the lot's titulaire (``permissions.can_link_need_to_lot``); checked here again."""
    return update_need(db, need_id, {"lot_id": lot_id})


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
