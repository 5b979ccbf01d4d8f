"""Who may see or change what: one predicate per decision, shared by every page and the API.

Pure functions of the user (a row of ``users``: ``role``, ``org_id``) and the
object (a row as ``storage`` returns it). Views never compare organisation ids
themselves: they ask here, and answer 404 when the answer is no (an object a
user may not see does not exist for them).

New sharing rules (pooled needs, titulaires of a lot, a territory's shared
network) are added here, next to the rule they widen.

Pooled needs: a need carried by a structure (AI, GEIQ, ETTI) for several
member employers. Its proposals carry ``carrier_id`` and ``member_ids``: the
carrier's CRE sees them as the employer would and answers them (the carrier
hires); each member sees them as an employer may, never more, and does not
answer; the proposing structure keeps its own view, but only the carrier hires.
Titulaires (issue 13): a lot is awarded to an employer organisation
(``lots.titulaire_id``). Its users see that lot, declare its hours month by
month and link their own needs to it; the buyer holding the contract
validates, corrects or rejects each declaration. Nobody else links a need to a
lot, whatever they type.
"""
from __future__ import annotations

from typing import Any, Mapping

import workflow

__all__ = [
    "EMPLOYER_STATES",
    "TERRITORY_ROLES",
    "can_answer_proposal",
    "can_carry_pooled_need",
    "can_edit_drafted_need",
    "can_answer_interview",
    "can_answer_proposal",
    "can_assess_followup",
    "can_award_lot",
    "can_calibrate_clause",
    "can_confirm_clause_eligibility",
    "can_decide_declaration",
    "can_edit_declaration",
    "can_edit_followup",
    "can_edit_need",
    "can_edit_network_employer",
    "can_link_pooled_share_to_lot",
    "can_manage_pooled_need",
    "can_edit_profile",
    "can_follow_proposal",
    "can_link_need_to_lot",
    "can_manage_commitment",
    "can_propose_interview",
    "can_read_notification",
    "can_see_candidate",
    "can_see_personal_information",
    "can_view_contract",
    "can_view_declaration",
    "can_view_exit_outcomes",
    "can_view_followup",
    "can_view_need",
    "can_view_network_employer",
    "can_view_pooled_need",
    "can_view_profile",
    "can_view_proposal",
    "can_view_territory",
    "employer_may_move_to",
    "is_pooled_member",
    "is_titulaire",
]

User = Mapping[str, Any]
Row = Mapping[str, Any]

# The answers an employer gives to a proposal; the other moves belong to the CRE.
EMPLOYER_STATES: frozenset[str] = frozenset(
    {workflow.INTERVIEW, workflow.PMSMP, workflow.TRIAL, workflow.HIRED, workflow.REFUSED})


def _is(user: User | None, role: str) -> bool:
    return bool(user) and user.get("role") == role and bool(user.get("org_id"))


# -- people --------------------------------------------------------------------
def can_view_profile(user: User | None, profile: Row) -> bool:
    """A person's full profile: the CRE of the structure that coaches them, nobody else."""
    return _is(user, "cre") and profile.get("siae_id") == user["org_id"]


def can_edit_profile(user: User | None, profile: Row) -> bool:
    return can_view_profile(user, profile) and not profile.get("anonymised_at")


def can_see_personal_information(user: User | None, profile: Row) -> bool:
    """Eligibility criteria, notes, the structure's reference: the coaching structure only."""
    return can_view_profile(user, profile)


# -- needs -------------------------------------------------------------------------
def can_view_need(user: User | None, need: Row) -> bool:
    """Every CRE sees every need (to propose people); an employer sees its own."""
    if _is(user, "cre"):
        return True
    return _is(user, "employer") and need.get("employer_id") == user["org_id"]


def can_edit_need(user: User | None, need: Row) -> bool:
    return _is(user, "employer") and need.get("employer_id") == user["org_id"]


def can_edit_drafted_need(user: User | None, need: Row) -> bool:
    """A need a CRE drafted with an employer of its network ("besoin pressenti → besoin"): the
    drafting structure keeps it up to date with the employer, as the employer itself may."""
    return _is(user, "cre") and bool(need.get("drafted_by")) and need.get("drafted_by") == user["org_id"]


# -- pooled needs ------------------------------------------------------------------
def can_carry_pooled_need(user: User | None, organisation: Row) -> bool:
    """Creating a pooled need: a CRE of a structure that hires to place (AI, GEIQ, ETTI)."""
    import pooling

    return (_is(user, "cre") and organisation.get("id") == user["org_id"] and organisation.get("kind") == "siae"
            and pooling.can_carry(organisation.get("subtype")))


def can_view_pooled_need(user: User | None, pooled: Row) -> bool:
    """Every CRE (as every need), and each member employer."""
    return _is(user, "cre") or is_pooled_member(user, pooled)


def is_pooled_member(user: User | None, pooled: Row) -> bool:
    return _is(user, "employer") and user["org_id"] in (pooled.get("member_ids") or ())


def can_link_pooled_share_to_lot(user: User | None, pooled: Row, lot: Row) -> bool:
    """A member links its share of a pooled need to a lot it is the titulaire of (its hours of mise à
    disposition then serve that lot's clause): never someone else's lot, never another member's share."""
    return is_pooled_member(user, pooled) and is_titulaire(user, lot)


def can_manage_pooled_need(user: User | None, pooled: Row) -> bool:
    """Terms, members, answers to candidates, hires and monthly hours: the carrier's CRE."""
    return _is(user, "cre") and pooled.get("carrier_id") == user["org_id"]


# -- proposals -------------------------------------------------------------------
def can_view_proposal(user: User | None, proposal: Row) -> bool:
    """The proposing structure's CRE and the need's employer; for a pooled need, also the
    carrier's CRE and every member."""
    if _is(user, "cre"):
        return proposal.get("siae_id") == user["org_id"] or _is_carrier(user, proposal)
    if _is(user, "employer"):
        return proposal.get("employer_id") == user["org_id"] or user["org_id"] in (proposal.get("member_ids") or ())
    return False


def _is_carrier(user: User, proposal: Row) -> bool:
    return bool(proposal.get("carrier_id")) and proposal.get("carrier_id") == user["org_id"]


def _is_proposer(user: User | None, proposal: Row) -> bool:
    return _is(user, "cre") and proposal.get("siae_id") == user["org_id"]


def can_follow_proposal(user: User | None, proposal: Row) -> bool:
    """The proposing structure's own follow-up of a proposal (every state, internal notes): its CRE only,
    not a pooled need's carrier, who reads the proposal as an employer."""
    return _is_proposer(user, proposal)


def can_see_candidate(user: User | None, proposal: Row) -> bool:
    """The person behind a proposal (first name, skills, message): hidden from the employer (and a
    pooled need's carrier and members) once the person withdrew their consent to be proposed."""
    if not can_view_proposal(user, proposal):
        return False
    return _is_proposer(user, proposal) or bool(proposal.get("consent_at"))


def employer_may_move_to(proposal: Row, target: str) -> bool:
    """An employer answers with the employer states only, and cannot move a candidature whose
    person withdrew consent, except to close it."""
    if target not in EMPLOYER_STATES:
        return False
    return bool(proposal.get("consent_at")) or target == workflow.REFUSED


def can_answer_proposal(user: User | None, proposal: Row, target: str) -> bool:
    """Whether this user may move this proposal to ``target`` (the workflow checks the move itself).

    For a pooled need, the carrier answers as the employer would, members never answer, and the
    hire is the carrier's (it hires and places the person with members).
    """
    if not can_view_proposal(user, proposal):
        return False
    if user["role"] == "employer":
        return proposal.get("employer_id") == user["org_id"] and employer_may_move_to(proposal, target)
    if _is_carrier(user, proposal):
        return _is_proposer(user, proposal) or employer_may_move_to(proposal, target)
    if proposal.get("carrier_id") and target == workflow.HIRED:
        return False
    return True


# -- clauses ---------------------------------------------------------------------
def can_view_contract(user: User | None, contract: Row) -> bool:
    """A public contract and its ledger: the buyer organisation that holds it."""
    return _is(user, "buyer") and contract.get("buyer_id") == user["org_id"]


# -- a structure's employer network -------------------------------------------------
def can_edit_network_employer(user: User | None, entry: Row) -> bool:
    """An entry of the network, its notes and its log: the structure that keeps it."""
    return _is(user, "cre") and entry.get("siae_id") == user["org_id"]


def can_view_network_employer(user: User | None, entry: Row, *, viewer_territory: str | None) -> bool:
    """Its structure; and, once shared, the CRE of the structures of its territory.

    ``entry["territories"]``: the départements of the structure keeping it and of the employer;
    ``viewer_territory``: the département of the viewer's structure. A shared entry shows the
    employer (contacts, activity, besoins pressentis, dates of contact), never notes.
    """
    if can_edit_network_employer(user, entry):
        return True
    return (_is(user, "cre") and bool(entry.get("shared")) and viewer_territory is not None
            and viewer_territory in (entry.get("territories") or ()))


# -- the territorial diagnostic ---------------------------------------------------------
# A CRE, a structure's director, a buyer or facilitateur: aggregates only, never a person.
TERRITORY_ROLES: frozenset[str] = frozenset({"cre", "direction", "buyer"})


def can_view_territory(user: User | None) -> bool:
    return bool(user) and user.get("role") in TERRITORY_ROLES and bool(user.get("org_id"))
def can_award_lot(user: User | None, contract: Row) -> bool:
    """Choosing or inviting a lot's titulaire: the buyer holding the contract."""
    return can_view_contract(user, contract)


def is_titulaire(user: User | None, lot: Row) -> bool:
    """The users of the organisation a lot is awarded to: they see the lot and declare its hours."""
    return _is(user, "employer") and bool(lot.get("titulaire_id")) and lot.get("titulaire_id") == user["org_id"]


def can_link_need_to_lot(user: User | None, need: Row, lot: Row) -> bool:
    """Only a lot's titulaire links a need to it, and only its own need."""
    return can_edit_need(user, need) and is_titulaire(user, lot)


def can_view_declaration(user: User | None, declaration: Row) -> bool:
    """A monthly declaration (``titulaire_id`` and ``buyer_id`` joined): its titulaire, and the buyer
    once it has been sent (a draft is the titulaire's work in progress)."""
    if _is(user, "employer"):
        return bool(declaration.get("titulaire_id")) and declaration.get("titulaire_id") == user["org_id"]
    return (_is(user, "buyer") and declaration.get("buyer_id") == user["org_id"]
            and declaration.get("status") != "brouillon")


def can_edit_declaration(user: User | None, declaration: Row) -> bool:
    """The titulaire changes a declaration while it is a draft or after a rejection, never once sent."""
    return (_is(user, "employer") and can_view_declaration(user, declaration)
            and declaration.get("status") in ("brouillon", "rejetee"))


def can_decide_declaration(user: User | None, declaration: Row) -> bool:
    """Validating, correcting or rejecting a sent declaration: the buyer (purchasing team or facilitateur)."""
    return (_is(user, "buyer") and declaration.get("buyer_id") == user["org_id"]
            and declaration.get("status") == "soumise")


def can_confirm_clause_eligibility(user: User | None, participant: Row) -> bool:
    """Transmitting a hired person's eligibility category to the buyer: the CRE of the structure that
    proposed the person (it keeps the proof), and only for a participant prepared from its proposal."""
    return _is(user, "cre") and bool(participant.get("siae_id")) and participant.get("siae_id") == user["org_id"]


def can_manage_commitment(user: User | None, commitment: Row) -> bool:
    """A supplier's yearly commitments: the buyer that recorded them."""
    return _is(user, "buyer") and commitment.get("buyer_id") == user["org_id"]


def can_calibrate_clause(user: User | None) -> bool:
    """Calibrating a clause before the tender (aggregated counts only): buyers."""
    return _is(user, "buyer")

# -- interviews ------------------------------------------------------------------
def can_propose_interview(user: User | None, proposal: Row) -> bool:
    """The need's employer proposes an interview slot, while the person still agrees to be proposed
    and the candidature is not closed by a hire or a refusal."""
    return (_is(user, "employer") and proposal.get("employer_id") == user["org_id"]
            and bool(proposal.get("consent_at"))
            and proposal.get("status") not in (workflow.HIRED, workflow.REFUSED))


def can_answer_interview(user: User | None, proposal: Row) -> bool:
    """The proposing structure's CRE confirms a slot or asks for another."""
    return _is(user, "cre") and proposal.get("siae_id") == user["org_id"]


# -- after the hire ----------------------------------------------------------------
def can_view_followup(user: User | None, plan: Row) -> bool:
    """A follow-up plan: the CRE's structure (everything) and the employer (the tutor's side)."""
    if _is(user, "cre"):
        return plan.get("siae_id") == user["org_id"]
    return _is(user, "employer") and plan.get("employer_id") == user["org_id"]


def can_edit_followup(user: User | None, plan: Row) -> bool:
    """Check-ins, dates and the CRE in charge: the coaching structure only (check-ins speak of the
    person's difficulties and stay inside it)."""
    return _is(user, "cre") and plan.get("siae_id") == user["org_id"]


def can_assess_followup(user: User | None, plan: Row) -> bool:
    """The employer (the tutor, or a colleague for them) names the tutor and leaves an assessment."""
    return _is(user, "employer") and plan.get("employer_id") == user["org_id"] and plan.get("status") == "en_cours"


def can_view_exit_outcomes(user: User | None, siae_id: str) -> bool:
    """A structure's exits, person by person: its own CREs only."""
    return _is(user, "cre") and siae_id == user["org_id"]


# -- notifications -----------------------------------------------------------------
def can_read_notification(user: User | None, notification: Row) -> bool:
    """A notification is its recipient's alone."""
    return bool(user) and notification.get("user_id") == user.get("id")
