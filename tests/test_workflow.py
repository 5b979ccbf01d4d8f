"""The proposal workflow: which moves are allowed, and refusals need a reason."""
import pytest

import workflow
from workflow import TransitionError, allowed_transitions, check_transition


@pytest.mark.parametrize(
    "current, target",
    [("proposee", "vue"), ("vue", "entretien"), ("entretien", "pmsmp"), ("pmsmp", "periode_essai"),
     ("periode_essai", "embauchee"), ("entretien", "embauchee"), ("proposee", "embauchee")],
)
def test_forward_moves_are_allowed(current, target):
    check_transition(current, target)


@pytest.mark.parametrize("current, target", [("embauchee", "entretien"), ("refusee", "vue"), ("entretien", "vue"),
                                              ("vue", "proposee")])
def test_backward_moves_and_moves_out_of_final_states_are_refused(current, target):
    with pytest.raises(TransitionError, match="Passage impossible"):
        check_transition(current, target)


def test_refusal_needs_a_known_reason():
    with pytest.raises(TransitionError, match="motif"):
        check_transition("entretien", "refusee")
    with pytest.raises(TransitionError, match="motif"):
        check_transition("entretien", "refusee", "parce que")
    check_transition("entretien", "refusee", "mobilite")


def test_final_states_allow_nothing():
    assert allowed_transitions(workflow.HIRED) == ()
    assert allowed_transitions(workflow.REFUSED) == ()


def test_unknown_state_is_refused():
    with pytest.raises(TransitionError, match="État inconnu"):
        check_transition("proposee", "perdue")
