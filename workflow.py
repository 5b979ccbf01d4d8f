"""The life of a proposal, from the CRE's proposal to the hire and after.

Pure data and rules, shared by the web pages, the API and the storage layer.
"""
from __future__ import annotations

from typing import Final

__all__ = [
    "STATES",
    "STATE_LABELS",
    "REFUSAL_REASONS",
    "CONTRACTS",
    "TransitionError",
    "allowed_transitions",
    "check_transition",
]

PROPOSED: Final = "proposee"
SEEN: Final = "vue"
INTERVIEW: Final = "entretien"
PMSMP: Final = "pmsmp"
TRIAL: Final = "periode_essai"
HIRED: Final = "embauchee"
REFUSED: Final = "refusee"
# Closed by Passerelle when the employer never answered (see jobs.py: AUTO_CLOSE_DAYS).
NO_ANSWER: Final = "sans_reponse"

# Order matters: it is the order of the dashboard columns.
STATE_LABELS: Final[dict[str, str]] = {
    PROPOSED: "Proposée",
    SEEN: "Vue par l'employeur",
    INTERVIEW: "Entretien",
    PMSMP: "PMSMP",
    TRIAL: "Période d'essai",
    HIRED: "Embauchée",
    REFUSED: "Refusée",
    NO_ANSWER: "Close sans réponse",
}
STATES: Final[tuple[str, ...]] = tuple(STATE_LABELS)
OPEN_STATES: Final[frozenset[str]] = frozenset(STATES) - {HIRED, REFUSED, NO_ANSWER}
# States where the employer has not answered yet: the reminder and auto-close clocks run.
AWAITING_EMPLOYER: Final[frozenset[str]] = frozenset({PROPOSED, SEEN})

REFUSAL_REASONS: Final[dict[str, str]] = {
    "competences_manquantes": "Compétences manquantes",
    "mobilite": "Mobilité",
    "incompatibilite": "Incompatibilité (horaires, contraintes)",
    "poste_pourvu": "Poste pourvu",
    "autre": "Autre",
}

# "stage": an internship; a buyer's supplier commitments count hires on such needs as internships.
CONTRACTS: Final[tuple[str, ...]] = (
    "CDI", "CDD", "CDDI", "intérim", "contrat de professionnalisation", "apprentissage", "PMSMP", "stage",
)

# Forward moves only, with shortcuts (an employer may hire straight after an
# interview, or skip the interview for a PMSMP). Any open proposal can be refused.
_FORWARD: Final[dict[str, tuple[str, ...]]] = {
    PROPOSED: (SEEN, INTERVIEW, PMSMP, TRIAL, HIRED, NO_ANSWER),
    SEEN: (INTERVIEW, PMSMP, TRIAL, HIRED, NO_ANSWER),
    INTERVIEW: (PMSMP, TRIAL, HIRED),
    PMSMP: (INTERVIEW, TRIAL, HIRED),
    TRIAL: (HIRED,),
    HIRED: (),
    REFUSED: (),
    # A late answer still counts: the employer may take up a candidature closed without answer.
    NO_ANSWER: (INTERVIEW, PMSMP, TRIAL, HIRED, REFUSED),
}


class TransitionError(ValueError):
    """A move the workflow does not allow; the message is in French."""


def allowed_transitions(state: str) -> tuple[str, ...]:
    """States reachable from ``state`` (refusal included while the proposal is open)."""
    forward = _FORWARD.get(state, ())
    return forward + ((REFUSED,) if state in OPEN_STATES else ())


def check_transition(current: str, target: str, reason: str | None = None) -> None:
    """Raise ``TransitionError`` unless ``current → target`` is allowed with this reason."""
    if target not in STATE_LABELS:
        raise TransitionError(f"État inconnu : {target}")
    if target not in allowed_transitions(current):
        raise TransitionError(
            f"Passage impossible de « {STATE_LABELS.get(current, current)} » à « {STATE_LABELS[target]} »"
        )
    if target == REFUSED and reason not in REFUSAL_REASONS:
        raise TransitionError("Un refus doit avoir un motif : " + ", ".join(REFUSAL_REASONS.values()))
