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
* a month above the legal maximum counts up to that maximum;
* PMSMP hours count only on contracts that accept them (``pmsmp_counted``).

The forecast (``fulfilment``) uses **declared months only**: a month counts
in the pace once its hours are declared (validated, or typed by the buyer);
the current month and the months not declared yet are "à déclarer", never
zero-hour months. A month not declared by the 10th of the next one is
"manquant" (``months_missing``): its titulaire gets a reminder.
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
    "DECLARATION_DEADLINE_DAY",
    "MODALITY_OF_CONTRACT",
    "CurvePoint",
    "cumulative_curve",
    "declaration_deadline",
    "hire_modality",
    "months_missing",
    "months_to_declare",
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
    "pmsmp": "Période de mise en situation en milieu professionnel (PMSMP)",
}

# The modality of a hire made through Passerelle, from the need's contract type.
# A CDDI is a fixed-term contract (with an SIAE titulaire); "intérim" depends on
# the structure that places the person (see ``hire_modality``).
MODALITY_OF_CONTRACT: dict[str, str] = {
    "CDI": "embauche_cdi",
    "CDD": "embauche_cdd",
    "CDDI": "embauche_cdd",
    "intérim": "mad_etti",
    "contrat de professionnalisation": "embauche_pro",
    "apprentissage": "embauche_apprentissage",
    "PMSMP": "pmsmp",
}
# Who places a temporary worker: an AI or a GEIQ puts people at disposal too.
_PLACEMENT_BY_STRUCTURE = {"AI": "mad_ai", "GEIQ": "mad_geiq", "ETTI": "mad_etti"}

# A titulaire declares a month's hours by this day of the next month; after it, the month is "manquant".
DECLARATION_DEADLINE_DAY = 10

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
REASON_PMSMP = "PMSMP non retenues par ce marché"


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
        if e.get("modality") == "pmsmp" and not contract.get("pmsmp_counted"):
            ev.reasons.append(REASON_PMSMP)
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


def hire_modality(contract_type: str | None, structure_kind: str | None = None) -> str | None:
    """The ledger modality of a hire on a need with this contract type (None: it does not count).

    >>> hire_modality("CDI"), hire_modality("intérim", "AI"), hire_modality("stage")
    ('embauche_cdi', 'mad_ai', None)
    """
    if contract_type == "intérim":
        return _PLACEMENT_BY_STRUCTURE.get(structure_kind or "", "mad_etti")
    return MODALITY_OF_CONTRACT.get(contract_type or "")


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def declaration_deadline(month: str) -> date:
    """The last day a month's hours are on time: the 10th of the next month."""
    return _next_month(_month(month)).replace(day=DECLARATION_DEADLINE_DAY)


def months_to_declare(contract: Mapping[str, Any], declared: Iterable[str], today: date) -> list[str]:
    """Months of the contract up to the current one whose hours are not declared yet ("à déclarer")."""
    done = set(declared)
    current = today.strftime("%Y-%m")
    return [m for m in month_range(contract["start_date"], contract["end_date"]) if m <= current and m not in done]


def months_missing(contract: Mapping[str, Any], declared: Iterable[str], today: date) -> list[str]:
    """Months past their deadline (the 10th of the next month) and still not declared: a reminder is due.

    On the 10th a month is still on time; on the 11th it is missing. Months
    after the contract's end are missing too once their deadline has passed.
    """
    return [m for m in months_to_declare(contract, declared, today) if today > declaration_deadline(m)]


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
    months_declared: list[str] = field(default_factory=list)
    to_declare: list[str] = field(default_factory=list)
    late_months: list[str] = field(default_factory=list)
    forecast_known: bool = False
    pace: Decimal = Decimal(0)

    @property
    def percent(self) -> float:
        return float(self.counted / self.required * 100) if self.required else 0.0

    @property
    def missing(self) -> Decimal:
        return max(Decimal(0), Decimal(self.required) - self.counted)

    @property
    def shortfall(self) -> Decimal:
        """Hours the forecast falls short of the required ones (0 when on track or unknown)."""
        return max(Decimal(0), Decimal(self.required) - self.forecast) if self.forecast_known else Decimal(0)


def fulfilment(required: int, evaluations: Iterable[Evaluation], contract: Mapping[str, Any],
               participants: Mapping[int, Mapping[str, Any]], *, today: date | None = None,
               declared: Mapping[Any, Iterable[str]] | None = None) -> Fulfilment:
    """Totals, breakdowns and the forecast at the declared pace against the end date.

    ``declared``: the months declared, per lot id (a validated declaration, or
    lines typed by the buyer); by default, the months of each lot that have
    ledger lines. The forecast is made lot by lot, then added up: a lot's pace
    is its counted hours of declared months per declared month, extended over
    the months not declared yet (the current month included, and late months).
    A lot without any declared month has no pace: the forecast is then unknown
    (``forecast_known`` False) rather than zero. A clause is "on track" unless
    a known forecast falls short of the required hours.
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
    counted = declared_hours = Decimal(0)
    counted_by_lot_month: dict[tuple[Any, str], Decimal] = defaultdict(Decimal)
    for ev in evaluations:
        declared_hours += ev.declared
        counted += ev.counted
        if ev.counted:
            by_modality[ev.entry["modality"]] += ev.counted
            by_month[ev.entry["month"]] = by_month.get(ev.entry["month"], Decimal(0)) + ev.counted
            people.add(ev.entry["participant_id"])
            counted_by_lot_month[(ev.entry.get("lot_id"), ev.entry["month"])] += ev.counted
        for reason in ev.reasons:
            not_counted[reason] += ev.declared - ev.counted
    exits: dict[str, int] = defaultdict(int)
    for pid in people:
        exits[(participants.get(pid) or {}).get("exit_situation") or "en_cours"] += 1

    if declared is None:
        by_lot: dict[Any, set[str]] = defaultdict(set)
        for ev in evaluations:
            by_lot[ev.entry.get("lot_id")].add(ev.entry["month"])
    else:
        by_lot = {lot: set(ms) for lot, ms in declared.items()}
    in_contract = set(months)
    forecast = Decimal(0)
    known = False
    declared_any: set[str] = set()
    paces = Decimal(0)
    for lot, lot_months in by_lot.items():
        lot_months = lot_months & in_contract
        lot_counted = sum((v for (l, _), v in counted_by_lot_month.items() if l == lot), Decimal(0))
        if not lot_months:
            forecast += lot_counted
            continue
        known = True
        declared_any |= lot_months
        pace = sum((counted_by_lot_month.get((lot, m), Decimal(0)) for m in lot_months), Decimal(0)) / len(lot_months)
        paces += pace
        forecast += lot_counted + pace * (len(months) - len(lot_months))
    # Hours of lots absent from ``declared`` still count in the total.
    forecast += sum((v for (l, _), v in counted_by_lot_month.items() if l not in by_lot), Decimal(0))
    forecast = forecast.quantize(Decimal("1"))
    if declared is None or len(by_lot) <= 1:
        lot_declared = sorted(declared_any)
    else:  # a month counts as declared for several lots only when every lot has declared it
        lot_declared = sorted(set.intersection(*(ms & in_contract for ms in by_lot.values())) if by_lot else set())
    return Fulfilment(
        required=required, counted=counted, declared=declared_hours, by_modality=dict(by_modality),
        by_month=by_month, not_counted=dict(not_counted), participants=len(people), exits=dict(exits),
        months_elapsed=elapsed, months_total=len(months), forecast=forecast,
        on_track=not (known and forecast < required),
        months_declared=lot_declared,
        to_declare=months_to_declare(contract, lot_declared, today),
        late_months=months_missing(contract, lot_declared, today),
        forecast_known=known, pace=paces.quantize(Decimal("0.1")),
    )


@dataclass(frozen=True)
class CurvePoint:
    """One month of the cumulative curve: what was counted, the linear path, the forecast."""

    month: str
    status: str                   # "déclaré", "à déclarer" or "à venir"
    cumulative: Decimal | None    # counted hours up to this month (None after the last declared month)
    path: Decimal                 # the linear path from 0 at the start to the required hours at the end
    forecast: Decimal | None      # the declared pace extended from the last declared month


def cumulative_curve(f: Fulfilment, contract: Mapping[str, Any], *, today: date | None = None) -> list[CurvePoint]:
    """The cumulative counted hours month by month, against the target's linear path and the forecast."""
    today = today or date.today()
    months = month_range(contract["start_date"], contract["end_date"])
    declared = set(f.months_declared)
    current = today.strftime("%Y-%m")
    last = max((m for m in months if m in declared), default=None)
    points: list[CurvePoint] = []
    running = Decimal(0)
    n = len(months)
    after_last = sum(1 for m in months if last is not None and m > last)
    for i, month in enumerate(months, start=1):
        running += f.by_month.get(month, Decimal(0))
        status = "déclaré" if month in declared else ("à déclarer" if month <= current else "à venir")
        known = last is not None and month <= last
        path = (Decimal(f.required) * i / n).quantize(Decimal("1"))
        forecast = None
        if f.forecast_known and last is not None and month >= last:
            # From the hours counted so far (at the last declared month) straight to the forecast at the end.
            steps = sum(1 for m in months if last < m <= month)
            share = Decimal(steps) / after_last if after_last else Decimal(1)
            forecast = (f.counted + (f.forecast - f.counted) * share).quantize(Decimal("1"))
        points.append(CurvePoint(month, status, running if known else None, path, forecast))
    return points
