"""A titulaire's monthly declarations of a lot's hours: lines, states, history; reminders sent.

A declaration is one lot and one month. Its lines stay in ``declaration_lines``
while the titulaire prepares it (``brouillon``), sends it (``soumise``), or
corrects it after a rejection (``rejetee``); the buyer's validation writes them
to the hours ledger (``ledger_entries.declaration_id``), and only then do they
count. Every step is an event (who, when, why, what changed).
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

import sqlite_utils

from .base import Conflict, NotFound, get_row, now, select, transaction

DRAFT, SUBMITTED, VALIDATED, REJECTED = "brouillon", "soumise", "validee", "rejetee"
DECLARATION_DRAFT, DECLARATION_SUBMITTED, DECLARATION_VALIDATED, DECLARATION_REJECTED = DRAFT, SUBMITTED, VALIDATED, REJECTED
DECLARATION_STATUSES: dict[str, str] = {
    DRAFT: "Brouillon",
    SUBMITTED: "Transmise, à valider",
    VALIDATED: "Validée",
    REJECTED: "Rejetée",
}
# The titulaire may change its lines in these states; the buyer decides on submitted ones.
EDITABLE_STATUSES = frozenset({DRAFT, REJECTED})

LINE_FIELDS = ("participant_reference", "participant_id", "proposal_id", "hours", "modality", "employer_name",
               "contract_type", "contract_start", "contract_end", "category", "proof_kind", "proof_date",
               "exit_situation")

_SELECT = ("SELECT declarations.*, lots.number AS lot_number, lots.title AS lot_title, "
           "lots.titulaire_id AS titulaire_id, lots.titulaire AS titulaire, contracts.buyer_id AS buyer_id, "
           "contracts.reference AS contract_reference, contracts.title AS contract_title, "
           "(SELECT COUNT(*) FROM declaration_lines WHERE declaration_id = declarations.id) AS line_count, "
           "(SELECT COALESCE(SUM(hours), 0) FROM declaration_lines WHERE declaration_id = declarations.id) AS hours "
           "FROM declarations JOIN lots ON lots.id = declarations.lot_id "
           "JOIN contracts ON contracts.id = declarations.contract_id ")


def get_declaration(db: sqlite_utils.Database, declaration_id: int) -> dict[str, Any]:
    try:
        rows = select(db, "declarations", _SELECT + "WHERE declarations.id = ?", [declaration_id])
    except OverflowError:
        rows = []
    if not rows:
        raise NotFound(f"declarations {declaration_id}")
    return rows[0]


def declaration_for(db: sqlite_utils.Database, lot_id: int, month: str) -> dict[str, Any] | None:
    rows = select(db, "declarations", _SELECT + "WHERE declarations.lot_id = ? AND declarations.month = ?",
                  [lot_id, month])
    return rows[0] if rows else None


def ensure_declaration(db: sqlite_utils.Database, contract_id: int, lot_id: int, month: str) -> dict[str, Any]:
    """The lot's declaration of that month, created as a draft when there is none."""
    with transaction(db):
        existing = declaration_for(db, lot_id, month)
        if existing:
            return existing
        stamp = now()
        db["declarations"].insert({"contract_id": contract_id, "lot_id": lot_id, "month": month, "status": DRAFT,
                                   "created_at": stamp, "updated_at": stamp})
        return declaration_for(db, lot_id, month)


def list_declarations(db: sqlite_utils.Database, *, lot_id: int | None = None, contract_id: int | None = None,
                      status: str | None = None) -> list[dict[str, Any]]:
    where, params = ["1 = 1"], []
    for column, value in (("declarations.lot_id", lot_id), ("declarations.contract_id", contract_id),
                          ("declarations.status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return select(db, "declarations", _SELECT + f"WHERE {' AND '.join(where)} "
                  "ORDER BY declarations.month DESC, lots.number", params)


def declaration_lines(db: sqlite_utils.Database, declaration_id: int) -> list[dict[str, Any]]:
    return select(db, "declaration_lines", "SELECT * FROM declaration_lines WHERE declaration_id = ? "
                  "ORDER BY position, id", [declaration_id])


def get_declaration_line(db: sqlite_utils.Database, line_id: int) -> dict[str, Any]:
    return get_row(db, "declaration_lines", line_id)


def _line_row(declaration_id: int, position: int, data: Mapping[str, Any]) -> dict[str, Any]:
    stamp = now()
    return {**{k: data.get(k) for k in LINE_FIELDS}, "declaration_id": declaration_id, "position": position,
            "created_at": stamp, "updated_at": stamp}


def add_declaration_line(db: sqlite_utils.Database, declaration_id: int, data: Mapping[str, Any]) -> int:
    with transaction(db):
        position = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM declaration_lines WHERE declaration_id = ?",
                              [declaration_id]).fetchone()[0]
        return int(db["declaration_lines"].insert(_line_row(declaration_id, position, data)).last_pk)


def replace_declaration_lines(db: sqlite_utils.Database, declaration_id: int,
                              lines: Iterable[Mapping[str, Any]]) -> None:
    """The titulaire's lines of a draft (or rejected) declaration, as typed: all of them, in order."""
    with transaction(db):
        declaration = get_row(db, "declarations", declaration_id)
        if declaration["status"] not in EDITABLE_STATUSES:
            raise Conflict("Cette déclaration est transmise : elle ne se modifie plus (demandez une correction à "
                           "l'acheteur)")
        db.execute("DELETE FROM declaration_lines WHERE declaration_id = ?", [declaration_id])
        for position, data in enumerate(lines, start=1):
            db["declaration_lines"].insert(_line_row(declaration_id, position, data))
        db["declarations"].update(declaration_id, {"updated_at": now()})


def update_declaration_line(db: sqlite_utils.Database, line_id: int, data: Mapping[str, Any]) -> None:
    with transaction(db):
        get_row(db, "declaration_lines", line_id)
        db["declaration_lines"].update(line_id, {**{k: v for k, v in data.items() if k in LINE_FIELDS},
                                                 "updated_at": now()})


def set_declaration_status(db: sqlite_utils.Database, declaration_id: int, status: str, *, actor: str,
                           action: str, reason: str | None = None,
                           changes: Mapping[str, Any] | None = None) -> None:
    """Move a declaration to ``status`` and record the step (who, when, why, what changed)."""
    if status not in DECLARATION_STATUSES:
        raise ValueError(f"unknown declaration status {status!r}")
    with transaction(db):
        get_row(db, "declarations", declaration_id)
        stamp = now()
        update: dict[str, Any] = {"status": status, "updated_at": stamp}
        if status == SUBMITTED:
            update.update(submitted_at=stamp, submitted_by=actor, rejection_reason=None)
        elif status in (VALIDATED, REJECTED):
            update.update(decided_at=stamp, decided_by=actor, rejection_reason=reason if status == REJECTED else None)
        db["declarations"].update(declaration_id, update)
        add_declaration_event(db, declaration_id, action, actor=actor, reason=reason, changes=changes)


def add_declaration_event(db: sqlite_utils.Database, declaration_id: int, action: str, *, actor: str,
                          reason: str | None = None, changes: Mapping[str, Any] | None = None) -> None:
    db["declaration_events"].insert({"declaration_id": declaration_id, "action": action, "actor": actor, "at": now(),
                                     "reason": reason, "changes": json.dumps(dict(changes or {}), ensure_ascii=False)})


def declaration_events(db: sqlite_utils.Database, declaration_id: int) -> list[dict[str, Any]]:
    return select(db, "declaration_events", "SELECT * FROM declaration_events WHERE declaration_id = ? ORDER BY id",
                  [declaration_id])


def declared_months(db: sqlite_utils.Database, lot_ids: Iterable[int]) -> dict[int, set[str]]:
    """Months whose hours are declared, per lot: a validated declaration (even of zero hours), or
    ledger lines typed or imported by the buyer."""
    ids = list(dict.fromkeys(lot_ids))
    result: dict[int, set[str]] = {i: set() for i in ids}
    if not ids:
        return result
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        f"SELECT lot_id, month FROM declarations WHERE status = ? AND lot_id IN ({marks}) "
        f"UNION SELECT lot_id, month FROM ledger_entries WHERE deleted = 0 AND lot_id IN ({marks})",
        [VALIDATED, *ids, *ids]).fetchall()
    for lot_id, month in rows:
        result[lot_id].add(month)
    return result


# -- reminders: one per lot and missing month -----------------------------------
def reminders_sent(db: sqlite_utils.Database, lot_ids: Iterable[int]) -> set[tuple[int, str]]:
    ids = list(dict.fromkeys(lot_ids))
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    return {(r[0], r[1]) for r in db.execute(f"SELECT lot_id, month FROM clause_reminders WHERE lot_id IN ({marks})",
                                             ids).fetchall()}


def record_reminder(db: sqlite_utils.Database, lot_id: int, month: str) -> None:
    with transaction(db):
        db["clause_reminders"].insert({"lot_id": lot_id, "month": month, "sent_at": now()}, ignore=True)
