"""Organisations: SIAE, employers, buyers."""
from __future__ import annotations

from typing import Any, Mapping

import sqlite_utils

from .base import get_row, select

ORGANISATION_KINDS = ("siae", "employer", "buyer")
# What kind of structure an organisation of kind "siae" is (``subtype``): the four SIAE and the GEIQ.
SIAE_SUBTYPES = {
    "ACI": "Atelier et chantier d'insertion (ACI)",
    "AI": "Association intermédiaire (AI)",
    "EI": "Entreprise d'insertion (EI)",
    "ETTI": "Entreprise de travail temporaire d'insertion (ETTI)",
    "GEIQ": "Groupement d'employeurs pour l'insertion et la qualification (GEIQ)",
}


def upsert_organisation(db: sqlite_utils.Database, org: Mapping[str, Any]) -> None:
    if org.get("kind") not in ORGANISATION_KINDS:
        raise ValueError(f"unknown organisation kind {org.get('kind')!r}")
    if org.get("subtype") and org["kind"] == "siae" and org["subtype"] not in SIAE_SUBTYPES:
        raise ValueError(f"type de structure inconnu : {org['subtype']} (attendu : {', '.join(SIAE_SUBTYPES)})")
    db["organisations"].upsert(dict(org), pk="id", alter=False)


def get_organisation(db: sqlite_utils.Database, org_id: str) -> dict[str, Any]:
    return get_row(db, "organisations", org_id)


def list_organisations(db: sqlite_utils.Database, kind: str | None = None) -> list[dict[str, Any]]:
    if kind:
        return select(db, "organisations", "SELECT * FROM organisations WHERE kind = ? ORDER BY name", [kind])
    return select(db, "organisations", "SELECT * FROM organisations ORDER BY kind, name")
