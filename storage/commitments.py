"""Supplier commitments: what a supplier promised a buyer for a year (PMSMP, internships, hires),
and what Passerelle recorded of it."""
from __future__ import annotations

import sqlite3
from typing import Any, Mapping

import sqlite_utils

import workflow

from .base import Conflict, get_row, now, select, transaction

COMMITMENT_FIELDS = ("supplier_id", "year", "pmsmp", "internships", "hires", "internships_done", "note")


def save_commitment(db: sqlite_utils.Database, buyer_id: str, data: Mapping[str, Any],
                    commitment_id: int | None = None) -> int:
    """Create or change a buyer's commitment with a supplier for a year (one per supplier and year)."""
    stamp = now()
    row = {k: data.get(k) for k in COMMITMENT_FIELDS if k in data}
    try:
        with transaction(db):
            if commitment_id is None:
                return int(db["supplier_commitments"].insert({**row, "buyer_id": buyer_id, "created_at": stamp,
                                                              "updated_at": stamp}).last_pk)
            get_row(db, "supplier_commitments", commitment_id)
            db["supplier_commitments"].update(commitment_id, {**row, "updated_at": stamp})
            return commitment_id
    except sqlite3.IntegrityError as exc:
        raise Conflict(f"Un engagement existe déjà avec ce fournisseur pour {data.get('year')}") from exc


def get_commitment(db: sqlite_utils.Database, commitment_id: int) -> dict[str, Any]:
    rows = select(db, "supplier_commitments", "SELECT supplier_commitments.*, organisations.name AS supplier_name "
                  "FROM supplier_commitments JOIN organisations ON organisations.id = supplier_commitments.supplier_id "
                  "WHERE supplier_commitments.id = ?", [commitment_id])
    if not rows:
        return get_row(db, "supplier_commitments", commitment_id)  # raises NotFound
    return rows[0]


def list_commitments(db: sqlite_utils.Database, buyer_id: str) -> list[dict[str, Any]]:
    return select(db, "supplier_commitments", "SELECT supplier_commitments.*, organisations.name AS supplier_name "
                  "FROM supplier_commitments JOIN organisations ON organisations.id = supplier_commitments.supplier_id "
                  "WHERE buyer_id = ? ORDER BY year DESC, organisations.name", [buyer_id])


def delete_commitment(db: sqlite_utils.Database, commitment_id: int) -> None:
    with transaction(db):
        get_row(db, "supplier_commitments", commitment_id)
        db["supplier_commitments"].delete(commitment_id)


def supplier_activity(db: sqlite_utils.Database, supplier_id: str, year: int) -> dict[str, int]:
    """What Passerelle recorded for a supplier in a calendar year.

    * ``proposals``: candidates proposed to its needs;
    * ``pmsmp``: proposals that went through a PMSMP, and hires on a need posted as a PMSMP;
    * ``internships``: hires on a need posted as a ``stage``;
    * ``hires``: hires on every other need (CDI, CDD, CDDI, intérim, contrat pro, apprentissage).

    Each proposal counts once per kind, in the year of its event.
    """
    year_text = str(int(year))
    proposals = db.execute(
        "SELECT COUNT(*) FROM proposals JOIN needs ON needs.id = proposals.need_id "
        "WHERE needs.employer_id = ? AND substr(proposals.created_at, 1, 4) = ?", [supplier_id, year_text]).fetchone()[0]
    moves = db.execute(
        "SELECT DISTINCT proposals.id, proposal_events.to_status, needs.contract FROM proposal_events "
        "JOIN proposals ON proposals.id = proposal_events.proposal_id JOIN needs ON needs.id = proposals.need_id "
        "WHERE needs.employer_id = ? AND substr(proposal_events.at, 1, 4) = ? AND proposal_events.to_status IN (?, ?) "
        "AND (proposal_events.from_status IS NULL OR proposal_events.from_status != proposal_events.to_status)",
        [supplier_id, year_text, workflow.PMSMP, workflow.HIRED]).fetchall()
    pmsmp, internships, hires = set(), set(), set()
    for proposal_id, status, contract in moves:
        if status == workflow.PMSMP or contract == "PMSMP":
            pmsmp.add(proposal_id)
        elif contract == "stage":
            internships.add(proposal_id)
        else:
            hires.add(proposal_id)
    return {"proposals": proposals, "pmsmp": len(pmsmp), "internships": len(internships), "hires": len(hires)}
