"""Clauses sociales d'insertion: required hours, which ledger hours count, fulfilment and forecast.

Pure functions on plain dicts (rows of the storage layer): no Flask, no SQL.
The rules, each with a test in tests/test_clauses.py:

* required hours = amount × labour share × insertion rate ÷ loaded hourly
  cost, rounded half up to the whole hour (computed in Decimal, so that
  1,000,000 × 50 % × 5 % ÷ 30 gives 833, not 833.3333333333334 rounded by
  binary floating point);
* hours of a month outside the contract's dates do not count;
* hours of a participant who is not eligible do not count: no category, a
  category the contract does not accept (QPV without NPNRU priority), a
  situation the facilitator has not validated;
* a missing proof, or one older than the category's validity at the
  participant's entry on the contract, makes the hours not count;
* the same person's hours of the same month on the same contract, declared
  through two modalities (the AI and the titulaire both declaring them), are
  counted once: the largest declaration counts, the others are flagged;
* a month above the legal maximum counts up to that maximum.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = [
    "MODALITIES",
    "EXIT_SITUATIONS",
    "ClauseError",
    "required_hours",
    "labour_presets",
    "eligibility_rules",
    "Evaluation",
    "evaluate",
    "Fulfilment",
    "fulfilment",
    "month_range",
]

DATA_DIR = Path(__file__).resolve().parent / "data" / "clauses"

MODALITIES: dict[str, str] = {
    "embauche_cdi": "Embauche directe en CDI",
    "embauche_cdd": "Embauche directe en CDD",
    "embauche_pro": "Contrat de professionnalisation",
    "embauche_apprentissage": "Apprentissage",
    "mad_ai": "Mise à disposition par une AI",
    "mad_etti": "Mise à disposition par une ETTI",
    "mad_geiq": "Mise à disposition par un GEIQ",
    "sous_traitance_siae": "Sous-traitance ou co-traitance avec une SIAE",
    "formation": "Formation",
}

EXIT_SITUATIONS: dict[str, str] = {
    "en_cours": "En cours",
    "emploi_durable": "Sortie en emploi durable (CDI, CDD de 6 mois et plus)",
    "emploi_transition": "Sortie en emploi de transition",
    "formation": "Sortie en formation qualifiante",
    "autre": "Autre sortie",
}

# 48 hours a week at most (Code du travail, L3121-20) over a month of 4.6 weeks.
MONTHLY_MAX_HOURS = Decimal("220")

# Reasons why hours do not count, as shown to purchasing teams.
REASON_OUTSIDE = "hors de la période du marché"
REASON_NOT_ELIGIBLE = "participant non éligible"
REASON_NOT_ACCEPTED = "catégorie non retenue par ce marché"
REASON_NOT_VALIDATED = "situation non validée par le facilitateur"
REASON_NO_PROOF = "justificatif manquant"
REASON_EXPIRED = "justificatif expiré à l'entrée"
REASON_LATE_PROOF = "justificatif postérieur à l'entrée"
REASON_DUPLICATE = "déjà comptées pour ce mois par une autre modalité"
REASON_OVER_MAX = "au-delà du maximum légal mensuel"


class ClauseError(ValueError):
    """A clause cannot be computed from these figures; the message is in French."""


def _decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except Exception as exc:  # noqa: BLE001 - any unparsable input is the user's
        raise ClauseError(f"{name} : nombre attendu") from exc
    if not number.is_finite():
        raise ClauseError(f"{name} : nombre attendu")
    return number


def required_hours(amount: Any, labour_share: Any, insertion_rate: Any, hourly_cost: Any) -> int:
    """Insertion hours of a clause: amount × labour share × rate ÷ hourly cost, half up to the hour.

    Shares and rates are fractions (0.5 for 50 %).

    >>> required_hours(1_000_000, 0.5, 0.05, 30)
    833
    """
    amount = _decimal(amount, "Montant")
    share = _decimal(labour_share, "Part de main-d'œuvre")
    rate = _decimal(insertion_rate, "Taux d'insertion")
    cost = _decimal(hourly_cost, "Coût horaire chargé")
    if amount <= 0:
        raise ClauseError("Montant : il doit être positif")
    if not 0 < share <= 1:
        raise ClauseError("Part de main-d'œuvre : entre 0 et 100 %")
    if not 0 < rate <= 1:
        raise ClauseError("Taux d'insertion : entre 0 et 100 %")
    if cost <= 0:
        raise ClauseError("Coût horaire chargé : il doit être positif")
    return int((amount * share * rate / cost).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@lru_cache(maxsize=1)
def labour_presets() -> list[dict[str, Any]]:
    """Labour-share presets per kind of work (``data/clauses/labour_shares.json``)."""
    return json.loads((DATA_DIR / "labour_shares.json").read_text(encoding="utf-8"))["presets"]


@lru_cache(maxsize=1)
def eligibility_rules() -> dict[str, dict[str, Any]]:
    """Validity of proofs per eligibility category (``data/clauses/eligibility_rules.json``)."""
    return json.loads((DATA_DIR / "eligibility_rules.json").read_text(encoding="utf-8"))["categories"]


def _month(value: str) -> date:
    """'2026-03' or '2026-03-15' -> the first day of that month."""
    year, month = int(value[:4]), int(value[5:7])
    return date(year, month, 1)


def month_range(start: str, end: str) -> list[str]:
    """Every 'YYYY-MM' from start's month to end's month, both included."""
    current, last = _month(start), _month(end)
    months = []
    while current <= last:
        months.append(current.strftime("%Y-%m"))
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


@dataclass
class Evaluation:
    """What one ledger entry counts for, and why not all of it."""

    entry: dict[str, Any]
    declared: Decimal
    counted: Decimal
    reasons: list[str] = field(default_factory=list)


def _eligibility_problem(participant: Mapping[str, Any], contract: Mapping[str, Any], entry_month: date) -> str | None:
    category = participant.get("category")
    rules = eligibility_rules()
    if not category or category not in rules:
        return REASON_NOT_ELIGIBLE
    rule = rules[category]
    if rule.get("needs_qpv_priority") and not contract.get("qpv_priority"):
        return REASON_NOT_ACCEPTED
    if rule.get("needs_validation") and not participant.get("validated"):
        return REASON_NOT_VALIDATED
    proof_date = participant.get("proof_date")
    if not proof_date or not participant.get("proof_kind"):
        return REASON_NO_PROOF
    proof = date.fromisoformat(str(proof_date)[:10]).replace(day=1)
    if proof > entry_month:
        return REASON_LATE_PROOF
    if _months_between(proof, entry_month) > rule["validity_months"]:
        return REASON_EXPIRED
    return None


def evaluate(contract: Mapping[str, Any], entries: Iterable[Mapping[str, Any]],
             participants: Mapping[int, Mapping[str, Any]]) -> list[Evaluation]:
    """Decide, entry by entry, how many declared hours count for the contract's clause.

    ``entries``: ledger rows (``participant_id``, ``month`` 'YYYY-MM', ``hours``,
    ``modality``…) of one contract, all lots together (a person is counted
    once per month whatever the lot); ``participants`` by id.
    """
    entries = [dict(e) for e in entries]
    start, end = _month(contract["start_date"]), _month(contract["end_date"])
    first_month: dict[int, date] = {}
    for e in entries:
        month = _month(e["month"])
        pid = e["participant_id"]
        if start <= month <= end and (pid not in first_month or month < first_month[pid]):
            first_month[pid] = month

    evaluations: list[Evaluation] = []
    by_person_month: dict[tuple[int, str], list[Evaluation]] = defaultdict(list)
    for e in entries:
        declared = _decimal(e["hours"], "Heures")
        ev = Evaluation(e, declared, Decimal(0))
        evaluations.append(ev)
        month = _month(e["month"])
        if not start <= month <= end:
            ev.reasons.append(REASON_OUTSIDE)
            continue
        participant = participants.get(e["participant_id"]) or {}
        problem = _eligibility_problem(participant, contract, first_month[e["participant_id"]])
        if problem:
            ev.reasons.append(problem)
            continue
        ev.counted = declared
        by_person_month[(e["participant_id"], e["month"])].append(ev)

    for group in by_person_month.values():
        # Declarations of the same person and month overlap: the largest counts.
        group.sort(key=lambda ev: (-ev.counted, ev.entry.get("id") or 0))
        for other in group[1:]:
            other.counted = Decimal(0)
            other.reasons.append(REASON_DUPLICATE)
        if group[0].counted > MONTHLY_MAX_HOURS:
            group[0].counted = MONTHLY_MAX_HOURS
            group[0].reasons.append(REASON_OVER_MAX)
    return evaluations


@dataclass
class Fulfilment:
    """Where a clause (a lot, or a whole contract) stands."""

    required: int
    counted: Decimal
    declared: Decimal
    by_modality: dict[str, Decimal]
    by_month: dict[str, Decimal]
    not_counted: dict[str, Decimal]
    participants: int
    exits: dict[str, int]
    months_elapsed: int
    months_total: int
    forecast: Decimal
    on_track: bool

    @property
    def percent(self) -> float:
        return float(self.counted / self.required * 100) if self.required else 0.0

    @property
    def missing(self) -> Decimal:
        return max(Decimal(0), Decimal(self.required) - self.counted)


def fulfilment(required: int, evaluations: Iterable[Evaluation], contract: Mapping[str, Any],
               participants: Mapping[int, Mapping[str, Any]], *, today: date | None = None) -> Fulfilment:
    """Totals, breakdowns and the forecast at the current pace against the end date.

    The pace is the counted hours per elapsed month of the contract (months
    from its start up to the current month, at least one); the forecast adds
    that pace over the months left. A clause is "on track" when the forecast
    reaches the required hours.
    """
    evaluations = list(evaluations)
    today = today or date.today()
    months = month_range(contract["start_date"], contract["end_date"])
    current = today.strftime("%Y-%m")
    elapsed = sum(1 for m in months if m <= current)
    by_modality: dict[str, Decimal] = defaultdict(Decimal)
    by_month: dict[str, Decimal] = {m: Decimal(0) for m in months}
    not_counted: dict[str, Decimal] = defaultdict(Decimal)
    people: set[int] = set()
    counted = declared = Decimal(0)
    for ev in evaluations:
        declared += ev.declared
        counted += ev.counted
        if ev.counted:
            by_modality[ev.entry["modality"]] += ev.counted
            by_month[ev.entry["month"]] = by_month.get(ev.entry["month"], Decimal(0)) + ev.counted
            people.add(ev.entry["participant_id"])
        for reason in ev.reasons:
            not_counted[reason] += ev.declared - ev.counted
    exits: dict[str, int] = defaultdict(int)
    for pid in people:
        exits[(participants.get(pid) or {}).get("exit_situation") or "en_cours"] += 1
    pace = counted / max(1, elapsed)
    forecast = counted + pace * max(0, len(months) - elapsed)
    return Fulfilment(
        required=required, counted=counted, declared=declared, by_modality=dict(by_modality),
        by_month=by_month, not_counted=dict(not_counted), participants=len(people), exits=dict(exits),
        months_elapsed=elapsed, months_total=len(months), forecast=forecast.quantize(Decimal("1")),
        on_track=forecast >= required,
    )
