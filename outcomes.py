"""Exit outcomes of an insertion path, in the official IAE categories, and the *taux de sorties
dynamiques* computed from them.

Pure data and rules (no Flask, no SQL). Each exit situation (``EXIT_DETAILS``) belongs to one category;
fixed-term contracts (CDD, intérim, alternance) belong to *emploi durable* from 6 months of contract
on, to *emploi de transition* below. The rate is the share of dynamic exits (emploi durable, emploi de
transition, sortie positive) among all exits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Final, Iterable, Mapping

__all__ = [
    "CATEGORIES",
    "DURABLE_MIN_MONTHS",
    "DYNAMIC_CATEGORIES",
    "EXIT_DETAILS",
    "ExitDetail",
    "OutcomeError",
    "RateCell",
    "category_of",
    "contract_months",
    "detail_from_hire",
    "exit_rates",
    "quarter_of",
]

DURABLE: Final = "emploi_durable"
TRANSITION: Final = "emploi_transition"
POSITIVE: Final = "sortie_positive"
OTHER: Final = "autre_sortie"
CATEGORIES: Final[dict[str, str]] = {
    DURABLE: "Emploi durable",
    TRANSITION: "Emploi de transition",
    POSITIVE: "Sortie positive",
    OTHER: "Autre sortie",
}
DYNAMIC_CATEGORIES: Final[tuple[str, ...]] = (DURABLE, TRANSITION, POSITIVE)
# A CDD or a mission of this many months or more is a lasting job; shorter, a transition job.
DURABLE_MIN_MONTHS: Final = 6


class OutcomeError(ValueError):
    """An exit that cannot be categorised as given; the message is in French."""


@dataclass(frozen=True)
class ExitDetail:
    label: str
    category: str | None        # None: decided by the contract's duration
    by_duration: bool = False


EXIT_DETAILS: Final[dict[str, ExitDetail]] = {
    "cdi": ExitDetail("CDI", DURABLE),
    "cdd": ExitDetail("CDD", None, by_duration=True),
    "interim": ExitDetail("Intérim (missions)", None, by_duration=True),
    "alternance": ExitDetail("Contrat de professionnalisation ou d'apprentissage", None, by_duration=True),
    "titularisation": ExitDetail("Titularisation dans la fonction publique", DURABLE),
    "creation_entreprise": ExitDetail("Création ou reprise d'entreprise", DURABLE),
    "contrat_aide": ExitDetail("Contrat aidé chez un employeur ordinaire (PEC…)", TRANSITION),
    "formation_qualifiante": ExitDetail("Formation qualifiante", POSITIVE),
    "formation_prequalifiante": ExitDetail("Formation pré-qualifiante", POSITIVE),
    "autre_siae": ExitDetail("Embauche dans une autre SIAE", POSITIVE),
    "recherche_emploi": ExitDetail("En recherche d'emploi", OTHER),
    "inactivite": ExitDetail("Sans activité (santé, famille…)", OTHER),
    "sans_nouvelles": ExitDetail("Sans nouvelles", OTHER),
    "autre": ExitDetail("Autre situation", OTHER),
}

# Contract types of a hire recorded in Passerelle (``workflow.CONTRACTS``) → exit situation.
_HIRE_DETAILS: Final[dict[str, str]] = {
    "CDI": "cdi",
    "CDD": "cdd",
    "intérim": "interim",
    "contrat de professionnalisation": "alternance",
    "apprentissage": "alternance",
    "CDDI": "autre_siae",  # a CDDI is the contract of an SIAE
}


def category_of(detail: str, months: int | None = None) -> str:
    """The category of an exit situation; fixed-term contracts need their duration in months."""
    spec = EXIT_DETAILS.get(detail)
    if spec is None:
        raise OutcomeError(f"Situation de sortie inconnue : {detail}")
    if not spec.by_duration:
        return spec.category
    if months is None or months < 0:
        raise OutcomeError(f"{spec.label} : indiquez la durée du contrat en mois.")
    return DURABLE if months >= DURABLE_MIN_MONTHS else TRANSITION


def detail_from_hire(contract_type: str | None) -> str | None:
    """The exit situation a hire's contract suggests (None when it is no hire, e.g. a PMSMP)."""
    return _HIRE_DETAILS.get(contract_type or "")


def contract_months(start: date, end: date) -> int:
    """Whole months of a contract from its first to its last day, both worked: 1 January → 30 June
    is 6 months, 1 January → 29 June is 5."""
    if end < start:
        raise OutcomeError("La fin du contrat précède son début.")
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + (after.month - start.month)
    if after.day < start.day:
        months -= 1
    return months


def quarter_of(day: str) -> str:
    """"2026-05-14" → "2026-T2"."""
    d = date.fromisoformat(day[:10])
    return f"{d.year}-T{(d.month - 1) // 3 + 1}"


@dataclass
class RateCell:
    """Exits of a group: how many in each category, and the rate of dynamic exits."""

    by_category: dict[str, list] = field(default_factory=lambda: {c: [] for c in CATEGORIES})

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.by_category.values())

    @property
    def dynamic(self) -> int:
        return sum(len(self.by_category[c]) for c in DYNAMIC_CATEGORIES)

    @property
    def rate(self) -> float | None:
        """Dynamic exits ÷ all exits (None without any exit: no rate, rather than a false 0 %)."""
        return self.dynamic / self.total if self.total else None

    def share(self, category: str) -> float | None:
        return len(self.by_category[category]) / self.total if self.total else None


def exit_rates(outcomes: Iterable[Mapping], group: Callable[[Mapping], str]) -> dict[str, RateCell]:
    """Exits grouped by ``group(outcome)`` (a quarter, a sector…), in the groups' order, each
    cell keeping the outcomes behind its figures."""
    cells: dict[str, RateCell] = {}
    for outcome in outcomes:
        cell = cells.setdefault(group(outcome), RateCell())
        cell.by_category[outcome["category"]].append(outcome)
    return dict(sorted(cells.items()))
