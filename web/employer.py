"""Employer space: post and edit needs, see the candidates proposed, answer them.

An employer sees a proposed person's first name, skills and the explanation
of the match, with the CRE's message: never eligibility criteria, the CRE's
notes, or the profiles nobody proposed.
"""
from __future__ import annotations

from typing import Any

from datetime import datetime, timedelta, timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

import followup
import permissions
import storage
import workflow
from matching import FRENCH_LEVELS
from notifications import events

from . import careers, clause_links, conflicts, csvio, skillmap, validation
from .db import get_db
from .engine import engine
from .auth import audit
from .filters import when_fr
from .spaces import current_org, current_user, space_required

bp = Blueprint("employer", __name__, url_prefix="/employeur")

@bp.before_request
@space_required("employer")
def _require_employer():
    return None


def _org_id() -> str:
    return current_org()["id"]


def _own_need(need_id: int) -> dict[str, Any]:
    try:
        need = storage.get_need(get_db(), need_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_edit_need(current_user(), need):
        abort(404)
    return need


def _own_proposal(proposal_id: int) -> dict[str, Any]:
    try:
        proposal = storage.get_proposal(get_db(), proposal_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_view_proposal(current_user(), proposal) or not permissions.can_edit_need(
            current_user(), {"employer_id": proposal["employer_id"]}):
        # A member of a pooled need reads its candidates on the member pages, and never answers them.
        abort(404)
    return proposal


@bp.get("/")
def needs():
    db = get_db()
    status = request.args.get("statut", "ouvert")
    if status not in storage.NEED_STATUSES and status != "tous":
        abort(400)
    rows = storage.list_needs(db, employer_id=_org_id(), status=None if status == "tous" else status)
    counts = {}
    for p in storage.list_proposals(db, employer_id=_org_id()):
        counts[p["need_id"]] = counts.get(p["need_id"], 0) + 1
    pooled = storage.list_pooled_needs(db, member_id=_org_id(), status=None if status == "tous" else status)
    return render_template("employer/needs.html", needs=rows, counts=counts, status=status,
                           statuses=storage.NEED_STATUSES, pooled=pooled)


def _need_values(row: dict | None) -> dict[str, Any]:
    if row is None:
        return {"positions": 1}
    skills = row.get("skills") or []
    return {**row, "skills_required": "\n".join(s["text"] for s in skills if s.get("required", True)),
            "skills_wanted": "\n".join(s["text"] for s in skills if not s.get("required", True)),
            "lot_id": row.get("lot_id") or ""}


# The need form's fields, as a stale form lists what the other person changed.
NEED_FIELDS = {
    "reference": "Référence", "title": "Intitulé du poste", "description": "Description",
    "skills_required": "Compétences indispensables", "skills_wanted": "Compétences souhaitées",
    "contract": "Type de contrat", "hours_per_week": "Heures par semaine", "positions": "Nombre de postes",
    "start_date": "Date de début", "driving_licence": "Permis B exigé", "french_level": "Niveau de français exigé",
    "postcode": "Code postal", "max_distance_km": "Distance maximale (km)", "lot_id": "Lot de marché public lié",
}


def _render_need_form(values, entries, errors, need=None, map_errors=(), conflict=None):
    return render_template(
        "employer/need_form.html", values=values, errors=errors, map_errors=map_errors, need=need,
        own_lots=storage.lots_of_titulaire(get_db(), _org_id()), lot_label=clause_links.lot_label,
        entries=skillmap.labelled(entries, engine().taxonomy), levels=FRENCH_LEVELS, contracts=workflow.CONTRACTS,
        skill_labels=sorted(s.label for s in engine().taxonomy.skills.values()), conflict=conflict,
    ), (409 if conflict else 400 if errors or map_errors else 200)


@bp.route("/besoins/nouveau", methods=["GET", "POST"])
def new_need():
    if request.method == "GET":
        return _render_need_form(_need_values(None), [], {})[0]
    return _save_need(None)


@bp.route("/besoins/<int:need_id>/modifier", methods=["GET", "POST"])
def edit_need(need_id: int):
    need = _own_need(need_id)
    if request.method == "GET":
        return _render_need_form(_need_values(need), need["skill_map"], {}, need)[0]
    return _save_need(need)


def _save_need(need: dict | None):
    form = request.form
    values = form.to_dict()
    data, errors = validation.clean_need(values)
    eng = engine()
    entries = skillmap.suggest(eng.mapper, [(s["text"], s["required"]) for s in data.get("skills", [])])
    entries = skillmap.merge(entries, need["skill_map"] if need else [])
    entries, map_errors = skillmap.apply_form(entries, form, eng.taxonomy)
    if form.get("action") == "verifier":
        # Only the reading of the skills was asked for: the rest of the form is not judged yet.
        return _render_need_form(values, entries, {}, need, map_errors)
    db = get_db()
    link = data.pop("link", None)
    if link is not None and "lot_id" not in errors:  # among the employer's own lots only
        data["lot_id"], problem = clause_links.resolve(db, _org_id(), link)
        if problem:
            errors["lot_id"] = problem
    if errors or map_errors:
        return _render_need_form(values, entries, errors, need, map_errors)
    row = {**data, "skill_map": entries, "employer_id": _org_id(), "rome_code": careers.rome_code(db, data.get("title", ""))}
    try:
        if need is None:
            need_id = storage.create_need(db, row)
        else:
            need_id = need["id"]
            storage.update_need(db, need_id, row, expected_version=conflicts.submitted_version(form))
    except storage.StaleVersion as exc:
        conflict = conflicts.stale_form(exc, _need_values(exc.current), values, NEED_FIELDS,
                                        flags=("driving_licence",))
        return _render_need_form({**values, "version": exc.current["version"]}, entries, {}, exc.current,
                                 conflict=conflict)
    except storage.Conflict as exc:
        return _render_need_form(values, entries, {"reference": str(exc)}, need)
    flash("Besoin enregistré.", "success")
    return redirect(url_for("employer.need", need_id=need_id))


@bp.post("/besoins/<int:need_id>/statut")
def need_status(need_id: int):
    _own_need(need_id)
    status = request.form.get("status")
    if status not in storage.NEED_STATUSES:
        abort(400)
    storage.update_need(get_db(), need_id, {"status": status})
    flash(f"Besoin : {storage.NEED_STATUSES[status].lower()}.", "success")
    return redirect(url_for("employer.need", need_id=need_id))


@bp.get("/besoins/<int:need_id>")
def need(need_id: int):
    row = _own_need(need_id)
    stale_days = current_app.config["STALE_NEED_DAYS"]
    quiet_since = (datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=stale_days)).isoformat()
    return render_template("employer/need.html", need=row, labels=workflow.STATE_LABELS,
                           entries=skillmap.labelled(row["skill_map"], engine().taxonomy),
                           proposals=storage.list_proposals(get_db(), need_id=need_id), statuses=storage.NEED_STATUSES,
                           stale=row["status"] == "ouvert" and (row.get("updated_at") or "") <= quiet_since,
                           stale_days=stale_days)


@bp.post("/besoins/<int:need_id>/confirmer")
def confirm_need(need_id: int):
    """« Toujours ouvert » after the reminder: the need's clock starts again."""
    row = _own_need(need_id)
    if row["status"] != "ouvert":
        flash("Ce besoin n'est plus ouvert.", "error")
    else:
        storage.update_need(get_db(), need_id, {})
        flash("Merci : le besoin reste ouvert et visible des structures d'insertion.", "success")
    return redirect(url_for("employer.need", need_id=need_id))


def candidate_view(profile: dict[str, Any]) -> dict[str, Any]:
    """What an employer may see of a proposed person: first name, skills, experiences, availability —
    never eligibility, notes, the structure's reference or contact details."""
    return {"first_name": profile["first_name"],
            "skills": [e for e in skillmap.labelled(profile["skill_map"], engine().taxonomy) if e.get("label")],
            "skills_text": profile["skills_text"], "experiences": profile["experiences"],
            "availability": profile["availability"], "part_time": profile["part_time"]}


@bp.get("/candidatures")
def proposals():
    return render_template("employer/proposals.html", labels=workflow.STATE_LABELS,
                           proposals=storage.list_proposals(get_db(), employer_id=_org_id()))


@bp.get("/candidatures/<int:proposal_id>")
def proposal(proposal_id: int):
    row = _own_proposal(proposal_id)
    db = get_db()
    if not row.get("consent_at"):
        # The person withdrew consent (or was erased): nothing about them is shown any more.
        return render_template("employer/withdrawn.html", proposal=row, labels=workflow.STATE_LABELS)
    audit("consultation d'une candidature", "proposal", proposal_id)
    if row["status"] == workflow.PROPOSED:
        row = storage.transition_proposal(db, proposal_id, workflow.SEEN, actor=current_org()["name"])
    person = candidate_view(storage.get_profile(db, row["profile_id"]))
    allowed = [s for s in workflow.allowed_transitions(row["status"]) if permissions.employer_may_move_to(row, s)]
    return render_template("employer/proposal.html", proposal=row, person=person, labels=workflow.STATE_LABELS,
                           reasons=workflow.REFUSAL_REASONS, next_states=allowed,
                           events=storage.proposal_events(db, proposal_id, shared_only=True),
                           contact=_cre_contact(row), interview=storage.current_interview(db, proposal_id),
                           modes=storage.INTERVIEW_MODES, interview_statuses=storage.INTERVIEW_STATUSES,
                           can_propose_interview=permissions.can_propose_interview(current_user(), row),
                           plan=storage.followup_plan_for_proposal(db, proposal_id), values={}, errors={},
                           today=storage.today().isoformat())


def _cre_contact(proposal: dict[str, Any]) -> dict[str, Any]:
    """Whom the employer calls about a candidature: the proposing CRE (name, phone, e-mail)."""
    user = events.proposer(get_db(), proposal)
    structure = storage.get_organisation(get_db(), proposal["siae_id"])
    return {"name": user["name"] if user else proposal.get("proposed_by"), "phone": (user or {}).get("phone"),
            "email": (user or {}).get("email"), "structure": structure["name"]}


@bp.post("/candidatures/<int:proposal_id>/entretien")
def propose_interview(proposal_id: int):
    """The employer proposes a slot; the CRE confirms it or asks for another (both get an .ics)."""
    row = _own_proposal(proposal_id)
    if not permissions.can_propose_interview(current_user(), row):
        flash("Un entretien ne peut plus être proposé pour cette candidature.", "error")
        return redirect(url_for("employer.proposal", proposal_id=proposal_id))
    data, errors = validation.clean_interview(request.form.to_dict(), today=storage.today())
    if errors:
        flash("Entretien non enregistré : " + " ".join(errors.values()), "error")
        return redirect(url_for("employer.proposal", proposal_id=proposal_id) + "#entretien")
    db = get_db()
    with storage.transaction(db):
        interview_id = storage.propose_interview(db, proposal_id, data, by_user_id=current_user()["id"])
        if row["status"] != workflow.INTERVIEW and workflow.INTERVIEW in workflow.allowed_transitions(row["status"]):
            # The move's notification is the interview's (the listener sees the slot waiting).
            storage.transition_proposal(db, proposal_id, workflow.INTERVIEW, actor=current_org()["name"],
                                        note=f"Entretien proposé le {when_fr(data['starts_at'])}")
        else:
            events.interview_proposed(db, row, storage.get_interview(db, interview_id))
    flash("Entretien proposé : la CRE le confirme ou propose un autre créneau.", "success")
    return redirect(url_for("employer.proposal", proposal_id=proposal_id) + "#entretien")


@bp.post("/candidatures/<int:proposal_id>/reponse")
def answer(proposal_id: int):
    row = _own_proposal(proposal_id)
    status = request.form.get("status", "")
    if status not in permissions.EMPLOYER_STATES:
        flash("Réponse inconnue.", "error")
        return redirect(url_for("employer.proposal", proposal_id=proposal_id))
    if not permissions.can_answer_proposal(current_user(), row, status):
        flash("La personne a retiré son accord : cette candidature ne peut plus qu'être close (refus).", "error")
        return redirect(url_for("employer.proposal", proposal_id=proposal_id))
    try:
        storage.transition_proposal(get_db(), proposal_id, status, actor=current_org()["name"],
                                    reason=request.form.get("reason") or None,
                                    note=(request.form.get("note") or "").strip()[: validation.MAX_LONG_TEXT],
                                    expected_version=conflicts.submitted_version(request.form))
    except storage.StaleVersion:
        flash("La CRE a fait avancer cette candidature pendant votre saisie : rien n'a été enregistré. "
              "Voici son état actuel.", "error")
    except storage.Conflict as exc:
        flash(str(exc), "error")
    else:
        flash("Réponse enregistrée : la CRE est informée.", "success")
    return redirect(url_for("employer.proposal", proposal_id=proposal_id))


# -- after the hire: the tutor's side of the follow-up ------------------------------------
def _own_plan(plan_id: int) -> dict[str, Any]:
    try:
        plan = storage.get_followup_plan(get_db(), plan_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_view_followup(current_user(), plan):
        abort(404)
    return plan


@bp.get("/suivis")
def followups():
    return render_template("employer/followups.html",
                           plans=storage.list_followup_plans(get_db(), employer_id=_org_id()),
                           statuses=storage.PLAN_STATUSES)


@bp.route("/suivis/<int:plan_id>", methods=["GET", "POST"])
def followup_plan(plan_id: int):
    """The employer names the tutor and leaves short assessments; the CRE's check-in notes stay hers."""
    plan = _own_plan(plan_id)
    db = get_db()
    errors: dict[str, str] = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        if not permissions.can_assess_followup(current_user(), plan):
            abort(403)
        if request.form.get("action") == "tuteur":
            data, errors = validation.clean_followup_plan(
                {k: request.form.get(k) for k in ("tutor_name", "tutor_phone", "tutor_email")}, cre_ids=set())
            if not errors:
                storage.update_followup_plan(db, plan_id, {k: data[k] for k in ("tutor_name", "tutor_phone",
                                                                                 "tutor_email")})
                flash("Tuteur enregistré.", "success")
                return redirect(url_for("employer.followup_plan", plan_id=plan_id))
        elif request.form.get("action") == "appreciation":
            ratings = {k: request.form.get(k, type=int) for k in followup.ASSESSMENT_CRITERIA}
            errors = followup.check_assessment(ratings)
            comment = (request.form.get("comment") or "").strip()
            if len(comment) > followup.MAX_ACTION_TEXT:
                errors["comment"] = f"Commentaire : {followup.MAX_ACTION_TEXT} caractères au plus."
            if not errors:
                author = (request.form.get("author_name") or "").strip()[:120] or current_user()["name"]
                with storage.transaction(db):
                    assessment_id = storage.add_tutor_assessment(db, plan_id, {**ratings, "comment": comment},
                                                                 author_name=author,
                                                                 author_user_id=current_user()["id"])
                    events.tutor_assessment_added(db, plan, {**ratings, "comment": comment, "author_name": author,
                                                             "id": assessment_id})
                flash("Appréciation envoyée à la CRE. Merci !", "success")
                return redirect(url_for("employer.followup_plan", plan_id=plan_id))
        else:
            abort(400)
    return render_template("employer/followup.html", plan=plan, checkins=storage.list_checkins(db, plan_id),
                           assessments=storage.list_tutor_assessments(db, plan_id),
                           criteria=followup.ASSESSMENT_CRITERIA, levels=followup.ASSESSMENT_LEVELS,
                           can_assess=permissions.can_assess_followup(current_user(), plan), errors=errors,
                           values=values), (400 if errors else 200)


@bp.route("/import/besoins", methods=["GET", "POST"])
def import_needs():
    page = {"what": "des besoins", "columns": csvio.NEED_COLUMNS,
            "preview_columns": (("reference", "Référence"), ("title", "Poste"), ("contract", "Contrat"),
                                ("postcode", "Code postal"), ("city", "Commune"), ("start_date", "Début"))}
    if request.method == "GET":
        return render_template("import.html", report=None, text="", **page)
    upload = request.files.get("file")
    decoded = csvio.uploaded(upload, request.form.get("text"))
    text = decoded.text
    report = csvio.parse_needs(text).add_decoding(decoded)
    db = get_db()
    for number, data in report.rows:
        link = data.pop("link", None)
        if link is not None:  # the lot, among the employer's own only; stored as the need's lot_id
            data["lot_id"], problem = clause_links.resolve(db, _org_id(), link)
            if problem:
                report.errors.append((number, problem))
    if request.form.get("action") != "importer" or not report.ok:
        return render_template("import.html", report=report, text=text, **page), (200 if report.ok else 400)
    counts = storage.upsert_needs(db, [{**data, "employer_id": _org_id()} for _, data in report.rows])
    flash(f"Import terminé : {counts['created']} créé(s), {counts['updated']} mis à jour, "
          f"{counts['unchanged']} inchangé(s).", "success")
    for warning in report.warnings:
        flash(warning, "error")
    return redirect(url_for("employer.needs"))


@bp.get("/export/besoins.csv")
def export_needs():
    rows = storage.list_needs(get_db(), employer_id=_org_id(), status=None)
    return csvio.response(csvio.export((csvio.need_export_row(r) for r in rows), csvio.NEED_COLUMNS), "besoins.csv")


@bp.get("/export/candidatures.csv")
def export_proposals():
    # As on the pages: a person who withdrew consent (or was erased) is no longer named to the employer.
    rows = [{**p, "employer": p["employer_name"], "profile_reference": None,
             "first_name": p["first_name"] if p.get("consent_at") else "Candidature retirée"}
            for p in storage.list_proposals(get_db(), employer_id=_org_id())]
    return csvio.response(csvio.export(rows, csvio.PROPOSAL_COLUMNS), "candidatures.csv")
