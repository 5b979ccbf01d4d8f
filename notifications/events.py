"""Who is told of what. Each function turns one event into notifications for its recipients.

Contexts are built per audience: what goes to an employer (or a buyer) is made of the shared facts of
a proposal only; eligibility criteria, notes and internal follow-up notes never enter a context.
"""
from __future__ import annotations

from typing import Any, Mapping

import sqlite_utils

import followup
import storage
import workflow
from web.filters import date_fr, month_fr, when_fr

from . import kinds, notify

Row = Mapping[str, Any]


# -- recipients ------------------------------------------------------------------
def employer_users(db: sqlite_utils.Database, employer_id: str) -> list[dict[str, Any]]:
    return storage.org_members(db, employer_id, role="employer")


def cre_in_charge(db: sqlite_utils.Database, siae_id: str, user_id: int | None) -> list[dict[str, Any]]:
    """The CRE who proposed (or follows) the person; every CRE of the structure when that account is
    unknown or gone (a proposal made before accounts existed, a CRE who left)."""
    if user_id:
        try:
            user = storage.get_user(db, user_id)
        except storage.NotFound:
            user = None
        if user and user["active"] and user["role"] == "cre" and user["org_id"] == siae_id:
            return [user]
    return storage.org_members(db, siae_id, role="cre")


def proposer(db: sqlite_utils.Database, proposal: Row) -> dict[str, Any] | None:
    if not proposal.get("proposer_id"):
        return None
    try:
        return storage.get_user(db, proposal["proposer_id"])
    except storage.NotFound:
        return None


# -- contexts --------------------------------------------------------------------
def employer_context(db: sqlite_utils.Database, proposal: Row) -> dict[str, Any]:
    """What an employer may read about a proposal: the person's first name, the job, the CRE's message
    and contact. Nothing else of the profile."""
    cre = proposer(db, proposal)
    structure = storage.get_organisation(db, proposal["siae_id"])
    return {"proposal_id": proposal["id"], "first_name": proposal["first_name"], "need_title": proposal["need_title"],
            "employer_name": proposal["employer_name"], "message": proposal.get("message") or "",
            "structure_name": structure["name"], "cre_name": cre["name"] if cre else proposal.get("proposed_by"),
            "cre_phone": (cre or {}).get("phone") or "", "cre_email": (cre or {}).get("email") or ""}


def cre_context(proposal: Row) -> dict[str, Any]:
    return {"proposal_id": proposal["id"], "first_name": proposal["first_name"], "need_title": proposal["need_title"],
            "employer_name": proposal["employer_name"], "state": proposal["status"],
            "state_label": workflow.STATE_LABELS.get(proposal["status"], proposal["status"]),
            "reason_label": workflow.REFUSAL_REASONS.get(proposal.get("refusal_reason") or "", "")}


def interview_context(interview: Row) -> dict[str, Any]:
    keys = ("id", "proposal_id", "starts_at", "duration_minutes", "mode", "place", "contact_name", "contact_phone",
            "note", "status", "sequence", "answer_note")
    return {**{k: interview.get(k) for k in keys}, "mode_label": storage.INTERVIEW_MODES.get(interview["mode"], ""),
            "when": when_fr(interview["starts_at"])}


def _employer_link(proposal: Row) -> str:
    return f"/employeur/candidatures/{proposal['id']}"


def _cre_link(proposal: Row) -> str:
    return f"/cre/propositions/{proposal['id']}"


# -- proposals -------------------------------------------------------------------
def on_proposal_change(db: sqlite_utils.Database, change: storage.ProposalChange) -> None:
    """Listener of every proposal creation and state change (inside its transaction)."""
    proposal = change.proposal
    if change.previous_status is None:
        notify(db, kinds.NewProposal, employer_users(db, proposal["employer_id"]), employer_context(db, proposal),
               link=_employer_link(proposal), object_type="proposal", object_id=proposal["id"])
        return
    if proposal["status"] == change.previous_status:
        return
    if change.internal:
        # The CRE moved it: the employer sees the new state (never the CRE's internal note).
        notify(db, kinds.ProposalUpdatedByCre, employer_users(db, proposal["employer_id"]),
               {**employer_context(db, proposal), "state_label": workflow.STATE_LABELS[proposal["status"]],
                "reason_label": workflow.REFUSAL_REASONS.get(proposal.get("refusal_reason") or "", "")},
               link=_employer_link(proposal), object_type="proposal", object_id=proposal["id"])
    else:
        interview = storage.current_interview(db, proposal["id"]) if proposal["status"] == workflow.INTERVIEW else None
        if interview and interview["status"] == storage.INTERVIEW_PROPOSED and not interview["notified_at"]:
            interview_proposed(db, proposal, interview)  # the interview mail says it all, with the .ics
        else:
            kind = kinds.ProposalSeen if proposal["status"] == workflow.SEEN else kinds.ProposalAnswered
            notify(db, kind, cre_in_charge(db, proposal["siae_id"], proposal.get("proposer_id")),
                   {**cre_context(proposal), "note": change.note, "actor": change.actor},
                   link=_cre_link(proposal), object_type="proposal", object_id=proposal["id"])
    if proposal["status"] == workflow.HIRED:
        clause_hire(db, proposal)


def clause_hire(db: sqlite_utils.Database, proposal: Row) -> None:
    """A hire on a need linked to a public contract: its buyer learns that insertion hours are coming
    (no name: a buyer sees participants in its ledger, not in mails)."""
    need = storage.get_need(db, proposal["need_id"])
    if not need.get("lot_id"):  # linked by the lot's titulaire, never by a typed reference
        return
    contract = storage.get_contract(db, storage.get_lot(db, need["lot_id"])["contract_id"])
    notify(db, kinds.ClauseHire, storage.org_members(db, contract["buyer_id"], role="buyer"),
           {"employer_name": proposal["employer_name"], "need_title": proposal["need_title"],
            "contract_reference": contract["reference"], "contract_title": contract["title"]},
           link=f"/acheteur/marches/{contract['id']}", object_type="contract", object_id=contract["id"])


def clause_months_missing(db: sqlite_utils.Database, reminder: Any) -> None:
    """A titulaire has not declared months of a lot by the 10th of the next month (``reminder``: a
    ``web.declarations.Reminder``): its users are reminded, once per lot and month."""
    lot, contract = reminder.lot, reminder.contract
    notify(db, kinds.ClauseMonthsMissing, storage.org_members(db, reminder.titulaire_id, role="employer"),
           {"contract_reference": contract["reference"], "contract_title": contract["title"],
            "lot_number": lot["number"], "lot_title": lot["title"],
            "months": [month_fr(m) for m in reminder.months]},
           link=f"/employeur/marches/lots/{lot['id']}", object_type="lot", object_id=lot["id"])


# -- interviews ------------------------------------------------------------------
def interview_proposed(db: sqlite_utils.Database, proposal: Row, interview: Row) -> None:
    employer_user = storage.get_user(db, interview["proposed_by"]) if interview.get("proposed_by") else None
    notify(db, kinds.InterviewProposed, cre_in_charge(db, proposal["siae_id"], proposal.get("proposer_id")),
           {**cre_context(proposal), "interview": interview_context(interview),
            "employer_contact": {"name": (employer_user or {}).get("name") or "",
                                 "email": (employer_user or {}).get("email") or "",
                                 "phone": (employer_user or {}).get("phone") or ""}},
           link=_cre_link(proposal) + "#entretien", object_type="proposal", object_id=proposal["id"])
    storage.mark_interview_notified(db, interview["id"])


def interview_answered(db: sqlite_utils.Database, proposal: Row, interview: Row) -> None:
    context = {**employer_context(db, proposal), "interview": interview_context(interview)}
    link = _employer_link(proposal) + "#entretien"
    if interview["status"] == storage.INTERVIEW_CONFIRMED:
        notify(db, kinds.InterviewConfirmed, employer_users(db, proposal["employer_id"]), context, link=link,
               object_type="proposal", object_id=proposal["id"])
        # The CRE gets the confirmed event too, for her own calendar.
        notify(db, kinds.InterviewConfirmed, cre_in_charge(db, proposal["siae_id"], proposal.get("proposer_id")),
               {**cre_context(proposal), "interview": interview_context(interview), "cre_name": context["cre_name"]},
               link=_cre_link(proposal) + "#entretien", object_type="proposal", object_id=proposal["id"])
    else:
        notify(db, kinds.InterviewOtherSlot, employer_users(db, proposal["employer_id"]), context, link=link,
               object_type="proposal", object_id=proposal["id"])


# -- reminders -------------------------------------------------------------------
def proposal_reminder(db: sqlite_utils.Database, proposal: Row, days: int) -> None:
    notify(db, kinds.ProposalReminder, employer_users(db, proposal["employer_id"]),
           {**employer_context(db, proposal), "days": days, "proposed_on": date_fr(proposal["created_at"])},
           link=_employer_link(proposal), object_type="proposal", object_id=proposal["id"])


def need_stale(db: sqlite_utils.Database, need: Row, days: int) -> None:
    notify(db, kinds.NeedStale, employer_users(db, need["employer_id"]),
           {"need_id": need["id"], "need_title": need["title"], "days": days,
            "updated_on": date_fr(need["updated_at"])},
           link=f"/employeur/besoins/{need['id']}#confirmer", object_type="need", object_id=need["id"])


def checkin_overdue(db: sqlite_utils.Database, checkin: Row) -> None:
    notify(db, kinds.CheckinOverdue, cre_in_charge(db, checkin["siae_id"], checkin.get("cre_user_id")),
           {"first_name": checkin["first_name"], "employer_name": checkin["employer_name"],
            "day_offset": checkin["day_offset"], "due_on": checkin["due_on"], "due_on_fr": date_fr(checkin["due_on"]),
            "plan_id": checkin["plan_id"]},
           link=f"/cre/suivis/{checkin['plan_id']}", object_type="followup_checkin", object_id=checkin["id"])


# -- after the hire --------------------------------------------------------------
def followup_started(db: sqlite_utils.Database, plan: Row) -> None:
    checkins = storage.list_checkins(db, plan["id"])
    notify(db, kinds.FollowupStarted, employer_users(db, plan["employer_id"]),
           {"first_name": plan["first_name"], "need_title": plan["need_title"], "employer_name": plan["employer_name"],
            "cre_name": plan.get("cre_name") or "", "cre_phone": plan.get("cre_phone") or "",
            "cre_email": plan.get("cre_email") or "", "plan_id": plan["id"],
            "checkins": [{"day_offset": c["day_offset"], "due_on_fr": date_fr(c["due_on"])} for c in checkins]},
           link=f"/employeur/suivis/{plan['id']}", object_type="followup_plan", object_id=plan["id"])


def tutor_assessment_added(db: sqlite_utils.Database, plan: Row, assessment: Row) -> None:
    notify(db, kinds.TutorAssessment, cre_in_charge(db, plan["siae_id"], plan.get("cre_user_id")),
           {"first_name": plan["first_name"], "employer_name": plan["employer_name"], "plan_id": plan["id"],
            "author_name": assessment["author_name"], "comment": assessment.get("comment") or "",
            "ratings": [{"label": label, "value": followup.ASSESSMENT_LEVELS[assessment[key]]}
                        for key, label in followup.ASSESSMENT_CRITERIA.items()]},
           link=f"/cre/suivis/{plan['id']}#appreciations", object_type="followup_plan", object_id=plan["id"])


# -- accounts --------------------------------------------------------------------
def account_invitation(db: sqlite_utils.Database, user: Row, token: str, *, days: int, invited_by: str = "") -> None:
    notify(db, kinds.AccountInvitation, [user],
           {"email": user["email"], "days": days, "invited_by": invited_by,
            "role_label": storage.ROLES.get(user["role"], user["role"]),
            "org_name": storage.get_organisation(db, user["org_id"])["name"] if user.get("org_id") else ""},
           link=f"/invitation/{token}", object_type="user", object_id=user["id"])


def password_reset(db: sqlite_utils.Database, user: Row, token: str, *, minutes: int) -> None:
    notify(db, kinds.PasswordReset, [user], {"email": user["email"], "minutes": minutes},
           link=f"/mot-de-passe-oublie/{token}", object_type="user", object_id=user["id"])
