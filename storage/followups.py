"""Follow-up plans after a hire: check-ins, the company's tutor, the tutor's assessments."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Iterable, Mapping

import sqlite_utils

import followup

from .base import Conflict, NotFound, encode_row, get_row, now, select, transaction

PLAN_STATUSES = {"en_cours": "En cours", "termine": "Terminé"}

_PLAN_SELECT = (
    "SELECT followup_plans.*, profiles.first_name AS first_name, profiles.reference AS profile_reference, "
    "needs.title AS need_title, needs.id AS need_id, organisations.name AS employer_name, "
    "users.name AS cre_name, users.email AS cre_email, users.phone AS cre_phone "
    "FROM followup_plans JOIN profiles ON profiles.id = followup_plans.profile_id "
    "JOIN proposals ON proposals.id = followup_plans.proposal_id JOIN needs ON needs.id = proposals.need_id "
    "JOIN organisations ON organisations.id = followup_plans.employer_id "
    "LEFT JOIN users ON users.id = followup_plans.cre_user_id "
)


def create_followup_plan(db: sqlite_utils.Database, *, proposal: Mapping[str, Any], hired_on: date,
                         cre_user_id: int | None, contract_type: str | None,
                         days: Iterable[int] = followup.DEFAULT_CHECKIN_DAYS) -> int:
    """The plan of a hire with its check-ins; a proposal has one plan (a second call returns it)."""
    with transaction(db):
        existing = db.execute("SELECT id FROM followup_plans WHERE proposal_id = ?", [proposal["id"]]).fetchone()
        if existing:
            return existing[0]
        stamp = now()
        plan_id = int(db["followup_plans"].insert({
            "proposal_id": proposal["id"], "profile_id": proposal["profile_id"], "siae_id": proposal["siae_id"],
            "employer_id": proposal["employer_id"], "cre_user_id": cre_user_id, "hired_on": hired_on.isoformat(),
            "contract_type": contract_type, "status": "en_cours", "created_at": stamp, "updated_at": stamp,
        }).last_pk)
        for offset, due in followup.checkin_schedule(hired_on, days):
            db["followup_checkins"].insert({"plan_id": plan_id, "day_offset": offset, "due_on": due.isoformat(),
                                            "difficulties": "[]", "created_at": stamp, "updated_at": stamp})
        return plan_id


def get_followup_plan(db: sqlite_utils.Database, plan_id: int) -> dict[str, Any]:
    rows = select(db, "followup_plans", _PLAN_SELECT + "WHERE followup_plans.id = ?", [plan_id])
    if not rows:
        raise NotFound(f"followup_plans {plan_id}")
    return rows[0]


def followup_plan_for_proposal(db: sqlite_utils.Database, proposal_id: int) -> dict[str, Any] | None:
    rows = select(db, "followup_plans", _PLAN_SELECT + "WHERE followup_plans.proposal_id = ?", [proposal_id])
    return rows[0] if rows else None


def list_followup_plans(db: sqlite_utils.Database, *, siae_id: str | None = None, employer_id: str | None = None,
                        profile_id: int | None = None, status: str | None = None) -> list[dict[str, Any]]:
    where, params = ["1 = 1"], []
    for column, value in (("followup_plans.siae_id", siae_id), ("followup_plans.employer_id", employer_id),
                          ("followup_plans.profile_id", profile_id), ("followup_plans.status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return select(db, "followup_plans", _PLAN_SELECT + f"WHERE {' AND '.join(where)} "
                                                       "ORDER BY followup_plans.hired_on DESC, followup_plans.id DESC",
                  params)


def update_followup_plan(db: sqlite_utils.Database, plan_id: int, data: Mapping[str, Any]) -> None:
    """Tutor, CRE in charge, contract, status, hire date (a corrected hire date moves the check-ins not
    done yet, each keeping its number of days after the hire)."""
    allowed = {"tutor_name", "tutor_phone", "tutor_email", "cre_user_id", "contract_type", "contract_months",
               "status", "hired_on"}
    with transaction(db):
        plan = get_row(db, "followup_plans", plan_id)
        stamp = now()
        db["followup_plans"].update(plan_id, {**{k: v for k, v in data.items() if k in allowed}, "updated_at": stamp})
        hired = data.get("hired_on")
        if hired and hired != plan["hired_on"]:
            start = date.fromisoformat(hired)
            for checkin in list_checkins(db, plan_id):
                if not checkin["done_at"] and checkin["day_offset"] is not None:
                    db["followup_checkins"].update(checkin["id"], {
                        "due_on": (start + timedelta(days=checkin["day_offset"])).isoformat(), "updated_at": stamp})


# -- check-ins -------------------------------------------------------------------
def list_checkins(db: sqlite_utils.Database, plan_id: int) -> list[dict[str, Any]]:
    return select(db, "followup_checkins", "SELECT * FROM followup_checkins WHERE plan_id = ? ORDER BY due_on, id",
                  [plan_id])


def get_checkin(db: sqlite_utils.Database, checkin_id: int) -> dict[str, Any]:
    return get_row(db, "followup_checkins", checkin_id)


def _check_due(db: sqlite_utils.Database, plan_id: int, due_on: date) -> None:
    plan = get_row(db, "followup_plans", plan_id)
    problem = followup.check_due_date(date.fromisoformat(plan["hired_on"]), due_on)
    if problem:
        raise Conflict(problem)


def add_checkin(db: sqlite_utils.Database, plan_id: int, due_on: date) -> int:
    with transaction(db):
        _check_due(db, plan_id, due_on)
        plan = get_row(db, "followup_plans", plan_id)
        stamp = now()
        return int(db["followup_checkins"].insert({
            "plan_id": plan_id, "due_on": due_on.isoformat(), "difficulties": "[]",
            "day_offset": (due_on - date.fromisoformat(plan["hired_on"])).days, "created_at": stamp,
            "updated_at": stamp}).last_pk)


def move_checkin(db: sqlite_utils.Database, checkin_id: int, due_on: date) -> None:
    with transaction(db):
        row = get_row(db, "followup_checkins", checkin_id)
        if row["done_at"]:
            raise Conflict("Ce point de suivi est déjà fait.")
        _check_due(db, row["plan_id"], due_on)
        plan = get_row(db, "followup_plans", row["plan_id"])
        db["followup_checkins"].update(checkin_id, {
            "due_on": due_on.isoformat(), "day_offset": (due_on - date.fromisoformat(plan["hired_on"])).days,
            "updated_at": now()})


def delete_checkin(db: sqlite_utils.Database, checkin_id: int) -> None:
    with transaction(db):
        row = get_row(db, "followup_checkins", checkin_id)
        if row["done_at"]:
            raise Conflict("Un point de suivi fait reste dans l'historique.")
        db["followup_checkins"].delete(checkin_id)


def record_checkin(db: sqlite_utils.Database, checkin_id: int, *, situation: str, difficulties: list[str],
                   action: str, recorded_by: str) -> None:
    """What the check-in found (the situation, the difficulties, the action taken)."""
    errors = followup.check_checkin(situation, difficulties, action)
    if errors:
        raise Conflict(" ".join(errors.values()))
    with transaction(db):
        get_row(db, "followup_checkins", checkin_id)
        stamp = now()
        db["followup_checkins"].update(checkin_id, encode_row("followup_checkins", {
            "situation": situation, "difficulties": list(difficulties), "action": action, "recorded_by": recorded_by,
            "done_at": stamp, "updated_at": stamp}))


def overdue_checkins(db: sqlite_utils.Database, *, today: date, siae_id: str | None = None,
                     cre_user_id: int | None = None) -> list[dict[str, Any]]:
    """Check-ins of plans in progress not recorded by the end of their due day, oldest first."""
    where, params = ["followup_checkins.done_at IS NULL", "followup_checkins.due_on < ?",
                     "followup_plans.status = 'en_cours'"], [today.isoformat()]
    if siae_id:
        where.append("followup_plans.siae_id = ?")
        params.append(siae_id)
    if cre_user_id:
        where.append("followup_plans.cre_user_id = ?")
        params.append(cre_user_id)
    return select(db, "followup_checkins",
                  "SELECT followup_checkins.*, followup_plans.profile_id, followup_plans.siae_id, "
                  "followup_plans.cre_user_id, followup_plans.hired_on, profiles.first_name, "
                  "organisations.name AS employer_name FROM followup_checkins "
                  "JOIN followup_plans ON followup_plans.id = followup_checkins.plan_id "
                  "JOIN profiles ON profiles.id = followup_plans.profile_id "
                  "JOIN organisations ON organisations.id = followup_plans.employer_id "
                  f"WHERE {' AND '.join(where)} ORDER BY followup_checkins.due_on, followup_checkins.id", params)


# -- the tutor's assessment -----------------------------------------------------------
def add_tutor_assessment(db: sqlite_utils.Database, plan_id: int, data: Mapping[str, Any], *, author_name: str,
                         author_user_id: int | None) -> int:
    errors = followup.check_assessment(data)
    if errors:
        raise Conflict(" ".join(errors.values()))
    with transaction(db):
        get_row(db, "followup_plans", plan_id)
        return int(db["tutor_assessments"].insert({
            "plan_id": plan_id, **{k: data[k] for k in followup.ASSESSMENT_CRITERIA},
            "comment": (data.get("comment") or "")[:followup.MAX_ACTION_TEXT], "author_name": author_name,
            "author_user_id": author_user_id, "created_at": now()}).last_pk)


def list_tutor_assessments(db: sqlite_utils.Database, plan_id: int) -> list[dict[str, Any]]:
    return select(db, "tutor_assessments", "SELECT * FROM tutor_assessments WHERE plan_id = ? ORDER BY id DESC",
                  [plan_id])
