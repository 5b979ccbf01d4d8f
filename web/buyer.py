"""Purchasing team / facilitateur space: contracts with insertion clauses, the hours ledger, fulfilment."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for

import clauses
import eligibility
import permissions
import storage

from . import calibration, clause_links, clause_report, conflicts, csvio, declarations, validation
from .clause_status import LEDGER_COLUMNS, contract_status, import_ledger, ledger_csv, parse_ledger, pools
from .db import get_db
from .auth import audit
from .engine import engine
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
                           exits=clauses.EXIT_SITUATIONS, clause_curve=clauses.cumulative_curve(status.total,
                                                                                                status.contract))


# -- the report a buyer files ----------------------------------------------------------
def _report(contract: dict[str, Any], lot_id: int | None = None) -> clause_report.Report:
    audit("rapport de clause (catégories d'éligibilité)", "contract", contract["id"])
    return clause_report.build(contract_status(get_db(), contract), current_org()["name"], lot_id=lot_id)


@bp.get("/marches/<int:contract_id>/rapport")
def report(contract_id: int):
    return render_template("buyer/report.html", report=_report(_own_contract(contract_id)),
                           modalities=clauses.MODALITIES)


@bp.get("/marches/<int:contract_id>/lots/<int:lot_id>/rapport")
def lot_report(contract_id: int, lot_id: int):
    contract = _own_contract(contract_id)
    lot = _own_lot(contract, lot_id)
    return render_template("buyer/report.html", report=_report(contract, lot["id"]), modalities=clauses.MODALITIES)


def _file_name(contract: dict[str, Any], lot_id: int | None, extension: str) -> str:
    suffix = "" if lot_id is None else f"-lot{storage.get_lot(get_db(), lot_id)['number']}"
    return f"rapport-clause-{contract['reference']}{suffix}.{extension}"


@bp.get("/marches/<int:contract_id>/rapport.xlsx")
@bp.get("/marches/<int:contract_id>/lots/<int:lot_id>/rapport.xlsx")
def report_xlsx(contract_id: int, lot_id: int | None = None):
    contract = _own_contract(contract_id)
    if lot_id is not None:
        _own_lot(contract, lot_id)
    return Response(clause_report.xlsx(_report(contract, lot_id)),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{_file_name(contract, lot_id, "xlsx")}"'})


@bp.get("/marches/<int:contract_id>/rapport.csv")
@bp.get("/marches/<int:contract_id>/lots/<int:lot_id>/rapport.csv")
def report_csv(contract_id: int, lot_id: int | None = None):
    contract = _own_contract(contract_id)
    if lot_id is not None:
        _own_lot(contract, lot_id)
    return csvio.response(clause_report.participants_csv(_report(contract, lot_id)),
                          _file_name(contract, lot_id, "csv"))


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
    if lot and lot.get("titulaire_id"):
        data.pop("titulaire", None)  # an awarded lot's titulaire is its organisation (see the lot's page)
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


@bp.get("/marches/<int:contract_id>/lots/<int:lot_id>")
def lot(contract_id: int, lot_id: int):
    contract = _own_contract(contract_id)
    row = _own_lot(contract, lot_id)
    return _render_lot(contract, row, {}, {}, None)


def _render_lot(contract, lot_row, values, errors, invitation, code: int = 200):
    db = get_db()
    status = contract_status(db, contract)
    _, f = status.lot(lot_row["id"])
    return render_template(
        "buyer/lot.html", contract=contract, lot=lot_row, status=status, f=f,
        curve=clauses.cumulative_curve(f, contract), months=status.month_states(lot_row["id"]),
        linked=storage.linked_needs(db, lot_row["id"]), employers=storage.list_organisations(db, "employer"),
        values=values, errors=errors, invitation=invitation, statuses=storage.DECLARATION_STATUSES,
        modalities=clauses.MODALITIES), code


@bp.post("/marches/<int:contract_id>/lots/<int:lot_id>/titulaire")
def award(contract_id: int, lot_id: int):
    """Award a lot to an employer of Passerelle, or create the titulaire and invite its first user."""
    contract = _own_contract(contract_id)
    lot_row = _own_lot(contract, lot_id)
    if not permissions.can_award_lot(current_user(), contract):
        abort(404)
    db = get_db()
    values = request.form.to_dict()
    if values.get("action") == "attribuer":
        org_id = values.get("titulaire_id") or ""
        try:
            unlinked = storage.award_lot(db, lot_id, org_id)
        except storage.Conflict as exc:
            return _render_lot(contract, lot_row, values, {"titulaire_id": str(exc)}, None, 400)
        audit("attribution d'un lot", "lot", lot_id, org_id)
        flash("Lot attribué." + (f" {unlinked} besoin(s) de l'ancien titulaire détaché(s) du lot." if unlinked else ""),
              "success")
        return redirect(url_for("buyer.lot", contract_id=contract_id, lot_id=lot_id))
    if values.get("action") != "inviter":
        abort(400)
    errors = {}
    name, email = (values.get("name") or "").strip(), (values.get("email") or "").strip()
    contact = (values.get("contact_name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = "Raison sociale du titulaire : obligatoire (200 caractères au plus)."
    if not contact or len(contact) > 120:
        errors["contact_name"] = "Nom du contact : obligatoire."
    if "@" not in email or len(email) > 200:
        errors["email"] = "Adresse électronique du contact invalide."
    if not errors:
        try:
            # The invitation link is never shown to the buyer (who could otherwise open the titulaire's
            # account): like every invitation, it reaches the invitee only (``flask --app app invitation-link``).
            clause_links.invite_titulaire(db, lot_row, current_org(), name=name, city=values.get("city"),
                                          contact_name=contact, contact_email=email)
        except storage.Conflict as exc:
            errors["email"] = str(exc)
        else:
            audit("invitation d'un titulaire", "lot", lot_id, f"{email} ; invitation à transmettre par l'exploitant")
            return _render_lot(contract, storage.get_lot(db, lot_id), {}, {}, email.strip().lower())
    return _render_lot(contract, lot_row, values, errors, None, 400)


# -- declarations of the titulaires ------------------------------------------------------
def _own_declaration(contract: dict[str, Any], declaration_id: int) -> dict[str, Any]:
    try:
        row = storage.get_declaration(get_db(), declaration_id)
    except storage.NotFound:
        abort(404)
    if row["contract_id"] != contract["id"] or not permissions.can_view_declaration(current_user(), row):
        abort(404)
    return row


@bp.route("/marches/<int:contract_id>/declarations/<int:declaration_id>", methods=["GET", "POST"])
def declaration(contract_id: int, declaration_id: int):
    """A titulaire's declaration: validate it, correct lines while validating, or reject it with a reason."""
    contract = _own_contract(contract_id)
    row = _own_declaration(contract, declaration_id)
    db = get_db()
    lines = storage.declaration_lines(db, declaration_id)
    errors: list[str] = []
    if request.method == "POST":
        if not permissions.can_decide_declaration(current_user(), row):
            flash("Cette déclaration n'attend pas de décision.", "error")
            return redirect(url_for("buyer.declaration", contract_id=contract_id, declaration_id=declaration_id))
        action = request.form.get("action")
        try:
            if action == "rejeter":
                declarations.reject(db, row, request.form.get("reason", ""), actor=current_org()["name"])
                audit("rejet d'une déclaration d'heures", "declaration", declaration_id)
                flash("Déclaration rejetée : le titulaire voit le motif et peut la corriger.", "success")
                return redirect(url_for("buyer.lot", contract_id=contract_id, lot_id=row["lot_id"]))
            if action == "valider":
                corrections, errors = _corrections(lines, row["month"])
                if not errors:
                    counts = declarations.validate(db, row, actor=current_org()["name"], corrections=corrections)
                    audit("validation d'une déclaration d'heures", "declaration", declaration_id,
                          f"{counts['corrected']} ligne(s) corrigée(s)")
                    flash(f"Déclaration validée : {counts['lines']} ligne(s) au registre"
                          + (f", dont {counts['corrected']} corrigée(s)." if counts["corrected"] else "."), "success")
                    return redirect(url_for("buyer.lot", contract_id=contract_id, lot_id=row["lot_id"]))
            else:
                abort(400)
        except declarations.DeclarationError as exc:
            errors = [str(exc)]
    audit("consultation d'une déclaration d'heures", "declaration", declaration_id)
    participants = storage.participants_from_hires(db, contract_id)
    return render_template("buyer/declaration.html", contract=contract, declaration=row, lines=lines,
                           events=storage.declaration_events(db, declaration_id), errors=errors,
                           can_decide=permissions.can_decide_declaration(current_user(), row),
                           fed=participants, modalities=clauses.MODALITIES, categories=eligibility.CATEGORIES,
                           exits=clauses.EXIT_SITUATIONS, statuses=storage.DECLARATION_STATUSES), (400 if errors else 200)


def _corrections(lines: list[dict[str, Any]], month: str) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """The buyer's values of each line (form fields ``line-<id>-<field>``), checked like the ledger CSV."""
    corrections: dict[int, dict[str, Any]] = {}
    problems: list[str] = []
    for line in lines:
        raw = {k: request.form.get(f"line-{line['id']}-{k}") for k in declarations.LINE_INPUTS}
        if all(v is None for v in raw.values()):
            continue
        raw = {k: (v if v is not None else line.get(k)) for k, v in raw.items()}
        raw["participant_reference"] = line["participant_reference"]
        cleaned, errors = declarations.clean_lines([raw], month, draft=False)
        if errors:
            problems += [e.replace("Ligne 1", f"Participant {line['participant_reference']}") for e in errors]
        elif cleaned:
            corrections[line["id"]] = cleaned[0]
    return corrections, problems


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


# -- calibrating a clause before the tender -----------------------------------------------
@bp.route("/calibrage", methods=["GET", "POST"])
def calibrate():
    """A planned contract: the required hours, who the territory can supply, and a recommendation."""
    if not permissions.can_calibrate_clause(current_user()):
        abort(404)
    presets = clauses.labour_presets()
    if request.method == "GET":
        values = {"radius_km": 20, "insertion_rate": 5, "hourly_cost": 30}
        return render_template("buyer/calibration.html", values=values, errors={}, answer=None, presets=presets)
    values = request.form.to_dict()
    site, site_errors = validation.clean_site(values)
    data, errors = validation.clean_calibration({**values, "location": site}, from_form=True)
    if site_errors:
        errors.pop("location", None)
        errors.update(site_errors)
    answer = None
    if not errors:
        try:
            answer = calibration.calibrate(get_db(), engine(), data, secret=current_app.config["SECRET_KEY"].encode())
        except clauses.ClauseError as exc:
            errors["insertion_rate"] = str(exc)
        else:
            audit("calibrage d'une clause", "calibration", None, ", ".join(data["trades"])[:200])
    return render_template("buyer/calibration.html", values=values, errors=errors, answer=answer, presets=presets,
                           modalities=clauses.MODALITIES), (400 if errors else 200)


# -- supplier commitments -------------------------------------------------------------------
def _own_commitment(commitment_id: int) -> dict[str, Any]:
    try:
        row = storage.get_commitment(get_db(), commitment_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_manage_commitment(current_user(), row):
        abort(404)
    return row


def _progress(row: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """A commitment's figures: promised, recorded in Passerelle, and where the year's pace should be."""
    today = today or date.today()
    done = storage.supplier_activity(get_db(), row["supplier_id"], row["year"])
    done["internships"] += row.get("internships_done") or 0
    if today.year < row["year"]:
        share = 0.0
    elif today.year > row["year"]:
        share = 1.0
    else:
        start = date(row["year"], 1, 1)
        share = ((today - start).days + 1) / ((date(row["year"] + 1, 1, 1) - start).days)
    items = []
    for key, label in (("pmsmp", "PMSMP"), ("internships", "Stages"), ("hires", "Embauches de personnes en insertion")):
        target = row.get(key) or 0
        expected = target * share
        items.append({"key": key, "label": label, "target": target, "done": done[key],
                      "expected": round(expected, 1), "behind": bool(target) and done[key] < int(expected),
                      "percent": (done[key] / target * 100) if target else None})
    return {"items": items, "proposals": done["proposals"], "share": share}


@bp.get("/engagements")
def commitments():
    db = get_db()
    rows = [(row, _progress(row)) for row in storage.list_commitments(db, _org_id())]
    return render_template("buyer/commitments.html", rows=rows)


@bp.route("/engagements/nouveau", methods=["GET", "POST"])
def new_commitment():
    return _commitment_form(None)


@bp.route("/engagements/<int:commitment_id>", methods=["GET", "POST"])
def commitment(commitment_id: int):
    return _commitment_form(_own_commitment(commitment_id))


def _commitment_form(row: dict[str, Any] | None):
    db = get_db()
    suppliers = storage.list_organisations(db, "employer")
    progress = _progress(row) if row else None
    if request.method == "GET":
        values = row or {"year": date.today().year, "pmsmp": 0, "internships": 0, "hires": 0, "internships_done": 0}
        return render_template("buyer/commitment.html", row=row, values=values, errors={}, suppliers=suppliers,
                               progress=progress)
    values = request.form.to_dict()
    if values.get("action") == "supprimer" and row:
        storage.delete_commitment(db, row["id"])
        audit("suppression d'un engagement fournisseur", "commitment", row["id"])
        flash("Engagement supprimé.", "success")
        return redirect(url_for("buyer.commitments"))
    data, errors = validation.clean_commitment(values)
    if "supplier_id" in data and not any(o["id"] == data["supplier_id"] for o in suppliers):
        errors["supplier_id"] = "Fournisseur : choisissez une entreprise de la liste."
    if not errors:
        try:
            commitment_id = storage.save_commitment(db, _org_id(), data, row["id"] if row else None)
        except storage.Conflict as exc:
            errors["year"] = str(exc)
        else:
            audit("engagement fournisseur", "commitment", commitment_id)
            flash("Engagement enregistré.", "success")
            return redirect(url_for("buyer.commitment", commitment_id=commitment_id))
    return render_template("buyer/commitment.html", row=row, values=values, errors=errors, suppliers=suppliers,
                           progress=progress), 400
