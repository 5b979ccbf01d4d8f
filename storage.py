"""SQLite storage through sqlite-utils: the only module that knows the schema.

Every function takes the ``db`` (a ``sqlite_utils.Database``) first. Rows come
back as plain dicts with JSON columns decoded. Writes that touch several rows
run in one transaction (``with db.atomic():``), so a failure leaves nothing
half-written.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import sqlite_utils
from sqlite_utils.db import NotFoundError

import workflow

__all__ = [
    "SCHEMA_VERSION",
    "NotFound",
    "Conflict",
    "connect",
    "init_schema",
]

SCHEMA_VERSION = 1

# Columns stored as JSON text, decoded on read.
_JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "profiles": ("experiences", "eligibility", "skill_map"),
    "ledger_versions": ("data",),
    "needs": ("skills", "skill_map"),
    "proposals": ("explanation",),
}


class NotFound(LookupError):
    """No row with this id (or not visible to the caller)."""


class Conflict(ValueError):
    """The write would break a uniqueness or workflow rule; the message is in French."""


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (and create if needed) the database file, with foreign keys enforced."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    db = sqlite_utils.Database(conn)
    init_schema(db)
    return db


def init_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables and indexes; safe to run on every start."""
    db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
    db["organisations"].create(
        {"id": str, "kind": str, "name": str, "subtype": str, "sector": str, "city": str,
         "postcode": str, "lat": float, "lon": float, "size": str},
        pk="id", not_null={"kind", "name"}, if_not_exists=True,
    )
    db["profiles"].create(
        {"id": int, "reference": str, "first_name": str, "siae_id": str, "description": str,
         "skills_text": str, "skill_map": str, "experiences": str, "formation": str, "informal_skills": str,
         "driving_licence": int, "vehicle": int, "mobility_km": float, "french_level": str,
         "availability": str, "part_time": int, "postcode": str, "city": str, "lat": float, "lon": float,
         "path_start": str, "path_end": str, "eligibility": str, "notes": str, "archived": int,
         "created_at": str, "updated_at": str},
        pk="id", not_null={"reference", "siae_id", "first_name"},
        foreign_keys=[("siae_id", "organisations", "id")],
        defaults={"archived": 0, "skill_map": "[]", "experiences": "[]", "eligibility": "[]"},
        if_not_exists=True,
    )
    db["needs"].create(
        {"id": int, "reference": str, "employer_id": str, "title": str, "description": str,
         "skills": str, "skill_map": str, "contract": str, "hours_per_week": float, "positions": int,
         "start_date": str, "driving_licence": int, "french_level": str, "postcode": str, "city": str,
         "lat": float, "lon": float, "max_distance_km": float, "public_contract": str, "status": str,
         "created_at": str, "updated_at": str},
        pk="id", not_null={"employer_id", "title"},
        foreign_keys=[("employer_id", "organisations", "id")],
        defaults={"status": "ouvert", "skills": "[]", "skill_map": "[]"},
        if_not_exists=True,
    )
    db["proposals"].create(
        {"id": int, "need_id": int, "profile_id": int, "proposed_by": str, "message": str, "status": str,
         "refusal_reason": str, "score": float, "explanation": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"need_id", "profile_id", "status"},
        foreign_keys=[("need_id", "needs", "id"), ("profile_id", "profiles", "id")],
        if_not_exists=True,
    )
    db["proposal_events"].create(
        {"id": int, "proposal_id": int, "from_status": str, "to_status": str, "reason": str,
         "note": str, "actor": str, "at": str, "internal": int},
        pk="id", foreign_keys=[("proposal_id", "proposals", "id")], defaults={"internal": 0}, if_not_exists=True,
    )
    # Databases created before the column existed.
    if "internal" not in db["proposal_events"].columns_dict:
        db["proposal_events"].add_column("internal", int, not_null_default=0)
    # One row per profile write: each process's matching index replays the
    # rows it has not seen (incremental, and right with several processes).
    db["profile_changes"].create({"seq": int, "profile_id": int, "at": str}, pk="seq", if_not_exists=True)
    _init_clause_tables(db)
    _init_account_tables(db)
    _init_rome_tables(db)
    # Columns added after the first release: databases created before get them here.
    _ensure_columns(db, "profiles", {"consent_at": str, "consent_by": str, "anonymised_at": str, "rome_code": str})
    _ensure_columns(db, "needs", {"rome_code": str})
    db["profiles"].create_index(["reference"], unique=True, if_not_exists=True)
    db["profiles"].create_index(["siae_id", "archived"], if_not_exists=True)
    db["needs"].create_index(["employer_id", "reference"], unique=True, if_not_exists=True)
    db["proposals"].create_index(["need_id", "profile_id"], unique=True, if_not_exists=True)
    db["proposal_events"].create_index(["proposal_id"], if_not_exists=True)
    db["meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")


def _decode(table: str, row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row)
    for column in _JSON_COLUMNS.get(table, ()):
        value = out.get(column)
        out[column] = json.loads(value) if isinstance(value, str) and value else ([] if column != "explanation" else {})
    return out


def _encode(table: str, data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for column in _JSON_COLUMNS.get(table, ()):
        if column in out and not isinstance(out[column], str):
            out[column] = json.dumps(out[column], ensure_ascii=False)
    for key, value in out.items():
        if isinstance(value, bool):
            out[key] = int(value)
    return out


def _rows(db: sqlite_utils.Database, table: str, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    return [_decode(table, r) for r in db.query(sql, list(params))]


def _get(db: sqlite_utils.Database, table: str, pk: Any) -> dict[str, Any]:
    try:
        return _decode(table, db[table].get(pk))
    except (NotFoundError, OverflowError) as exc:  # an id beyond 64 bits exists nowhere
        raise NotFound(f"{table} {pk}") from exc


# -- change log: lets each process bring its matching index up to date --------
def _profile_changed(db: sqlite_utils.Database, profile_id: int) -> None:
    db["profile_changes"].insert({"profile_id": profile_id, "at": now()})


def last_profile_change(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM profile_changes").fetchone()[0]


def profile_changes_since(db: sqlite_utils.Database, seq: int) -> tuple[int, list[int]]:
    """The newest change number and the profiles changed after ``seq`` (each once)."""
    rows = db.execute("SELECT seq, profile_id FROM profile_changes WHERE seq > ? ORDER BY seq", [seq]).fetchall()
    if not rows:
        return seq, []
    return rows[-1][0], list(dict.fromkeys(r[1] for r in rows))


# -- organisations ------------------------------------------------------------
ORGANISATION_KINDS = ("siae", "employer", "buyer")


def upsert_organisation(db: sqlite_utils.Database, org: Mapping[str, Any]) -> None:
    if org.get("kind") not in ORGANISATION_KINDS:
        raise ValueError(f"unknown organisation kind {org.get('kind')!r}")
    db["organisations"].upsert(dict(org), pk="id", alter=False)


def get_organisation(db: sqlite_utils.Database, org_id: str) -> dict[str, Any]:
    return _get(db, "organisations", org_id)


def list_organisations(db: sqlite_utils.Database, kind: str | None = None) -> list[dict[str, Any]]:
    if kind:
        return _rows(db, "organisations", "SELECT * FROM organisations WHERE kind = ? ORDER BY name", [kind])
    return _rows(db, "organisations", "SELECT * FROM organisations ORDER BY kind, name")


# -- profiles and needs: rows keyed by a reference ---------------------------------
_DUPLICATE = {
    "profiles": "La référence « {} » est déjà utilisée",
    "needs": "La référence d'offre « {} » est déjà utilisée",
}


def _insert(db: sqlite_utils.Database, table: str, data: Mapping[str, Any], defaults: Mapping[str, Any]) -> int:
    stamp = now()
    row = _encode(table, {**defaults, **data, "created_at": stamp, "updated_at": stamp})
    row.pop("id", None)
    try:
        pk = int(db[table].insert(row).last_pk)
    except sqlite3.IntegrityError as exc:
        raise Conflict(_DUPLICATE[table].format(data.get("reference"))) from exc
    if table == "profiles":
        _profile_changed(db, pk)
    return pk


def _update(db: sqlite_utils.Database, table: str, pk: int, data: Mapping[str, Any]) -> None:
    with db.atomic():
        _get(db, table, pk)
        row = _encode(table, {**data, "updated_at": now()})
        row.pop("id", None)
        try:
            db[table].update(pk, row)
        except sqlite3.IntegrityError as exc:
            raise Conflict(_DUPLICATE[table].format(data.get("reference"))) from exc
        if table == "profiles":
            _profile_changed(db, pk)


def _upsert(db: sqlite_utils.Database, table: str, rows: Iterable[Mapping[str, Any]], find, check=None,
            defaults: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Import rows keyed by reference, all or nothing; identical rows are left alone."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with db.atomic():
        for data in rows:
            existing = find(data)
            if existing is None:
                _insert(db, table, data, defaults or {})
                counts["created"] += 1
                continue
            if check:
                check(existing, data)
            if _encode(table, {k: existing.get(k) for k in data}) == _encode(table, data):
                counts["unchanged"] += 1
                continue
            _update(db, table, existing["id"], data)
            counts["updated"] += 1
    return counts


def create_profile(db: sqlite_utils.Database, data: Mapping[str, Any]) -> int:
    """Insert a profile; raise ``Conflict`` if its reference is taken."""
    with db.atomic():
        return _insert(db, "profiles", data, {"archived": 0})


def update_profile(db: sqlite_utils.Database, profile_id: int, data: Mapping[str, Any]) -> None:
    _update(db, "profiles", profile_id, data)


def set_profile_archived(db: sqlite_utils.Database, profile_id: int, archived: bool) -> None:
    _update(db, "profiles", profile_id, {"archived": int(archived)})


def get_profile(db: sqlite_utils.Database, profile_id: int) -> dict[str, Any]:
    return _get(db, "profiles", profile_id)


def profile_by_reference(db: sqlite_utils.Database, reference: str) -> dict[str, Any] | None:
    rows = _rows(db, "profiles", "SELECT * FROM profiles WHERE reference = ?", [reference])
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
    return _rows(db, "profiles", f"SELECT * FROM profiles WHERE {' AND '.join(where)} ORDER BY reference", params)


def upsert_profiles(db: sqlite_utils.Database, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Import profiles keyed by ``reference`` (unique across structures), all or nothing."""

    def same_structure(existing: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        if existing["siae_id"] != data.get("siae_id"):
            raise Conflict(f"La référence « {data['reference']} » appartient à une autre structure")

    return _upsert(db, "profiles", rows, lambda d: profile_by_reference(db, d["reference"]), same_structure,
                   {"archived": 0})


NEED_STATUSES = {"ouvert": "Ouvert", "pourvu": "Pourvu", "ferme": "Fermé"}


def create_need(db: sqlite_utils.Database, data: Mapping[str, Any]) -> int:
    with db.atomic():
        return _insert(db, "needs", data, {"status": "ouvert"})


def update_need(db: sqlite_utils.Database, need_id: int, data: Mapping[str, Any]) -> None:
    _update(db, "needs", need_id, data)


def get_need(db: sqlite_utils.Database, need_id: int) -> dict[str, Any]:
    return _get(db, "needs", need_id)


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
    return _rows(db, "needs", sql, params)


def need_by_reference(db: sqlite_utils.Database, employer_id: str, reference: str) -> dict[str, Any] | None:
    rows = _rows(db, "needs", "SELECT * FROM needs WHERE employer_id = ? AND reference = ?", [employer_id, reference])
    return rows[0] if rows else None


def upsert_needs(db: sqlite_utils.Database, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Import needs keyed by (employer, reference), all or nothing."""
    return _upsert(db, "needs", rows, lambda d: need_by_reference(db, d["employer_id"], d["reference"]),
                   defaults={"status": "ouvert"})


# -- proposals ----------------------------------------------------------------
_PROPOSAL_SELECT = (
    "SELECT proposals.*, needs.title AS need_title, needs.reference AS need_reference, needs.employer_id AS employer_id, "
    "organisations.name AS employer_name, profiles.first_name AS first_name, "
    "profiles.reference AS profile_reference, profiles.siae_id AS siae_id, profiles.consent_at AS consent_at "
    "FROM proposals JOIN needs ON needs.id = proposals.need_id "
    "JOIN organisations ON organisations.id = needs.employer_id "
    "JOIN profiles ON profiles.id = proposals.profile_id "
)


def create_proposal(db: sqlite_utils.Database, *, need_id: int, profile_id: int, message: str,
                    score: float, explanation: Mapping[str, Any], proposed_by: str) -> int:
    """Record a proposal with the explanation as it stands now; one per (need, profile)."""
    with db.atomic():
        need = _get(db, "needs", need_id)
        profile = _get(db, "profiles", profile_id)
        if need["status"] != "ouvert":
            raise Conflict("Ce besoin n'est plus ouvert")
        if profile["archived"]:
            raise Conflict("Ce profil est archivé")
        if not profile.get("consent_at"):
            raise Conflict("Cette personne n'a pas donné son accord pour être proposée aux employeurs : "
                           "recueillez son consentement d'abord")
        stamp = now()
        try:
            pk = db["proposals"].insert(_encode("proposals", {
                "need_id": need_id, "profile_id": profile_id, "proposed_by": proposed_by, "message": message,
                "status": workflow.PROPOSED, "score": score, "explanation": dict(explanation),
                "created_at": stamp, "updated_at": stamp,
            })).last_pk
        except sqlite3.IntegrityError as exc:
            raise Conflict("Cette personne a déjà été proposée pour ce besoin") from exc
        db["proposal_events"].insert({"proposal_id": pk, "from_status": None, "to_status": workflow.PROPOSED,
                                      "note": message, "actor": proposed_by, "at": stamp})
        return int(pk)


def get_proposal(db: sqlite_utils.Database, proposal_id: int) -> dict[str, Any]:
    try:
        rows = _rows(db, "proposals", _PROPOSAL_SELECT + "WHERE proposals.id = ?", [proposal_id])
    except OverflowError:
        rows = []
    if not rows:
        raise NotFound(f"proposals {proposal_id}")
    return rows[0]


def list_proposals(db: sqlite_utils.Database, *, need_id: int | None = None, profile_id: int | None = None,
                   employer_id: str | None = None, siae_id: str | None = None,
                   status: str | None = None) -> list[dict[str, Any]]:
    where, params = ["1 = 1"], []
    for column, value in (("proposals.need_id", need_id), ("proposals.profile_id", profile_id),
                          ("needs.employer_id", employer_id), ("profiles.siae_id", siae_id),
                          ("proposals.status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return _rows(db, "proposals", _PROPOSAL_SELECT + f"WHERE {' AND '.join(where)} ORDER BY proposals.updated_at DESC, proposals.id DESC", params)


def transition_proposal(db: sqlite_utils.Database, proposal_id: int, target: str, *, actor: str,
                        reason: str | None = None, note: str = "", internal: bool = False) -> dict[str, Any]:
    """Move a proposal to ``target`` if the workflow allows it, and log the move.

    ``internal``: the note is for the CRE's structure only (never shown to the employer).
    """
    with db.atomic():
        current = _get(db, "proposals", proposal_id)
        try:
            workflow.check_transition(current["status"], target, reason)
        except workflow.TransitionError as exc:
            raise Conflict(str(exc)) from exc
        stamp = now()
        db["proposals"].update(proposal_id, {
            "status": target, "updated_at": stamp,
            "refusal_reason": reason if target == workflow.REFUSED else None,
        })
        db["proposal_events"].insert({"proposal_id": proposal_id, "from_status": current["status"],
                                      "to_status": target, "reason": reason if target == workflow.REFUSED else None,
                                      "note": note, "internal": int(internal),
                                      "actor": actor, "at": stamp})
        if target == workflow.HIRED:
            need = _get(db, "needs", current["need_id"])
            hired = db.execute("SELECT COUNT(*) FROM proposals WHERE need_id = ? AND status = ?",
                               [need["id"], workflow.HIRED]).fetchone()[0]
            if hired >= (need["positions"] or 1):
                db["needs"].update(need["id"], {"status": "pourvu", "updated_at": stamp})
    return get_proposal(db, proposal_id)


def add_proposal_note(db: sqlite_utils.Database, proposal_id: int, note: str, *, actor: str,
                      internal: bool = True) -> None:
    """A follow-up note that does not change the state (e.g. "suivi à un mois après l'embauche").

    Internal by default: a CRE's follow-up speaks of the person and stays in the structure.
    """
    with db.atomic():
        current = _get(db, "proposals", proposal_id)
        db["proposal_events"].insert({"proposal_id": proposal_id, "from_status": current["status"],
                                      "to_status": current["status"], "note": note, "actor": actor, "at": now(),
                                      "internal": int(internal)})
        db["proposals"].update(proposal_id, {"updated_at": now()})


def proposal_events(db: sqlite_utils.Database, proposal_id: int, *, shared_only: bool = False) -> list[dict[str, Any]]:
    """The history of a proposal; ``shared_only`` hides internal notes (what an employer may see)."""
    rows = _rows(db, "proposal_events", "SELECT * FROM proposal_events WHERE proposal_id = ? ORDER BY id", [proposal_id])
    if shared_only:
        rows = [r for r in rows if not r["internal"] or r["from_status"] != r["to_status"]]
        for r in rows:
            if r["internal"]:
                r["note"] = ""
    return rows


def proposal_counts(db: sqlite_utils.Database, *, siae_id: str | None = None,
                    employer_id: str | None = None) -> dict[str, int]:
    """Number of proposals in each state (every state present, zeros included)."""
    where, params = ["1 = 1"], []
    if siae_id:
        where.append("profiles.siae_id = ?")
        params.append(siae_id)
    if employer_id:
        where.append("needs.employer_id = ?")
        params.append(employer_id)
    sql = ("SELECT proposals.status AS status, COUNT(*) AS n FROM proposals "
           "JOIN profiles ON profiles.id = proposals.profile_id JOIN needs ON needs.id = proposals.need_id "
           f"WHERE {' AND '.join(where)} GROUP BY proposals.status")
    counts = dict.fromkeys(workflow.STATES, 0)
    counts.update({r["status"]: r["n"] for r in db.query(sql, params)})
    return counts


def profiles_never_proposed(db: sqlite_utils.Database, *, siae_id: str | None = None) -> list[dict[str, Any]]:
    where, params = ["profiles.archived = 0", "proposals.id IS NULL"], []
    if siae_id:
        where.append("profiles.siae_id = ?")
        params.append(siae_id)
    sql = ("SELECT profiles.* FROM profiles LEFT JOIN proposals ON proposals.profile_id = profiles.id "
           f"WHERE {' AND '.join(where)} ORDER BY profiles.path_end, profiles.reference")
    return _rows(db, "profiles", sql, params)


def iter_table(db: sqlite_utils.Database, table: str) -> Iterator[dict[str, Any]]:
    for row in db[table].rows:
        yield _decode(table, row)


# -- insertion clauses: contracts, lots, participants, the hours ledger -------------
def _init_clause_tables(db: sqlite_utils.Database) -> None:
    db["contracts"].create(
        {"id": int, "buyer_id": str, "reference": str, "title": str, "start_date": str, "end_date": str,
         "pooling_allowed": int, "qpv_priority": int, "created_at": str, "updated_at": str},
        pk="id", not_null={"buyer_id", "reference", "title", "start_date", "end_date"},
        foreign_keys=[("buyer_id", "organisations", "id")], defaults={"pooling_allowed": 0, "qpv_priority": 0},
        if_not_exists=True,
    )
    db["lots"].create(
        {"id": int, "contract_id": int, "number": int, "title": str, "titulaire": str, "trades": str,
         "postcode": str, "city": str, "lat": float, "lon": float, "clause_mode": str, "fixed_hours": int,
         "amount": float, "labour_share": float, "insertion_rate": float, "hourly_cost": float, "preset": str,
         "required_hours": int, "created_at": str, "updated_at": str},
        pk="id", not_null={"contract_id", "number", "title", "required_hours"},
        foreign_keys=[("contract_id", "contracts", "id")], if_not_exists=True,
    )
    # A participant belongs to one contract: its eligibility and proof are checked for that
    # contract, and one buyer's ledger can never change another's figures.
    db["participants"].create(
        {"id": int, "contract_id": int, "reference": str, "profile_id": int, "category": str, "proof_kind": str,
         "proof_date": str, "validated": int, "exit_situation": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"reference", "contract_id"},
        foreign_keys=[("profile_id", "profiles", "id"), ("contract_id", "contracts", "id")],
        defaults={"validated": 0, "exit_situation": "en_cours"}, if_not_exists=True,
    )
    db["ledger_entries"].create(
        {"id": int, "contract_id": int, "lot_id": int, "participant_id": int, "month": str, "hours": float,
         "modality": str, "employer_name": str, "contract_type": str, "contract_start": str, "contract_end": str,
         "deleted": int, "version": int, "created_at": str, "updated_at": str},
        pk="id", not_null={"contract_id", "lot_id", "participant_id", "month", "hours", "modality"},
        foreign_keys=[("contract_id", "contracts", "id"), ("lot_id", "lots", "id"),
                      ("participant_id", "participants", "id")],
        defaults={"deleted": 0, "version": 1}, if_not_exists=True,
    )
    db["ledger_versions"].create(
        {"id": int, "entry_id": int, "version": int, "action": str, "data": str, "changed_by": str,
         "changed_at": str},
        pk="id", foreign_keys=[("entry_id", "ledger_entries", "id")], if_not_exists=True,
    )
    db["contracts"].create_index(["buyer_id", "reference"], unique=True, if_not_exists=True)
    db["lots"].create_index(["contract_id", "number"], unique=True, if_not_exists=True)
    db.execute("DROP INDEX IF EXISTS idx_participants_reference")
    db["participants"].create_index(["contract_id", "reference"], unique=True, if_not_exists=True)
    db["ledger_entries"].create_index(["contract_id", "deleted"], if_not_exists=True)
    db["ledger_versions"].create_index(["entry_id"], if_not_exists=True)


def create_contract(db: sqlite_utils.Database, data: Mapping[str, Any]) -> int:
    stamp = now()
    try:
        with db.atomic():
            return int(db["contracts"].insert(_encode("contracts", {**data, "created_at": stamp,
                                                                     "updated_at": stamp})).last_pk)
    except sqlite3.IntegrityError as exc:
        raise Conflict(f"La référence de marché « {data.get('reference')} » est déjà utilisée") from exc


def update_contract(db: sqlite_utils.Database, contract_id: int, data: Mapping[str, Any]) -> None:
    with db.atomic():
        _get(db, "contracts", contract_id)
        try:
            db["contracts"].update(contract_id, _encode("contracts", {**data, "updated_at": now()}))
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"La référence de marché « {data.get('reference')} » est déjà utilisée") from exc


def get_contract(db: sqlite_utils.Database, contract_id: int) -> dict[str, Any]:
    return _get(db, "contracts", contract_id)


def contract_by_reference(db: sqlite_utils.Database, buyer_id: str, reference: str) -> dict[str, Any] | None:
    rows = _rows(db, "contracts", "SELECT * FROM contracts WHERE buyer_id = ? AND reference = ?", [buyer_id, reference])
    return rows[0] if rows else None


def list_contracts(db: sqlite_utils.Database, *, buyer_id: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT contracts.*, organisations.name AS buyer_name FROM contracts "
           "JOIN organisations ON organisations.id = contracts.buyer_id")
    if buyer_id:
        return _rows(db, "contracts", sql + " WHERE buyer_id = ? ORDER BY start_date, id", [buyer_id])
    return _rows(db, "contracts", sql + " ORDER BY start_date, id")


def save_lot(db: sqlite_utils.Database, data: Mapping[str, Any], lot_id: int | None = None) -> int:
    """Create a lot, or replace the fields of an existing one."""
    stamp = now()
    try:
        with db.atomic():
            if lot_id is None:
                return int(db["lots"].insert(_encode("lots", {**data, "created_at": stamp, "updated_at": stamp})).last_pk)
            _get(db, "lots", lot_id)
            db["lots"].update(lot_id, _encode("lots", {**data, "updated_at": stamp}))
            return lot_id
    except sqlite3.IntegrityError as exc:
        raise Conflict(f"Le lot n° {data.get('number')} existe déjà dans ce marché") from exc


def get_lot(db: sqlite_utils.Database, lot_id: int) -> dict[str, Any]:
    return _get(db, "lots", lot_id)


def list_lots(db: sqlite_utils.Database, contract_id: int | None = None) -> list[dict[str, Any]]:
    if contract_id is None:
        return _rows(db, "lots", "SELECT * FROM lots ORDER BY contract_id, number")
    return _rows(db, "lots", "SELECT * FROM lots WHERE contract_id = ? ORDER BY number", [contract_id])


def participant_by_reference(db: sqlite_utils.Database, contract_id: int, reference: str) -> dict[str, Any] | None:
    rows = _rows(db, "participants", "SELECT * FROM participants WHERE contract_id = ? AND reference = ?",
                 [contract_id, reference])
    return rows[0] if rows else None


def save_participant(db: sqlite_utils.Database, data: Mapping[str, Any]) -> int:
    """Create or update a participant of a contract, keyed by (contract, reference); return its id."""
    with db.atomic():
        existing = participant_by_reference(db, data["contract_id"], data["reference"])
        if existing is None:
            stamp = now()
            return int(db["participants"].insert(_encode("participants", {
                "exit_situation": "en_cours", **data, "created_at": stamp, "updated_at": stamp})).last_pk)
        changes = {k: v for k, v in _encode("participants", data).items() if existing.get(k) != v}
        if changes:
            db["participants"].update(existing["id"], {**changes, "updated_at": now()})
        return int(existing["id"])


def participants_by_id(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {r["id"]: r for r in _rows(db, "participants", f"SELECT * FROM participants WHERE id IN ({marks})", ids)}


_ENTRY_FIELDS = ("lot_id", "participant_id", "month", "hours", "modality", "employer_name", "contract_type",
                 "contract_start", "contract_end")


def _entry_version(db: sqlite_utils.Database, entry_id: int, action: str, actor: str) -> None:
    entry = _get(db, "ledger_entries", entry_id)
    db["ledger_versions"].insert({
        "entry_id": entry_id, "version": entry["version"], "action": action,
        "data": json.dumps({k: entry.get(k) for k in (*_ENTRY_FIELDS, "deleted")}, ensure_ascii=False),
        "changed_by": actor, "changed_at": now(),
    })


def create_entry(db: sqlite_utils.Database, contract_id: int, data: Mapping[str, Any], *, actor: str,
                 action: str = "création") -> int:
    with db.atomic():
        stamp = now()
        entry_id = int(db["ledger_entries"].insert({
            **{k: data.get(k) for k in _ENTRY_FIELDS}, "contract_id": contract_id, "deleted": 0, "version": 1,
            "created_at": stamp, "updated_at": stamp}).last_pk)
        _entry_version(db, entry_id, action, actor)
        return entry_id


def correct_entry(db: sqlite_utils.Database, entry_id: int, data: Mapping[str, Any], *, actor: str,
                  action: str = "correction") -> bool:
    """Change a ledger entry, keeping the earlier version; return whether anything changed."""
    with db.atomic():
        entry = _get(db, "ledger_entries", entry_id)
        changes = {k: data[k] for k in _ENTRY_FIELDS if k in data and data[k] != entry.get(k)}
        if not changes and not entry["deleted"]:
            return False
        db["ledger_entries"].update(entry_id, {**changes, "deleted": 0, "version": entry["version"] + 1,
                                               "updated_at": now()})
        _entry_version(db, entry_id, action, actor)
        return True


def delete_entry(db: sqlite_utils.Database, entry_id: int, *, actor: str) -> None:
    """Withdraw a ledger entry; it stays in the history."""
    with db.atomic():
        entry = _get(db, "ledger_entries", entry_id)
        db["ledger_entries"].update(entry_id, {"deleted": 1, "version": entry["version"] + 1, "updated_at": now()})
        _entry_version(db, entry_id, "suppression", actor)


def get_entry(db: sqlite_utils.Database, entry_id: int) -> dict[str, Any]:
    return _get(db, "ledger_entries", entry_id)


def list_entries(db: sqlite_utils.Database, contract_id: int) -> list[dict[str, Any]]:
    sql = ("SELECT ledger_entries.*, participants.reference AS participant_reference, "
           "participants.category AS category, lots.number AS lot_number FROM ledger_entries "
           "JOIN participants ON participants.id = ledger_entries.participant_id "
           "JOIN lots ON lots.id = ledger_entries.lot_id "
           "WHERE ledger_entries.contract_id = ? AND ledger_entries.deleted = 0 "
           "ORDER BY ledger_entries.month, lots.number, participants.reference, ledger_entries.id")
    return _rows(db, "ledger_entries", sql, [contract_id])


def entry_history(db: sqlite_utils.Database, entry_id: int) -> list[dict[str, Any]]:
    return _rows(db, "ledger_versions", "SELECT * FROM ledger_versions WHERE entry_id = ? ORDER BY version, id",
                 [entry_id])


def find_entry(db: sqlite_utils.Database, lot_id: int, participant_id: int, month: str,
               modality: str) -> dict[str, Any] | None:
    """The entry a re-import of the same line would update."""
    rows = _rows(db, "ledger_entries", "SELECT * FROM ledger_entries WHERE lot_id = ? AND participant_id = ? "
                 "AND month = ? AND modality = ? ORDER BY id", [lot_id, participant_id, month, modality])
    return rows[0] if rows else None


# -- accounts, API tokens, audit log ----------------------------------------------
ROLES = {"cre": "CRE / CIP", "employer": "Employeur", "buyer": "Acheteur / facilitateur", "admin": "Administrateur"}
ROLE_ORG_KIND = {"cre": "siae", "employer": "employer", "buyer": "buyer", "admin": None}


def _ensure_columns(db: sqlite_utils.Database, table: str, columns: Mapping[str, type]) -> None:
    existing = db[table].columns_dict
    for name, kind in columns.items():
        if name not in existing:
            db[table].add_column(name, kind)


def _init_account_tables(db: sqlite_utils.Database) -> None:
    db["users"].create(
        {"id": int, "email": str, "name": str, "role": str, "org_id": str, "password_hash": str, "active": int,
         "invitation_hash": str, "invitation_expires": str, "failed_logins": int, "locked_until": str,
         "created_at": str, "last_login_at": str, "password_changed_at": str},
        pk="id", not_null={"email", "role"}, foreign_keys=[("org_id", "organisations", "id")],
        defaults={"active": 1, "failed_logins": 0}, if_not_exists=True,
    )
    db["api_tokens"].create(
        {"id": int, "user_id": int, "name": str, "token_hash": str, "prefix": str, "created_at": str,
         "last_used_at": str, "revoked": int},
        pk="id", foreign_keys=[("user_id", "users", "id")], defaults={"revoked": 0}, if_not_exists=True,
    )
    db["audit_log"].create(
        {"id": int, "at": str, "user_id": int, "user_email": str, "role": str, "org_id": str, "action": str,
         "object_type": str, "object_id": str, "detail": str, "ip": str},
        pk="id", if_not_exists=True,
    )
    db["users"].create_index(["email"], unique=True, if_not_exists=True)
    db["api_tokens"].create_index(["token_hash"], unique=True, if_not_exists=True)
    db["audit_log"].create_index(["object_type", "object_id"], if_not_exists=True)


def create_user(db: sqlite_utils.Database, *, email: str, name: str, role: str, org_id: str | None,
                password_hash: str | None = None, invitation_hash: str | None = None,
                invitation_expires: str | None = None) -> int:
    if role not in ROLES:
        raise Conflict(f"Rôle inconnu : {role}")
    kind = ROLE_ORG_KIND[role]
    if kind is not None:
        try:
            org = get_organisation(db, org_id or "")
        except NotFound:
            raise Conflict(f"Organisation inconnue : {org_id}") from None
        if org["kind"] != kind:
            raise Conflict(f"Un compte « {ROLES[role]} » appartient à une organisation de type {kind}")
    elif org_id:
        raise Conflict("Un administrateur n'appartient à aucune organisation")
    try:
        with db.atomic():
            return int(db["users"].insert({
                "email": email.strip().lower(), "name": name, "role": role, "org_id": org_id if kind else None,
                "password_hash": password_hash, "invitation_hash": invitation_hash,
                "invitation_expires": invitation_expires, "active": 1, "failed_logins": 0, "created_at": now(),
                "password_changed_at": now() if password_hash else None}).last_pk)
    except sqlite3.IntegrityError as exc:
        raise Conflict(f"Un compte existe déjà pour {email}") from exc


def get_user(db: sqlite_utils.Database, user_id: int) -> dict[str, Any]:
    return _get(db, "users", user_id)


def user_by_email(db: sqlite_utils.Database, email: str) -> dict[str, Any] | None:
    rows = _rows(db, "users", "SELECT * FROM users WHERE email = ?", [(email or "").strip().lower()])
    return rows[0] if rows else None


def user_by_invitation(db: sqlite_utils.Database, invitation_hash: str) -> dict[str, Any] | None:
    rows = _rows(db, "users", "SELECT * FROM users WHERE invitation_hash = ?", [invitation_hash])
    return rows[0] if rows else None


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return _rows(db, "users", "SELECT users.*, organisations.name AS org_name FROM users "
                              "LEFT JOIN organisations ON organisations.id = users.org_id ORDER BY users.email")


def update_user(db: sqlite_utils.Database, user_id: int, data: Mapping[str, Any]) -> None:
    with db.atomic():
        _get(db, "users", user_id)
        db["users"].update(user_id, dict(data))


def create_token(db: sqlite_utils.Database, user_id: int, name: str, token_hash: str, prefix: str) -> int:
    with db.atomic():
        return int(db["api_tokens"].insert({"user_id": user_id, "name": name, "token_hash": token_hash,
                                            "prefix": prefix, "created_at": now(), "revoked": 0}).last_pk)


def token_owner(db: sqlite_utils.Database, token_hash: str) -> dict[str, Any] | None:
    """The active user of an unrevoked token, or None."""
    rows = _rows(db, "users", "SELECT users.*, api_tokens.id AS token_id FROM api_tokens "
                              "JOIN users ON users.id = api_tokens.user_id "
                              "WHERE api_tokens.token_hash = ? AND api_tokens.revoked = 0 AND users.active = 1",
                 [token_hash])
    if not rows:
        return None
    db["api_tokens"].update(rows[0]["token_id"], {"last_used_at": now()})
    return rows[0]


def list_tokens(db: sqlite_utils.Database, user_id: int) -> list[dict[str, Any]]:
    return _rows(db, "api_tokens", "SELECT id, name, prefix, created_at, last_used_at, revoked FROM api_tokens "
                                   "WHERE user_id = ? ORDER BY id", [user_id])


def revoke_token(db: sqlite_utils.Database, user_id: int, token_id: int) -> bool:
    with db.atomic():
        rows = _rows(db, "api_tokens", "SELECT * FROM api_tokens WHERE id = ? AND user_id = ?", [token_id, user_id])
        if not rows:
            return False
        db["api_tokens"].update(token_id, {"revoked": 1})
        return True


def audit(db: sqlite_utils.Database, user: Mapping[str, Any] | None, action: str, object_type: str,
          object_id: Any = None, detail: str = "", ip: str | None = None) -> None:
    """Record who viewed or changed sensitive data. Written in its own transaction."""
    user = user or {}
    with db.atomic():
        db["audit_log"].insert({
            "at": now(), "user_id": user.get("id"), "user_email": user.get("email"), "role": user.get("role"),
            "org_id": user.get("org_id"), "action": action, "object_type": object_type,
            "object_id": None if object_id is None else str(object_id), "detail": detail, "ip": ip})


def audit_entries(db: sqlite_utils.Database, *, object_type: str | None = None, object_id: Any = None,
                  limit: int = 500) -> list[dict[str, Any]]:
    where, params = ["1 = 1"], []
    if object_type:
        where.append("object_type = ?")
        params.append(object_type)
    if object_id is not None:
        where.append("object_id = ?")
        params.append(str(object_id))
    return _rows(db, "audit_log", f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
                 [*params, limit])


# -- rights of the person: access and erasure -------------------------------------
_ANONYMISED = {
    "first_name": "Personne anonymisée", "description": "", "skills_text": "", "skill_map": [], "experiences": [],
    "formation": "", "informal_skills": "", "driving_licence": None, "vehicle": None, "mobility_km": None,
    "french_level": None, "availability": None, "part_time": None, "postcode": None, "city": None, "lat": None,
    "lon": None, "path_start": None, "path_end": None, "eligibility": [], "notes": "", "consent_at": None,
    "consent_by": None,
}


def person_export(db: sqlite_utils.Database, profile_id: int) -> dict[str, Any]:
    """Everything Passerelle holds about one person (right of access, RGPD art. 15)."""
    profile = get_profile(db, profile_id)
    proposals = list_proposals(db, profile_id=profile_id)
    participants = _rows(db, "participants", "SELECT * FROM participants WHERE profile_id = ?", [profile_id])
    ledger = []
    for participant in participants:
        ledger += _rows(db, "ledger_entries", "SELECT * FROM ledger_entries WHERE participant_id = ?",
                        [participant["id"]])
    return {
        "profile": profile,
        "proposals": [{**p, "events": proposal_events(db, p["id"])} for p in proposals],
        "clause_participations": participants,
        "clause_hours": ledger,
        "access_log": audit_entries(db, object_type="profile", object_id=profile_id),
    }


def anonymise_profile(db: sqlite_utils.Database, profile_id: int) -> None:
    """Erase a person (RGPD art. 17) while the clause hours they did keep counting.

    The profile keeps only an anonymous reference; proposal messages and
    explanations go; clause participants are unlinked from the profile and
    keep their own reference, category and proof (needed to justify the
    hours to the buyer), so clause totals do not move.
    """
    with db.atomic():
        get_profile(db, profile_id)
        _update(db, "profiles", profile_id, {**_ANONYMISED, "reference": f"ANON-{profile_id}", "archived": 1,
                                             "anonymised_at": now()})
        db.execute("UPDATE proposals SET message = '', explanation = '{}' WHERE profile_id = ?", [profile_id])
        db.execute("UPDATE proposal_events SET note = '' WHERE proposal_id IN "
                   "(SELECT id FROM proposals WHERE profile_id = ?)", [profile_id])
        db.execute("UPDATE participants SET profile_id = NULL WHERE profile_id = ?", [profile_id])


# -- France Travail's ROME, as imported ------------------------------------------------
ROME_TABLES = ("rome_metiers", "rome_appellations", "rome_items", "rome_metier_items", "rome_mobility")


def _init_rome_tables(db: sqlite_utils.Database) -> None:
    db["rome_metiers"].create({"code": str, "label": str, "domain": str, "grand_domain": str, "text": str},
                              pk="code", if_not_exists=True)
    db["rome_appellations"].create({"code": str, "label": str, "rome": str}, pk="code", if_not_exists=True)
    db["rome_items"].create({"code": str, "label": str, "rubrique": str}, pk="code", if_not_exists=True)
    db["rome_metier_items"].create({"rome": str, "item": str, "core": int}, pk=("rome", "item"), if_not_exists=True)
    db["rome_mobility"].create({"source": str, "target": str, "rank": int}, pk=("source", "target"),
                               if_not_exists=True)


def replace_rome(db: sqlite_utils.Database, version: str, rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Replace the imported ROME by a new release, in one transaction."""
    with db.atomic():
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
