"""The hidden job market of a person: employers of the network to approach, nearest first, with the reason.

For a person with no good match among posted needs, the CRE goes to employers who never posted
one. An employer of the network (the structure's own, and those shared in its territory) is
suggested when it hires one of the person's métiers or a métier they could move to:

* its noted potential ("besoin pressenti") names that métier (the strongest reason), or
* its activity (NAF code) employs that métier: through the imported ROME's sector ↔ métier
  table when there is one, else through the bundled NAF → sectors table and the taxonomy's
  métiers of those sectors.

The person's métiers are those of their past jobs (taxonomy métiers, and the ROME code of the
profile); the métiers they could move to are their "pistes de métiers" (``careers.career_paths``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import network
from matching import haversine_km, metier_sectors

from . import careers
from .engine import engine

# "Pistes de métiers" followed: the first ones are the closest moves.
PATHS_FOLLOWED = 6
PRESSENTI, OWN_SECTOR, PATH_SECTOR = 0, 1, 2  # reasons, strongest first


@dataclass(frozen=True)
class Target:
    """A métier the person does or could do."""

    label: str
    rome_code: str | None
    metier_id: str | None
    sectors: frozenset[str]
    own: bool  # a métier of their past jobs (else a piste)


@dataclass
class Reason:
    strength: int
    text: str
    potential_id: int | None = None


@dataclass
class Suggestion:
    entry: dict[str, Any]
    distance_km: float | None
    beyond_mobility: bool
    reasons: list[Reason] = field(default_factory=list)

    @property
    def strength(self) -> int:
        return min(r.strength for r in self.reasons)

    @property
    def potential_ids(self) -> list[int]:
        return [r.potential_id for r in self.reasons if r.potential_id is not None]


def targets_for(db, profile: Mapping[str, Any], paths: list | None = None) -> list[Target]:
    """The person's métiers and the métiers they could move to (pistes), without repeats.

    ``paths``: the person's pistes de métiers when the caller already has them (they are costly).
    """
    eng = engine()
    taxonomy = eng.taxonomy
    targets: list[Target] = []
    seen: set[tuple[str | None, str | None]] = set()

    def add(label: str, rome_code: str | None, metier_id: str | None, own: bool) -> None:
        key = (metier_id, rome_code if not metier_id else None)
        if key in seen or (rome_code and any(t.rome_code == rome_code for t in targets)):
            return
        seen.add(key)
        sectors = metier_sectors(taxonomy, metier_id=metier_id, rome_code=rome_code)
        targets.append(Target(label, rome_code, metier_id, frozenset(sectors), own))

    prepared = eng.profile_index(db).get(str(profile["id"]))
    for hit in (prepared.metiers if prepared else ()):
        metier = taxonomy.metiers[hit.id]
        add(metier.label, metier.rome, metier.id, True)
    suggest = careers.suggester(db)
    if profile.get("rome_code"):
        label = (suggest.referential.metiers[profile["rome_code"]].label
                 if suggest and profile["rome_code"] in suggest.referential.metiers else profile["rome_code"])
        add(label, profile["rome_code"], None, True)
    if paths is None:
        _, paths = careers.career_paths(db, eng.profile_for(profile), top=PATHS_FOLLOWED)
    by_label = {m.label: m for m in taxonomy.metiers.values()}
    for s in paths[:PATHS_FOLLOWED]:
        if suggest is None and s.label in by_label:  # bundled pistes: a taxonomy métier
            metier = by_label[s.label]
            add(metier.label, metier.rome, metier.id, False)
        else:
            add(s.label, s.code, None, False)
    return targets


def resolve_metier(db, label: str) -> tuple[str | None, str | None]:
    """(taxonomy métier id, ROME code) of a métier as typed in a besoin pressenti."""
    hit = engine().mapper.map_title(label) if label else None
    metier = engine().taxonomy.metiers[hit.id] if hit else None
    rome = careers.rome_code(db, label) or (metier.rome if metier else None)
    return (metier.id if metier else None), rome


def _naf_reasons(db, entry: Mapping[str, Any], targets: Iterable[Target]) -> list[Reason]:
    """Why the employer's activity hires the person's métiers: one reason for their own métiers, one
    for their pistes, each naming the métiers concerned."""
    code = entry.get("naf_code")
    if not code:
        return []
    suggest = careers.suggester(db)
    division = network.naf_division(code)
    rome_codes = set(suggest.referential.naf_metiers.get(division, ())) if suggest else set()
    activity = network.naf_activity(code)
    found: dict[bool, list[str]] = {True: [], False: []}
    through_rome = False
    for t in targets:
        if rome_codes and t.rome_code:
            if t.rome_code in rome_codes:
                found[t.own].append(f"« {t.label} » ({t.rome_code})")
                through_rome = True
        elif activity and t.sectors & set(activity[1]):
            found[t.own].append(f"« {t.label} »")
    if through_rome:
        where = f"Le secteur « {suggest.referential.naf_sectors.get(division, division)} » (NAF {code}) emploie des"
        source = " (ROME)"
    else:
        where = f"Son activité (NAF {code}, {activity[0].lower() if activity else 'activité'}) recrute dans le secteur de"
        source = ""
    reasons = []
    for own, strength, what in ((True, OWN_SECTOR, "son métier"), (False, PATH_SECTOR, "une piste de métier")):
        if found[own]:
            plural = "ses métiers" if own else "ses pistes de métiers"
            what = what if len(found[own]) == 1 else plural
            reasons.append(Reason(strength, f"{where} {', '.join(found[own])} : {what}{source}."))
    return reasons


def _potential_reasons(entry_potentials: Iterable[Mapping[str, Any]], targets: list[Target],
                       show_notes: bool) -> list[Reason]:
    reasons = []
    for p in entry_potentials:
        if p.get("need_id"):
            continue  # already drafted as a need: it is among the posted needs
        for t in targets:
            if (p.get("metier_id") and p["metier_id"] == t.metier_id) or (
                    p.get("rome_code") and p["rome_code"] == t.rome_code):
                when = f", attendu en {p['expected']}" if p.get("expected") else ""
                how_many = f"{p['count']} × " if p.get("count") else ""
                note = f" ({p['notes']})" if show_notes and p.get("notes") else ""
                what = "son métier" if t.own else "une piste de métier"
                reasons.append(Reason(PRESSENTI, f"Besoin pressenti : {how_many}{p['metier']}{when}{note} — {what}.",
                                      p["id"]))
                break
    return reasons


def employers_to_approach(db, profile: Mapping[str, Any], entries: Iterable[Mapping[str, Any]],
                          potentials: Mapping[int, list[dict[str, Any]]], *, own_siae: str,
                          targets: list[Target] | None = None) -> list[Suggestion]:
    """Employers of the network who hire what this person does or could do, nearest first."""
    targets = targets_for(db, profile) if targets is None else targets
    if not targets:
        return []
    out = []
    lat, lon, mobility = profile.get("lat"), profile.get("lon"), profile.get("mobility_km")
    for entry in entries:
        reasons = _potential_reasons(potentials.get(entry["id"], []), targets,
                                     show_notes=entry["siae_id"] == own_siae) + _naf_reasons(db, entry, targets)
        if not reasons:
            continue
        distance = (haversine_km(lat, lon, entry["lat"], entry["lon"])
                    if None not in (lat, lon, entry.get("lat"), entry.get("lon")) else None)
        beyond = distance is not None and mobility is not None and distance > mobility
        reasons.sort(key=lambda r: r.strength)
        out.append(Suggestion(dict(entry), distance, beyond, reasons))
    out.sort(key=lambda s: (s.distance_km is None, s.distance_km or 0.0, s.strength, s.entry["name"]))
    return out
