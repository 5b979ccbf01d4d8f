"""Titulaire space (employers a lot is awarded to): their lots, monthly declarations, linked needs.

An employer sees here only the lots awarded to its organisation
(``permissions.is_titulaire``); for each, it declares the hours month by month
(same rules as the ledger CSV, or that CSV itself), follows what the buyer
decided, links its own needs to the lot, and completes the lines its hires
through Passerelle prepared. It never sees a participant's eligibility
category that an SIAE transmitted to the buyer.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

import clauses
import eligibility
import permissions
import storage

from . import clause_links, csvio, declarations
from .clause_status import LEDGER_COLUMNS, contract_status, parse_ledger
from .db import get_db
from .auth import audit
from .spaces import current_org, current_user, space_required

bp = Blueprint("titulaire", __name__, url_prefix="/employeur/marches")
# Blank rows offered under a declaration's lines (more appear after each save).
BLANK_ROWS = 3


@bp.before_request
@space_required("employer")
def _require_employer():
    return None


def _org_id() -> str:
    return current_org()["id"]


def _own_lot(lot_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A lot awarded to the user's organisation, and its contract; 404 for any other lot."""
    try:
        lot = storage.get_lot(get_db(), lot_id)
    except storage.NotFound:
        abort(404)
    if not permissions.is_titulaire(current_user(), lot):
        abort(404)
    return lot, storage.get_contract(get_db(), lot["contract_id"])


@bp.get("/")
def lots():
    db = get_db()
    rows = []
    statuses: dict[int, Any] = {}
    for lot in storage.lots_of_titulaire(db, _org_id()):
        if lot["contract_id"] not in statuses:
            statuses[lot["contract_id"]] = contract_status(db, storage.get_contract(db, lot["contract_id"]))
        status = statuses[lot["contract_id"]]
        _, f = status.lot(lot["id"])
        rows.append((lot, f, [d for d in status.declarations if d["lot_id"] == lot["id"]]))
    return render_template("titulaire/lots.html", rows=rows, statuses=storage.DECLARATION_STATUSES)


@bp.get("/lots/<int:lot_id>")
def lot(lot_id: int):
    lot_row, contract = _own_lot(lot_id)
    db = get_db()
    status = contract_status(db, contract)
    _, f = status.lot(lot_id)
    own_needs = storage.list_needs(db, employer_id=_org_id(), status=None)
    return render_template(
        "titulaire/lot.html", lot=lot_row, contract=contract, f=f, months=status.month_states(lot_id),
        curve=clauses.cumulative_curve(f, contract), statuses=storage.DECLARATION_STATUSES,
        linked=[n for n in own_needs if n.get("lot_id") == lot_id],
        linkable=[n for n in own_needs if n.get("lot_id") != lot_id and n["status"] == "ouvert"],
        hires=storage.participants_from_hires(db, contract["id"], employer_id=_org_id()),
        first_names=storage.hired_first_names(db, contract["id"], _org_id()),
        not_counted=_titulaire_reasons(f), label=clause_links.lot_label)


# Reasons a titulaire may read: those about the dates and the ledger, not about a person's eligibility
# (a category an SIAE transmitted goes to the buyer only).
_VISIBLE_REASONS = {clauses.REASON_OUTSIDE, clauses.REASON_DUPLICATE, clauses.REASON_OVER_MAX, clauses.REASON_PMSMP}


def _titulaire_reasons(f: clauses.Fulfilment) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for reason, hours in f.not_counted.items():
        key = reason if reason in _VISIBLE_REASONS else "éligibilité ou justificatif à voir avec l'acheteur"
        shown[key] = shown.get(key, 0) + hours
    return shown


@bp.post("/lots/<int:lot_id>/besoins")
def link_need(lot_id: int):
    """Link one of the titulaire's own needs to its lot, or unlink it."""
    lot_row, _ = _own_lot(lot_id)
    db = get_db()
    need_id = request.form.get("need_id", type=int)
    if not need_id:
        abort(400)
    try:
        need = storage.get_need(db, need_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_link_need_to_lot(current_user(), need, lot_row):
        abort(404)
    unlink = request.form.get("action") == "detacher"
    if unlink and need.get("lot_id") != lot_id:
        abort(400)
    storage.link_need(db, need["id"], None if unlink else lot_id)
    audit("besoin détaché d'un lot" if unlink else "besoin rattaché à un lot", "need", need["id"], str(lot_id))
    flash(f"Besoin « {need['title']} » " + ("détaché du lot." if unlink else "rattaché au lot : une embauche y "
                                                                           "préparera la ligne d'heures."), "success")
    return redirect(url_for("titulaire.lot", lot_id=lot_id))


def _form_rows() -> list[dict[str, Any]]:
    count = min(request.form.get("rows", type=int) or 0, declarations.MAX_LINES + BLANK_ROWS)
    return [{k: request.form.get(f"l-{i}-{k}") for k in declarations.LINE_INPUTS} for i in range(count)]


def _starting_lines(db, contract: dict[str, Any], lot_id: int, month: str) -> list[dict[str, Any]]:
    """A new month's lines: the participants of the previous month still in post, hours to fill."""
    months = clauses.month_range(contract["start_date"], contract["end_date"])
    previous = months[months.index(month) - 1] if months.index(month) else None
    if previous is None:
        return []
    found: dict[tuple[str, str], dict[str, Any]] = {}
    earlier = storage.declaration_for(db, lot_id, previous)
    source = storage.declaration_lines(db, earlier["id"]) if earlier else [
        e for e in storage.list_entries(db, contract["id"]) if e["lot_id"] == lot_id and e["month"] == previous]
    participants = storage.participants_by_id(db, (s["participant_id"] for s in source if s.get("participant_id")))
    for line in source:
        p = participants.get(line.get("participant_id")) or {}
        if (line.get("exit_situation") or p.get("exit_situation") or "en_cours") != "en_cours":
            continue
        key = (line["participant_reference"], line["modality"])
        found[key] = {**{k: line.get(k) for k in declarations.LINE_INPUTS}, "hours": None,
                      "category": line.get("category") or (None if p.get("siae_id") else p.get("category")),
                      "proof_kind": line.get("proof_kind") or (None if p.get("siae_id") else p.get("proof_kind")),
                      "proof_date": line.get("proof_date") or (None if p.get("siae_id") else p.get("proof_date"))}
    return list(found.values())


@bp.route("/lots/<int:lot_id>/mois/<month>", methods=["GET", "POST"])
def declare(lot_id: int, month: str):
    """Declare a month's hours: per participant, the ledger CSV's rules; save a draft or send it."""
    lot_row, contract = _own_lot(lot_id)
    db = get_db()
    try:
        declarations.check_month(contract, month)
    except declarations.DeclarationError as exc:
        flash(str(exc), "error")
        return redirect(url_for("titulaire.lot", lot_id=lot_id))
    current = storage.declaration_for(db, lot_id, month)
    editable = current is None or permissions.can_edit_declaration(current_user(), current)
    fed = storage.participants_from_hires(db, contract["id"], employer_id=_org_id())
    errors: list[str] = []
    nothing = False
    if request.method == "POST":
        if not editable:
            flash("Cette déclaration est transmise : elle ne se modifie plus.", "error")
            return redirect(url_for("titulaire.declare", lot_id=lot_id, month=month))
        action = request.form.get("action")
        nothing = request.form.get("nothing") == "oui"
        rows = _form_rows()
        lines, errors = declarations.clean_lines(rows, month, draft=action != "envoyer", fed=fed)
        if not errors:
            try:
                with storage.transaction(db):
                    declaration = storage.ensure_declaration(db, contract["id"], lot_id, month)
                    if action == "envoyer":
                        declarations.submit(db, declaration, lines, actor=current_org()["name"],
                                            nothing_to_declare=nothing)
                    elif action == "enregistrer":
                        declarations.save_draft(db, declaration, lines, actor=current_org()["name"])
                    else:
                        abort(400)
            except (declarations.DeclarationError, storage.Conflict) as exc:
                errors = [str(exc)]
            else:
                audit("déclaration d'heures envoyée" if action == "envoyer" else "déclaration d'heures enregistrée",
                      "lot", lot_id, month)
                flash("Déclaration envoyée à l'acheteur." if action == "envoyer" else "Brouillon enregistré.",
                      "success")
                return redirect(url_for("titulaire.lot", lot_id=lot_id) if action == "envoyer"
                                else url_for("titulaire.declare", lot_id=lot_id, month=month))
        shown = [row for row in rows if any(v not in (None, "") for v in row.values())]
    elif current is not None:
        shown = storage.declaration_lines(db, current["id"])
    else:
        shown = _starting_lines(db, contract, lot_id, month)
    if editable:
        shown = list(shown) + [dict.fromkeys(declarations.LINE_INPUTS) for _ in range(BLANK_ROWS)]
    return render_template(
        "titulaire/declaration.html", lot=lot_row, contract=contract, month=month, declaration=current,
        rows=shown, editable=editable, errors=errors, nothing=nothing, fed=fed,
        first_names=storage.hired_first_names(db, contract["id"], _org_id()),
        events=storage.declaration_events(db, current["id"]) if current else [],
        statuses=storage.DECLARATION_STATUSES, modalities=clauses.MODALITIES,
        categories=eligibility.CATEGORIES, exits=clauses.EXIT_SITUATIONS,
        deadline=clauses.declaration_deadline(month)), (400 if errors else 200)


@bp.route("/lots/<int:lot_id>/import", methods=["GET", "POST"])
def import_hours(lot_id: int):
    """The titulaire's ledger CSV, into its draft declarations (then reviewed and sent month by month)."""
    lot_row, contract = _own_lot(lot_id)
    page = {"what": "des heures du titulaire (brouillons de déclaration)", "columns": LEDGER_COLUMNS,
            "preview_columns": (("participant_reference", "Participant"), ("month", "Mois"), ("hours", "Heures"),
                                ("modality", "Modalité"))}
    if request.method == "GET":
        return render_template("import.html", report=None, text="", **page)
    upload = request.files.get("file")
    text = csvio.decode(upload.read()) if upload and upload.filename else request.form.get("text", "")
    db = get_db()
    report = parse_ledger(db, contract, text, titulaire_id=_org_id())
    if request.form.get("action") != "importer" or not report.ok:
        return render_template("import.html", report=report, text=text, **page), (200 if report.ok else 400)
    try:
        counts = declarations.import_csv(db, _org_id(), contract, [data for _, data in report.rows],
                                         actor=current_org()["name"])
    except declarations.DeclarationError as exc:
        report.errors.append((0, str(exc)))
        return render_template("import.html", report=report, text=text, **page), 400
    flash(f"Import terminé : {counts['created']} ligne(s) ajoutée(s), {counts['updated']} modifiée(s), "
          f"{counts['unchanged']} inchangée(s), en brouillon : vérifiez et envoyez chaque mois.", "success")
    return redirect(url_for("titulaire.lot", lot_id=lot_id))
