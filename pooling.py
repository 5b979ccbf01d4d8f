"""Pooled needs (groupement): rules of a need shared by several employers and carried by a structure.

Pure functions on plain values (no Flask, no SQL), tested in tests/test_pooling.py:

* who may carry: an association intermédiaire, a GEIQ or an ETTI (they hire and
  place their employees with others); an ACI or an EI cannot;
* each member's share is a number of positions or a number of hours per week,
  one of the two; together the shares cannot exceed the hours the carrier
  hires for (positions × hours per week);
* a hire is placed with one or more members, hours per week each, no more in
  total than the contract's weekly hours;
* the hours of mise à disposition of a month are estimated from the weekly
  hours and the working days of that month, then recorded as done;
* recorded hours become a clause ledger line for a member who is the titulaire
  of a lot: the modality follows the carrier (mad_ai, mad_geiq, mad_etti).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Mapping

__all__ = [
    "CARRIER_SUBTYPES",
    "CARRIER_CONTRACTS",
    "MAD_MODALITIES",
    "FULL_TIME_HOURS",
    "Share",
    "can_carry",
    "share_errors",
    "weekly_hours",
    "assignment_errors",
    "working_days",
    "estimated_month_hours",
    "ledger_line",
]

# Structures that hire and place their employees with employers (mise à disposition).
CARRIER_SUBTYPES: dict[str, str] = {
    "AI": "Association intermédiaire",
    "GEIQ": "Groupement d'employeurs pour l'insertion et la qualification",
    "ETTI": "Entreprise de travail temporaire d'insertion",
}

# The carrier's contract with the person it hires (the need's contract type is derived from it).
CARRIER_CONTRACTS: dict[str, str] = {
    "contrat de professionnalisation": "contrat de professionnalisation",
    "CDDI": "CDDI",
    "mise à disposition (CDD d'usage)": "CDD",
    "mission d'intérim d'insertion": "intérim",
    "apprentissage": "apprentissage",
}

# Clause ledger modality of hours done through each kind of carrier (see clauses.MODALITIES).
MAD_MODALITIES: dict[str, str] = {"AI": "mad_ai", "GEIQ": "mad_geiq", "ETTI": "mad_etti"}

# A full-time week when a need gives no weekly hours (the legal duration).
FULL_TIME_HOURS = 35.0
# A month's hours count up to this (48 h a week over a month), as in the clause rules.
MAX_MONTH_HOURS = 220.0


@dataclass(frozen=True)
class Share:
    """A member's share of a pooled need: positions or hours per week (exactly one)."""

    employer_id: str
    positions: int | None = None
    hours_per_week: float | None = None


def can_carry(subtype: str | None) -> bool:
    """Whether a structure of this subtype may carry a pooled need (hire for members)."""
    return subtype in CARRIER_SUBTYPES


def weekly_hours(share: Share, hours_per_week: float | None) -> float:
    """The weekly hours a share stands for (positions × the need's weekly hours)."""
    if share.hours_per_week is not None:
        return float(share.hours_per_week)
    return float(share.positions or 0) * float(hours_per_week or FULL_TIME_HOURS)


def share_errors(shares: Iterable[Share], *, positions: int | None, hours_per_week: float | None,
                 carrier_id: str | None = None) -> list[str]:
    """French messages for shares that cannot be: none at all, a member twice, a share with both or
    neither kind, the carrier among its members, shares beyond what the carrier hires for."""
    shares = list(shares)
    errors: list[str] = []
    if len(shares) < 2:
        errors.append("Un besoin mutualisé réunit au moins deux employeurs membres.")
    seen: set[str] = set()
    for share in shares:
        if share.employer_id in seen:
            errors.append(f"L'employeur {share.employer_id} figure deux fois.")
        seen.add(share.employer_id)
        if share.employer_id == carrier_id:
            errors.append("La structure porteuse ne peut pas être membre de son propre besoin.")
        if (share.positions is None) == (share.hours_per_week is None):
            errors.append(f"Part de {share.employer_id} : indiquez des postes ou des heures par semaine (l'un des deux).")
        elif (share.positions is not None and share.positions <= 0) or (
                share.hours_per_week is not None and share.hours_per_week <= 0):
            errors.append(f"Part de {share.employer_id} : un nombre positif est attendu.")
    if not errors:
        capacity = float(positions or 1) * float(hours_per_week or FULL_TIME_HOURS)
        total = sum(weekly_hours(s, hours_per_week) for s in shares)
        if total > capacity + 1e-9:
            errors.append(f"Les parts des membres font {total:g} h par semaine, plus que les {capacity:g} h "
                          f"des {positions or 1} poste(s) à pourvoir : augmentez le nombre de postes ou réduisez les parts.")
    return errors


def assignment_errors(assignments: Iterable[Mapping[str, Any]], members: Iterable[str], *,
                      contract_hours: float | None) -> list[str]:
    """French messages for a hire's placement with members: at least one, members only, within the week."""
    assignments = list(assignments)
    members = set(members)
    errors = []
    if not assignments:
        errors.append("Indiquez chez quel(s) membre(s) la personne embauchée est mise à disposition "
                      "(heures par semaine).")
    for a in assignments:
        if a["employer_id"] not in members:
            errors.append(f"{a['employer_id']} n'est pas membre de ce besoin mutualisé.")
        if not 0 < float(a["hours_per_week"]) <= 48:
            errors.append("Heures par semaine : entre 0 et 48.")
    week = float(contract_hours or FULL_TIME_HOURS)
    total = sum(float(a["hours_per_week"]) for a in assignments)
    if total > week + 1e-9:
        errors.append(f"Mises à disposition : {total:g} h par semaine, plus que les {week:g} h du contrat.")
    return errors


def working_days(month: str) -> int:
    """Monday-to-Friday days of a month "YYYY-MM" (public holidays are not known here)."""
    year, number = (int(x) for x in month.split("-"))
    days = calendar.monthrange(year, number)[1]
    return sum(1 for d in range(1, days + 1) if calendar.weekday(year, number, d) < 5)


def estimated_month_hours(hours_per_week: float, month: str) -> float:
    """Hours a weekly placement gives in a month: weekly hours × working days ÷ 5, to the half hour."""
    estimate = Decimal(str(hours_per_week)) * working_days(month) / 5
    return float(min((estimate * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 2, Decimal(str(MAX_MONTH_HOURS))))


def ledger_line(*, carrier: Mapping[str, Any], carrier_contract: str, lot_id: int, participant_id: int,
                month: str, hours: float, start_date: str | None = None,
                end_date: str | None = None) -> dict[str, Any]:
    """The clause ledger line for hours of mise à disposition done with a member who is a lot's titulaire.

    Same fields as a line of the titulaire's ledger CSV; the modality follows the carrier's kind.
    """
    modality = MAD_MODALITIES.get(carrier.get("subtype") or "")
    if modality is None:
        raise ValueError(f"{carrier.get('name')} ne peut pas porter de mise à disposition")
    return {"lot_id": lot_id, "participant_id": participant_id, "month": month, "hours": float(hours),
            "modality": modality, "employer_name": carrier.get("name"), "contract_type": carrier_contract,
            "contract_start": start_date, "contract_end": end_date}
