"""The proposal workflow: which moves are allowed, and refusals need a reason.

The transition table is pinned here as data, written out by hand (not derived from the module),
so that dropping a forward move, allowing a backward one or closing an open state fails a test.
"""
import re

import pytest

import workflow
from workflow import TransitionError, allowed_transitions, check_transition

P, V, E, M, T, H, R = "proposee", "vue", "entretien", "pmsmp", "periode_essai", "embauchee", "refusee"
S = "sans_reponse"  # closed by run-jobs when the employer never answered

# Every state → exactly the states it may move to (refusal included while the proposal is open).
TABLE = {
    P: {V, E, M, T, H, S, R},
    V: {E, M, T, H, S, R},
    E: {M, T, H, R},
    M: {E, T, H, R},
    T: {H, R},
    H: set(),
    R: set(),
    S: {E, M, T, H, R},      # a late answer is still taken
}


def test_the_states_and_their_order_are_the_dashboard_s():
    assert workflow.STATES == (P, V, E, M, T, H, R, S)
    assert set(TABLE) == set(workflow.STATES)


def test_open_states_are_those_not_final():
    assert workflow.OPEN_STATES == {P, V, E, M, T}
    assert workflow.AWAITING_EMPLOYER == {P, V}   # the reminder and auto-close clocks run


@pytest.mark.parametrize("current", list(TABLE))
def test_allowed_transitions_match_the_table(current):
    allowed = allowed_transitions(current)
    assert set(allowed) == TABLE[current]
    assert len(allowed) == len(set(allowed))  # no move listed twice
    if TABLE[current]:
        assert allowed[-1] == R  # refusal comes last, after the forward moves


@pytest.mark.parametrize("current, target", [(c, t) for c in TABLE for t in workflow.STATES])
def test_every_pair_is_allowed_or_refused_as_the_table_says(current, target):
    reason = "mobilite" if target == R else None
    if target in TABLE[current]:
        check_transition(current, target, reason)
    else:
        label_from, label_to = workflow.STATE_LABELS[current], workflow.STATE_LABELS[target]
        with pytest.raises(TransitionError) as caught:
            check_transition(current, target, reason)
        assert str(caught.value) == f"Passage impossible de « {label_from} » à « {label_to} »"


def test_an_unknown_current_state_allows_nothing_and_is_named_in_the_message():
    assert allowed_transitions("perdue") == ()
    with pytest.raises(TransitionError) as caught:
        check_transition("perdue", V)
    assert str(caught.value) == "Passage impossible de « perdue » à « Vue par l'employeur »"


def test_unknown_target_state_is_refused():
    with pytest.raises(TransitionError) as caught:
        check_transition(P, "perdue")
    assert str(caught.value) == "État inconnu : perdue"


@pytest.mark.parametrize("reason", [None, "", "parce que", "Mobilité"])
def test_refusal_needs_a_known_reason(reason):
    with pytest.raises(TransitionError) as caught:
        check_transition(E, R, reason)
    assert str(caught.value) == ("Un refus doit avoir un motif : Compétences manquantes, Mobilité, "
                                 "Incompatibilité (horaires, contraintes), Poste pourvu, Autre")


@pytest.mark.parametrize("reason", list(workflow.REFUSAL_REASONS))
def test_every_known_reason_closes_an_open_proposal(reason):
    check_transition(E, R, reason)


def test_a_reason_is_not_asked_for_other_moves():
    check_transition(E, H, None)
    check_transition(E, H, "mobilite")


def test_refusal_reasons_and_contracts_are_pinned():
    assert workflow.REFUSAL_REASONS == {
        "competences_manquantes": "Compétences manquantes", "mobilite": "Mobilité",
        "incompatibilite": "Incompatibilité (horaires, contraintes)", "poste_pourvu": "Poste pourvu",
        "autre": "Autre"}
    assert workflow.CONTRACTS == ("CDI", "CDD", "CDDI", "intérim", "contrat de professionnalisation",
                                  "apprentissage", "PMSMP", "stage")


def test_every_state_has_a_french_label():
    for state, label in workflow.STATE_LABELS.items():
        assert label and not re.fullmatch(r"[a-z_]+", label), state
