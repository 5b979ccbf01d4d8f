"""Which sector of the taxonomy a person, a need or a métier belongs to.

The territorial diagnostic counts supply and demand by sector; the employer
network matches an employer's activity to the métiers a person could do. Both
read sectors here, from what the engine already prepared (no text is mapped
again):

* a person: the sector of their main past job (the first experience whose
  title maps to a métier), else the sector most of their declared skills
  belong to;
* a need: the sector of the métier its title stands for, else the sector most
  of its wanted skills (indispensable ones weighing more) belong to.

Transversal skills (ponctualité, port des EPI…) say nothing of a sector and
are left out.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping

from .mapping import TRANSVERSAL_SECTOR
from .scoring import DECLARED_STRENGTH, PreparedNeed, PreparedProfile
from .taxonomy import Taxonomy

__all__ = ["dominant_sector", "profile_metier", "profile_sector", "need_sector", "metier_sectors"]


def dominant_sector(taxonomy: Taxonomy, weighted_skills: Mapping[str, float] | Iterable[str]) -> str | None:
    """The sector carrying the most weight among skills (ties: the sector id first in order); None if none.

    ``weighted_skills``: skill ids, or skill id → weight.
    """
    weights = weighted_skills if isinstance(weighted_skills, Mapping) else dict.fromkeys(weighted_skills, 1.0)
    totals: Counter[str] = Counter()
    for skill_id, weight in weights.items():
        skill = taxonomy.skills.get(skill_id)
        if skill is not None and skill.sector != TRANSVERSAL_SECTOR:
            totals[skill.sector] += weight
    if not totals:
        return None
    return min(totals, key=lambda sector: (-totals[sector], sector))


def profile_metier(prepared: PreparedProfile) -> str | None:
    """The person's main métier (taxonomy id): the first past job that maps to one."""
    return prepared.metiers[0].id if prepared.metiers else None


def profile_sector(prepared: PreparedProfile, taxonomy: Taxonomy) -> str | None:
    metier = profile_metier(prepared)
    if metier is not None:
        return taxonomy.metiers[metier].sector
    declared = [s for s, held in prepared.held.items() if held.strength >= DECLARED_STRENGTH]
    return dominant_sector(taxonomy, declared)


def need_sector(prepared: PreparedNeed, taxonomy: Taxonomy) -> str | None:
    if prepared.metier is not None:
        return taxonomy.metiers[prepared.metier.id].sector
    return dominant_sector(taxonomy, prepared.wanted)


def metier_sectors(taxonomy: Taxonomy, *, metier_id: str | None = None, rome_code: str | None = None) -> set[str]:
    """Sectors of a taxonomy métier, or of the taxonomy métiers sharing a ROME code."""
    if metier_id and metier_id in taxonomy.metiers:
        return {taxonomy.metiers[metier_id].sector}
    if rome_code:
        return {m.sector for m in taxonomy.metiers.values() if m.rome == rome_code}
    return set()
