"""A structure's employer network: employers it works with (with or without a Passerelle account),
their contacts, the log of visits, calls and events with the next actions, and the hiring the CRE
expects ("besoins pressentis").

An entry belongs to one structure (``siae_id``); ``shared`` lets the structures of its territory
read it (who may read what is decided in ``permissions.py``). No person coached by a structure is
ever linked to an entry: the network holds employers' data only.
"""
from __future__ import annotations

import re
import sqlite3
from typing import Any, Iterable, Mapping

import sqlite_utils

from .base import Conflict, NotFound, encode_row, get_row, now, select, transaction

ENTRY_FIELDS = ("reference", "name", "siret", "naf_code", "address", "postcode", "city", "lat", "lon", "size",
                "notes", "shared", "organisation_id")
CONTACT_FIELDS = ("name", "role", "phone", "email")
POTENTIAL_FIELDS = ("metier", "metier_id", "rome_code", "count", "expected", "notes")
EVENT_FIELDS = ("kind", "date", "summary", "next_action", "next_action_date")


def _entry_row(data: Mapping[str, Any]) -> dict[str, Any]:
    return encode_row("network_employers", {k: data.get(k) for k in ENTRY_FIELDS if k in data})


def next_reference(db: sqlite_utils.Database, siae_id: str) -> str:
    """The next free "ENT-0001"-style reference of a structure's network."""
    numbers = [int(m.group(1)) for (ref,) in db.execute(
        "SELECT reference FROM network_employers WHERE siae_id = ?", [siae_id]).fetchall()
        if (m := re.fullmatch(r"ENT-(\d+)", ref or ""))]
    return f"ENT-{max(numbers, default=0) + 1:04d}"


def create_network_employer(db: sqlite_utils.Database, siae_id: str, data: Mapping[str, Any], *,
                            contacts: Iterable[Mapping[str, Any]] = (),
                            potentials: Iterable[Mapping[str, Any]] = ()) -> int:
    """Add an employer to a structure's network (a reference is chosen when none is given)."""
    with transaction(db):
        stamp = now()
        row = {**_entry_row(data), "siae_id": siae_id, "created_at": stamp, "updated_at": stamp}
        row["reference"] = row.get("reference") or next_reference(db, siae_id)
        row.setdefault("shared", 0)
        try:
            entry_id = int(db["network_employers"].insert(row).last_pk)
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"La référence « {row['reference']} » est déjà utilisée dans votre réseau") from exc
        _replace_contacts(db, entry_id, contacts)
        _replace_potentials(db, entry_id, potentials)
        return entry_id


def update_network_employer(db: sqlite_utils.Database, entry_id: int, data: Mapping[str, Any], *,
                            contacts: Iterable[Mapping[str, Any]] | None = None,
                            potentials: Iterable[Mapping[str, Any]] | None = None) -> None:
    """Change an entry's fields; ``contacts`` / ``potentials`` given replace the lists (an import)."""
    with transaction(db):
        get_row(db, "network_employers", entry_id)
        try:
            db["network_employers"].update(entry_id, {**_entry_row(data), "updated_at": now()})
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"La référence « {data.get('reference')} » est déjà utilisée dans votre réseau") from exc
        if contacts is not None:
            _replace_contacts(db, entry_id, contacts)
        if potentials is not None:
            _replace_potentials(db, entry_id, potentials, keep_drafted=True)


def _replace_contacts(db: sqlite_utils.Database, entry_id: int, contacts: Iterable[Mapping[str, Any]]) -> None:
    db.execute("DELETE FROM network_contacts WHERE network_id = ?", [entry_id])
    db["network_contacts"].insert_all(
        [{"network_id": entry_id, "rank": i, **{k: c.get(k) for k in CONTACT_FIELDS}} for i, c in enumerate(contacts)])


def _replace_potentials(db: sqlite_utils.Database, entry_id: int, potentials: Iterable[Mapping[str, Any]], *,
                        keep_drafted: bool = False) -> None:
    """Replace the noted potential; one already drafted as a need stays (the need refers to it)."""
    where = "network_id = ?" + (" AND need_id IS NULL" if keep_drafted else "")
    db.execute(f"DELETE FROM network_potentials WHERE {where}", [entry_id])
    stamp = now()
    db["network_potentials"].insert_all(
        [{"network_id": entry_id, "rank": i, **{k: p.get(k) for k in POTENTIAL_FIELDS}, "created_at": stamp,
          "updated_at": stamp} for i, p in enumerate(potentials)])


_ENTRY_SELECT = (
    "SELECT network_employers.*, owner.name AS owner_name, owner.postcode AS owner_postcode, "
    "linked.name AS organisation_name FROM network_employers "
    "JOIN organisations AS owner ON owner.id = network_employers.siae_id "
    "LEFT JOIN organisations AS linked ON linked.id = network_employers.organisation_id "
)


def get_network_employer(db: sqlite_utils.Database, entry_id: int) -> dict[str, Any]:
    try:
        rows = [dict(r) for r in db.query(_ENTRY_SELECT + "WHERE network_employers.id = ?", [entry_id])]
    except OverflowError:
        rows = []
    if not rows:
        raise NotFound(f"network_employers {entry_id}")
    return rows[0]


def network_employer_by_reference(db: sqlite_utils.Database, siae_id: str, reference: str) -> dict[str, Any] | None:
    rows = [dict(r) for r in db.query(_ENTRY_SELECT + "WHERE network_employers.siae_id = ? "
                                      "AND network_employers.reference = ?", [siae_id, reference])]
    return rows[0] if rows else None


def list_network_employers(db: sqlite_utils.Database, *, siae_id: str | None = None, shared_only: bool = False,
                           search: str | None = None) -> list[dict[str, Any]]:
    """Entries of one structure, or (``shared_only``) the shared entries of every structure."""
    where, params = ["1 = 1"], []
    if siae_id:
        where.append("network_employers.siae_id = ?")
        params.append(siae_id)
    if shared_only:
        where.append("network_employers.shared = 1")
    if search:
        where.append("(network_employers.name LIKE ? OR network_employers.city LIKE ? "
                     "OR network_employers.naf_code LIKE ?)")
        params += [f"%{search}%"] * 3
    return [dict(r) for r in db.query(_ENTRY_SELECT + f"WHERE {' AND '.join(where)} "
                                      "ORDER BY network_employers.name, network_employers.id", params)]


# -- contacts ---------------------------------------------------------------------------------------
def list_contacts(db: sqlite_utils.Database, entry_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    return _by_entry(db, "network_contacts", entry_ids, "rank, id")


def add_contact(db: sqlite_utils.Database, entry_id: int, contact: Mapping[str, Any]) -> int:
    with transaction(db):
        get_row(db, "network_employers", entry_id)
        rank = db.execute("SELECT COALESCE(MAX(rank), -1) + 1 FROM network_contacts WHERE network_id = ?",
                          [entry_id]).fetchone()[0]
        return int(db["network_contacts"].insert({"network_id": entry_id, "rank": rank,
                                                  **{k: contact.get(k) for k in CONTACT_FIELDS}}).last_pk)


def delete_contact(db: sqlite_utils.Database, entry_id: int, contact_id: int) -> None:
    with transaction(db):
        if not db.execute("DELETE FROM network_contacts WHERE id = ? AND network_id = ?",
                          [contact_id, entry_id]).rowcount:
            raise NotFound(f"network_contacts {contact_id}")


# -- the log of visits, calls and events --------------------------------------------------------
def add_event(db: sqlite_utils.Database, entry_id: int, event: Mapping[str, Any], *, author: str) -> int:
    with transaction(db):
        get_row(db, "network_employers", entry_id)
        event_id = int(db["network_events"].insert({
            "network_id": entry_id, **{k: event.get(k) for k in EVENT_FIELDS}, "next_action_done": 0,
            "author": author, "created_at": now()}).last_pk)
        db["network_employers"].update(entry_id, {"updated_at": now()})
        return event_id


def list_events(db: sqlite_utils.Database, entry_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    return _by_entry(db, "network_events", entry_ids, "date DESC, id DESC")


def complete_next_action(db: sqlite_utils.Database, entry_id: int, event_id: int) -> None:
    with transaction(db):
        if not db.execute("UPDATE network_events SET next_action_done = 1 WHERE id = ? AND network_id = ?",
                          [event_id, entry_id]).rowcount:
            raise NotFound(f"network_events {event_id}")


def next_actions(db: sqlite_utils.Database, siae_id: str) -> list[dict[str, Any]]:
    """The structure's next actions still to do, soonest first."""
    return [dict(r) for r in db.query(
        "SELECT network_events.*, network_employers.name AS employer_name FROM network_events "
        "JOIN network_employers ON network_employers.id = network_events.network_id "
        "WHERE network_employers.siae_id = ? AND network_events.next_action_date IS NOT NULL "
        "AND network_events.next_action_done = 0 ORDER BY network_events.next_action_date, network_events.id",
        [siae_id])]


# -- besoins pressentis -----------------------------------------------------------------------------
def list_potentials(db: sqlite_utils.Database, entry_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    return _by_entry(db, "network_potentials", entry_ids, "rank, id")


def add_potential(db: sqlite_utils.Database, entry_id: int, potential: Mapping[str, Any]) -> int:
    with transaction(db):
        get_row(db, "network_employers", entry_id)
        rank = db.execute("SELECT COALESCE(MAX(rank), -1) + 1 FROM network_potentials WHERE network_id = ?",
                          [entry_id]).fetchone()[0]
        stamp = now()
        return int(db["network_potentials"].insert({
            "network_id": entry_id, "rank": rank, **{k: potential.get(k) for k in POTENTIAL_FIELDS},
            "created_at": stamp, "updated_at": stamp}).last_pk)


def get_potential(db: sqlite_utils.Database, entry_id: int, potential_id: int) -> dict[str, Any]:
    row = get_row(db, "network_potentials", potential_id)
    if row["network_id"] != entry_id:
        raise NotFound(f"network_potentials {potential_id}")
    return row


def delete_potential(db: sqlite_utils.Database, entry_id: int, potential_id: int) -> None:
    with transaction(db):
        potential = get_potential(db, entry_id, potential_id)
        if potential["need_id"]:
            raise Conflict("Ce besoin pressenti est devenu un besoin : il reste au journal de l'entreprise")
        db.execute("DELETE FROM network_potentials WHERE id = ?", [potential_id])


def link_potential_to_need(db: sqlite_utils.Database, potential_id: int, need_id: int) -> None:
    db["network_potentials"].update(potential_id, {"need_id": need_id, "updated_at": now()})


def all_potentials(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every noted potential not yet drafted as a need, with its employer's location (for the diagnostic)."""
    return [dict(r) for r in db.query(
        "SELECT network_potentials.*, network_employers.postcode AS postcode, network_employers.lat AS lat, "
        "network_employers.lon AS lon, network_employers.naf_code AS naf_code FROM network_potentials "
        "JOIN network_employers ON network_employers.id = network_potentials.network_id "
        "WHERE network_potentials.need_id IS NULL")]


# -- import -----------------------------------------------------------------------------------------
def upsert_network(db: sqlite_utils.Database, siae_id: str, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Import entries keyed by reference (else by name and postcode), all or nothing.

    Each row may carry ``contacts`` and ``potentials`` lists, which replace the stored ones; a row
    identical to what is stored changes nothing.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction(db):
        for data in rows:
            existing = _find(db, siae_id, data)
            contacts, potentials = data.get("contacts", []), data.get("potentials", [])
            if existing is None:
                create_network_employer(db, siae_id, data, contacts=contacts, potentials=potentials)
                counts["created"] += 1
                continue
            if _same(db, existing, data, contacts, potentials):
                counts["unchanged"] += 1
                continue
            update_network_employer(db, existing["id"], {**data, "reference": existing["reference"]},
                                    contacts=contacts, potentials=potentials)
            counts["updated"] += 1
    return counts


def _find(db: sqlite_utils.Database, siae_id: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    if data.get("reference"):
        return network_employer_by_reference(db, siae_id, data["reference"])
    for row in db.query("SELECT * FROM network_employers WHERE siae_id = ? AND lower(name) = lower(?) "
                        "AND COALESCE(postcode, '') = COALESCE(?, '')", [siae_id, data["name"], data.get("postcode")]):
        return dict(row)
    return None


def _same(db: sqlite_utils.Database, existing: Mapping[str, Any], data: Mapping[str, Any],
          contacts: list, potentials: list) -> bool:
    fields = [k for k in ENTRY_FIELDS if k in data and k != "reference"]
    if encode_row("network_employers", {k: existing.get(k) for k in fields}) != _entry_row(
            {k: data[k] for k in fields}):
        return False
    stored_contacts = [{k: c.get(k) for k in CONTACT_FIELDS} for c in list_contacts(db, [existing["id"]]).get(
        existing["id"], [])]
    stored_potentials = [{k: p.get(k) for k in ("metier", "count", "expected", "notes")}
                         for p in list_potentials(db, [existing["id"]]).get(existing["id"], []) if not p["need_id"]]
    return (stored_contacts == [{k: c.get(k) for k in CONTACT_FIELDS} for c in contacts]
            and stored_potentials == [{k: p.get(k) for k in ("metier", "count", "expected", "notes")}
                                      for p in potentials])


def _by_entry(db: sqlite_utils.Database, table: str, entry_ids: Iterable[int], order: str
              ) -> dict[int, list[dict[str, Any]]]:
    ids = list(dict.fromkeys(entry_ids))
    grouped: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return grouped
    marks = ",".join("?" * len(ids))
    for row in select(db, table, f"SELECT * FROM {table} WHERE network_id IN ({marks}) ORDER BY {order}", ids):
        grouped[row["network_id"]].append(row)
    return grouped
