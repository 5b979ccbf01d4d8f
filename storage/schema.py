"""The one module that knows the SQLite schema: tables, indexes, migrations, connection settings.

A database is opened with ``connect``: the file is created on first use
(``0600`` in a ``0700`` folder), in WAL mode (readers never wait for the
writer), with foreign keys enforced and a busy timeout. The schema is
created or migrated once per file and version (``PRAGMA user_version``), not
per request: a request's connection only reads that one number.

Changing the schema: edit ``_create_all`` (create-if-missing tables, columns
added by ``ensure_columns``) and bump ``SCHEMA_VERSION``.
"""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping

import sqlite_utils

from .base import transaction

SCHEMA_VERSION = 6

# Validity given to API tokens created before tokens had an expiry (the default of new ones).
LEGACY_TOKEN_VALIDITY = timedelta(days=90)

# How long a writer waits for another process's write lock before giving up.
# Writes are short (one request's change), so 15 s covers a queue of many.
BUSY_TIMEOUT_MS = 15_000


def connect(path: str | Path, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open the database file (created on first use) with the settings every process shares.

    ``migrate``: create or upgrade the schema if the file is older than this
    code (one ``PRAGMA user_version`` read when it is up to date).
    """
    memory = str(path) == ":memory:"
    if not memory:
        _create_private_file(Path(path))
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db = sqlite_utils.Database(conn)
    if migrate and schema_version(db) < SCHEMA_VERSION:
        init_schema(db)
    return db


def _create_private_file(path: Path) -> None:
    """The database holds personal data: only the account running the app may read it."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def init_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables, columns and indexes, then record the version; idempotent."""
    if db.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
        # Persistent in the file: every later connection, in every process, is in WAL mode.
        db.execute("PRAGMA journal_mode = WAL")
    # Several workers may start at once: the write lock is taken first, so they
    # migrate one after the other, and the later ones find nothing to do.
    with transaction(db):
        _create_all(db)
        db["meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create_all(db: sqlite_utils.Database) -> None:
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
    _init_notification_tables(db)
    _init_followup_tables(db)
    # Columns added after the first release: databases created before get them here.
    ensure_columns(db, "profiles", {"consent_at": str, "consent_by": str, "anonymised_at": str, "rome_code": str})
    # Version 6: pooled needs, employer networks (and the ROME's NAF tables), needs drafted by a CRE.
    # drafted_by: the structure whose CRE drafted the need with the employer ("besoin pressenti → besoin").
    ensure_columns(db, "needs", {"rome_code": str, "lot_id": int, "public_contract_unverified": str,
                                 "drafted_by": str})
    ensure_columns(db, "organisations", {"created_by": str})
    _init_pooled_tables(db)
    _init_network_tables(db)
    # Optimistic concurrency: every edit names the version it was read at (see base.check_version).
    for table in VERSIONED_TABLES:
        if "version" not in db[table].columns_dict:
            db[table].add_column("version", int, not_null_default=1)
    ensure_columns(db, "users", {"phone": str})
    # The CRE account that proposed (``proposed_by`` is the name shown; this is whom to tell).
    ensure_columns(db, "proposals", {"proposer_id": int})
    db["profiles"].create_index(["reference"], unique=True, if_not_exists=True)
    db["profiles"].create_index(["siae_id", "archived"], if_not_exists=True)
    db["needs"].create_index(["employer_id", "reference"], unique=True, if_not_exists=True)
    db["proposals"].create_index(["need_id", "profile_id"], unique=True, if_not_exists=True)
    db["proposal_events"].create_index(["proposal_id"], if_not_exists=True)


# Tables whose rows are edited through forms or the API: each write increments ``version``.
VERSIONED_TABLES = ("profiles", "needs", "proposals", "contracts", "lots", "ledger_entries", "users")


def ensure_columns(db: sqlite_utils.Database, table: str, columns: Mapping[str, type]) -> None:
    """Add the columns a table created by an earlier release lacks."""
    existing = db[table].columns_dict
    for name, kind in columns.items():
        if name not in existing:
            db[table].add_column(name, kind)


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
    # Version 4: titulaires are organisations, titulaires declare their hours month by month.
    ensure_columns(db, "contracts", {"pmsmp_counted": int, "facilitator_name": str, "facilitator_email": str,
                                     "facilitator_phone": str})
    # Lots from before titulaires were organisations: their typed names and the needs' typed references
    # are migrated once, when the column appears (a new database has nothing to migrate).
    titulaires_were_names = "titulaire_id" not in db["lots"].columns_dict
    ensure_columns(db, "lots", {"titulaire_id": str})
    ensure_columns(db, "participants", {"proposal_id": int, "siae_id": str, "eligibility_consent_at": str,
                                        "confirmed_by": str, "confirmed_at": str})
    ensure_columns(db, "ledger_entries", {"declaration_id": int})
    _init_declaration_tables(db)
    if titulaires_were_names:
        ensure_columns(db, "needs", {"lot_id": int, "public_contract_unverified": str})
        ensure_columns(db, "organisations", {"created_by": str})
        _link_titulaires_and_needs(db)
    db["contracts"].create_index(["buyer_id", "reference"], unique=True, if_not_exists=True)
    db["lots"].create_index(["contract_id", "number"], unique=True, if_not_exists=True)
    db.execute("DROP INDEX IF EXISTS idx_participants_reference")
    db["participants"].create_index(["contract_id", "reference"], unique=True, if_not_exists=True)
    db["ledger_entries"].create_index(["contract_id", "deleted"], if_not_exists=True)
    db["ledger_versions"].create_index(["entry_id"], if_not_exists=True)



def _init_declaration_tables(db: sqlite_utils.Database) -> None:
    """A titulaire's monthly declaration of a lot's hours, its lines and its history; supplier commitments."""
    db["declarations"].create(
        {"id": int, "contract_id": int, "lot_id": int, "month": str, "status": str, "rejection_reason": str,
         "submitted_at": str, "submitted_by": str, "decided_at": str, "decided_by": str, "created_at": str,
         "updated_at": str},
        pk="id", not_null={"contract_id", "lot_id", "month", "status"},
        foreign_keys=[("contract_id", "contracts", "id"), ("lot_id", "lots", "id")], if_not_exists=True,
    )
    # Lines stay here until the buyer validates: only then do they reach the ledger (and count).
    db["declaration_lines"].create(
        {"id": int, "declaration_id": int, "position": int, "participant_reference": str, "participant_id": int,
         "proposal_id": int, "hours": float, "modality": str, "employer_name": str, "contract_type": str,
         "contract_start": str, "contract_end": str, "category": str, "proof_kind": str, "proof_date": str,
         "exit_situation": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"declaration_id", "participant_reference"},
        foreign_keys=[("declaration_id", "declarations", "id")], if_not_exists=True,
    )
    db["declaration_events"].create(
        {"id": int, "declaration_id": int, "action": str, "actor": str, "at": str, "reason": str, "changes": str},
        pk="id", foreign_keys=[("declaration_id", "declarations", "id")], if_not_exists=True,
    )
    db["clause_reminders"].create({"lot_id": int, "month": str, "sent_at": str}, pk=("lot_id", "month"),
                                  if_not_exists=True)
    db["supplier_commitments"].create(
        {"id": int, "buyer_id": str, "supplier_id": str, "year": int, "pmsmp": int, "internships": int, "hires": int,
         "internships_done": int, "note": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"buyer_id", "supplier_id", "year"},
        foreign_keys=[("buyer_id", "organisations", "id"), ("supplier_id", "organisations", "id")],
        defaults={"pmsmp": 0, "internships": 0, "hires": 0, "internships_done": 0}, if_not_exists=True,
    )
    db["declarations"].create_index(["lot_id", "month"], unique=True, if_not_exists=True)
    db["declaration_lines"].create_index(["declaration_id"], if_not_exists=True)
    db["declaration_events"].create_index(["declaration_id"], if_not_exists=True)
    db["supplier_commitments"].create_index(["buyer_id", "supplier_id", "year"], unique=True, if_not_exists=True)
    db["lots"].create_index(["titulaire_id"], if_not_exists=True)


def _normalised_name(name: str | None) -> str:
    return " ".join((name or "").casefold().split())


def _link_titulaires_and_needs(db: sqlite_utils.Database) -> None:
    """Data migration of the titulaires (schema version 4).

    * A lot's titulaire was a typed name: it becomes the employer organisation
      of exactly that name (case and spaces aside); no guess otherwise (a wrong
      award would show one company's hours to another).
    * A need's ``public_contract`` was a typed reference that any employer
      could set: the link is kept only where the need's employer is the
      titulaire of exactly one lot of a contract with that reference. Other
      typed references are set aside in ``public_contract_unverified`` (shown
      to the employer, who picks one of its own lots) and link nothing.
    """
    employers: dict[str, list[str]] = {}
    for org in db.query("SELECT id, name FROM organisations WHERE kind = 'employer'"):
        employers.setdefault(_normalised_name(org["name"]), []).append(org["id"])
    for lot in list(db.query("SELECT id, titulaire FROM lots WHERE titulaire_id IS NULL AND titulaire IS NOT NULL")):
        found = employers.get(_normalised_name(lot["titulaire"]), [])
        if len(found) == 1:
            db["lots"].update(lot["id"], {"titulaire_id": found[0]})
    for need in list(db.query("SELECT id, employer_id, public_contract FROM needs "
                              "WHERE public_contract IS NOT NULL AND TRIM(public_contract) != ''")):
        lots = [r["id"] for r in db.query(
            "SELECT lots.id FROM lots JOIN contracts ON contracts.id = lots.contract_id "
            "WHERE contracts.reference = ? AND lots.titulaire_id = ?", [need["public_contract"].strip(),
                                                                        need["employer_id"]])]
        update = {"public_contract": None}
        if len(lots) == 1:
            update["lot_id"] = lots[0]
        else:
            update["public_contract_unverified"] = need["public_contract"].strip()
        db["needs"].update(need["id"], update)


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
    # Tokens created before expiry existed get the default validity from their creation.
    if "expires_at" not in db["api_tokens"].columns_dict:
        db["api_tokens"].add_column("expires_at", str)
        for row in list(db.query("SELECT id, created_at FROM api_tokens")):
            start = datetime.fromisoformat(row["created_at"]) if row["created_at"] else datetime.now(timezone.utc)
            db["api_tokens"].update(row["id"], {"expires_at": (start + LEGACY_TOKEN_VALIDITY).isoformat()})
    # Server-side sessions: the cookie carries a random id whose digest is stored here, so that
    # logging out (or a password change) ends the session for every copy of the cookie.
    db["sessions"].create(
        {"id": str, "user_id": int, "created_at": str, "expires_at": str, "revoked_at": str},
        pk="id", not_null={"user_id"}, foreign_keys=[("user_id", "users", "id")], if_not_exists=True,
    )
    # Every login attempt (epoch seconds): the rate limit and the lockout read it in every worker.
    db["login_attempts"].create(
        {"id": int, "at": float, "ip": str, "user_id": int, "ok": int},
        pk="id", not_null={"at", "ok"}, if_not_exists=True,
    )
    db["users"].create_index(["email"], unique=True, if_not_exists=True)
    db["api_tokens"].create_index(["token_hash"], unique=True, if_not_exists=True)
    db["sessions"].create_index(["user_id"], if_not_exists=True)
    db["login_attempts"].create_index(["ip", "at"], if_not_exists=True)
    db["login_attempts"].create_index(["user_id", "at"], if_not_exists=True)
    db["audit_log"].create_index(["object_type", "object_id"], if_not_exists=True)



def _init_rome_tables(db: sqlite_utils.Database) -> None:
    db["rome_metiers"].create({"code": str, "label": str, "domain": str, "grand_domain": str, "text": str},
                              pk="code", if_not_exists=True)
    db["rome_appellations"].create({"code": str, "label": str, "rome": str}, pk="code", if_not_exists=True)
    db["rome_items"].create({"code": str, "label": str, "rubrique": str}, pk="code", if_not_exists=True)
    db["rome_metier_items"].create({"rome": str, "item": str, "core": int}, pk=("rome", "item"), if_not_exists=True)
    db["rome_mobility"].create({"source": str, "target": str, "rank": int}, pk=("source", "target"),
                               if_not_exists=True)
    # NAF sector groups (two-digit divisions) and the métiers each employs.
    db["rome_naf"].create({"code": str, "label": str}, pk="code", if_not_exists=True)
    db["rome_naf_metiers"].create({"naf": str, "rome": str}, pk=("naf", "rome"), if_not_exists=True)


# -- pooled needs: one need, several member employers, a carrier structure that hires ----------
def _init_pooled_tables(db: sqlite_utils.Database) -> None:
    db["pooled_needs"].create(
        {"need_id": int, "carrier_id": str, "carrier_contract": str, "training_body": str, "training_plan": str,
         "created_at": str, "updated_at": str},
        pk="need_id", not_null={"carrier_id", "carrier_contract"},
        foreign_keys=[("need_id", "needs", "id"), ("carrier_id", "organisations", "id")], if_not_exists=True,
    )
    # A member's share: a number of positions or a number of hours per week (one of the two); lot_id: the
    # member's own lot whose clause the hours of mise à disposition serve, when the member is its titulaire.
    db["pooled_members"].create(
        {"need_id": int, "employer_id": str, "rank": int, "positions": int, "hours_per_week": float, "lot_id": int},
        pk=("need_id", "employer_id"),
        foreign_keys=[("need_id", "pooled_needs", "need_id"), ("employer_id", "organisations", "id")],
        if_not_exists=True,
    )
    # A hire of the carrier placed (mise à disposition) with members, so many hours a week each.
    db["pooled_assignments"].create(
        {"id": int, "proposal_id": int, "need_id": int, "employer_id": str, "hours_per_week": float,
         "start_date": str, "end_date": str, "created_by": str, "created_at": str},
        pk="id", not_null={"proposal_id", "need_id", "employer_id", "hours_per_week", "start_date"},
        foreign_keys=[("proposal_id", "proposals", "id"), ("need_id", "pooled_needs", "need_id"),
                      ("employer_id", "organisations", "id")],
        if_not_exists=True,
    )
    # Hours of mise à disposition done, per assignment and month (what the carrier invoices the member).
    db["pooled_hours"].create(
        {"id": int, "assignment_id": int, "month": str, "hours": float, "recorded_by": str, "recorded_at": str},
        pk="id", not_null={"assignment_id", "month", "hours"},
        foreign_keys=[("assignment_id", "pooled_assignments", "id")], if_not_exists=True,
    )
    db["pooled_members"].create_index(["employer_id"], if_not_exists=True)
    db["pooled_assignments"].create_index(["proposal_id", "employer_id"], unique=True, if_not_exists=True)
    db["pooled_assignments"].create_index(["need_id"], if_not_exists=True)
    db["pooled_hours"].create_index(["assignment_id", "month"], unique=True, if_not_exists=True)


# -- a structure's employer network ("aller-vers l'entreprise") ---------------------------------
def _init_network_tables(db: sqlite_utils.Database) -> None:
    db["network_employers"].create(
        {"id": int, "siae_id": str, "reference": str, "name": str, "siret": str, "naf_code": str, "address": str,
         "postcode": str, "city": str, "lat": float, "lon": float, "size": str, "notes": str, "shared": int,
         "organisation_id": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"siae_id", "reference", "name"},
        foreign_keys=[("siae_id", "organisations", "id"), ("organisation_id", "organisations", "id")],
        defaults={"shared": 0}, if_not_exists=True,
    )
    db["network_contacts"].create(
        {"id": int, "network_id": int, "rank": int, "name": str, "role": str, "phone": str, "email": str},
        pk="id", not_null={"network_id", "name"}, foreign_keys=[("network_id", "network_employers", "id")],
        if_not_exists=True,
    )
    db["network_events"].create(
        {"id": int, "network_id": int, "kind": str, "date": str, "summary": str, "next_action": str,
         "next_action_date": str, "next_action_done": int, "author": str, "created_at": str},
        pk="id", not_null={"network_id", "kind", "date"}, foreign_keys=[("network_id", "network_employers", "id")],
        defaults={"next_action_done": 0}, if_not_exists=True,
    )
    # "Besoins pressentis": hiring the CRE expects (métier, when, how many); need_id once drafted as a need.
    db["network_potentials"].create(
        {"id": int, "network_id": int, "rank": int, "metier": str, "metier_id": str, "rome_code": str,
         "count": int, "expected": str, "notes": str, "need_id": int, "created_at": str, "updated_at": str},
        pk="id", not_null={"network_id", "metier"},
        foreign_keys=[("network_id", "network_employers", "id"), ("need_id", "needs", "id")], if_not_exists=True,
    )
    db["network_employers"].create_index(["siae_id", "reference"], unique=True, if_not_exists=True)
    db["network_employers"].create_index(["shared"], if_not_exists=True)
    db["network_contacts"].create_index(["network_id"], if_not_exists=True)
    db["network_events"].create_index(["network_id"], if_not_exists=True)
    db["network_potentials"].create_index(["network_id"], if_not_exists=True)



# -- notifications: in-app list, e-mail queue, preferences, reminders already sent ----------
def _init_notification_tables(db: sqlite_utils.Database) -> None:
    # One row per event and recipient: the in-app list, and what a mail is made of.
    db["notifications"].create(
        {"id": int, "user_id": int, "org_id": str, "kind": str, "title": str, "link": str, "context": str,
         "object_type": str, "object_id": str, "delivery": str, "mail_id": int, "created_at": str, "read_at": str},
        pk="id", not_null={"user_id", "kind", "title"}, foreign_keys=[("user_id", "users", "id")],
        defaults={"context": "{}"}, if_not_exists=True,
    )
    # One row per message to send; rendered and sent by ``flask run-jobs``.
    db["mail_queue"].create(
        {"id": int, "kind": str, "user_id": int, "to_addr": str, "context": str, "subject": str, "message": str,
         "status": str, "attempts": int, "next_attempt_at": str, "claimed_at": str, "last_error": str,
         "secret": int, "created_at": str, "sent_at": str, "eml_path": str},
        pk="id", not_null={"kind", "to_addr", "status"}, defaults={"attempts": 0, "secret": 0, "context": "{}"},
        if_not_exists=True,
    )
    db["notification_settings"].create(
        {"user_id": int, "org_id": str, "kind": str, "mode": str},
        pk=("user_id", "org_id", "kind"), foreign_keys=[("user_id", "users", "id")], if_not_exists=True,
    )
    # What a periodic job already did (a reminder for this proposal, this check-in…): run-jobs
    # may run every few minutes, from several processes, and still acts once.
    db["job_marks"].create({"kind": str, "key": str, "at": str}, pk=("kind", "key"), if_not_exists=True)
    db["password_resets"].create(
        {"id": int, "user_id": int, "token_hash": str, "expires_at": str, "used_at": str, "created_at": str},
        pk="id", not_null={"user_id", "token_hash", "expires_at"}, foreign_keys=[("user_id", "users", "id")],
        if_not_exists=True,
    )
    db["interviews"].create(
        {"id": int, "proposal_id": int, "starts_at": str, "duration_minutes": int, "mode": str, "place": str,
         "contact_name": str, "contact_phone": str, "note": str, "status": str, "proposed_by": int,
         "answered_by": int, "answer_note": str, "sequence": int, "notified_at": str, "created_at": str,
         "updated_at": str},
        pk="id", not_null={"proposal_id", "starts_at", "mode", "status"},
        foreign_keys=[("proposal_id", "proposals", "id")], defaults={"sequence": 0}, if_not_exists=True,
    )
    db["notifications"].create_index(["user_id", "read_at"], if_not_exists=True)
    db["notifications"].create_index(["delivery", "mail_id"], if_not_exists=True)
    db["mail_queue"].create_index(["status", "next_attempt_at"], if_not_exists=True)
    db["password_resets"].create_index(["token_hash"], unique=True, if_not_exists=True)
    db["interviews"].create_index(["proposal_id"], if_not_exists=True)


# -- after the hire: follow-up plans, check-ins, the tutor's assessment; exit outcomes ------
def _init_followup_tables(db: sqlite_utils.Database) -> None:
    db["followup_plans"].create(
        {"id": int, "proposal_id": int, "profile_id": int, "siae_id": str, "employer_id": str, "cre_user_id": int,
         "hired_on": str, "contract_type": str, "contract_months": int, "tutor_name": str, "tutor_phone": str,
         "tutor_email": str, "status": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"proposal_id", "profile_id", "siae_id", "employer_id", "hired_on", "status"},
        foreign_keys=[("proposal_id", "proposals", "id"), ("profile_id", "profiles", "id")],
        defaults={"status": "en_cours"}, if_not_exists=True,
    )
    db["followup_checkins"].create(
        {"id": int, "plan_id": int, "day_offset": int, "due_on": str, "done_at": str, "situation": str,
         "difficulties": str, "action": str, "recorded_by": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"plan_id", "due_on"}, foreign_keys=[("plan_id", "followup_plans", "id")],
        defaults={"difficulties": "[]"}, if_not_exists=True,
    )
    db["tutor_assessments"].create(
        {"id": int, "plan_id": int, "punctuality": int, "integration": int, "skills": int, "comment": str,
         "author_name": str, "author_user_id": int, "created_at": str},
        pk="id", not_null={"plan_id"}, foreign_keys=[("plan_id", "followup_plans", "id")], if_not_exists=True,
    )
    db["exit_outcomes"].create(
        {"id": int, "profile_id": int, "siae_id": str, "exit_date": str, "detail": str, "category": str,
         "contract_type": str, "contract_months": int, "employer_name": str, "sector": str, "proposal_id": int,
         "comment": str, "recorded_by": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"profile_id", "siae_id", "exit_date", "detail", "category"},
        foreign_keys=[("profile_id", "profiles", "id")], if_not_exists=True,
    )
    db["followup_plans"].create_index(["proposal_id"], unique=True, if_not_exists=True)
    db["followup_plans"].create_index(["siae_id", "status"], if_not_exists=True)
    db["followup_checkins"].create_index(["plan_id"], if_not_exists=True)
    db["tutor_assessments"].create_index(["plan_id"], if_not_exists=True)
    db["exit_outcomes"].create_index(["profile_id"], unique=True, if_not_exists=True)
    db["exit_outcomes"].create_index(["siae_id", "exit_date"], if_not_exists=True)
