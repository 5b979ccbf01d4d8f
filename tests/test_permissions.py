"""The permission predicates, as tables: each row is one decision a page or the API relies on."""
from __future__ import annotations

import pytest

import permissions
import workflow

CRE_S1 = {"role": "cre", "org_id": "S1"}
CRE_S2 = {"role": "cre", "org_id": "S2"}
EMP_E1 = {"role": "employer", "org_id": "E1"}
EMP_E2 = {"role": "employer", "org_id": "E2"}
BUYER_B1 = {"role": "buyer", "org_id": "B1"}
ADMIN = {"role": "admin", "org_id": None}
NOBODY = None
# A user row whose organisation was removed must not match rows without an organisation.
CRE_NO_ORG = {"role": "cre", "org_id": None}

PROFILE_S1 = {"siae_id": "S1"}
NEED_E1 = {"employer_id": "E1"}
PROPOSAL = {"siae_id": "S1", "employer_id": "E1", "consent_at": "2026-01-05T09:00:00+00:00"}
WITHDRAWN = {**PROPOSAL, "consent_at": None}
CONTRACT_B1 = {"buyer_id": "B1"}


@pytest.mark.parametrize("user, expected", [
    (CRE_S1, True), (CRE_S2, False), (EMP_E1, False), (BUYER_B1, False), (ADMIN, False), (NOBODY, False),
    (CRE_NO_ORG, False),
])
def test_a_profile_is_seen_by_its_structure_only(user, expected):
    assert permissions.can_view_profile(user, PROFILE_S1) is expected
    assert permissions.can_see_personal_information(user, PROFILE_S1) is expected


def test_an_anonymised_profile_cannot_be_edited_even_by_its_structure():
    assert permissions.can_edit_profile(CRE_S1, PROFILE_S1) is True
    assert permissions.can_edit_profile(CRE_S1, {**PROFILE_S1, "anonymised_at": "2026-02-01"}) is False


@pytest.mark.parametrize("user, view, edit", [
    (CRE_S1, True, False), (CRE_S2, True, False), (EMP_E1, True, True), (EMP_E2, False, False),
    (BUYER_B1, False, False), (ADMIN, False, False), (NOBODY, False, False),
])
def test_needs_are_seen_by_every_cre_and_changed_by_their_employer(user, view, edit):
    assert permissions.can_view_need(user, NEED_E1) is view
    assert permissions.can_edit_need(user, NEED_E1) is edit


@pytest.mark.parametrize("user, view, candidate", [
    (CRE_S1, True, True), (CRE_S2, False, False), (EMP_E1, True, True), (EMP_E2, False, False),
    (BUYER_B1, False, False), (ADMIN, False, False), (NOBODY, False, False),
])
def test_a_proposal_is_seen_by_its_two_parties(user, view, candidate):
    assert permissions.can_view_proposal(user, PROPOSAL) is view
    assert permissions.can_see_candidate(user, PROPOSAL) is candidate


def test_a_withdrawn_person_is_hidden_from_the_employer_not_from_the_cre():
    assert permissions.can_see_candidate(EMP_E1, WITHDRAWN) is False
    assert permissions.can_see_candidate(CRE_S1, WITHDRAWN) is True


def test_employer_states_are_the_answers_and_nothing_else():
    assert permissions.EMPLOYER_STATES == {workflow.INTERVIEW, workflow.PMSMP, workflow.TRIAL, workflow.HIRED,
                                           workflow.REFUSED}


@pytest.mark.parametrize("target", sorted(permissions.EMPLOYER_STATES))
def test_employer_answers_while_consent_holds(target):
    assert permissions.can_answer_proposal(EMP_E1, PROPOSAL, target) is True
    assert permissions.can_answer_proposal(EMP_E2, PROPOSAL, target) is False


@pytest.mark.parametrize("target, allowed", [
    (workflow.REFUSED, True), (workflow.INTERVIEW, False), (workflow.PMSMP, False), (workflow.TRIAL, False),
    (workflow.HIRED, False), (workflow.SEEN, False), (workflow.PROPOSED, False),
])
def test_after_consent_is_withdrawn_the_employer_may_only_close(target, allowed):
    assert permissions.can_answer_proposal(EMP_E1, WITHDRAWN, target) is allowed
    assert permissions.employer_may_move_to(WITHDRAWN, target) is allowed


@pytest.mark.parametrize("target", [workflow.SEEN, workflow.PROPOSED])
def test_an_employer_never_makes_the_cre_moves(target):
    assert permissions.can_answer_proposal(EMP_E1, PROPOSAL, target) is False


def test_the_cre_may_move_its_own_proposals_only():
    assert permissions.can_answer_proposal(CRE_S1, WITHDRAWN, workflow.INTERVIEW) is True
    assert permissions.can_answer_proposal(CRE_S2, PROPOSAL, workflow.INTERVIEW) is False


@pytest.mark.parametrize("user, expected", [
    (BUYER_B1, True), ({"role": "buyer", "org_id": "B2"}, False), (CRE_S1, False), (EMP_E1, False),
    (ADMIN, False), (NOBODY, False),
])
def test_a_contract_is_seen_by_its_buyer_only(user, expected):
    assert permissions.can_view_contract(user, CONTRACT_B1) is expected


# -- pooled needs: a carrier (S6) hires for members E1 and E2; S1 proposed the person ----------------
CRE_S6 = {"role": "cre", "org_id": "S6"}
EMP_E3 = {"role": "employer", "org_id": "E3"}
DIRECTION_S1 = {"role": "direction", "org_id": "S1"}
POOLED = {"carrier_id": "S6", "member_ids": ["E1", "E2"]}
POOLED_PROPOSAL = {"siae_id": "S1", "employer_id": "S6", "carrier_id": "S6", "member_ids": ["E1", "E2"],
                   "consent_at": "2026-01-05T09:00:00+00:00"}
POOLED_WITHDRAWN = {**POOLED_PROPOSAL, "consent_at": None}


@pytest.mark.parametrize("user, view, manage, member", [
    (CRE_S6, True, True, False),      # the carrier
    (CRE_S1, True, False, False),     # any other CRE sees it, as every need
    (EMP_E1, True, False, True),      # a member
    (EMP_E2, True, False, True),
    (EMP_E3, False, False, False),    # an employer outside the group
    (BUYER_B1, False, False, False), (ADMIN, False, False, False), (NOBODY, False, False, False),
    (DIRECTION_S1, False, False, False),
])
def test_who_sees_and_manages_a_pooled_need(user, view, manage, member):
    assert permissions.can_view_pooled_need(user, POOLED) is view
    assert permissions.can_manage_pooled_need(user, POOLED) is manage
    assert permissions.is_pooled_member(user, POOLED) is member


@pytest.mark.parametrize("user, view, candidate", [
    (CRE_S1, True, True),     # the proposing structure
    (CRE_S6, True, True),     # the carrier, as the employer
    (EMP_E1, True, True),     # a member, as an employer
    (CRE_S2, False, False), (EMP_E3, False, False), (BUYER_B1, False, False), (NOBODY, False, False),
])
def test_a_pooled_proposal_is_seen_by_proposer_carrier_and_members(user, view, candidate):
    assert permissions.can_view_proposal(user, POOLED_PROPOSAL) is view
    assert permissions.can_see_candidate(user, POOLED_PROPOSAL) is candidate


@pytest.mark.parametrize("user, expected", [(CRE_S1, True), (CRE_S6, False), (EMP_E1, False)])
def test_after_consent_is_withdrawn_only_the_proposing_structure_sees_the_person(user, expected):
    assert permissions.can_see_candidate(user, POOLED_WITHDRAWN) is expected


@pytest.mark.parametrize("user, expected", [(CRE_S1, True), (CRE_S6, False), (EMP_E1, False), (CRE_S2, False)])
def test_only_the_proposing_structure_follows_a_proposal_with_its_internal_notes(user, expected):
    assert permissions.can_follow_proposal(user, POOLED_PROPOSAL) is expected


@pytest.mark.parametrize("user, target, allowed", [
    (CRE_S6, workflow.INTERVIEW, True), (CRE_S6, workflow.HIRED, True),     # the carrier answers and hires
    (CRE_S6, workflow.SEEN, False),                                         # … with the employer's answers only
    (CRE_S1, workflow.INTERVIEW, True),                                     # the proposer keeps its own moves
    (CRE_S1, workflow.HIRED, False),                                        # … but does not hire for the group
    (EMP_E1, workflow.INTERVIEW, False), (EMP_E1, workflow.HIRED, False),   # a member never answers
    (EMP_E1, workflow.REFUSED, False),
    (EMP_E3, workflow.REFUSED, False),
])
def test_who_answers_a_pooled_proposal(user, target, allowed):
    assert permissions.can_answer_proposal(user, POOLED_PROPOSAL, target) is allowed


def test_a_carrier_that_proposed_its_own_person_moves_it_as_a_cre():
    own = {**POOLED_PROPOSAL, "siae_id": "S6"}
    assert permissions.can_answer_proposal(CRE_S6, own, workflow.SEEN) is True
    assert permissions.can_answer_proposal(CRE_S6, own, workflow.HIRED) is True


def test_a_carrier_after_withdrawal_may_only_close():
    assert permissions.can_answer_proposal(CRE_S6, POOLED_WITHDRAWN, workflow.REFUSED) is True
    assert permissions.can_answer_proposal(CRE_S6, POOLED_WITHDRAWN, workflow.HIRED) is False


def test_ordinary_proposals_keep_their_rules_with_the_wider_predicates():
    assert permissions.can_answer_proposal(EMP_E1, PROPOSAL, workflow.HIRED) is True
    assert permissions.can_answer_proposal(CRE_S1, PROPOSAL, workflow.HIRED) is True
    assert permissions.can_view_proposal(EMP_E2, PROPOSAL) is False


@pytest.mark.parametrize("user, org, expected", [
    (CRE_S6, {"id": "S6", "kind": "siae", "subtype": "AI"}, True),
    ({"role": "cre", "org_id": "S5"}, {"id": "S5", "kind": "siae", "subtype": "GEIQ"}, True),
    ({"role": "cre", "org_id": "S4"}, {"id": "S4", "kind": "siae", "subtype": "ETTI"}, True),
    (CRE_S1, {"id": "S1", "kind": "siae", "subtype": "ACI"}, False),
    ({"role": "cre", "org_id": "S3"}, {"id": "S3", "kind": "siae", "subtype": "EI"}, False),
    (CRE_S1, {"id": "S6", "kind": "siae", "subtype": "AI"}, False),       # not one's own structure
    (DIRECTION_S1, {"id": "S1", "kind": "siae", "subtype": "AI"}, False),
    (EMP_E1, {"id": "E1", "kind": "employer"}, False),
])
def test_who_may_create_a_pooled_need(user, org, expected):
    assert permissions.can_carry_pooled_need(user, org) is expected


# -- the employer network --------------------------------------------------------------------------
ENTRY_S1 = {"siae_id": "S1", "shared": 0, "territories": {"93"}}
SHARED_S1 = {**ENTRY_S1, "shared": 1}


@pytest.mark.parametrize("user, territory_of_user, entry, view, edit", [
    (CRE_S1, "93", ENTRY_S1, True, True),
    (CRE_S1, None, ENTRY_S1, True, True),               # one's own, wherever
    (CRE_S2, "93", ENTRY_S1, False, False),             # not shared
    (CRE_S2, "93", SHARED_S1, True, False),             # shared, same territory: read only
    (CRE_S2, "76", SHARED_S1, False, False),            # shared, another territory
    (CRE_S2, None, SHARED_S1, False, False),            # a structure with no known territory
    (EMP_E1, "93", SHARED_S1, False, False), (BUYER_B1, "93", SHARED_S1, False, False),
    (DIRECTION_S1, "93", SHARED_S1, False, False), (NOBODY, "93", SHARED_S1, False, False),
])
def test_network_entries_are_shared_only_when_chosen_and_within_the_territory(user, territory_of_user, entry,
                                                                             view, edit):
    assert permissions.can_view_network_employer(user, entry, viewer_territory=territory_of_user) is view
    assert permissions.can_edit_network_employer(user, entry) is edit


def test_a_shared_entry_is_seen_in_the_employers_territory_too():
    paris_structure_93_employer = {"siae_id": "S4", "shared": 1, "territories": {"75", "93"}}
    assert permissions.can_view_network_employer(CRE_S2, paris_structure_93_employer, viewer_territory="93")


@pytest.mark.parametrize("user, need, expected", [
    (CRE_S1, {"drafted_by": "S1", "employer_id": "RES1"}, True),
    (CRE_S2, {"drafted_by": "S1", "employer_id": "RES1"}, False),
    (CRE_S1, {"drafted_by": None, "employer_id": "E1"}, False),
    (EMP_E1, {"drafted_by": "S1", "employer_id": "E1"}, False),
])
def test_a_need_drafted_with_an_employer_is_kept_up_to_date_by_the_drafting_structure(user, need, expected):
    assert permissions.can_edit_drafted_need(user, need) is expected


@pytest.mark.parametrize("user, expected", [
    (CRE_S1, True), (DIRECTION_S1, True), (BUYER_B1, True), (EMP_E1, False), (ADMIN, False), (NOBODY, False),
    ({"role": "direction", "org_id": None}, False),
])
def test_who_reads_the_territorial_diagnostic(user, expected):
    assert permissions.can_view_territory(user) is expected
# -- titulaires, declarations, commitments (issue 13) ---------------------------------
LOT_E1 = {"titulaire_id": "E1"}
LOT_UNAWARDED = {"titulaire_id": None}
NEED_E2 = {"employer_id": "E2"}
DECL = {"titulaire_id": "E1", "buyer_id": "B1", "status": "soumise"}
BUYER_B2 = {"role": "buyer", "org_id": "B2"}
EMP_NO_ORG = {"role": "employer", "org_id": None}


@pytest.mark.parametrize("user, expected", [
    (EMP_E1, True), (EMP_E2, False), (CRE_S1, False), (BUYER_B1, False), (ADMIN, False), (NOBODY, False),
    (EMP_NO_ORG, False),
])
def test_a_lot_is_its_titulaires(user, expected):
    assert permissions.is_titulaire(user, LOT_E1) is expected


def test_an_unawarded_lot_has_no_titulaire_even_for_a_user_without_organisation():
    assert permissions.is_titulaire(EMP_E1, LOT_UNAWARDED) is False
    assert permissions.is_titulaire(EMP_NO_ORG, LOT_UNAWARDED) is False


@pytest.mark.parametrize("user, need, lot, expected", [
    (EMP_E1, NEED_E1, LOT_E1, True),            # own need, own lot
    (EMP_E2, NEED_E2, LOT_E1, False),           # own need, another titulaire's lot: the hole issue 13 closes
    (EMP_E1, NEED_E2, LOT_E1, False),           # own lot, someone else's need
    (EMP_E1, NEED_E1, LOT_UNAWARDED, False),    # a lot awarded to nobody
    (CRE_S1, NEED_E1, LOT_E1, False), (BUYER_B1, NEED_E1, LOT_E1, False), (ADMIN, NEED_E1, LOT_E1, False),
    (NOBODY, NEED_E1, LOT_E1, False),
])
def test_only_the_titulaire_links_its_own_needs_to_its_lot(user, need, lot, expected):
    assert permissions.can_link_need_to_lot(user, need, lot) is expected


@pytest.mark.parametrize("user, view, decide", [
    (EMP_E1, True, False), (EMP_E2, False, False), (BUYER_B1, True, True), (BUYER_B2, False, False),
    (CRE_S1, False, False), (ADMIN, False, False), (NOBODY, False, False),
])
def test_a_declaration_is_seen_by_its_titulaire_and_decided_by_its_buyer(user, view, decide):
    assert permissions.can_view_declaration(user, DECL) is view
    assert permissions.can_decide_declaration(user, DECL) is decide


@pytest.mark.parametrize("status, titulaire_edits, buyer_sees, buyer_decides", [
    ("brouillon", True, False, False), ("soumise", False, True, True), ("validee", False, True, False),
    ("rejetee", True, True, False),
])
def test_who_acts_on_a_declaration_depends_on_its_state(status, titulaire_edits, buyer_sees, buyer_decides):
    declaration = {**DECL, "status": status}
    assert permissions.can_view_declaration(BUYER_B1, declaration) is buyer_sees
    assert permissions.can_view_declaration(EMP_E1, declaration) is True
    assert permissions.can_edit_declaration(EMP_E1, declaration) is titulaire_edits
    assert permissions.can_edit_declaration(EMP_E2, declaration) is False
    assert permissions.can_edit_declaration(BUYER_B1, declaration) is False
    assert permissions.can_decide_declaration(BUYER_B1, declaration) is buyer_decides


@pytest.mark.parametrize("user, expected", [
    (CRE_S1, True), (CRE_S2, False), (EMP_E1, False), (BUYER_B1, False), (ADMIN, False), (NOBODY, False),
])
def test_the_proposing_structure_alone_confirms_a_participants_eligibility(user, expected):
    assert permissions.can_confirm_clause_eligibility(user, {"siae_id": "S1"}) is expected
    # A participant typed by a titulaire or a buyer has no structure: no CRE confirms it.
    assert permissions.can_confirm_clause_eligibility(user, {"siae_id": None}) is False


@pytest.mark.parametrize("user, award, commitment, calibrate", [
    (BUYER_B1, True, True, True), (BUYER_B2, False, False, True), (EMP_E1, False, False, False),
    (CRE_S1, False, False, False), (ADMIN, False, False, False), (NOBODY, False, False, False),
])
def test_buyer_decisions(user, award, commitment, calibrate):
    assert permissions.can_award_lot(user, CONTRACT_B1) is award
    assert permissions.can_manage_commitment(user, {"buyer_id": "B1"}) is commitment
    assert permissions.can_calibrate_clause(user) is calibrate


@pytest.mark.parametrize("user, lot, expected", [
    (EMP_E1, {"titulaire_id": "E1"}, True),        # a member, its own lot
    (EMP_E1, {"titulaire_id": "E2"}, False),       # a member, another member's lot
    (EMP_E1, {"titulaire_id": None}, False),       # a lot not awarded
    (EMP_E3, {"titulaire_id": "E3"}, False),       # a titulaire outside the group
    (CRE_S6, {"titulaire_id": "S6"}, False),       # the carrier is no titulaire of its members' lots
    (BUYER_B1, {"titulaire_id": "E1"}, False), (NOBODY, {"titulaire_id": "E1"}, False),
])
def test_a_member_links_its_share_only_to_a_lot_of_its_own(user, lot, expected):
    assert permissions.can_link_pooled_share_to_lot(user, POOLED, lot) is expected
# -- issue 12: interviews, follow-up plans, exits, notifications -------------------------------------
CRE_OF_S1 = {"id": 1, "role": "cre", "org_id": "S1"}
CRE_OF_S2 = {"id": 2, "role": "cre", "org_id": "S2"}
EMPLOYER_E14 = {"id": 3, "role": "employer", "org_id": "E14"}
EMPLOYER_E01 = {"id": 4, "role": "employer", "org_id": "E01"}
A_BUYER = {"id": 5, "role": "buyer", "org_id": "B1"}
PLAN = {"siae_id": "S1", "employer_id": "E14", "status": "en_cours"}
OPEN_PROPOSAL = {"siae_id": "S1", "employer_id": "E14", "status": "vue", "consent_at": "2026-01-01"}


@pytest.mark.parametrize("user, view, edit, assess", [
    (CRE_OF_S1, True, True, False), (CRE_OF_S2, False, False, False), (EMPLOYER_E14, True, False, True),
    (EMPLOYER_E01, False, False, False), (A_BUYER, False, False, False), (None, False, False, False)])
def test_followup_plan_predicates(user, view, edit, assess):
    assert permissions.can_view_followup(user, PLAN) == view
    assert permissions.can_edit_followup(user, PLAN) == edit
    assert permissions.can_assess_followup(user, PLAN) == assess


def test_a_finished_plan_takes_no_more_assessment():
    assert not permissions.can_assess_followup(EMPLOYER_E14, {**PLAN, "status": "termine"})


@pytest.mark.parametrize("proposal, allowed", [
    (OPEN_PROPOSAL, True), ({**OPEN_PROPOSAL, "status": "entretien"}, True),
    ({**OPEN_PROPOSAL, "status": "embauchee"}, False), ({**OPEN_PROPOSAL, "status": "refusee"}, False),
    ({**OPEN_PROPOSAL, "consent_at": None}, False), ({**OPEN_PROPOSAL, "employer_id": "E01"}, False)])
def test_only_the_needs_employer_proposes_an_interview_while_the_candidature_is_open(proposal, allowed):
    assert permissions.can_propose_interview(EMPLOYER_E14, proposal) == allowed
    assert not permissions.can_propose_interview(CRE_OF_S1, proposal)


def test_interview_answers_and_exit_outcomes_belong_to_the_structure():
    assert permissions.can_answer_interview(CRE_OF_S1, OPEN_PROPOSAL)
    assert not permissions.can_answer_interview(CRE_OF_S2, OPEN_PROPOSAL)
    assert not permissions.can_answer_interview(EMPLOYER_E14, OPEN_PROPOSAL)
    assert permissions.can_view_exit_outcomes(CRE_OF_S1, "S1")
    assert not permissions.can_view_exit_outcomes(CRE_OF_S2, "S1") and not permissions.can_view_exit_outcomes(A_BUYER, "S1")


def test_a_notification_is_its_recipients_alone():
    note = {"user_id": 3}
    assert permissions.can_read_notification(EMPLOYER_E14, note)
    assert not permissions.can_read_notification({**EMPLOYER_E14, "id": 9}, note)
    assert not permissions.can_read_notification(None, note)
