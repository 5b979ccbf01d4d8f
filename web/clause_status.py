"""Where the clauses of a contract stand: the ledger evaluated, per lot, per contract, pooled.

Reads the storage, hands plain rows to the pure ``clauses`` module.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import clauses
import storage

from . import validation


@dataclass
class ContractStatus:
    contract: dict[str, Any]
    lots: list[tuple[dict[str, Any], clauses.Fulfilment]]
    total: clauses.Fulfilment
    evaluations: list[clauses.Evaluation]
    participants: dict[int, dict[str, Any]]

    @property
    def behind(self) -> list[dict[str, Any]]:
        return [lot for lot, f in self.lots if not f.on_track]


def contract_status(db, contract: dict[str, Any], *, today: date | None = None) -> ContractStatus:
    entries = storage.list_entries(db, contract["id"])
    participants = storage.participants_by_id(db, (e["participant_id"] for e in entries))
    evaluations = clauses.evaluate(contract, entries, participants)
    lots = storage.list_lots(db, contract["id"])
    per_lot = [
        (lot, clauses.fulfilment(lot["required_hours"], [ev for ev in evaluations if ev.entry["lot_id"] == lot["id"]],
                                 contract, participants, today=today))
        for lot in lots
    ]
    total = clauses.fulfilment(sum(lot["required_hours"] for lot in lots), evaluations, contract, participants,
                               today=today)
    return ContractStatus(contract, per_lot, total, evaluations, participants)


def accepted_categories(contract: dict[str, Any]) -> set[str]:
    """Eligibility categories that count for this contract's clause (validation aside)."""
    return {k for k, rule in clauses.eligibility_rules().items()
            if not rule.get("needs_qpv_priority") or contract.get("qpv_priority")}


@dataclass
class Pool:
    titulaire: str
    contracts: list[dict[str, Any]]
    required: int
    counted: Decimal

    @property
    def percent(self) -> float:
        return float(self.counted / self.required * 100) if self.required else 0.0


def pools(db, buyer_id: str, *, today: date | None = None) -> list[Pool]:
    """Hours of a titulaire pooled over the buyer's contracts that allow it (globalisation)."""
    by_titulaire: dict[str, Pool] = {}
    for contract in storage.list_contracts(db, buyer_id=buyer_id):
        if not contract["pooling_allowed"]:
            continue
        status = contract_status(db, contract, today=today)
        for lot, f in status.lots:
            name = (lot["titulaire"] or "").strip()
            if not name:
                continue
            pool = by_titulaire.setdefault(name, Pool(name, [], 0, Decimal(0)))
            if contract not in pool.contracts:
                pool.contracts.append(contract)
            pool.required += f.required
            pool.counted += f.counted
    return [p for p in by_titulaire.values() if len(p.contracts) > 1]


LEDGER_COLUMNS = (
    "lot", "participant_reference", "profile_reference", "month", "hours", "modality", "employer_name",
    "contract_type", "contract_start", "contract_end", "category", "proof_kind", "proof_date", "exit_situation",
)
LEDGER_REQUIRED = ("lot", "participant_reference", "month", "hours", "modality")


def ledger_csv(status: ContractStatus) -> str:
    """The ledger with what counts and why, for the buyer's file."""
    from .csvio import safe_cell, writer

    out = io.StringIO()
    write = writer(out)
    write.writerow(("lot", "participant_reference", "category", "month", "hours", "modality", "employer_name",
                    "contract_type", "counted_hours", "not_counted_because"))
    for ev in status.evaluations:
        e = ev.entry
        write.writerow([safe_cell(v) for v in (
            e["lot_number"], e["participant_reference"], e.get("category") or "", e["month"], f"{ev.declared:g}",
            e["modality"], e.get("employer_name") or "", e.get("contract_type") or "", f"{ev.counted:g}",
            " ; ".join(ev.reasons))])
    return out.getvalue()


def parse_ledger(db, contract: dict[str, Any], text: str):
    """Check a ledger CSV sent by a titulaire; rows carry the lot id. Nothing is stored here."""
    from .csvio import parse

    lots = {str(lot["number"]): lot["id"] for lot in storage.list_lots(db, contract["id"])}

    def clean(raw):
        data, errors = validation.clean_entry(raw)
        lot = str(raw.get("lot") or "").strip()
        if lot not in lots:
            errors["lot"] = f"Lot « {lot} » inconnu pour ce marché (lots : {', '.join(sorted(lots)) or 'aucun'})."
        else:
            data["lot_id"] = lots[lot]
        if data.get("profile_reference") and storage.profile_by_reference(db, data["profile_reference"]) is None:
            errors["profile_reference"] = f"Référence Passerelle « {data['profile_reference']} » inconnue."
        return data, errors

    report = parse(text, columns=LEDGER_COLUMNS, required=LEDGER_REQUIRED, clean=clean)
    seen: dict[tuple, int] = {}
    for number, data in report.rows:
        key = (data["lot_id"], data["participant_reference"], data["month"], data["modality"])
        if key in seen:
            report.errors.append((number, f"Même participant, même mois, même modalité que la ligne {seen[key]}."))
        seen.setdefault(key, number)
    return report


def import_ledger(db, contract: dict[str, Any], rows: list[dict[str, Any]], *, actor: str,
                  action: str = "import") -> dict[str, int]:
    """Import checked rows in one transaction; the same line imported again changes nothing."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with storage.transaction(db):
        for data in rows:
            profile = storage.profile_by_reference(db, data["profile_reference"]) if data.get("profile_reference") else None
            participant = {"contract_id": contract["id"], "reference": data["participant_reference"]}
            if profile:  # a line without a Passerelle reference leaves an existing link alone
                participant["profile_id"] = profile["id"]
            participant.update({k: data[k] for k in ("category", "proof_kind", "proof_date", "exit_situation")
                                if data.get(k)})
            participant_id = storage.save_participant(db, participant)
            entry = {**{k: data.get(k) for k in ("lot_id", "month", "hours", "modality", "employer_name",
                                                   "contract_type", "contract_start", "contract_end")},
                     "participant_id": participant_id}
            existing = storage.find_entry(db, entry["lot_id"], participant_id, entry["month"], entry["modality"])
            if existing is None:
                storage.create_entry(db, contract["id"], entry, actor=actor, action=action)
                counts["created"] += 1
            elif storage.correct_entry(db, existing["id"], entry, actor=actor, action="import"):
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
    return counts
