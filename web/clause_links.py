"""Titulaire organisations and the needs linked to their lots.

* A buyer awards a lot to an employer organisation already in Passerelle, or
  creates the titulaire's organisation with the invitation of its first user
  (through ``auth.invite``, like every invitation: the link reaches the invitee
  only, never the buyer).
* A need is linked to a lot only by that lot's titulaire, chosen among its own
  lots; where a reference is typed (CSV, API), it is looked up among the
  employer's own lots only, and an unknown or ambiguous one is an error.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import storage

from .auth import invite

# "2026-MTR-017", "2026-MTR-017 lot 2", "2026-MTR-017/2", "2026-MTR-017 #2"
_REFERENCE = re.compile(r"^\s*(?P<contract>\S+?)\s*(?:(?:/|#|\blot\b\s*(?:n°|no)?\s*)\s*(?P<lot>\d{1,3}))?\s*$",
                        re.IGNORECASE)


def lot_label(lot: Mapping[str, Any]) -> str:
    """"2026-MTR-017 lot 1 — Peinture intérieure" (the form a CSV or the API may use, then the title)."""
    return f"{lot.get('contract_reference')} lot {lot.get('number')} — {lot.get('title')}"


def reference_of(lot: Mapping[str, Any]) -> str:
    return f"{lot.get('contract_reference')} lot {lot.get('number')}"


def resolve(db, employer_id: str, link: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """The lot a need's ``link`` asks for, among the employer's own lots: (lot id or None, French error)."""
    own = storage.lots_of_titulaire(db, employer_id)
    if "lot_id" in link:
        if link["lot_id"] is None:
            return None, None
        if any(lot["id"] == link["lot_id"] for lot in own):
            return link["lot_id"], None
        return None, "Lot du marché : choisissez un des lots attribués à votre entreprise."
    text = str(link.get("reference") or "")
    match = _REFERENCE.match(text)
    if not match:
        return None, f"Marché public lié « {text} » : référence du marché attendue (ex. 2026-MTR-017 lot 1)."
    contract, number = match.group("contract"), match.group("lot")
    lots = [lot for lot in own if lot["contract_reference"] == contract]
    if not lots:
        return None, (f"Marché public lié « {contract} » : aucun lot de ce marché n'est attribué à votre "
                      "entreprise (seul le titulaire d'un lot peut y rattacher un besoin).")
    if number is not None:
        lots = [lot for lot in lots if lot["number"] == int(number)]
        if not lots:
            return None, f"Marché public lié « {text} » : ce lot n'est pas attribué à votre entreprise."
    if len(lots) > 1:
        numbers = ", ".join(str(lot["number"]) for lot in lots)
        return None, (f"Marché public lié « {contract} » : vous êtes titulaire de plusieurs lots ({numbers}) ; "
                      f"précisez « {contract} lot {lots[0]['number']} ».")
    return lots[0]["id"], None


def next_employer_id(db) -> str:
    """A new employer organisation's id: "E" and the next free number."""
    numbers = [int(o["id"][1:]) for o in storage.list_organisations(db, "employer")
               if o["id"][:1] == "E" and o["id"][1:].isdigit()]
    return f"E{max(numbers, default=0) + 1:02d}"


def invite_titulaire(db, lot: Mapping[str, Any], buyer: Mapping[str, Any], *, name: str, city: str | None,
                     contact_name: str, contact_email: str) -> str:
    """Create the titulaire's organisation, invite its first user, award the lot to it: all or nothing.

    Returns the invitation token: it reaches the invitee only, like every invitation (``auth.invite``),
    never the buyer's page.
    """
    with storage.transaction(db):
        org_id = next_employer_id(db)
        storage.upsert_organisation(db, {"id": org_id, "kind": "employer", "name": name, "city": city or None,
                                         "created_by": buyer["id"]})
        token = invite(db, email=contact_email, name=contact_name, role="employer", org_id=org_id)
        storage.award_lot(db, lot["id"], org_id)
    return token
