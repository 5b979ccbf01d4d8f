"""Pooled needs: the carrier's pages (CRE space) and the members' pages (employer space).

A pooled need is a need carried by an AI, a GEIQ or an ETTI for several member
employers. Every CRE sees it among the needs and proposes people to it as to any
need (``cre.need``); the carrier's CRE sets its terms and members, answers the
candidates as the employer would, hires, places each hire with members and
records the monthly hours of mise à disposition. A member sees the need, its
candidates as an employer may (never eligibility, notes or references) and the
hours done at its place. Who may do what: ``permissions.py``.

Hours and clauses: a member that is the titulaire of a lot links its share to
that lot; every month recorded for a hire placed with it then prepares the
lot's draft declaration line (``prepare_line_for_placement``, a listener of
``storage.on_pooled_hours``), modality ``mad_ai`` / ``mad_geiq`` / ``mad_etti``
after the carrier, to be sent by the titulaire and validated by the buyer like
any line (web/declarations.py).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

import clauses
import permissions
import pooling
import storage
import workflow
from matching import FRENCH_LEVELS

from . import careers, conflicts, declarations, skillmap, validation
from .auth import audit
from .db import get_db
from .employer import candidate_view
from .engine import engine
from .spaces import current_org, current_user, space_required

carrier_bp = Blueprint("pooled", __name__, url_prefix="/cre/mutualises")
member_bp = Blueprint("member", __name__, url_prefix="/employeur/mutualises")

# Member rows shown on the form (empty ones are ignored).
FORM_MEMBER_ROWS = 8


@carrier_bp.before_request
@space_required("cre")
def _require_cre():
    return None


@member_bp.before_request
@space_required("employer")
def _require_employer():
    return None


def _pooled(pooled_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The need and its pooled part, if this user may see them (else 404)."""
    db = get_db()
    pooled = storage.get_pooled(db, pooled_id)
    if pooled is None or not permissions.can_view_pooled_need(current_user(), pooled):
        abort(404)
    return storage.get_need(db, pooled_id), pooled


def _managed(pooled_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    need, pooled = _pooled(pooled_id)
    if not permissions.can_manage_pooled_need(current_user(), pooled):
        abort(404)
    return need, pooled


def _proposal_of(need_id: int, proposal_id: int) -> dict[str, Any]:
    try:
        proposal = storage.get_proposal(get_db(), proposal_id)
    except storage.NotFound:
        abort(404)
    if proposal["need_id"] != need_id or not permissions.can_view_proposal(current_user(), proposal):
        abort(404)
    return proposal


def _employers() -> list[dict[str, Any]]:
    return storage.list_organisations(get_db(), kind="employer")


# -- the carrier: list, create, edit -------------------------------------------------------------
@carrier_bp.get("/")
def index():
    db = get_db()
    org = current_org()
    rows = storage.list_pooled_needs(db, status=None)
    own = [r for r in rows if r["pooled"]["carrier_id"] == org["id"]]
    others = [r for r in rows if r["pooled"]["carrier_id"] != org["id"] and r["status"] == "ouvert"]
    return render_template("pooled/index.html", own=own, others=others, statuses=storage.NEED_STATUSES,
                           can_carry=permissions.can_carry_pooled_need(current_user(), org))


def _form_values(need: Mapping[str, Any] | None, pooled: Mapping[str, Any] | None) -> dict[str, Any]:
    if need is None:
        return {"positions": 2, "hours_per_week": pooling.FULL_TIME_HOURS, "members": []}
    skills = need.get("skills") or []
    return {**need, **{k: pooled.get(k) for k in ("carrier_contract", "training_body", "training_plan")},
            "skills_required": "\n".join(s["text"] for s in skills if s.get("required", True)),
            "skills_wanted": "\n".join(s["text"] for s in skills if not s.get("required", True)),
            "members": [{"employer_id": m["employer_id"], "positions": m["positions"],
                         "hours_per_week": m["hours_per_week"]} for m in pooled["members"]]}


# The need's fields a stale form compares with what another person saved meanwhile.
STALE_FIELDS = {"title": "Intitulé du poste", "description": "Description", "hours_per_week": "Heures par semaine",
                "positions": "Nombre de postes", "start_date": "Date de début", "postcode": "Code postal",
                "max_distance_km": "Distance maximale", "french_level": "Niveau de français exigé",
                "driving_licence": "Permis B exigé"}


def _render_form(values, errors, need=None, status=200, conflict=None):
    rows = list(values.get("members") or [])
    rows += [{"employer_id": None, "positions": None, "hours_per_week": None}] * max(0, FORM_MEMBER_ROWS - len(rows))
    return render_template("pooled/form.html", values=values, errors=errors, need=need, member_rows=rows,
                           employers=_employers(), contracts=pooling.CARRIER_CONTRACTS, conflict=conflict,
                           levels=FRENCH_LEVELS), status


def _parse_members(form) -> tuple[list[dict[str, Any]], list[str]]:
    """Member rows of the form: an employer and its share (positions or hours per week)."""
    members, errors = [], []
    for i in range(int(form.get("member_rows") or FORM_MEMBER_ROWS)):
        employer_id = (form.get(f"member-{i}-employer") or "").strip()
        positions, hours = (form.get(f"member-{i}-positions") or "").strip(), (form.get(f"member-{i}-hours") or "").strip()
        if not employer_id:
            if positions or hours:
                errors.append(f"Ligne {i + 1} des membres : choisissez l'employeur.")
            continue
        share: dict[str, Any] = {"employer_id": employer_id, "positions": None, "hours_per_week": None}
        try:
            if positions:
                share["positions"] = int(positions)
            if hours:
                share["hours_per_week"] = float(hours.replace(",", "."))
        except ValueError:
            errors.append(f"Ligne {i + 1} des membres : un nombre est attendu.")
            continue
        members.append(share)
    return members, errors


def _save(need: dict[str, Any] | None, pooled: dict[str, Any] | None):
    form = request.form
    values = form.to_dict()
    members, member_errors = _parse_members(form)
    values["members"] = members
    contract = values.get("carrier_contract") or ""
    data, errors = validation.clean_need({**values, "contract": pooling.CARRIER_CONTRACTS.get(contract, "CDDI")})
    if contract not in pooling.CARRIER_CONTRACTS:
        errors["carrier_contract"] = "Contrat de la structure porteuse : choisissez dans la liste."
    for name, label in (("training_body", "Organisme de formation"), ("training_plan", "Plan de formation")):
        limit = validation.MAX_SHORT_TEXT if name == "training_body" else validation.MAX_LONG_TEXT
        if len(values.get(name) or "") > limit:
            errors[name] = f"{label} : {limit} caractères au plus."
    db = get_db()
    known = {e["id"] for e in _employers()}
    unknown = [m["employer_id"] for m in members if m["employer_id"] not in known]
    if unknown:
        member_errors.append(f"Employeur inconnu : {unknown[0]}.")
    if not member_errors:
        member_errors = pooling.share_errors([pooling.Share(**m) for m in members],
                                             positions=data.get("positions"), hours_per_week=data.get("hours_per_week"),
                                             carrier_id=current_org()["id"])
    if member_errors:
        errors["members"] = " ".join(member_errors)
    if errors:
        return _render_form(values, errors, need, 400)
    entries = skillmap.suggest(engine().mapper, [(s["text"], s["required"]) for s in data.get("skills", [])])
    row = {**data, "employer_id": current_org()["id"], "rome_code": careers.rome_code(db, data.get("title", "")),
           "skill_map": skillmap.merge(entries, need["skill_map"] if need else [])}
    terms = {k: (values.get(k) or "").strip() or None for k in ("training_body", "training_plan")}
    terms["carrier_contract"] = contract
    try:
        with storage.transaction(db):
            if need is None:
                need_id = storage.create_pooled_need(db, row, terms, members)
            else:
                need_id = need["id"]
                storage.update_pooled_need(db, need_id, row, terms, members,
                                           expected_version=conflicts.submitted_version(form))
            audit("création" if need is None else "modification", "pooled_need", need_id)
    except storage.StaleVersion as exc:
        conflict = conflicts.stale_form(exc, exc.current, values, STALE_FIELDS, flags=("driving_licence",))
        return _render_form({**values, "version": exc.current["version"]}, {}, need, 409, conflict)
    except storage.Conflict as exc:
        errors["members" if "membre" in str(exc) else "reference"] = str(exc)
        return _render_form(values, errors, need, 400)
    flash("Besoin mutualisé enregistré.", "success")
    return redirect(url_for("pooled.follow", pooled_id=need_id))


@carrier_bp.route("/nouveau", methods=["GET", "POST"])
def new():
    if not permissions.can_carry_pooled_need(current_user(), current_org()):
        flash("Seule une association intermédiaire, un GEIQ ou une ETTI porte un besoin mutualisé "
              "(elle embauche et met à disposition des membres).", "error")
        return redirect(url_for("pooled.index"))
    if request.method == "GET":
        return _render_form(_form_values(None, None), {})
    return _save(None, None)


@carrier_bp.route("/<int:pooled_id>/modifier", methods=["GET", "POST"])
def edit(pooled_id: int):
    need, pooled = _managed(pooled_id)
    if request.method == "GET":
        return _render_form(_form_values(need, pooled), {}, need)
    return _save(need, pooled)


# -- the carrier: following candidates, hires and hours --------------------------------------------
@carrier_bp.get("/<int:pooled_id>")
def follow(pooled_id: int):
    need, pooled = _managed(pooled_id)
    db = get_db()
    proposals = storage.list_proposals(db, need_id=pooled_id)
    assignments = storage.list_assignments(db, pooled_id)
    return render_template("pooled/follow.html", need=need, pooled=pooled, proposals=proposals,
                           labels=workflow.STATE_LABELS, assignments=assignments,
                           hours=_hours_table(storage.list_hours(db, pooled_id), pooled),
                           hired=sum(1 for p in proposals if p["status"] == workflow.HIRED))


def _hours_table(records: list[dict[str, Any]], pooled: Mapping[str, Any]) -> dict[str, Any]:
    """Hours done per month and member (rows: months; columns: members in the need's order)."""
    months: dict[str, dict[str, float]] = {}
    for r in records:
        months.setdefault(r["month"], {}).setdefault(r["employer_id"], 0.0)
        months[r["month"]][r["employer_id"]] += r["hours"]
    members = [m for m in pooled["members"] if any(m["employer_id"] in v for v in months.values())]
    return {"months": sorted(months.items()), "members": members,
            "totals": {m["employer_id"]: sum(v.get(m["employer_id"], 0.0) for v in months.values()) for m in members}}


@carrier_bp.get("/<int:pooled_id>/propositions/<int:proposal_id>")
def proposal(pooled_id: int, proposal_id: int):
    need, pooled = _managed(pooled_id)
    row = _proposal_of(pooled_id, proposal_id)
    db = get_db()
    if row["status"] == workflow.PROPOSED and row["siae_id"] != current_org()["id"]:
        # The carrier is the employer of a pooled need: its first look is the employer's.
        row = storage.transition_proposal(db, proposal_id, workflow.SEEN, actor=current_org()["name"])
    audit("consultation d'une candidature (besoin mutualisé)", "proposal", proposal_id)
    person = candidate_view(storage.get_profile(db, row["profile_id"])) if permissions.can_see_candidate(
        current_user(), row) else None
    allowed = [s for s in workflow.allowed_transitions(row["status"])
               if permissions.can_answer_proposal(current_user(), row, s)]
    return render_template("pooled/proposal.html", need=need, pooled=pooled, proposal=row, person=person,
                           labels=workflow.STATE_LABELS, reasons=workflow.REFUSAL_REASONS, next_states=allowed,
                           assignments=storage.list_assignments(db, pooled_id, proposal_id=proposal_id),
                           events=storage.proposal_events(db, proposal_id, shared_only=row["siae_id"] != current_org()["id"]),
                           today=date.today().isoformat())


def parse_assignments(raw: Mapping[str, Any], members: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Placements typed on the hire form: hours per week for each member (blank: none), one start date."""
    errors: list[str] = []
    start = (raw.get("start_date") or "").strip() or date.today().isoformat()
    try:
        start = date.fromisoformat(start).isoformat()
    except ValueError:
        errors.append("Date de début de la mise à disposition : format AAAA-MM-JJ attendu.")
    assignments = []
    for employer_id in members:
        text = str(raw.get(f"hours-{employer_id}") or "").strip()
        if not text:
            continue
        try:
            hours = float(text.replace(",", "."))
        except ValueError:
            errors.append(f"Heures chez {employer_id} : un nombre est attendu.")
            continue
        if hours:
            assignments.append({"employer_id": employer_id, "hours_per_week": hours, "start_date": start})
    return assignments, errors


def hire(db, need: Mapping[str, Any], pooled: Mapping[str, Any], proposal: Mapping[str, Any],
         assignments: list[dict[str, Any]], *, actor: str, note: str = "", internal: bool = False,
         expected_version: int | None = None) -> list[str]:
    """The carrier hires for a pooled need and places the person with members, in one transaction.

    Returns French errors (nothing is stored while there are some). Used by the page and the API.
    """
    errors = pooling.assignment_errors(assignments, pooled["member_ids"], contract_hours=need.get("hours_per_week"))
    if errors:
        return errors
    with storage.transaction(db):
        storage.transition_proposal(db, proposal["id"], workflow.HIRED, actor=actor, note=note, internal=internal,
                                    expected_version=expected_version)
        storage.assign_hire(db, proposal["id"], assignments, actor=actor)
    return []


@carrier_bp.post("/<int:pooled_id>/propositions/<int:proposal_id>/reponse")
def answer(pooled_id: int, proposal_id: int):
    need, pooled = _managed(pooled_id)
    row = _proposal_of(pooled_id, proposal_id)
    status = request.form.get("status", "")
    back = redirect(url_for("pooled.proposal", pooled_id=pooled_id, proposal_id=proposal_id))
    if status not in workflow.STATE_LABELS or not permissions.can_answer_proposal(current_user(), row, status):
        flash("Cette réponse n'est pas possible pour cette candidature.", "error")
        return back
    db = get_db()
    note = (request.form.get("note") or "").strip()[: validation.MAX_LONG_TEXT]
    actor = current_org()["name"]
    internal = row["siae_id"] == current_org()["id"]
    try:
        if status == workflow.HIRED:
            assignments, errors = parse_assignments(request.form, pooled["member_ids"])
            errors = errors or hire(db, need, pooled, row, assignments, actor=actor, note=note, internal=internal,
                                    expected_version=conflicts.submitted_version(request.form))
            if errors:
                flash(" ".join(errors), "error")
                return back
        else:
            storage.transition_proposal(db, proposal_id, status, actor=actor, reason=request.form.get("reason") or None,
                                        note=note, internal=internal,
                                        expected_version=conflicts.submitted_version(request.form))
    except storage.StaleVersion:
        flash("La candidature a changé pendant votre saisie : rien n'a été enregistré. Voici son état actuel.", "error")
        return back
    except storage.Conflict as exc:
        flash(str(exc), "error")
        return back
    flash("Embauche enregistrée et mise à disposition des membres." if status == workflow.HIRED
          else "Réponse enregistrée : la structure qui a proposé est informée.", "success")
    return back


def _month_arg(value: str | None) -> str:
    if value and validation.MONTH.match(value):
        return value
    today = date.today()
    return f"{today.year:04d}-{today.month:02d}"


def _active_in(assignment: Mapping[str, Any], month: str) -> bool:
    return assignment["start_date"][:7] <= month and (not assignment.get("end_date") or assignment["end_date"][:7] >= month)


@carrier_bp.route("/<int:pooled_id>/heures", methods=["GET", "POST"])
def hours(pooled_id: int):
    """The month's hours of mise à disposition, per hire and member: estimated, then recorded as done."""
    need, pooled = _managed(pooled_id)
    db = get_db()
    month = _month_arg(request.values.get("mois"))
    active = [a for a in storage.list_assignments(db, pooled_id) if _active_in(a, month)]
    recorded = {(r["assignment_id"]): r for r in storage.list_hours(db, pooled_id) if r["month"] == month}
    errors: dict[int, str] = {}
    if request.method == "POST":
        values: dict[int, float] = {}
        for a in active:
            text = (request.form.get(f"hours-{a['id']}") or "").strip().replace(",", ".")
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                errors[a["id"]] = "Un nombre d'heures est attendu."
                continue
            if not 0 <= value <= pooling.MAX_MONTH_HOURS:
                errors[a["id"]] = f"Entre 0 et {pooling.MAX_MONTH_HOURS:g} heures dans le mois."
            else:
                values[a["id"]] = value
        if not errors:
            with storage.transaction(db):
                changed = sum(storage.record_hours(db, a_id, month, value, actor=current_org()["name"])
                              for a_id, value in values.items())
                audit("heures de mise à disposition", "pooled_need", pooled_id, f"{month} : {changed} ligne(s)")
            flash(f"Heures de {month} enregistrées ({changed} modifiée(s)).", "success")
            return redirect(url_for("pooled.hours", pooled_id=pooled_id, mois=month))
    rows = [{"assignment": a, "recorded": recorded.get(a["id"]),
             "estimate": pooling.estimated_month_hours(a["hours_per_week"], month),
             "value": request.form.get(f"hours-{a['id']}") if request.method == "POST" else None,
             "error": errors.get(a["id"])} for a in active]
    return render_template("pooled/hours.html", need=need, pooled=pooled, month=month, rows=rows,
                           working_days=pooling.working_days(month)), (400 if errors else 200)


# -- members --------------------------------------------------------------------------------------
@member_bp.get("/<int:pooled_id>")
def view(pooled_id: int):
    need, pooled = _pooled(pooled_id)
    db = get_db()
    org_id = current_org()["id"]
    proposals = storage.list_proposals(db, need_id=pooled_id)
    assignments = storage.list_assignments(db, pooled_id, employer_id=org_id)
    by_month: dict[str, float] = {}
    for r in storage.list_hours(db, pooled_id, employer_id=org_id):
        by_month[r["month"]] = by_month.get(r["month"], 0.0) + r["hours"]
    share = next(m for m in pooled["members"] if m["employer_id"] == org_id)
    return render_template("pooled/member.html", need=need, pooled=pooled, proposals=proposals,
                           labels=workflow.STATE_LABELS, assignments=assignments, share=share,
                           lots=storage.lots_of_titulaire(db, org_id),
                           records=[{"month": m, "hours": h} for m, h in sorted(by_month.items())],
                           entries=skillmap.labelled(need["skill_map"], engine().taxonomy))


@member_bp.get("/<int:pooled_id>/propositions/<int:proposal_id>")
def member_proposal(pooled_id: int, proposal_id: int):
    need, pooled = _pooled(pooled_id)
    row = _proposal_of(pooled_id, proposal_id)
    if not permissions.can_see_candidate(current_user(), row):
        return render_template("employer/withdrawn.html", proposal=row, labels=workflow.STATE_LABELS)
    audit("consultation d'une candidature (membre d'un besoin mutualisé)", "proposal", proposal_id)
    db = get_db()
    return render_template("pooled/member_proposal.html", proposal=row, labels=workflow.STATE_LABELS,
                           person=candidate_view(storage.get_profile(db, row["profile_id"])),
                           reasons=workflow.REFUSAL_REASONS, pooled=pooled,
                           events=storage.proposal_events(db, proposal_id, shared_only=True))


@member_bp.post("/<int:pooled_id>/lot")
def link_lot(pooled_id: int):
    """A member that is a lot's titulaire chooses the lot its share serves (or none)."""
    need, pooled = _pooled(pooled_id)
    db = get_db()
    lot_id = request.form.get("lot_id", type=int)
    if lot_id is not None:
        try:
            lot = storage.get_lot(db, lot_id)
        except storage.NotFound:
            abort(404)
        if not permissions.can_link_pooled_share_to_lot(current_user(), pooled, lot):
            abort(404)
    with storage.transaction(db):
        storage.link_member_lot(db, pooled_id, current_org()["id"], lot_id)
        audit("lot servi par un besoin mutualisé", "pooled_need", pooled_id, str(lot_id or "aucun"))
    flash("Lot enregistré : les heures de mise à disposition chez vous prépareront ses déclarations."
          if lot_id else "Plus aucun lot lié à ce besoin mutualisé.", "success")
    return redirect(url_for("member.view", pooled_id=pooled_id))


# -- the hours of mise à disposition feed the clause of a member's lot -------------------------------
def prepare_line_for_placement(db, change: storage.PooledHoursChange) -> int | None:
    """A pooled-hours listener: hours recorded for a hire placed with a member that linked its share to
    one of its lots become that lot's draft declaration line of the month (created, or its hours
    corrected). Returns the line id; None when nothing is prepared: no lot linked, the lot awarded to
    someone else since, a month outside the contract or still to come, or a declaration already sent
    (the titulaire and the buyer then settle it on the declaration itself).

    As for a direct hire, the eligibility category is never copied: the proposing structure's CRE
    confirms it with the person's agreement (``declarations.confirm_eligibility``).
    """
    assignment = change.assignment
    pooled = storage.get_pooled(db, assignment["need_id"])
    share = next((m for m in pooled["members"] if m["employer_id"] == assignment["employer_id"]), None)
    if not share or not share.get("lot_id"):
        return None
    lot = storage.get_lot(db, share["lot_id"])
    if lot.get("titulaire_id") != assignment["employer_id"]:
        return None
    contract = storage.get_contract(db, lot["contract_id"])
    if change.month not in declarations.declarable_months(contract):
        return None
    proposal = storage.get_proposal(db, assignment["proposal_id"])
    participant = storage.participant_by_profile(db, contract["id"], proposal["profile_id"])
    if participant is None:
        participant_id = storage.save_participant(db, {
            "contract_id": contract["id"], "reference": declarations.participant_reference(proposal["id"]),
            "profile_id": proposal["profile_id"], "proposal_id": proposal["id"], "siae_id": proposal["siae_id"],
            "exit_situation": "en_cours"})
        participant = storage.get_participant(db, participant_id)
    declaration = storage.ensure_declaration(db, contract["id"], lot["id"], change.month)
    if declaration["status"] not in storage.EDITABLE_STATUSES:
        return None
    carrier = storage.get_organisation(db, pooled["carrier_id"])
    fields = pooling.ledger_line(carrier=carrier, carrier_contract=pooled["carrier_contract"], lot_id=lot["id"],
                                 participant_id=participant["id"], month=change.month, hours=change.hours,
                                 start_date=assignment["start_date"], end_date=assignment.get("end_date"))
    line = {k: fields[k] for k in ("hours", "modality", "employer_name", "contract_type", "contract_start",
                                   "contract_end")}
    line.update(participant_reference=participant["reference"], participant_id=participant["id"],
                proposal_id=proposal["id"], exit_situation=participant.get("exit_situation") or "en_cours")
    lines = storage.declaration_lines(db, declaration["id"])
    existing = next((l for l in lines if l["participant_reference"] == participant["reference"]
                     and l["modality"] == line["modality"]), None)
    if change.hours <= 0:
        if existing is not None:  # no hours this month after all: the prepared line goes
            storage.replace_declaration_lines(db, declaration["id"], [l for l in lines if l["id"] != existing["id"]])
        return None
    if existing is None:
        line_id = storage.add_declaration_line(db, declaration["id"], line)
    else:
        line_id = existing["id"]
        storage.update_declaration_line(db, line_id, {**existing, **line})
    storage.add_declaration_event(db, declaration["id"], "heures de mise à disposition préparées par Passerelle "
                                  f"({pooled['carrier_name']})", actor=change.actor)
    return line_id


def _hours_listener(db, change: storage.PooledHoursChange) -> None:
    prepare_line_for_placement(db, change)


def init_app(app) -> None:
    app.register_blueprint(carrier_bp)
    app.register_blueprint(member_bp)
    storage.on_pooled_hours(_hours_listener)
