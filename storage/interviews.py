"""Interviews of a proposal: the employer proposes a slot, the CRE confirms it or asks for another.

A new slot replaces the previous one (kept, marked « remplacé »); its ``sequence`` grows so that a
calendar updates the same event instead of adding one.
"""
from __future__ import annotations

from typing import Any, Mapping

import sqlite_utils

from .base import Conflict, get_row, now, select, transaction

INTERVIEW_MODES = {"sur_place": "Sur place", "telephone": "Par téléphone", "visio": "En visio"}
PROPOSED = "propose"
CONFIRMED = "confirme"
OTHER_SLOT = "autre_creneau"
REPLACED = "remplace"
INTERVIEW_STATUSES = {PROPOSED: "Proposé, à confirmer", CONFIRMED: "Confirmé", OTHER_SLOT: "Autre créneau demandé",
                      REPLACED: "Remplacé"}


def propose_interview(db: sqlite_utils.Database, proposal_id: int, data: Mapping[str, Any], *,
                      by_user_id: int | None) -> int:
    """Record a slot (``starts_at``, ``duration_minutes``, ``mode``, ``place``, ``contact_name``,
    ``contact_phone``, ``note``); the previous slot of the proposal is replaced."""
    with transaction(db):
        get_row(db, "proposals", proposal_id)
        previous = db.execute("SELECT COALESCE(MAX(sequence), -1) FROM interviews WHERE proposal_id = ?",
                              [proposal_id]).fetchone()[0]
        stamp = now()
        db.execute("UPDATE interviews SET status = ?, updated_at = ? WHERE proposal_id = ? AND status != ?",
                   [REPLACED, stamp, proposal_id, REPLACED])
        return int(db["interviews"].insert({
            **{k: data.get(k) for k in ("starts_at", "duration_minutes", "mode", "place", "contact_name",
                                        "contact_phone", "note")},
            "proposal_id": proposal_id, "status": PROPOSED, "proposed_by": by_user_id, "sequence": previous + 1,
            "created_at": stamp, "updated_at": stamp,
        }).last_pk)


def current_interview(db: sqlite_utils.Database, proposal_id: int) -> dict[str, Any] | None:
    rows = select(db, "interviews", "SELECT * FROM interviews WHERE proposal_id = ? AND status != ? "
                                    "ORDER BY id DESC LIMIT 1", [proposal_id, REPLACED])
    return rows[0] if rows else None


def get_interview(db: sqlite_utils.Database, interview_id: int) -> dict[str, Any]:
    return get_row(db, "interviews", interview_id)


def list_interviews(db: sqlite_utils.Database, proposal_id: int) -> list[dict[str, Any]]:
    return select(db, "interviews", "SELECT * FROM interviews WHERE proposal_id = ? ORDER BY id", [proposal_id])


def answer_interview(db: sqlite_utils.Database, interview_id: int, status: str, *, by_user_id: int | None,
                     note: str = "") -> dict[str, Any]:
    """The CRE confirms the slot or asks for another; only a slot waiting for an answer can be answered."""
    if status not in (CONFIRMED, OTHER_SLOT):
        raise Conflict("Réponse inconnue : confirmer ou demander un autre créneau")
    with transaction(db):
        row = get_row(db, "interviews", interview_id)
        if row["status"] != PROPOSED:
            raise Conflict("Ce créneau a déjà reçu une réponse ou a été remplacé")
        # A confirmation is a new version of the calendar event (tentative → confirmed).
        db["interviews"].update(interview_id, {"status": status, "answered_by": by_user_id, "answer_note": note,
                                               "sequence": row["sequence"] + 1, "updated_at": now()})
        return get_row(db, "interviews", interview_id)


def mark_interview_notified(db: sqlite_utils.Database, interview_id: int) -> None:
    with transaction(db):
        db["interviews"].update(interview_id, {"notified_at": now()})
