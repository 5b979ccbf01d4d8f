"""Rights of the person (RGPD): access to everything held, and erasure."""
from __future__ import annotations

from typing import Any

import sqlite_utils

from .accounts import audit_entries
from .base import now, select, transaction
from .profiles import get_profile
from .proposals import list_proposals, proposal_events
from .records import update_record

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
    participants = select(db, "participants", "SELECT * FROM participants WHERE profile_id = ?", [profile_id])
    ledger = []
    for participant in participants:
        ledger += select(db, "ledger_entries", "SELECT * FROM ledger_entries WHERE participant_id = ?",
                        [participant["id"]])
    placements = [dict(r) for r in db.query(
        "SELECT pooled_assignments.*, organisations.name AS employer_name FROM pooled_assignments "
        "JOIN organisations ON organisations.id = pooled_assignments.employer_id "
        "JOIN proposals ON proposals.id = pooled_assignments.proposal_id WHERE proposals.profile_id = ? "
        "ORDER BY pooled_assignments.id", [profile_id])]
    for placement in placements:
        placement["hours"] = [dict(r) for r in db.query(
            "SELECT month, hours, recorded_at FROM pooled_hours WHERE assignment_id = ? ORDER BY month",
            [placement["id"]])]
    return {
        "profile": profile,
        "proposals": [{**p, "events": proposal_events(db, p["id"])} for p in proposals],
        "clause_participations": participants,
        "clause_hours": ledger,
        "pooled_placements": placements,
        "access_log": audit_entries(db, object_type="profile", object_id=profile_id),
    }


def anonymise_profile(db: sqlite_utils.Database, profile_id: int) -> None:
    """Erase a person (RGPD art. 17) while the clause hours they did keep counting.

    The profile keeps only an anonymous reference; proposal messages and
    explanations go; clause participants are unlinked from the profile and
    keep their own reference, category and proof (needed to justify the
    hours to the buyer), so clause totals do not move.
    """
    with transaction(db):
        get_profile(db, profile_id)
        update_record(db, "profiles", profile_id, {**_ANONYMISED, "reference": f"ANON-{profile_id}", "archived": 1,
                                             "anonymised_at": now()})
        db.execute("UPDATE proposals SET message = '', explanation = '{}' WHERE profile_id = ?", [profile_id])
        db.execute("UPDATE proposal_events SET note = '' WHERE proposal_id IN "
                   "(SELECT id FROM proposals WHERE profile_id = ?)", [profile_id])
        db.execute("UPDATE participants SET profile_id = NULL WHERE profile_id = ?", [profile_id])
