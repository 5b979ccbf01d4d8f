"""Exit outcomes: how a person's path in the structure ended (one per person, corrected in place)."""
from __future__ import annotations

from typing import Any, Mapping

import sqlite_utils

import outcomes

from .base import Conflict, get_row, now, select, transaction

_FIELDS = ("exit_date", "detail", "contract_type", "contract_months", "employer_name", "sector", "proposal_id",
           "comment")


def save_exit_outcome(db: sqlite_utils.Database, profile_id: int, data: Mapping[str, Any], *,
                      recorded_by: str) -> int:
    """Record (or correct) a person's exit; the category follows from the situation and duration."""
    try:
        category = outcomes.category_of(data.get("detail") or "", data.get("contract_months"))
    except outcomes.OutcomeError as exc:
        raise Conflict(str(exc)) from exc
    with transaction(db):
        profile = get_row(db, "profiles", profile_id)
        row = {**{k: data.get(k) for k in _FIELDS}, "category": category, "profile_id": profile_id,
               "siae_id": profile["siae_id"], "recorded_by": recorded_by, "updated_at": now()}
        existing = db.execute("SELECT id FROM exit_outcomes WHERE profile_id = ?", [profile_id]).fetchone()
        if existing:
            db["exit_outcomes"].update(existing[0], row)
            return existing[0]
        return int(db["exit_outcomes"].insert({**row, "created_at": row["updated_at"]}).last_pk)


def exit_outcome_for_profile(db: sqlite_utils.Database, profile_id: int) -> dict[str, Any] | None:
    rows = select(db, "exit_outcomes", "SELECT * FROM exit_outcomes WHERE profile_id = ?", [profile_id])
    return rows[0] if rows else None


def list_exit_outcomes(db: sqlite_utils.Database, siae_id: str, *, since: str | None = None,
                       until: str | None = None) -> list[dict[str, Any]]:
    """A structure's exits (with the person's first name and reference), oldest first."""
    where, params = ["exit_outcomes.siae_id = ?"], [siae_id]
    if since:
        where.append("exit_outcomes.exit_date >= ?")
        params.append(since)
    if until:
        where.append("exit_outcomes.exit_date <= ?")
        params.append(until)
    return select(db, "exit_outcomes",
                  "SELECT exit_outcomes.*, profiles.first_name, profiles.reference AS profile_reference "
                  "FROM exit_outcomes JOIN profiles ON profiles.id = exit_outcomes.profile_id "
                  f"WHERE {' AND '.join(where)} ORDER BY exit_outcomes.exit_date, exit_outcomes.id", params)
