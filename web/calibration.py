"""Calibrating a clause before the tender: required hours, and what the territory can supply.

For each trade of a planned contract, the matching engine ranks the people of
Passerelle who could count for a clause (an eligibility category a standard
contract accepts, agreement to be proposed, a known home) and keeps those who
live within the radius of the site (and within their own mobility) and whose
skills fit the trade directly or through transferable skills. Only aggregated
counts leave this module, protected so that no person can be singled out:

* a count under ``SUPPRESSION_THRESHOLD`` is published as "moins de 5";
* a larger count is rounded to a multiple of ``ROUNDING_BASE``, up or down
  as drawn by a keyed hash of the exact set of people counted (the "cell key"
  method of official statistics): the same people always give the same
  published figure, whatever the question that reached them, and one person
  more or less does not show as a difference of one;
* ``people_total`` counts the distinct people of the published trades only:
  a trade under the threshold never changes the total, so adding or removing
  it cannot reveal its people by subtraction;
* the site is read on a grid of about a kilometre and the radius in whole
  kilometres, so that a sweep of the map or of the radius cannot step from
  one home to the next;
* the recommendation is computed from the published figures, never from the
  exact ones.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Iterable, Mapping

import clauses
import storage
from matching import Location, Need, NeedSkill

from . import careers

SUPPRESSION_THRESHOLD = 5
SUPPRESSED = "moins de 5"
ROUNDING_BASE = 5
# Two decimals of a degree: about 1.1 km north-south, 0.7 km east-west in France.
SITE_GRID_DEGREES = 2
# A person fits a trade when at least half of what the trade asks is met (coverage, 0-1) by skills they
# hold or by explicit transfers; bridges of aptitudes alone never make a fit.
FIT_MIN_COVERAGE = 0.5
FIT_CREDIT_KINDS = ("direct", "transfer")
# Not every person who fits will work on this contract: they are in a path with its own steps, other
# employers recruit them too. One in five is the team's working assumption (to revisit with facilitators).
MOBILISATION_RATE = Decimal("0.2")
# Hours a placed person works per month: 26 h a week (the usual insertion contract) × 52 / 12.
MONTHLY_HOURS_PER_PERSON = Decimal("112")
# Where a structure of this kind supplies people, the clause's modality.
STRUCTURE_MODALITY = {
    "AI": "mad_ai",
    "ETTI": "mad_etti",
    "GEIQ": "mad_geiq",
    "EI": "sous_traitance_siae",
    "ACI": "sous_traitance_siae",
}


@dataclass(frozen=True)
class TradeReach:
    """Who fits one trade near the site (exact, internal: never published as such)."""

    text: str
    rome_code: str | None
    label: str | None
    people: frozenset[int]
    structures: frozenset[str]


def counting_categories() -> set[str]:
    """Eligibility categories any contract accepts without a condition (QPV and "autre" aside)."""
    return {k for k, rule in clauses.eligibility_rules().items()
            if not rule.get("needs_qpv_priority") and not rule.get("needs_validation")}


def eligible_pool(db) -> dict[int, dict[str, Any]]:
    """People who could count for a clause: active, agreed to be proposed, an accepted category, a home."""
    accepted = counting_categories()
    return {p["id"]: p for p in storage.list_profiles(db)
            if p.get("consent_at") and not p.get("anonymised_at") and set(p.get("eligibility") or ()) & accepted
            and p.get("lat") is not None and p.get("lon") is not None}


def trade_need(db, engine, text: str, index: int, site: tuple[float, float], radius_km: float
               ) -> tuple[Need, str | None, str | None]:
    """The engine's need for a trade typed as text or as a ROME code; with its ROME code and label."""
    code, label = _rome_of(db, engine, text)
    title = label if _is_rome_code(text) and label else text
    need = Need(id=f"calibrage-{index}", title=title, description=title,
                skills=(NeedSkill(title, True),), location=Location(site[0], site[1], None),
                max_distance_km=radius_km)
    return need, code, label


def _is_rome_code(text: str) -> bool:
    text = text.strip().upper()
    return len(text) == 5 and text[0].isalpha() and text[1:].isdigit()


def _rome_of(db, engine, text: str) -> tuple[str | None, str | None]:
    """ROME code and label of a trade: the code itself, the imported ROME's title mapping, else the
    bundled métiers (a job title, or the métier whose core skills the text names)."""
    taxonomy = engine.taxonomy
    if _is_rome_code(text):
        code = text.strip().upper()
        suggest = careers.suggester(db)
        if suggest is not None and code in suggest.referential.metiers:
            return code, suggest.referential.metiers[code].label
        metier = next((m for m in taxonomy.metiers.values() if m.rome == code), None)
        return code, metier.label if metier else None
    code = careers.rome_code(db, text)
    if code:
        suggest = careers.suggester(db)
        return code, suggest.referential.metiers[code].label if suggest else None
    hit = engine.mapper.map_title(text)
    if hit is not None and taxonomy.metiers[hit.id].rome:
        return taxonomy.metiers[hit.id].rome, hit.label
    skills = set(engine.mapper.map(text).skill_ids)

    def closeness(metier) -> tuple[int, int]:
        # The most skills named, then the métier that lists them first (a métier lists its core skills first).
        ranks = [i for i, s in enumerate(metier.skills) if s in skills]
        return len(ranks), -min(ranks, default=len(metier.skills))

    coded = [m for m in taxonomy.metiers.values() if m.rome and skills & set(m.skills)]
    if coded:
        best = max(coded, key=closeness)
        return best.rome, best.label
    return None, None


def fits(match, radius_km: float) -> bool:
    return (not match.blocking and match.distance_km is not None and match.distance_km <= radius_km
            and match.coverage >= FIT_MIN_COVERAGE and any(c.kind in FIT_CREDIT_KINDS for c in match.credits))


def reach(db, engine, trades: Iterable[str], site: tuple[float, float], radius_km: float) -> list[TradeReach]:
    """For each trade, the exact people and structures within reach (internal: counts are protected later)."""
    pool = eligible_pool(db)
    found = []
    for index, text in enumerate(trades):
        need, code, label = trade_need(db, engine, text, index, site, radius_km)
        matches = engine.rank(db, need, top=max(1, len(pool)), include_blocked=False, profile_ids=list(pool)) \
            if pool else []
        people = frozenset(int(m.candidate) for m in matches if fits(m, radius_km))
        found.append(TradeReach(text, code, label, people, frozenset(pool[p]["siae_id"] for p in people)))
    return found


def protect(people: Iterable[int], secret: bytes) -> int | str:
    """A published count: "moins de 5" under the threshold, else rounded to 5 by the set's cell key."""
    ids = sorted(set(people))
    n = len(ids)
    if n < SUPPRESSION_THRESHOLD:
        return SUPPRESSED
    remainder = n % ROUNDING_BASE
    if not remainder:
        return n
    digest = hmac.new(secret, ",".join(map(str, ids)).encode(), hashlib.sha256).digest()
    draw = int.from_bytes(digest[:8], "big") / 2 ** 64
    # Rounded up with a probability proportional to the remainder: unbiased on average.
    return n - remainder + (ROUNDING_BASE if draw < remainder / ROUNDING_BASE else 0)


def _site(location: Mapping[str, float]) -> tuple[float, float]:
    return round(float(location["lat"]), SITE_GRID_DEGREES), round(float(location["lon"]), SITE_GRID_DEGREES)


def calibrate(db, engine, data: Mapping[str, Any], *, secret: bytes) -> dict[str, Any]:
    """The answer of ``POST /api/v1/clause-calibrations`` for cleaned input (``validation.clean_calibration``)."""
    required = clauses.required_hours(data["amount"], data["labour_share"], data["insertion_rate"],
                                      data["hourly_cost"])
    site = _site(data["location"])
    radius = float(round(data["radius_km"]))
    reached = reach(db, engine, data["trades"], site, radius)
    kinds = {o["id"]: o.get("subtype") for o in storage.list_organisations(db, "siae")}
    names = {o["id"]: o["name"] for o in storage.list_organisations(db, "siae")}
    trades, published_people = [], set()
    for r in reached:
        people = protect(r.people, secret)
        if people != SUPPRESSED:
            published_people |= r.people
        trades.append({
            "text": r.text, "rome_code": r.rome_code, "rome_label": r.label, "people": people,
            "structures": len(r.structures),
            "structures_detail": sorted(({"name": names.get(s, s), "kind": kinds.get(s),
                                          "modality": STRUCTURE_MODALITY.get(kinds.get(s) or "")}
                                         for s in r.structures), key=lambda d: d["name"]),
        })
    total = protect(published_people, secret)
    months = len(clauses.month_range(data["start"], data["end"]))
    people_for_capacity = total if isinstance(total, int) else 0
    capacity = (Decimal(people_for_capacity) * MOBILISATION_RATE * MONTHLY_HOURS_PER_PERSON * months)
    capacity = int(capacity.to_integral_value(rounding=ROUND_FLOOR))
    recommended = min(required, capacity)
    labour_hours = Decimal(str(data["amount"])) * Decimal(str(data["labour_share"])) / Decimal(str(data["hourly_cost"]))
    rate = (Decimal(recommended) / labour_hours) if labour_hours else Decimal(0)
    structure_kinds = sorted({(kinds.get(s) or "?") for r in reached for s in r.structures})
    return {
        "required_hours": required,
        "trades": trades,
        "people_total": total,
        "recommended_hours": recommended,
        "recommended_rate": float(rate.quantize(Decimal("0.0001"))),
        "capacity_hours": capacity,
        "months": months,
        "site": {"lat": site[0], "lon": site[1]},
        "radius_km": radius,
        "structure_kinds": [{"kind": k, "modality": STRUCTURE_MODALITY.get(k),
                             "modality_label": clauses.MODALITIES.get(STRUCTURE_MODALITY.get(k) or "")}
                            for k in structure_kinds],
        "explanation": _explanation(data, required, total, months, capacity, recommended, rate, radius),
    }


def _fr(value: float | int | Decimal, digits: int = 0) -> str:
    text = f"{float(value):,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


def _explanation(data, required, total, months, capacity, recommended, rate, radius) -> str:
    share, insertion = float(data["labour_share"]) * 100, float(data["insertion_rate"]) * 100
    people = total if isinstance(total, int) else 0
    parts = [
        f"Heures requises = montant × part de main-d'œuvre × taux d'insertion ÷ coût horaire chargé = "
        f"{_fr(data['amount'])} € × {_fr(share, 1)} % × {_fr(insertion, 2)} % ÷ {_fr(data['hourly_cost'], 2)} €/h "
        f"= {_fr(required)} h.",
        f"Personnes de Passerelle éligibles aux clauses, à {_fr(radius)} km au plus du chantier (et dans leur "
        f"propre rayon de mobilité), dont les compétences correspondent à au moins un métier, directement ou par "
        f"compétences transférables : {total if isinstance(total, int) else 'moins de 5'} (effectifs arrondis à 5 "
        f"près, « moins de 5 » en dessous ; le total ne compte que les métiers affichés, pour qu'aucune "
        f"personne ne puisse être isolée par différence).",
        f"Capacité du territoire = personnes × {_fr(MOBILISATION_RATE * 100)} % mobilisables × "
        f"{_fr(MONTHLY_HOURS_PER_PERSON)} h par mois (26 h par semaine) × {months} mois = "
        f"{_fr(people)} × {_fr(MOBILISATION_RATE, 1)} × {_fr(MONTHLY_HOURS_PER_PERSON)} × {months} "
        f"= {_fr(capacity)} h.",
    ]
    if capacity >= required:
        parts.append(f"Recommandation : {_fr(recommended)} h, le taux demandé ({_fr(insertion, 2)} %) est à la "
                     "portée du territoire.")
    elif capacity:
        parts.append(f"Recommandation : {_fr(recommended)} h (taux d'insertion de {_fr(rate * 100, 2)} %), ce que "
                     "les personnes repérées peuvent assurer sur la durée ; au-delà, prévoyez la formation ou "
                     "l'appui du facilitateur et des SIAE du territoire.")
    else:
        parts.append("Recommandation : trop peu de personnes repérées dans Passerelle pour chiffrer une capacité "
                     "(0 h) ; rapprochez-vous du facilitateur et des SIAE du territoire avant de fixer la clause.")
    return " ".join(parts)
