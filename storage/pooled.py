"""Pooled needs: one need shared by several member employers, hired for by a carrier structure.

A pooled need is an ordinary row of ``needs`` (its ``employer_id`` is the
carrier, who hires) plus a ``pooled_needs`` row (the carrier's contract, the
training body and plan) and its ``pooled_members`` (each member's share:
positions or hours per week). Proposals, ranking and explanations are those of
any need. A hire is placed with members (``pooled_assignments``), and the hours
of mise à disposition are recorded month by month (``pooled_hours``).

``on_pooled_hours(listener)``: listeners run inside the transaction of every
monthly record, with a ``PooledHoursChange``. This is where hours done with a
member who is the titulaire of a lot become clause ledger lines (the draft
lines of the titulaire's declaration, see ``pooling.ledger_line``).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import sqlite_utils

from .base import Conflict, NotFound, get_row, now, select, transaction
from .records import insert_record, update_record

_POOLED_FIELDS = ("carrier_contract", "training_body", "training_plan")


@dataclass(frozen=True)
class PooledHoursChange:
    """Hours of mise à disposition recorded for one assignment and month (inside the writing transaction)."""

    assignment: dict[str, Any]   # the assignment, joined as ``list_assignments`` returns it
    month: str                   # YYYY-MM
    hours: float
    previous_hours: float | None  # None when the month was not recorded before
    actor: str


PooledHoursListener = Callable[[sqlite_utils.Database, PooledHoursChange], None]
_LISTENERS: list[PooledHoursListener] = []


def on_pooled_hours(listener: PooledHoursListener) -> PooledHoursListener:
    """Register what must follow a monthly record of mise-à-disposition hours (a draft clause
    ledger line when the member is a titulaire); runs in the same transaction. Usable as a decorator."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def _members_rows(need_id: int, members: Iterable[Mapping[str, Any]],
                  lots: Mapping[str, int | None] | None = None) -> list[dict[str, Any]]:
    lots = lots or {}
    return [{"need_id": need_id, "employer_id": m["employer_id"], "rank": i, "positions": m.get("positions"),
             "hours_per_week": m.get("hours_per_week"), "lot_id": lots.get(m["employer_id"])}
            for i, m in enumerate(members)]


def create_pooled_need(db: sqlite_utils.Database, need: Mapping[str, Any], pooled: Mapping[str, Any],
                       members: Iterable[Mapping[str, Any]]) -> int:
    """A need carried by ``need["employer_id"]`` (the carrier) for its members; all or nothing."""
    with transaction(db):
        need_id = insert_record(db, "needs", need, {"status": "ouvert"})
        stamp = now()
        db["pooled_needs"].insert({"need_id": need_id, "carrier_id": need["employer_id"],
                                   **{k: pooled.get(k) for k in _POOLED_FIELDS}, "created_at": stamp,
                                   "updated_at": stamp})
        _insert_members(db, need_id, members)
        return need_id


def _insert_members(db: sqlite_utils.Database, need_id: int, members: Iterable[Mapping[str, Any]],
                    lots: Mapping[str, int | None] | None = None) -> None:
    try:
        db["pooled_members"].insert_all(_members_rows(need_id, members, lots))
    except sqlite3.IntegrityError as exc:
        raise Conflict("Un même employeur figure deux fois parmi les membres") from exc


def update_pooled_need(db: sqlite_utils.Database, need_id: int, need: Mapping[str, Any],
                       pooled: Mapping[str, Any], members: Iterable[Mapping[str, Any]], *,
                       expected_version: int | None = None) -> None:
    """Replace the need's fields, the carrier's terms and the members' shares.

    A member who already has hires placed with it stays a member (its hours are on record).
    ``expected_version``: the need's version the form was read at (``StaleVersion`` otherwise).
    """
    members = list(members)
    with transaction(db):
        get_pooled(db, need_id, required=True)
        placed = {r["employer_id"] for r in db.query(
            "SELECT DISTINCT employer_id FROM pooled_assignments WHERE need_id = ?", [need_id])}
        missing = placed - {m["employer_id"] for m in members}
        if missing:
            raise Conflict("Un membre chez qui une embauche est mise à disposition ne peut pas être retiré : "
                           + ", ".join(sorted(missing)))
        update_record(db, "needs", need_id, {k: v for k, v in need.items() if k != "employer_id"},
                      expected_version=expected_version)
        db["pooled_needs"].update(need_id, {**{k: pooled.get(k) for k in _POOLED_FIELDS}, "updated_at": now()})
        # Each member keeps the lot it linked its share to (the carrier's edit does not touch it).
        lots = {r["employer_id"]: r["lot_id"] for r in db.query(
            "SELECT employer_id, lot_id FROM pooled_members WHERE need_id = ?", [need_id])}
        db.execute("DELETE FROM pooled_members WHERE need_id = ?", [need_id])
        _insert_members(db, need_id, members, lots)


_POOLED_SELECT = (
    "SELECT pooled_needs.*, carrier.name AS carrier_name, carrier.subtype AS carrier_subtype "
    "FROM pooled_needs JOIN organisations AS carrier ON carrier.id = pooled_needs.carrier_id "
)


def _with_members(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return rows
    ids = [r["need_id"] for r in rows]
    marks = ",".join("?" * len(ids))
    members: dict[int, list[dict[str, Any]]] = {}
    for m in db.query("SELECT pooled_members.*, organisations.name AS name, organisations.city AS city "
                      "FROM pooled_members JOIN organisations ON organisations.id = pooled_members.employer_id "
                      f"WHERE need_id IN ({marks}) ORDER BY need_id, rank", ids):
        members.setdefault(m["need_id"], []).append(dict(m))
    for r in rows:
        r["members"] = members.get(r["need_id"], [])
        r["member_ids"] = [m["employer_id"] for m in r["members"]]
    return rows


def get_pooled(db: sqlite_utils.Database, need_id: int, *, required: bool = False) -> dict[str, Any] | None:
    """The pooled part of a need (carrier, terms, members and their shares), or None for an ordinary need."""
    try:
        rows = [dict(r) for r in db.query(_POOLED_SELECT + "WHERE pooled_needs.need_id = ?", [need_id])]
    except OverflowError:
        rows = []
    if not rows:
        if required:
            raise NotFound(f"pooled_needs {need_id}")
        return None
    return _with_members(db, rows)[0]


def pooled_by_need(db: sqlite_utils.Database, need_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The pooled part of each of these needs that is pooled (for lists)."""
    ids = list(dict.fromkeys(need_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = [dict(r) for r in db.query(_POOLED_SELECT + f"WHERE pooled_needs.need_id IN ({marks})", ids)]
    return {r["need_id"]: r for r in _with_members(db, rows)}


def list_pooled_needs(db: sqlite_utils.Database, *, carrier_id: str | None = None, member_id: str | None = None,
                      status: str | None = "ouvert") -> list[dict[str, Any]]:
    """Pooled needs (need row + ``pooled``), optionally those of one carrier or with one member."""
    where, params = ["1 = 1"], []
    if carrier_id:
        where.append("pooled_needs.carrier_id = ?")
        params.append(carrier_id)
    if member_id:
        where.append("pooled_needs.need_id IN (SELECT need_id FROM pooled_members WHERE employer_id = ?)")
        params.append(member_id)
    if status:
        where.append("needs.status = ?")
        params.append(status)
    needs = select(db, "needs", "SELECT needs.*, organisations.name AS employer_name FROM needs "
                                "JOIN pooled_needs ON pooled_needs.need_id = needs.id "
                                "JOIN organisations ON organisations.id = needs.employer_id "
                                f"WHERE {' AND '.join(where)} ORDER BY needs.start_date, needs.id", params)
    pooled = pooled_by_need(db, (n["id"] for n in needs))
    return [{**n, "pooled": pooled[n["id"]]} for n in needs]


def link_member_lot(db: sqlite_utils.Database, need_id: int, employer_id: str, lot_id: int | None) -> None:
    """A member links its share to one of its own lots (or unlinks it): the hours of mise à disposition
    done at its place then prepare that lot's declaration lines."""
    with transaction(db):
        if not db.execute("UPDATE pooled_members SET lot_id = ? WHERE need_id = ? AND employer_id = ?",
                          [lot_id, need_id, employer_id]).rowcount:
            raise NotFound(f"pooled_members {need_id}/{employer_id}")


# -- hires placed with members ---------------------------------------------------------------------
def assign_hire(db: sqlite_utils.Database, proposal_id: int, assignments: Iterable[Mapping[str, Any]], *,
                actor: str) -> list[int]:
    """Place a hire of a pooled need with members (mise à disposition), hours per week each."""
    with transaction(db):
        proposal = get_row(db, "proposals", proposal_id)
        pooled = get_pooled(db, proposal["need_id"], required=True)
        ids = []
        for a in assignments:
            if a["employer_id"] not in pooled["member_ids"]:
                raise Conflict(f"{a['employer_id']} n'est pas membre de ce besoin mutualisé")
            try:
                ids.append(int(db["pooled_assignments"].insert({
                    "proposal_id": proposal_id, "need_id": proposal["need_id"], "employer_id": a["employer_id"],
                    "hours_per_week": a["hours_per_week"], "start_date": a["start_date"],
                    "end_date": a.get("end_date"), "created_by": actor, "created_at": now()}).last_pk))
            except sqlite3.IntegrityError as exc:
                raise Conflict("Cette embauche est déjà mise à disposition de ce membre") from exc
        return ids


_ASSIGNMENT_SELECT = (
    "SELECT pooled_assignments.*, organisations.name AS employer_name, profiles.first_name AS first_name, "
    "profiles.consent_at AS consent_at, profiles.id AS profile_id, profiles.siae_id AS siae_id "
    "FROM pooled_assignments JOIN organisations ON organisations.id = pooled_assignments.employer_id "
    "JOIN proposals ON proposals.id = pooled_assignments.proposal_id "
    "JOIN profiles ON profiles.id = proposals.profile_id "
)


def list_assignments(db: sqlite_utils.Database, need_id: int, *, employer_id: str | None = None,
                     proposal_id: int | None = None) -> list[dict[str, Any]]:
    where, params = ["pooled_assignments.need_id = ?"], [need_id]
    if employer_id:
        where.append("pooled_assignments.employer_id = ?")
        params.append(employer_id)
    if proposal_id:
        where.append("pooled_assignments.proposal_id = ?")
        params.append(proposal_id)
    return [dict(r) for r in db.query(_ASSIGNMENT_SELECT + f"WHERE {' AND '.join(where)} "
                                      "ORDER BY pooled_assignments.start_date, pooled_assignments.id", params)]


def get_assignment(db: sqlite_utils.Database, assignment_id: int) -> dict[str, Any]:
    try:
        rows = [dict(r) for r in db.query(_ASSIGNMENT_SELECT + "WHERE pooled_assignments.id = ?", [assignment_id])]
    except OverflowError:
        rows = []
    if not rows:
        raise NotFound(f"pooled_assignments {assignment_id}")
    return rows[0]


def record_hours(db: sqlite_utils.Database, assignment_id: int, month: str, hours: float, *, actor: str) -> bool:
    """Record (or correct) the hours of mise à disposition of one month; return whether anything changed.

    The listeners registered with ``on_pooled_hours`` run in the same transaction.
    """
    with transaction(db):
        assignment = get_assignment(db, assignment_id)
        existing = list(db.query("SELECT id, hours FROM pooled_hours WHERE assignment_id = ? AND month = ?",
                                 [assignment_id, month]))
        previous = existing[0]["hours"] if existing else None
        if previous is not None and float(previous) == float(hours):
            return False
        row = {"assignment_id": assignment_id, "month": month, "hours": hours, "recorded_by": actor,
               "recorded_at": now()}
        if existing:
            db["pooled_hours"].update(existing[0]["id"], row)
        else:
            db["pooled_hours"].insert(row)
        change = PooledHoursChange(assignment, month, float(hours), previous, actor)
        for listener in _LISTENERS:
            listener(db, change)
        return True


def list_hours(db: sqlite_utils.Database, need_id: int, *, employer_id: str | None = None) -> list[dict[str, Any]]:
    """Every monthly record of a pooled need (optionally of one member), by month."""
    where, params = ["pooled_assignments.need_id = ?"], [need_id]
    if employer_id:
        where.append("pooled_assignments.employer_id = ?")
        params.append(employer_id)
    return [dict(r) for r in db.query(
        "SELECT pooled_hours.*, pooled_assignments.employer_id AS employer_id, "
        "pooled_assignments.proposal_id AS proposal_id FROM pooled_hours "
        "JOIN pooled_assignments ON pooled_assignments.id = pooled_hours.assignment_id "
        f"WHERE {' AND '.join(where)} ORDER BY pooled_hours.month, pooled_assignments.employer_id", params)]
