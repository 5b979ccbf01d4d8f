"""The territorial diagnostic (page, XLSX export; the API route uses ``scope_from`` and ``compute``).

For a territory — a département, or a radius around a point or a commune — it reads the people in
path, the open needs (pooled ones included), the noted potential of the employer networks and the
clause hours still to do, turns each into an anonymous record through the matching engine (sector,
barriers, good candidates, skills missing) and hands them to the pure ``territory.build``, which
publishes aggregates only. For a CRE, a structure's director, a buyer or facilitateur.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from flask import Blueprint, abort, render_template, request

import network
import permissions
import storage
import territory
from matching import blocking_reasons, haversine_km, metier_sectors, need_sector, profile_metier, profile_sector
from matching.text import split_list

from . import clause_status, geo, spreadsheet
from .auth import audit, current_user, role_required
from .db import get_db
from .engine import GOOD_MATCH_SCORE, engine

bp = Blueprint("diagnostic", __name__, url_prefix="/territoire")

MAX_RADIUS_KM = 200.0
DEFAULT_RADIUS_KM = 15.0
# The people nearest to a need (in skills) whose gaps say what training or PMSMP to organise.
NEAREST_CANDIDATES = 5
# French levels below B1: a barrier to many jobs (and to most of the digital ones).
LOW_FRENCH = {"A1", "A2"}
# A person who cannot go further than this is held back from most jobs of a territory.
LOW_MOBILITY_KM = 10.0


class ScopeError(ValueError):
    """Parameters that do not describe a territory; the message is in French."""


@dataclass(frozen=True)
class Scope:
    """A territory: a département, or a radius around a point."""

    departement: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    place: str | None = None  # the commune the radius is drawn around, when chosen by name

    @property
    def label(self) -> str:
        if self.departement:
            return f"{geo.departements()[self.departement]} ({self.departement})"
        where = self.place or f"{self.lat:.4f}, {self.lon:.4f}"
        return f"{self.radius_km:g} km autour de {where}"

    def contains(self, row: Mapping[str, Any]) -> bool:
        """Whether a person, a need, a lot or an employer (postcode, lat, lon) is in the territory."""
        if self.departement:
            return geo.departement(row.get("postcode")) == self.departement
        if row.get("lat") is None or row.get("lon") is None:
            return False
        return haversine_km(self.lat, self.lon, row["lat"], row["lon"]) <= self.radius_km

    def to_json(self) -> dict[str, Any]:
        if self.departement:
            return {"kind": "departement", "departement": self.departement, "label": self.label}
        return {"kind": "rayon", "lat": self.lat, "lon": self.lon, "radius_km": self.radius_km, "label": self.label}

    def query(self) -> dict[str, Any]:
        if self.departement:
            return {"departement": self.departement}
        return {"lat": self.lat, "lon": self.lon, "radius_km": self.radius_km}


def _number(args: Mapping[str, str], name: str, label: str, low: float, high: float) -> float:
    text = (args.get(name) or "").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise ScopeError(f"Paramètre « {name} » ({label}) : un nombre est attendu.") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ScopeError(f"Paramètre « {name} » ({label}) : entre {low:g} et {high:g}.")
    return value


def scope_from(args: Mapping[str, str], *, allow_commune: bool = False) -> Scope:
    """The territory asked for: ``departement``, or ``lat``, ``lon`` and ``radius_km`` (or, on the page,
    ``commune`` and ``radius_km``). Raise ``ScopeError`` with a French message otherwise."""
    departement = (args.get("departement") or "").strip()
    point = [n for n in ("lat", "lon") if (args.get(n) or "").strip()]
    commune = (args.get("commune") or "").strip() if allow_commune else ""
    if departement and (point or commune):
        raise ScopeError("Indiquez un département, ou un point et un rayon — pas les deux.")
    if departement:
        code = geo.normalise_departement(departement)
        if code is None:
            raise ScopeError(f"Département inconnu : « {departement} » (attendu : un code comme 93, 2A ou 974).")
        return Scope(departement=code)
    if commune:
        found = geo.locate(commune) if commune.isdigit() else geo.commune_by_name(commune)
        if found is None:
            raise ScopeError(f"Commune inconnue de Passerelle : « {commune} » (nom ou code postal).")
        radius = _number(args, "radius_km", "rayon en km", 1, MAX_RADIUS_KM) if (args.get("radius_km") or "").strip() \
            else DEFAULT_RADIUS_KM
        return Scope(lat=found.lat, lon=found.lon, radius_km=radius, place=found.city)
    if not point and not (args.get("radius_km") or "").strip():
        raise ScopeError("Paramètres attendus : « departement » (ex. 93), ou « lat », « lon » et « radius_km ».")
    if len(point) < 2 or not (args.get("radius_km") or "").strip():
        raise ScopeError("Un territoire autour d'un point demande « lat », « lon » et « radius_km » ensemble.")
    return Scope(lat=_number(args, "lat", "latitude", -90, 90), lon=_number(args, "lon", "longitude", -180, 180),
                 radius_km=_number(args, "radius_km", "rayon en km", 0.5, MAX_RADIUS_KM))


def in_path(profile: Mapping[str, Any], today: str) -> bool:
    """A person currently in an insertion path: active, not erased, path not ended."""
    return (not profile.get("archived") and not profile.get("anonymised_at")
            and (not profile.get("path_end") or profile["path_end"] >= today))


def _first(sectors: set[str]) -> str | None:
    return min(sectors) if sectors else None


def compute(db, scope: Scope, *, today: date | None = None) -> territory.Diagnostic:
    """The diagnostic of a territory, from the database and the matching engine (aggregates only)."""
    today = today or date.today()
    eng = engine()
    taxonomy = eng.taxonomy
    index = eng.profile_index(db)
    rows = [p for p in storage.list_profiles(db) if in_path(p, today.isoformat()) and scope.contains(p)]
    prepared = {p["id"]: index.get(str(p["id"])) for p in rows}
    people = []
    for p in rows:
        prep = prepared[p["id"]]
        metier = profile_metier(prep) if prep else None
        people.append(territory.Person(
            sector=profile_sector(prep, taxonomy) if prep else None,
            metier=taxonomy.metiers[metier].label if metier else None,
            no_licence=p.get("driving_licence") == 0,
            low_french=p.get("french_level") in LOW_FRENCH,
            low_mobility=p.get("mobility_km") is not None and p["mobility_km"] < LOW_MOBILITY_KM,
        ))
    ids = [p["id"] for p in rows]
    profiles = [prepared[i].profile for i in ids if prepared[i] is not None]
    needs = [n for n in storage.list_needs(db) if scope.contains(n)]
    pooled = storage.pooled_by_need(db, (n["id"] for n in needs))
    demands = [_demand(db, n, n["id"] in pooled, ids, profiles) for n in needs]
    potentials = [territory.Potential(_potential_sector(p), p.get("count") or 1)
                  for p in storage.all_potentials(db) if scope.contains(p)]
    labels = {k: v for k, v in taxonomy.sectors.items() if k != "transversal"}
    return territory.build(people, demands, potentials, _clause_work(db, scope, today), labels)


def _demand(db, need: Mapping[str, Any], is_pooled: bool, ids: list[int], profiles: list) -> territory.Demand:
    eng = engine()
    positions = int(need.get("positions") or 1)
    sector = need_sector(eng.prepared_need(need), eng.taxonomy)
    if not ids:
        return territory.Demand(sector, positions, is_pooled)
    fit = eng.rank(db, need, top=max(positions, NEAREST_CANDIDATES), include_blocked=False, profile_ids=ids)
    good = sum(1 for m in fit if m.score >= GOOD_MATCH_SCORE)
    nearest = fit[:NEAREST_CANDIDATES] or eng.rank(db, need, top=NEAREST_CANDIDATES, profile_ids=ids)
    gaps: dict[str, int] = {}
    for match in nearest:
        for credit in match.missing:
            label = match.labels.get(credit.skill, credit.skill)
            gaps[label] = gaps.get(label, 0) + 1
    # A skill is "missing" for a need when most of its nearest candidates lack it.
    missing = tuple(sorted(s for s, n in gaps.items() if n * 2 > len(nearest)))
    model = eng.need_for(need)
    reachable = sum(1 for p in profiles if not blocking_reasons(model, p, _distance(model, p)))
    return territory.Demand(sector, positions, is_pooled, good, reachable / len(profiles) if profiles else None,
                            missing)


def _distance(need, profile) -> float | None:
    if need.location.known and profile.location.known:
        return haversine_km(need.location.lat, need.location.lon, profile.location.lat, profile.location.lon)
    return None


def _potential_sector(potential: Mapping[str, Any]) -> str | None:
    sectors = metier_sectors(engine().taxonomy, metier_id=potential.get("metier_id"),
                             rome_code=potential.get("rome_code"))
    if not sectors:
        activity = network.naf_activity(potential.get("naf_code"))
        sectors = set(activity[1][:1]) if activity else set()
    return _first(sectors)


def _clause_work(db, scope: Scope, today: date) -> list[territory.ClauseWork]:
    """Hours still to do on the lots of the territory's running contracts, by the sector of the lot's trades."""
    eng = engine()
    work = []
    for contract in storage.list_contracts(db):
        if contract["end_date"] < today.isoformat():
            continue
        status = clause_status.contract_status(db, contract, today=today)
        for lot, fulfilment in status.lots:
            if not scope.contains(lot):
                continue
            trades = lot.get("trades") or ""
            as_need = {"id": f"lot-{lot['id']}", "title": lot["title"], "description": trades, "skill_map": [],
                       "skills": [{"text": t, "required": True} for t in split_list(trades)]}
            work.append(territory.ClauseWork(need_sector(eng.prepared_need(as_need), eng.taxonomy),
                                             max(0.0, float(fulfilment.required) - float(fulfilment.counted))))
    return work


def api_json(scope: Scope, diagnostic: territory.Diagnostic) -> dict[str, Any]:
    """The API's answer: ``{"territory", "sectors": [...]}``, these keys exactly."""
    return {
        "territory": scope.to_json(),
        "sectors": [{"sector": r.label, "people": r.people, "open_positions": r.open_positions,
                     "clause_hours_to_do": r.clause_hours_to_do, "unmet": r.unmet, "accessibility": r.accessibility,
                     "missing_skills": [{"skill": s, "needs": n} for s, n in r.missing_skills]}
                    for r in diagnostic.sectors],
    }


# -- pages ------------------------------------------------------------------------------------------
@bp.before_request
@role_required(*permissions.TERRITORY_ROLES)
def _require_role():
    if not permissions.can_view_territory(current_user()):
        abort(403)
    return None


def _default_args() -> dict[str, str]:
    """With no territory asked for: the département of the user's organisation, else Seine-Saint-Denis."""
    from .auth import current_org

    org = current_org() or {}
    return {"departement": geo.departement(org.get("postcode")) or "93"}


def _asked() -> Mapping[str, str]:
    """The territory asked for in the query, else the user's own."""
    return request.args if any(request.args.get(k) for k in ("departement", "commune", "lat", "lon")) \
        else _default_args()


@bp.get("/")
def diagnostic():
    args = _asked()
    error = None
    try:
        scope = scope_from(args, allow_commune=True)
    except ScopeError as exc:
        error, scope = str(exc), None
    result = compute(get_db(), scope) if scope else None
    chart_top = max([5, *(v for r in (result.sectors if result else []) for v in (r.people, r.demand)
                         if isinstance(v, int))])
    if scope:
        audit("consultation du diagnostic territorial", "territory", scope.label)
    return render_template("diagnostic/index.html", scope=scope, result=result, error=error, args=args,
                           departements=geo.departements(), barriers=territory.BARRIERS,
                           suppressed=territory.SUPPRESSED, small=territory.SMALL_COUNT,
                           step=territory.ACCESSIBILITY_STEP, min_people=territory.MIN_PEOPLE_FOR_ACCESSIBILITY,
                           radius=args.get("radius_km") or DEFAULT_RADIUS_KM, chart_top=chart_top), (400 if error else 200)


def _cell(value: Any) -> Any:
    return "" if value is None else value


@bp.get("/export.xlsx")
def export_xlsx():
    try:
        scope = scope_from(_asked(), allow_commune=True)
    except ScopeError as exc:
        abort(400, description=str(exc))
    result = compute(get_db(), scope)
    audit("export du diagnostic territorial (XLSX)", "territory", scope.label)
    headers = ("Secteur", "Personnes en parcours", *(label for _, label in territory.BARRIERS), "Postes ouverts",
               "dont besoins mutualisés", "Besoins pressentis", "Heures de clause à réaliser",
               "Postes avec un candidat proche", "Postes sans candidat proche", "Accessibilité (%)", "Score",
               "Compétences les plus manquantes (nombre de besoins)")
    rows = [(r.label, r.people, *(r.barriers[name] for name, _ in territory.BARRIERS), r.open_positions,
             r.pooled_positions, r.potential, r.clause_hours_to_do, r.met, r.unmet, _cell(r.accessibility),
             _cell(r.score), " ; ".join(f"{s} ({n})" for s, n in r.missing_skills)) for r in result.sectors]
    totals = ("Total", _cell(result.people_total), *(_cell(result.barrier_totals[name]) for name, _ in territory.BARRIERS),
              result.open_positions_total, "", result.potential_total, result.clause_hours_total)
    method = [(line,) for line in _method_lines(scope, result)]
    return spreadsheet.response([
        ("Secteurs", headers, [*rows, totals]),
        ("Métiers", ("Métier", "Secteur", "Personnes en parcours"), result.metiers),
        ("Méthode", ("Comment lire ce diagnostic",), method),
    ], f"diagnostic-{scope.departement or 'rayon'}.xlsx")


def _method_lines(scope: Scope, result: territory.Diagnostic) -> list[str]:
    return [
        f"Territoire : {scope.label}. Diagnostic du {date.today().strftime('%d/%m/%Y')}.",
        "Offre : personnes en parcours d'insertion (parcours en cours) résidant dans le territoire, par secteur "
        "de leur métier principal (sinon de leurs compétences).",
        f"Secret statistique : un effectif de 1 à {territory.SMALL_COUNT - 1} personnes est affiché "
        f"« {territory.SUPPRESSED} » ; un total n'est publié que s'il ne permet pas de retrouver un tel effectif par "
        "différence ; un métier n'est listé qu'à partir de 5 personnes, par tranche de 5 si le chiffre exact "
        "laissait déduire un petit effectif.",
        "Demande : postes des besoins ouverts du territoire (dont besoins mutualisés), besoins pressentis notés par "
        "les CRE, heures d'insertion restant à réaliser sur les lots des marchés en cours.",
        "Postes avec un candidat proche : postes pour lesquels une personne du territoire a un bon score sans "
        "contrainte bloquante.",
        f"Accessibilité : part des personnes du territoire qu'aucune exigence des besoins (permis, français, "
        f"distance) n'écarte, arrondie à {territory.ACCESSIBILITY_STEP} % ; donnée pour un territoire d'au moins "
        f"{territory.MIN_PEOPLE_FOR_ACCESSIBILITY} personnes.",
        f"Score : {int(territory.DEMAND_WEIGHT * 100)} % demande non satisfaite (postes sans candidat proche, "
        f"besoins pressentis comptés pour {territory.POTENTIAL_WEIGHT:g} poste, heures de clause en postes à "
        f"{territory.CLAUSE_HOURS_PER_POSITION} h par an ; relative au secteur le plus demandé) + "
        f"{int(territory.ACCESS_WEIGHT * 100)} % accessibilité.",
        "Compétences les plus manquantes : compétences qui manquent à la plupart des "
        f"{NEAREST_CANDIDATES} personnes les plus proches de chaque besoin (formations à organiser, PMSMP à chercher).",
    ]
