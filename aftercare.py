"""What a hire starts: the follow-up plan of the first three months (listener of proposal changes).

Registered by ``create_app`` before the notifications' listener, so that the hire's notifications
find the plan.
"""
from __future__ import annotations

import sqlite_utils

import storage
import workflow
from notifications import events


def on_proposal_change(db: sqlite_utils.Database, change: storage.ProposalChange) -> None:
    """On « embauchée »: a follow-up plan with the default check-ins, the proposing CRE in charge
    (inside the hire's transaction: no hire without its plan)."""
    proposal = change.proposal
    if proposal["status"] != workflow.HIRED or change.previous_status == workflow.HIRED:
        return
    if storage.followup_plan_for_proposal(db, proposal["id"]):
        return
    need = storage.get_need(db, proposal["need_id"])
    in_charge = events.cre_in_charge(db, proposal["siae_id"], proposal.get("proposer_id"))
    plan_id = storage.create_followup_plan(
        db, proposal=proposal, hired_on=storage.today(), contract_type=need.get("contract"),
        cre_user_id=in_charge[0]["id"] if len(in_charge) == 1 else proposal.get("proposer_id"))
    events.followup_started(db, storage.get_followup_plan(db, plan_id))
