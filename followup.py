"""Follow-up after the hire: the check-in plan, the situations and difficulties a check-in records,
the tutor's assessment scale.

Pure data and rules (no Flask, no SQL), shared by storage, the pages and the reminders. The field
reports ask for a follow-up by the CIP for up to three months after the hire, together with the
company's tutor: an unsecured start that fails undoes the whole path.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Final, Iterable, Mapping

__all__ = [
    "ASSESSMENT_CRITERIA",
    "ASSESSMENT_LEVELS",
    "DEFAULT_CHECKIN_DAYS",
    "DIFFICULTIES",
    "MAX_FOLLOWUP_DAYS",
    "SITUATIONS",
    "checkin_schedule",
    "check_assessment",
    "check_checkin",
    "check_due_date",
    "is_overdue",
]

# Check-ins after the first day of work: the first week, the first month, the end of the third month.
DEFAULT_CHECKIN_DAYS: Final[tuple[int, ...]] = (7, 30, 90)
# "Up to three months": a check-in may be moved, not beyond the third month (92 days covers any three).
MAX_FOLLOWUP_DAYS: Final = 92

LEFT_JOB: Final = "a_quitte"
SITUATIONS: Final[dict[str, str]] = {
    "en_poste": "En poste",
    "en_poste_difficultes": "En poste, avec des difficultés",
    LEFT_JOB: "A quitté le poste",
}
DIFFICULTIES: Final[dict[str, str]] = {
    "transport": "Transport",
    "horaires": "Horaires",
    "integration": "Intégration dans l'équipe",
    "sante": "Santé",
    "garde_enfants": "Garde d'enfants",
    "autre": "Autre",
}
ASSESSMENT_CRITERIA: Final[dict[str, str]] = {
    "punctuality": "Ponctualité",
    "integration": "Intégration",
    "skills": "Compétences",
}
# Four levels and no middle one: a tutor has to say on which side things are.
ASSESSMENT_LEVELS: Final[dict[int, str]] = {4: "Très satisfaisant", 3: "Satisfaisant", 2: "À améliorer",
                                            1: "Insuffisant"}
MAX_ACTION_TEXT: Final = 2000


def checkin_schedule(hired_on: date, days: Iterable[int] = DEFAULT_CHECKIN_DAYS) -> list[tuple[int, date]]:
    """The check-ins of a plan: (days after the hire, due date), in order, each day once."""
    return [(d, hired_on + timedelta(days=d)) for d in sorted(set(days))]


def check_due_date(hired_on: date, due_on: date) -> str | None:
    """Why a check-in cannot be due on ``due_on`` (French), or None."""
    if due_on < hired_on:
        return "Un point de suivi ne peut pas précéder l'embauche."
    if due_on > hired_on + timedelta(days=MAX_FOLLOWUP_DAYS):
        return "Le suivi après l'embauche dure trois mois au plus."
    return None


def is_overdue(checkin: Mapping, today: date) -> bool:
    """A check-in not recorded by the end of its due day."""
    return not checkin.get("done_at") and date.fromisoformat(checkin["due_on"]) < today


def check_checkin(situation: str | None, difficulties: Iterable[str], action: str) -> dict[str, str]:
    """Errors of a check-in form, by field (empty when it can be recorded)."""
    errors: dict[str, str] = {}
    difficulties = list(difficulties)
    if situation not in SITUATIONS:
        errors["situation"] = "Situation : choisissez dans la liste."
    unknown = [d for d in difficulties if d not in DIFFICULTIES]
    if unknown:
        errors["difficulties"] = "Difficulté inconnue : " + ", ".join(unknown)
    elif situation == "en_poste_difficultes" and not difficulties:
        errors["difficulties"] = "Indiquez au moins une difficulté."
    if len(action) > MAX_ACTION_TEXT:
        errors["action"] = f"Action menée : {MAX_ACTION_TEXT} caractères au plus."
    return errors


def check_assessment(values: Mapping[str, object]) -> dict[str, str]:
    """Errors of a tutor's assessment: each criterion rated on the four-level scale."""
    errors = {}
    for key, label in ASSESSMENT_CRITERIA.items():
        if values.get(key) not in ASSESSMENT_LEVELS:
            errors[key] = f"{label} : choisissez une appréciation."
    return errors
