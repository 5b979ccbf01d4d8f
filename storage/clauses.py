"""Insertion clauses: contracts, lots, participants, the hours ledger with its history."""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable, Mapping

import sqlite_utils

from .base import Conflict, check_version, encode_row, get_row, next_version, now, select, transaction

def create_contract(db: sqlite_utils.Database, data: Mapping[str, Any]) -> int:
    stamp = now()
    try:
        with transaction(db):
            return int(db["contracts"].insert(encode_row("contracts", {**data, "created_at": stamp,
                                                                     "updated_at": stamp, "version": 1})).last_pk)
    except sqlite3.IntegrityError as exc:
        raise Conflict(f"La référence de marché « {data.get('reference')} » est déjà utilisée") from exc


def update_contract(db: sqlite_utils.Database, contract_id: int, data: Mapping[str, Any], *,
                    expected_version: int | None = None) -> int:
    """Change a contract; return its new version (``StaleVersion`` if ``expected_version`` is not current)."""
    with transaction(db):
        current = get_row(db, "contracts", contract_id)
        check_version(current, expected_version, "ce marché")
        version = next_version(current)
        try:
            db["contracts"].update(contract_id, encode_row("contracts", {**data, "updated_at": now(),
                                                                       "version": version}))
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"La référence de marché « {data.get('reference')} » est déjà utilisée") from exc
        return version


def get_contract(db: sqlite_utils.Database, contract_id: int) -> dict[str, Any]:
    return get_row(db, "contracts", contract_id)


def contract_by_reference(db: sqlite_utils.Database, buyer_id: str, reference: str) -> dict[str, Any] | None:
    rows = select(db, "contracts", "SELECT * FROM contracts WHERE buyer_id = ? AND reference = ?", [buyer_id, reference])
    return rows[0] if rows else None


def list_contracts(db: sqlite_utils.Database, *, buyer_id: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT contracts.*, organisations.name AS buyer_name FROM contracts "
           "JOIN organisations ON organisations.id = contracts.buyer_id")
    if buyer_id:
        return select(db, "contracts", sql + " WHERE buyer_id = ? ORDER BY start_date, id", [buyer_id])
    return select(db, "contracts", sql + " ORDER BY start_date, id")


def save_lot(db: sqlite_utils.Database, data: Mapping[str, Any], lot_id: int | None = None, *,
             expected_version: int | None = None) -> int:
    """Create a lot, or replace the fields of an existing one (``StaleVersion`` if it changed since
    ``expected_version`` was read)."""
    stamp = now()
    try:
        with transaction(db):
            if lot_id is None:
                return int(db["lots"].insert(encode_row("lots", {**data, "created_at": stamp, "updated_at": stamp,
                                                                 "version": 1})).last_pk)
            current = get_row(db, "lots", lot_id)
            check_version(current, expected_version, "ce lot")
            db["lots"].update(lot_id, encode_row("lots", {**data, "updated_at": stamp,
                                                          "version": next_version(current)}))
            return lot_id
    except sqlite3.IntegrityError as exc:
        raise Conflict(f"Le lot n° {data.get('number')} existe déjà dans ce marché") from exc


def get_lot(db: sqlite_utils.Database, lot_id: int) -> dict[str, Any]:
    return get_row(db, "lots", lot_id)


def list_lots(db: sqlite_utils.Database, contract_id: int | None = None) -> list[dict[str, Any]]:
    if contract_id is None:
        return select(db, "lots", "SELECT * FROM lots ORDER BY contract_id, number")
    return select(db, "lots", "SELECT * FROM lots WHERE contract_id = ? ORDER BY number", [contract_id])


def participant_by_reference(db: sqlite_utils.Database, contract_id: int, reference: str) -> dict[str, Any] | None:
    rows = select(db, "participants", "SELECT * FROM participants WHERE contract_id = ? AND reference = ?",
                 [contract_id, reference])
    return rows[0] if rows else None


def save_participant(db: sqlite_utils.Database, data: Mapping[str, Any]) -> int:
    """Create or update a participant of a contract, keyed by (contract, reference); return its id."""
    with transaction(db):
        existing = participant_by_reference(db, data["contract_id"], data["reference"])
        if existing is None:
            stamp = now()
            return int(db["participants"].insert(encode_row("participants", {
                "exit_situation": "en_cours", **data, "created_at": stamp, "updated_at": stamp})).last_pk)
        changes = {k: v for k, v in encode_row("participants", data).items() if existing.get(k) != v}
        if changes:
            db["participants"].update(existing["id"], {**changes, "updated_at": now()})
        return int(existing["id"])


def participants_by_id(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {r["id"]: r for r in select(db, "participants", f"SELECT * FROM participants WHERE id IN ({marks})", ids)}


_ENTRY_FIELDS = ("lot_id", "participant_id", "month", "hours", "modality", "employer_name", "contract_type",
                 "contract_start", "contract_end")


def _entry_version(db: sqlite_utils.Database, entry_id: int, action: str, actor: str) -> None:
    entry = get_row(db, "ledger_entries", entry_id)
    db["ledger_versions"].insert({
        "entry_id": entry_id, "version": entry["version"], "action": action,
        "data": json.dumps({k: entry.get(k) for k in (*_ENTRY_FIELDS, "deleted")}, ensure_ascii=False),
        "changed_by": actor, "changed_at": now(),
    })


def create_entry(db: sqlite_utils.Database, contract_id: int, data: Mapping[str, Any], *, actor: str,
                 action: str = "création") -> int:
    with transaction(db):
        stamp = now()
        entry_id = int(db["ledger_entries"].insert({
            **{k: data.get(k) for k in _ENTRY_FIELDS}, "contract_id": contract_id, "deleted": 0, "version": 1,
            "created_at": stamp, "updated_at": stamp}).last_pk)
        _entry_version(db, entry_id, action, actor)
        return entry_id


def correct_entry(db: sqlite_utils.Database, entry_id: int, data: Mapping[str, Any], *, actor: str,
                  action: str = "correction", expected_version: int | None = None) -> bool:
    """Change a ledger entry, keeping the earlier version; return whether anything changed.

    ``expected_version``: the version the corrector read (``StaleVersion`` if it changed since).
    """
    with transaction(db):
        entry = get_row(db, "ledger_entries", entry_id)
        check_version(entry, expected_version, "cette ligne du registre")
        changes = {k: data[k] for k in _ENTRY_FIELDS if k in data and data[k] != entry.get(k)}
        if not changes and not entry["deleted"]:
            return False
        db["ledger_entries"].update(entry_id, {**changes, "deleted": 0, "version": entry["version"] + 1,
                                               "updated_at": now()})
        _entry_version(db, entry_id, action, actor)
        return True


def delete_entry(db: sqlite_utils.Database, entry_id: int, *, actor: str,
                 expected_version: int | None = None) -> None:
    """Withdraw a ledger entry; it stays in the history."""
    with transaction(db):
        entry = get_row(db, "ledger_entries", entry_id)
        check_version(entry, expected_version, "cette ligne du registre")
        db["ledger_entries"].update(entry_id, {"deleted": 1, "version": entry["version"] + 1, "updated_at": now()})
        _entry_version(db, entry_id, "suppression", actor)


def get_entry(db: sqlite_utils.Database, entry_id: int) -> dict[str, Any]:
    return get_row(db, "ledger_entries", entry_id)


def list_entries(db: sqlite_utils.Database, contract_id: int) -> list[dict[str, Any]]:
    sql = ("SELECT ledger_entries.*, participants.reference AS participant_reference, "
           "participants.category AS category, lots.number AS lot_number FROM ledger_entries "
           "JOIN participants ON participants.id = ledger_entries.participant_id "
           "JOIN lots ON lots.id = ledger_entries.lot_id "
           "WHERE ledger_entries.contract_id = ? AND ledger_entries.deleted = 0 "
           "ORDER BY ledger_entries.month, lots.number, participants.reference, ledger_entries.id")
    return select(db, "ledger_entries", sql, [contract_id])


def entry_history(db: sqlite_utils.Database, entry_id: int) -> list[dict[str, Any]]:
    return select(db, "ledger_versions", "SELECT * FROM ledger_versions WHERE entry_id = ? ORDER BY version, id",
                 [entry_id])


def find_entry(db: sqlite_utils.Database, lot_id: int, participant_id: int, month: str,
               modality: str) -> dict[str, Any] | None:
    """The entry a re-import of the same line would update."""
    rows = select(db, "ledger_entries", "SELECT * FROM ledger_entries WHERE lot_id = ? AND participant_id = ? "
                 "AND month = ? AND modality = ? ORDER BY id", [lot_id, participant_id, month, modality])
    return rows[0] if rows else None
