"""A CRE's caseload: each person of the structure with their last action, next follow-up and
proposals in progress (read-only, one query per fact rather than one per person)."""
from __future__ import annotations

from typing import Any

import sqlite_utils

import workflow

from .base import select

# Every action on a person's path, as (profile, when, what, about): proposals and their moves and
# notes, check-ins recorded, exits recorded, profile changes. SQLite returns the other columns of the
# row holding the MAX in a GROUP BY: the last action and its label in one pass (within one second,
# the later row of its table wins: a hire recorded with its proposal's creation comes after it).
_ACTIONS = """
SELECT profile_id, MAX(at || '|' || printf('%010d', ord)) AS latest, what, about FROM (
  SELECT proposals.profile_id AS profile_id, proposal_events.at AS at, proposal_events.id AS ord,
         CASE WHEN proposal_events.from_status IS proposal_events.to_status THEN 'note' ELSE proposal_events.to_status END AS what,
         needs.title AS about
    FROM proposal_events JOIN proposals ON proposals.id = proposal_events.proposal_id
    JOIN needs ON needs.id = proposals.need_id JOIN profiles ON profiles.id = proposals.profile_id
   WHERE profiles.siae_id = :siae
  UNION ALL
  SELECT followup_plans.profile_id, followup_checkins.done_at, followup_checkins.id, 'point_de_suivi', organisations.name
    FROM followup_checkins JOIN followup_plans ON followup_plans.id = followup_checkins.plan_id
    JOIN organisations ON organisations.id = followup_plans.employer_id
   WHERE followup_plans.siae_id = :siae AND followup_checkins.done_at IS NOT NULL
  UNION ALL
  SELECT profile_id, updated_at, id, 'sortie', detail FROM exit_outcomes WHERE siae_id = :siae
  UNION ALL
  SELECT id, updated_at, 0, 'profil', NULL FROM profiles WHERE siae_id = :siae
) GROUP BY profile_id
"""


def caseload(db: sqlite_utils.Database, siae_id: str, *, include_archived: bool = False) -> list[dict[str, Any]]:
    """The people of a structure, each with ``last_action_at``, ``last_action`` (a state, ``note``,
    ``point_de_suivi``, ``sortie`` or ``profil``), ``last_action_about``, ``next_checkin`` (due date),
    ``open_proposals`` (list of {id, need_title, status}), ``proposer_ids`` and ``followup_cre_ids``."""
    people = select(db, "profiles", "SELECT id, reference, first_name, archived, path_end, anonymised_at "
                                    "FROM profiles WHERE siae_id = ?" + ("" if include_archived else " AND archived = 0")
                    + " ORDER BY reference", [siae_id])
    actions = {r["profile_id"]: r for r in db.query(_ACTIONS, {"siae": siae_id})}
    next_checkins = {r["profile_id"]: r["due_on"] for r in db.query(
        "SELECT followup_plans.profile_id AS profile_id, MIN(followup_checkins.due_on) AS due_on "
        "FROM followup_checkins JOIN followup_plans ON followup_plans.id = followup_checkins.plan_id "
        "WHERE followup_plans.siae_id = ? AND followup_plans.status = 'en_cours' AND followup_checkins.done_at IS NULL "
        "GROUP BY followup_plans.profile_id", [siae_id])}
    open_states = workflow.OPEN_STATES
    proposals: dict[int, list[dict[str, Any]]] = {}
    proposers: dict[int, set[int]] = {}
    for r in db.query("SELECT proposals.id, proposals.profile_id, proposals.status, proposals.proposer_id, "
                      "needs.title AS need_title FROM proposals JOIN profiles ON profiles.id = proposals.profile_id "
                      "JOIN needs ON needs.id = proposals.need_id WHERE profiles.siae_id = ? ORDER BY proposals.id",
                      [siae_id]):
        if r["proposer_id"]:
            proposers.setdefault(r["profile_id"], set()).add(r["proposer_id"])
        if r["status"] in open_states:
            proposals.setdefault(r["profile_id"], []).append(
                {"id": r["id"], "need_title": r["need_title"], "status": r["status"]})
    in_charge: dict[int, set[int]] = {}
    for r in db.query("SELECT profile_id, cre_user_id FROM followup_plans WHERE siae_id = ? AND cre_user_id IS NOT NULL",
                      [siae_id]):
        in_charge.setdefault(r["profile_id"], set()).add(r["cre_user_id"])
    out = []
    for person in people:
        action = actions.get(person["id"]) or {}
        out.append({**person, "last_action_at": (action.get("latest") or "").split("|")[0] or None, "last_action": action.get("what"),
                    "last_action_about": action.get("about"), "next_checkin": next_checkins.get(person["id"]),
                    "open_proposals": proposals.get(person["id"], []),
                    "proposer_ids": proposers.get(person["id"], set()),
                    "followup_cre_ids": in_charge.get(person["id"], set())})
    return out
