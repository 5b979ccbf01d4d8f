"""Purchasing team / facilitateur space: contracts with insertion clauses, the hours ledger, fulfilment."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

import clauses
import eligibility
import permissions
import storage

from . import conflicts, csvio, validation
from .clause_status import LEDGER_COLUMNS, contract_status, import_ledger, ledger_csv, parse_ledger, pools
from .db import get_db
from .auth import audit
from .spaces import current_org, current_user, space_required

bp = Blueprint("buyer", __name__, url_prefix="/acheteur")


@bp.before_request
@space_required("buyer")
def _require_buyer():
    return None


def _org_id() -> str:
    return current_org()["id"]


def _own_contract(contract_id: int) -> dict[str, Any]:
    try:
        contract = storage.get_contract(get_db(), contract_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_view_contract(current_user(), contract):
        abort(404)
    return contract


def _own_lot(contract: dict[str, Any], lot_id: int) -> dict[str, Any]:
    try:
        lot = storage.get_lot(get_db(), lot_id)
    except storage.NotFound:
        abort(404)
    if lot["contract_id"] != contract["id"]:
        abort(404)
    return lot


def _own_entry(contract: dict[str, Any], entry_id: int) -> dict[str, Any]:
    try:
        entry = storage.get_entry(get_db(), entry_id)
    except storage.NotFound:
        abort(404)
    if entry["contract_id"] != contract["id"]:
        abort(404)
    return entry


@bp.get("/")
def contracts():
    db = get_db()
    rows = [contract_status(db, c) for c in storage.list_contracts(db, buyer_id=_org_id())]
    return render_template("buyer/contracts.html", statuses=rows, pools=pools(db, _org_id()))


@bp.route("/marches/nouveau", methods=["GET", "POST"])
def new_contract():
    return _contract_form(None)


@bp.route("/marches/<int:contract_id>/modifier", methods=["GET", "POST"])
def edit_contract(contract_id: int):
    return _contract_form(_own_contract(contract_id))


# Fields of the contract, lot and ledger entry forms, as a stale form lists what the other person changed.
CONTRACT_FIELDS = {"reference": "Référence du marché", "title": "Objet", "start_date": "Début d'exécution",
                   "end_date": "Fin d'exécution", "pooling_allowed": "Globalisation des heures",
                   "qpv_priority": "Priorité QPV"}
LOT_FIELDS = {"number": "Numéro de lot", "title": "Intitulé du lot", "titulaire": "Titulaire", "trades": "Métiers",
              "postcode": "Code postal", "clause_mode": "Mode de calcul", "fixed_hours": "Heures d'insertion",
              "amount": "Montant", "labour_share": "Part de main-d'œuvre", "insertion_rate": "Taux d'insertion",
              "hourly_cost": "Coût horaire", "preset": "Type de travaux"}
ENTRY_FIELDS = {"lot_id": "Lot", "month": "Mois", "hours": "Heures", "modality": "Modalité",
                "employer_name": "Employeur ou SIAE", "contract_type": "Type de contrat",
                "contract_start": "Début du contrat", "contract_end": "Fin du contrat", "category": "Catégorie",
                "proof_kind": "Justificatif", "proof_date": "Date du justificatif",
                "exit_situation": "Situation de sortie"}


def _contract_form(contract: dict | None):
    if request.method == "GET":
        return render_template("buyer/contract_form.html", values=contract or {}, errors={}, contract=contract,
                               conflict=None)
    values = request.form.to_dict()
    data, errors = validation.clean_contract(values)
    conflict = None
    if not errors:
        db = get_db()
        try:
            if contract is None:
                contract_id = storage.create_contract(db, {**data, "buyer_id": _org_id()})
            else:
                contract_id = contract["id"]
                storage.update_contract(db, contract_id, data, expected_version=conflicts.submitted_version(values))
        except storage.StaleVersion as exc:
            conflict = conflicts.stale_form(exc, exc.current, values, CONTRACT_FIELDS,
                                            flags=("pooling_allowed", "qpv_priority"))
            values = {**values, "version": exc.current["version"]}
        except storage.Conflict as exc:
            errors["reference"] = str(exc)
        else:
            flash("Marché enregistré.", "success")
            return redirect(url_for("buyer.contract", contract_id=contract_id))
    return render_template("buyer/contract_form.html", values=values, errors=errors, contract=contract,
                           conflict=conflict), (409 if conflict else 400)


@bp.get("/marches/<int:contract_id>")
def contract(contract_id: int):
    status = contract_status(get_db(), _own_contract(contract_id))
    return render_template("buyer/contract.html", status=status, modalities=clauses.MODALITIES,
                           exits=clauses.EXIT_SITUATIONS, print_view=False)


@bp.get("/marches/<int:contract_id>/rapport")
def report(contract_id: int):
    status = contract_status(get_db(), _own_contract(contract_id))
    return render_template("buyer/contract.html", status=status, modalities=clauses.MODALITIES,
                           exits=clauses.EXIT_SITUATIONS, print_view=True, now_date=date.today().isoformat())


@bp.get("/marches/<int:contract_id>/registre.csv")
def export_ledger(contract_id: int):
    contract = _own_contract(contract_id)
    return csvio.response(ledger_csv(contract_status(get_db(), contract)), f"registre-{contract['reference']}.csv")


# -- lots -------------------------------------------------------------------------
@bp.route("/marches/<int:contract_id>/lots/nouveau", methods=["GET", "POST"])
def new_lot(contract_id: int):
    return _lot_form(_own_contract(contract_id), None)


@bp.route("/marches/<int:contract_id>/lots/<int:lot_id>/modifier", methods=["GET", "POST"])
def edit_lot(contract_id: int, lot_id: int):
    contract = _own_contract(contract_id)
    return _lot_form(contract, _own_lot(contract, lot_id))


def _lot_form(contract: dict, lot: dict | None):
    presets = clauses.labour_presets()
    if request.method == "GET":
        values = lot or {"clause_mode": "calcul", "hourly_cost": 30, "insertion_rate": 5,
                         "number": len(storage.list_lots(get_db(), contract["id"])) + 1}
        return render_template("buyer/lot_form.html", contract=contract, lot=lot, values=values, errors={},
                               presets=presets, computed=None, conflict=None)
    values = request.form.to_dict()
    data, errors = validation.clean_lot(values)
    if request.form.get("action") == "calculer" or errors:
        return render_template("buyer/lot_form.html", contract=contract, lot=lot, values=values,
                               errors=errors if request.form.get("action") != "calculer" else
                               {k: v for k, v in errors.items() if k in ("amount", "labour_share", "insertion_rate",
                                                                          "hourly_cost")},
                               presets=presets, computed=data.get("required_hours"), conflict=None), (
            400 if errors else 200)
    try:
        storage.save_lot(get_db(), {**data, "contract_id": contract["id"]}, lot["id"] if lot else None,
                         expected_version=conflicts.submitted_version(values))
    except storage.StaleVersion as exc:
        conflict = conflicts.stale_form(exc, exc.current, values, LOT_FIELDS)
        return render_template("buyer/lot_form.html", contract=contract, lot=exc.current,
                               values={**values, "version": exc.current["version"]}, errors={}, presets=presets,
                               computed=None, conflict=conflict), 409
    except storage.Conflict as exc:
        return render_template("buyer/lot_form.html", contract=contract, lot=lot, values=values,
                               errors={"number": str(exc)}, presets=presets, computed=None, conflict=None), 400
    flash(f"Lot enregistré : {data['required_hours']} heures d'insertion requises.", "success")
    return redirect(url_for("buyer.contract", contract_id=contract["id"]))


# -- the hours ledger -------------------------------------------------------------
@bp.get("/marches/<int:contract_id>/heures")
def ledger(contract_id: int):
    contract = _own_contract(contract_id)
    audit("consultation du registre (catégories d'éligibilité)", "contract", contract_id)
    status = contract_status(get_db(), contract)
    return render_template("buyer/ledger.html", status=status, modalities=clauses.MODALITIES,
                           categories=eligibility.CATEGORIES, exits=clauses.EXIT_SITUATIONS, values={}, errors={})


def _entry_from_form(contract: dict, values: dict) -> tuple[dict, dict]:
    data, errors = validation.clean_entry(values)
    lots = {str(lot["id"]): lot for lot in storage.list_lots(get_db(), contract["id"])}
    if values.get("lot_id") not in lots:
        errors["lot_id"] = "Lot : choisissez un lot du marché."
    else:
        data["lot_id"] = int(values["lot_id"])
    if data.get("profile_reference") and storage.profile_by_reference(get_db(), data["profile_reference"]) is None:
        errors["profile_reference"] = f"Référence Passerelle « {data['profile_reference']} » inconnue."
    return data, errors


@bp.post("/marches/<int:contract_id>/heures")
def add_entry(contract_id: int):
    contract = _own_contract(contract_id)
    values = request.form.to_dict()
    data, errors = _entry_from_form(contract, values)
    db = get_db()
    if errors:
        return render_template("buyer/ledger.html", status=contract_status(db, contract), modalities=clauses.MODALITIES,
                               categories=eligibility.CATEGORIES, exits=clauses.EXIT_SITUATIONS, values=values,
                               errors=errors), 400
    counts = import_ledger(db, contract, [data], actor=current_org()["name"], action="création")
    flash("Heures enregistrées." if counts["created"] else "Ligne déjà présente : mise à jour.", "success")
    return redirect(url_for("buyer.ledger", contract_id=contract_id))


@bp.route("/marches/<int:contract_id>/heures/<int:entry_id>", methods=["GET", "POST"])
def entry(contract_id: int, entry_id: int):
    contract = _own_contract(contract_id)
    row = _own_entry(contract, entry_id)
    db = get_db()
    participant = storage.participants_by_id(db, [row["participant_id"]])[row["participant_id"]]
    errors: dict[str, str] = {}
    conflict = None

    def shown(entry: dict[str, Any]) -> dict[str, Any]:
        return {**entry, **{k: participant.get(k) for k in ("category", "proof_kind", "proof_date", "exit_situation")},
                "participant_reference": participant["reference"], "lot_id": str(entry["lot_id"])}

    values = shown(row)
    if request.method == "POST":
        expected = conflicts.submitted_version(request.form)
        try:
            if request.form.get("action") == "supprimer":
                storage.delete_entry(db, entry_id, actor=current_org()["name"], expected_version=expected)
                flash("Ligne retirée du registre (elle reste dans l'historique).", "success")
                return redirect(url_for("buyer.ledger", contract_id=contract_id))
            values = request.form.to_dict()
            data, errors = _entry_from_form(contract, values)
            if not errors:
                with storage.transaction(db):
                    changed = storage.correct_entry(db, entry_id, {**data, "participant_id": row["participant_id"]},
                                                    actor=current_org()["name"], expected_version=expected)
                    storage.save_participant(db, {"contract_id": contract_id, "reference": participant["reference"],
                                                  **{k: data.get(k) for k in ("category", "proof_kind", "proof_date",
                                                                              "exit_situation")}})
                flash("Correction enregistrée." if changed else "Aucun changement.", "success")
                return redirect(url_for("buyer.entry", contract_id=contract_id, entry_id=entry_id))
        except storage.StaleVersion as exc:
            values = request.form.to_dict()
            conflict = conflicts.stale_form(exc, shown(exc.current), values, ENTRY_FIELDS)
            row = exc.current
            values["version"] = row["version"]
    return render_template("buyer/entry.html", contract=contract, entry=row, values=values, errors=errors,
                           history=storage.entry_history(db, entry_id), lots=storage.list_lots(db, contract_id),
                           modalities=clauses.MODALITIES, categories=eligibility.CATEGORIES,
                           exits=clauses.EXIT_SITUATIONS, conflict=conflict), (
        409 if conflict else 400 if errors else 200)


@bp.route("/marches/<int:contract_id>/heures/import", methods=["GET", "POST"])
def import_entries(contract_id: int):
    contract = _own_contract(contract_id)
    page = {"what": "des heures (registre du titulaire)", "columns": LEDGER_COLUMNS,
            "preview_columns": (("lot_id", "Lot (id)"), ("participant_reference", "Participant"), ("month", "Mois"),
                                ("hours", "Heures"), ("modality", "Modalité"), ("category", "Catégorie"))}
    if request.method == "GET":
        return render_template("import.html", report=None, text="", **page)
    upload = request.files.get("file")
    decoded = csvio.uploaded(upload, request.form.get("text"))
    text = decoded.text
    db = get_db()
    report = parse_ledger(db, contract, text).add_decoding(decoded)
    if request.form.get("action") != "importer" or not report.ok:
        return render_template("import.html", report=report, text=text, **page), (200 if report.ok else 400)
    counts = import_ledger(db, contract, [data for _, data in report.rows], actor=current_org()["name"])
    flash(f"Import terminé : {counts['created']} ligne(s) créée(s), {counts['updated']} corrigée(s), "
          f"{counts['unchanged']} inchangée(s).", "success")
    for warning in report.warnings:
        flash(warning, "error")
    return redirect(url_for("buyer.ledger", contract_id=contract_id))
