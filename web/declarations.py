"""The titulaire's monthly declarations, the lines hires prepare, and the reminders of missing months.

The pages (titulaire and buyer) call these functions; each one that writes
runs in one ``storage.transaction``. The rules:

* a declaration is one lot and one month of the contract, not in the future;
  its lines follow the ledger CSV's rules (``validation.clean_entry``) and a
  participant appears once per modality;
* the titulaire saves a draft, then sends it; it may change it again only
  after a rejection;
* the buyer validates it as sent, corrects lines while validating (both the
  titulaire's values and the corrections stay in the ledger's history), or
  rejects it with a reason; only validated lines reach the ledger and count;
* a month with nothing to declare is sent as a declaration without lines: it
  is then a declared month of zero hours (the forecast's pace counts it);
* a hire (or a trial period, or a PMSMP where the contract counts them) on a
  need linked to a lot prepares a participant and a draft line for the
  titulaire, hours to complete (``prepare_line_for_hire``, a proposal listener).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable, Mapping

import clauses
import storage
import workflow

from . import validation

# What a titulaire types for each line (the month and the lot come from the declaration).
LINE_INPUTS = ("participant_reference", "hours", "modality", "employer_name", "contract_type", "contract_start",
               "contract_end", "category", "proof_kind", "proof_date", "exit_situation")
PARTICIPANT_FIELDS = ("category", "proof_kind", "proof_date", "exit_situation")
MAX_LINES = 200
MAX_REASON = 500


class DeclarationError(ValueError):
    """A declaration cannot be sent or decided as asked; the message is in French."""


def _today() -> date:
    return date.today()


def declarable_months(contract: Mapping[str, Any], today: date | None = None) -> list[str]:
    """Months of the contract a titulaire may declare now: from the start up to the current month."""
    current = (today or _today()).strftime("%Y-%m")
    return [m for m in clauses.month_range(contract["start_date"], contract["end_date"]) if m <= current]


def check_month(contract: Mapping[str, Any], month: str, today: date | None = None) -> None:
    if not validation.MONTH.match(month or ""):
        raise DeclarationError("Mois : format AAAA-MM attendu (ex. 2026-03).")
    if month not in clauses.month_range(contract["start_date"], contract["end_date"]):
        raise DeclarationError(f"Le mois {month} est hors de la période du marché.")
    if month not in declarable_months(contract, today):
        raise DeclarationError(f"Le mois {month} n'est pas encore commencé : il se déclarera plus tard.")


def clean_lines(rows: Iterable[Mapping[str, Any]], month: str, *, draft: bool,
                fed: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Check a declaration's lines as the ledger CSV is checked; return the lines and French errors.

    ``draft``: a line may still miss its hours (a line a hire prepared, to complete).
    ``fed``: participants prepared from Passerelle, by reference: their category is the one the SIAE
    confirmed, never the titulaire's.
    """
    lines: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    fed = fed or {}
    for number, raw in enumerate(rows, start=1):
        raw = {k: raw.get(k) for k in LINE_INPUTS}
        if not any((str(v).strip() if v is not None else "") for v in raw.values()):
            continue
        if len(lines) >= MAX_LINES:
            errors.append(f"{MAX_LINES} lignes au plus par déclaration.")
            break
        missing_hours = draft and str(raw.get("hours") or "").strip() == ""
        data, problems = validation.clean_entry({**raw, "month": month, "hours": "1" if missing_hours else raw["hours"]})
        if missing_hours:
            data["hours"] = None
        data.pop("month", None)
        data.pop("profile_reference", None)
        reference = data.get("participant_reference")
        if reference in fed:
            for k in ("category", "proof_kind", "proof_date"):
                data.pop(k, None)
                problems.pop(k, None)
        for message in problems.values():
            errors.append(f"Ligne {number} : {message}")
        if problems:
            continue
        key = (reference, data.get("modality"))
        if key in seen:
            errors.append(f"Ligne {number} : même participant et même modalité que la ligne {seen[key]}.")
            continue
        seen[key] = number
        if reference in fed:
            data["participant_id"] = fed[reference]["id"]
            data["proposal_id"] = fed[reference].get("proposal_id")
        lines.append(data)
    return lines, errors


def save_draft(db, declaration: Mapping[str, Any], lines: list[dict[str, Any]], *, actor: str) -> None:
    with storage.transaction(db):
        storage.replace_declaration_lines(db, declaration["id"], lines)
        storage.add_declaration_event(db, declaration["id"], "enregistrement du brouillon", actor=actor)


def submit(db, declaration: Mapping[str, Any], lines: list[dict[str, Any]], *, actor: str,
           nothing_to_declare: bool = False, today: date | None = None) -> None:
    """Send a declaration to the buyer: every line with its hours, or explicitly no hours at all."""
    contract = storage.get_contract(db, declaration["contract_id"])
    check_month(contract, declaration["month"], today)
    if any(line.get("hours") is None for line in lines):
        raise DeclarationError("Chaque ligne doit avoir ses heures avant l'envoi (ou retirez la ligne).")
    if not lines and not nothing_to_declare:
        raise DeclarationError("Aucune ligne : cochez « Aucune heure d'insertion ce mois-ci » pour déclarer un mois "
                               "sans heure.")
    with storage.transaction(db):
        storage.replace_declaration_lines(db, declaration["id"], lines)
        action = "nouvel envoi après rejet" if declaration["status"] == storage.DECLARATION_REJECTED else "envoi"
        storage.set_declaration_status(db, declaration["id"], storage.DECLARATION_SUBMITTED, actor=actor,
                                       action=action, reason=None if lines else "aucune heure ce mois-ci")


def reject(db, declaration: Mapping[str, Any], reason: str, *, actor: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise DeclarationError("Motif du rejet : il est obligatoire (le titulaire doit savoir quoi corriger).")
    if len(reason) > MAX_REASON:
        raise DeclarationError(f"Motif du rejet : {MAX_REASON} caractères au plus.")
    storage.set_declaration_status(db, declaration["id"], storage.DECLARATION_REJECTED, actor=actor,
                                   action="rejet", reason=reason)


def _value(value: Any) -> Any:
    """An empty text and no value are the same."""
    return None if value == "" else value


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The line's fields ``after`` changes: {field: [before, after]}."""
    return {k: [before.get(k), after.get(k)] for k in LINE_INPUTS
            if k in after and _value(before.get(k)) != _value(after.get(k))}


def validate(db, declaration: Mapping[str, Any], *, actor: str,
             corrections: Mapping[int, Mapping[str, Any]] | None = None) -> dict[str, int]:
    """Validate a sent declaration, with the buyer's corrections (line id → cleaned values), into the ledger.

    In the ledger, a line is first written with the titulaire's values (by the
    titulaire), then corrected (by the buyer): its history shows both.
    """
    corrections = corrections or {}
    contract = storage.get_contract(db, declaration["contract_id"])
    titulaire = declaration.get("titulaire") or "titulaire"
    counts = {"lines": 0, "corrected": 0}
    changes: dict[str, Any] = {}
    with storage.transaction(db):
        for line in storage.declaration_lines(db, declaration["id"]):
            correction = corrections.get(line["id"]) or {}
            diff = _changed(line, correction)
            participant_id = _ledger_participant(db, contract, line)
            entry = {"lot_id": declaration["lot_id"], "participant_id": participant_id, "month": declaration["month"],
                     "declaration_id": declaration["id"],
                     **{k: line.get(k) for k in ("hours", "modality", "employer_name", "contract_type",
                                                  "contract_start", "contract_end")}}
            existing = storage.find_entry(db, entry["lot_id"], participant_id, entry["month"], entry["modality"])
            if existing is None:
                entry_id = storage.create_entry(db, contract["id"], entry, actor=titulaire,
                                                action="déclaration du titulaire")
            else:
                entry_id = existing["id"]
                storage.correct_entry(db, entry_id, entry, actor=titulaire, action="déclaration du titulaire")
            if diff:
                corrected = {**line, **{k: correction.get(k) for k in diff}}
                storage.update_declaration_line(db, line["id"], corrected)
                if any(k in diff for k in PARTICIPANT_FIELDS):
                    storage.update_participant(db, participant_id, {k: corrected.get(k) for k in PARTICIPANT_FIELDS
                                                                   if k in diff})
                moved = {"modality": corrected.get("modality"), **{k: corrected.get(k) for k in (
                    "hours", "employer_name", "contract_type", "contract_start", "contract_end")}}
                storage.correct_entry(db, entry_id, moved, actor=actor, action="correction à la validation")
                changes[line["participant_reference"]] = diff
                counts["corrected"] += 1
            counts["lines"] += 1
        storage.set_declaration_status(db, declaration["id"], storage.DECLARATION_VALIDATED, actor=actor,
                                       action="validation avec corrections" if changes else "validation",
                                       changes=changes)
    return counts


def _ledger_participant(db, contract: Mapping[str, Any], line: Mapping[str, Any]) -> int:
    """The contract's participant of a line: the one a hire prepared, or one keyed by its reference."""
    if line.get("participant_id"):
        participant = storage.get_participant(db, line["participant_id"])
        if participant.get("exit_situation") != line.get("exit_situation") and line.get("exit_situation"):
            storage.update_participant(db, participant["id"], {"exit_situation": line["exit_situation"]})
        return participant["id"]
    data = {"contract_id": contract["id"], "reference": line["participant_reference"]}
    data.update({k: line[k] for k in PARTICIPANT_FIELDS if line.get(k)})
    return storage.save_participant(db, data)


def import_csv(db, titulaire_id: str, contract: Mapping[str, Any], rows: list[dict[str, Any]], *, actor: str,
               today: date | None = None) -> dict[str, int]:
    """The titulaire's ledger CSV (checked by ``clause_status.parse_ledger``) into its draft declarations.

    Lines are keyed by (lot, participant, month, modality): importing the same
    file again changes nothing. Only the titulaire's own lots are accepted, and
    only months it may declare whose declaration is still editable.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    by_declaration: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for data in rows:
        by_declaration.setdefault((data["lot_id"], data["month"]), []).append(data)
    with storage.transaction(db):
        fed = storage.participants_from_hires(db, contract["id"], employer_id=titulaire_id)
        for (lot_id, month), lines in by_declaration.items():
            lot = storage.get_lot(db, lot_id)
            if lot.get("titulaire_id") != titulaire_id:
                raise DeclarationError(f"Le lot {lot['number']} n'est pas attribué à votre entreprise.")
            check_month(contract, month, today)
            declaration = storage.ensure_declaration(db, contract["id"], lot_id, month)
            if declaration["status"] not in storage.EDITABLE_STATUSES:
                raise DeclarationError(f"Lot {lot['number']}, {month} : la déclaration est déjà transmise.")
            current = storage.declaration_lines(db, declaration["id"])
            keyed = {(line["participant_reference"], line["modality"]): line for line in current}
            for data in lines:
                line = {k: data.get(k) for k in LINE_INPUTS}
                reference = line["participant_reference"]
                if reference in fed:
                    line.update(participant_id=fed[reference]["id"], proposal_id=fed[reference].get("proposal_id"),
                                category=None, proof_kind=None, proof_date=None)
                old = keyed.get((reference, line["modality"]))
                if old is None:
                    keyed[(reference, line["modality"])] = line
                    counts["created"] += 1
                elif _changed(old, line):
                    keyed[(reference, line["modality"])] = {**old, **line}
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
            if counts["created"] or counts["updated"]:
                storage.replace_declaration_lines(db, declaration["id"], list(keyed.values()))
                storage.add_declaration_event(db, declaration["id"], "import du fichier", actor=actor)
    return counts


# -- hires feed the clause ----------------------------------------------------------
# The proposal states whose work counts as hours of a clause: a trial period is
# worked under the employment contract; a PMSMP only where the contract says so.
COUNTING_STATES = frozenset({workflow.TRIAL, workflow.HIRED, workflow.PMSMP})


def participant_reference(proposal_id: int) -> str:
    """A participant's anonymous reference: nothing of the person or of their structure."""
    return f"PAS-{proposal_id:05d}"


def prepare_line_for_hire(db, change: storage.ProposalChange, *, today: date | None = None) -> int | None:
    """A proposal listener: a hire (trial, PMSMP where it counts) on a need linked to a lot prepares the
    titulaire's participant and a draft line of the current month, hours to complete. Returns the line id.

    The eligibility category is not copied from the profile: it reaches the
    buyer only when the person agrees and the CRE confirms it
    (``confirm_eligibility``); the proof stays with the SIAE.
    """
    proposal = change.proposal
    status = proposal["status"]
    if status not in COUNTING_STATES or status == change.previous_status:
        return None
    need = storage.get_need(db, proposal["need_id"])
    if not need.get("lot_id"):
        return None
    lot = storage.get_lot(db, need["lot_id"])
    if lot.get("titulaire_id") != need["employer_id"]:
        return None
    contract = storage.get_contract(db, lot["contract_id"])
    structure = storage.get_organisation(db, proposal["siae_id"])
    if status == workflow.PMSMP or need.get("contract") == "PMSMP":
        modality = "pmsmp" if contract.get("pmsmp_counted") else None
    else:
        modality = clauses.hire_modality(need.get("contract"), structure.get("subtype"))
    if modality is None:
        return None
    today = today or _today()
    months = clauses.month_range(contract["start_date"], contract["end_date"])
    month = max(today.strftime("%Y-%m"), months[0])
    if month > months[-1]:
        return None  # the contract is over: hours done now would not count
    participant = storage.participant_by_profile(db, contract["id"], proposal["profile_id"])
    if participant is None:
        participant_id = storage.save_participant(db, {
            "contract_id": contract["id"], "reference": participant_reference(proposal["id"]),
            "profile_id": proposal["profile_id"], "proposal_id": proposal["id"], "siae_id": proposal["siae_id"],
            "exit_situation": "en_cours"})
        participant = storage.get_participant(db, participant_id)
    declaration = _open_declaration(db, contract, lot, month, months)
    if declaration is None:
        return None
    for line in storage.declaration_lines(db, declaration["id"]):
        if line["participant_reference"] == participant["reference"] and line["modality"] == modality:
            return line["id"]
    line_id = storage.add_declaration_line(db, declaration["id"], {
        "participant_reference": participant["reference"], "participant_id": participant["id"],
        "proposal_id": proposal["id"], "hours": None, "modality": modality, "employer_name": lot.get("titulaire"),
        "contract_type": need.get("contract"), "contract_start": today.isoformat(), "exit_situation": "en_cours"})
    storage.add_declaration_event(db, declaration["id"], "ligne préparée par Passerelle "
                                  f"({workflow.STATE_LABELS[status].lower()})", actor=change.actor)
    return line_id


def _open_declaration(db, contract, lot, month: str, months: list[str]) -> dict[str, Any] | None:
    """The lot's draft of this month, or of the next one when this month's is already sent."""
    for candidate in [m for m in months if m >= month]:
        declaration = storage.ensure_declaration(db, contract["id"], lot["id"], candidate)
        if declaration["status"] in storage.EDITABLE_STATUSES:
            return declaration
    return None


def _listener(db, change: storage.ProposalChange) -> None:
    prepare_line_for_hire(db, change)


def init_app(app) -> None:
    storage.on_proposal_change(_listener)


def confirm_eligibility(db, participant: Mapping[str, Any], profile: Mapping[str, Any], *, category: str | None,
                        proof_date: str | None, consent: bool, structure_name: str, actor: str) -> None:
    """The CRE transmits (or withdraws) a hired person's eligibility category for a clause.

    Only with the person's agreement, and only a category the profile holds;
    the proof is kept by the structure (named as the proof's holder).
    """
    if not consent:
        storage.update_participant(db, participant["id"], {
            "category": None, "proof_kind": None, "proof_date": None, "eligibility_consent_at": None,
            "confirmed_by": None, "confirmed_at": None})
        return
    if category not in (profile.get("eligibility") or []):
        raise DeclarationError("Catégorie : choisissez une catégorie d'éligibilité de la personne.")
    try:
        proof = date.fromisoformat((proof_date or "").strip())
    except ValueError:
        raise DeclarationError("Date du justificatif : date attendue (AAAA-MM-JJ).") from None
    if proof > _today():
        raise DeclarationError("Date du justificatif : elle ne peut pas être dans le futur.")
    stamp = storage.now()
    storage.update_participant(db, participant["id"], {
        "category": category, "proof_kind": f"justificatif conservé par {structure_name}"[:200],
        "proof_date": proof.isoformat(), "eligibility_consent_at": stamp, "confirmed_by": actor,
        "confirmed_at": stamp})


# -- reminders of missing months ------------------------------------------------------
@dataclass
class Reminder:
    """A titulaire has not declared these months of a lot by the 10th of the next month."""

    lot: dict[str, Any]
    contract: dict[str, Any]
    titulaire_id: str
    months: list[str]


def missing_months(db, *, today: date | None = None, lots: Iterable[Mapping[str, Any]] | None = None
                   ) -> list[Reminder]:
    """Every awarded lot with months past their deadline and not declared (sent or not before)."""
    today = today or _today()
    lots = [dict(lot) for lot in (lots if lots is not None else storage.list_lots(db)) if lot.get("titulaire_id")]
    declared = storage.declared_months(db, [lot["id"] for lot in lots])
    contracts: dict[int, dict[str, Any]] = {}
    found = []
    for lot in lots:
        contract = contracts.setdefault(lot["contract_id"], storage.get_contract(db, lot["contract_id"]))
        months = clauses.months_missing(contract, declared[lot["id"]], today)
        if months:
            found.append(Reminder(lot, contract, lot["titulaire_id"], months))
    return found


Notifier = Callable[[Any, Reminder], None]


def send_reminders(db, *, today: date | None = None, notify: Notifier | None = None) -> list[Reminder]:
    """The job: reminders for missing months not reminded yet; each lot and month is reminded once.

    ``notify(db, reminder)`` delivers one (the app's notifications once they
    exist); without it the reminders are only returned, and recorded only when
    delivered, so that a later run with a notifier still sends them.
    """
    due = []
    all_missing = missing_months(db, today=today)
    sent = storage.reminders_sent(db, [r.lot["id"] for r in all_missing])
    for reminder in all_missing:
        months = [m for m in reminder.months if (reminder.lot["id"], m) not in sent]
        if not months:
            continue
        reminder = Reminder(reminder.lot, reminder.contract, reminder.titulaire_id, months)
        due.append(reminder)
        if notify is not None:
            with storage.transaction(db):
                notify(db, reminder)
                for month in months:
                    storage.record_reminder(db, reminder.lot["id"], month)
    return due
