"""Organisations: SIAE, employers, buyers."""
from __future__ import annotations

from typing import Any, Mapping

import sqlite_utils

from .base import get_row, select

ORGANISATION_KINDS = ("siae", "employer", "buyer")


def upsert_organisation(db: sqlite_utils.Database, org: Mapping[str, Any]) -> None:
    if org.get("kind") not in ORGANISATION_KINDS:
        raise ValueError(f"unknown organisation kind {org.get('kind')!r}")
    db["organisations"].upsert(dict(org), pk="id", alter=False)


def get_organisation(db: sqlite_utils.Database, org_id: str) -> dict[str, Any]:
    return get_row(db, "organisations", org_id)


def list_organisations(db: sqlite_utils.Database, kind: str | None = None) -> list[dict[str, Any]]:
    if kind:
        return select(db, "organisations", "SELECT * FROM organisations WHERE kind = ? ORDER BY name", [kind])
    return select(db, "organisations", "SELECT * FROM organisations ORDER BY kind, name")
