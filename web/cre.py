"""CRE / CIP space: profiles, needs with ranked candidates, proposals, imports and exports."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

import eligibility
import permissions
import storage
import workflow
from matching import FRENCH_LEVELS
from matching.text import split_list

from . import careers, clause_status, conflicts, csvio, declarations, hidden_market, skillmap, validation
from .db import get_db
from .engine import GOOD_MATCH_SCORE, engine, snapshot
from .auth import audit, current_user
from .spaces import current_org, space_required

bp = Blueprint("cre", __name__, url_prefix="/cre")

DEFAULT_CANDIDATES = 20
MAX_CANDIDATES = 100


@bp.before_request
@space_required("cre")
def _require_cre():
    return None


def _org_id() -> str:
    return current_org()["id"]


def _own_profile(profile_id: int) -> dict[str, Any]:
    """A profile of the CRE's own structure, or 404 (never another structure's)."""
    try:
        profile = storage.get_profile(get_db(), profile_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_view_profile(current_user(), profile):
        abort(404)
    return profile


def _need(need_id: int) -> dict[str, Any]:
    try:
        need = storage.get_need(get_db(), need_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_view_need(current_user(), need):
        abort(404)
    return need


def _own_proposal(proposal_id: int) -> dict[str, Any]:
    try:
        proposal = storage.get_proposal(get_db(), proposal_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_follow_proposal(current_user(), proposal):
        abort(404)
    return proposal


def _own_profile_ids() -> list[int]:
    return [p["id"] for p in storage.list_profiles(get_db(), siae_id=_org_id())]


# -- dashboard ------------------------------------------------------------------
@bp.get("/")
def dashboard():
    db = get_db()
    needs = storage.list_needs(db)
    best = engine().best_scores(db, needs, _own_profile_ids())
    without_good = [n | {"best": best[n["id"]]} for n in needs if best[n["id"]] < GOOD_MATCH_SCORE]
    return render_template(
        "cre/dashboard.html", counts=storage.proposal_counts(db, siae_id=_org_id()), labels=workflow.STATE_LABELS,
        without_good=without_good, never_proposed=storage.profiles_never_proposed(db, siae_id=_org_id()),
        threshold=GOOD_MATCH_SCORE, overdue=storage.overdue_checkins(db, today=storage.today(), siae_id=_org_id()),
    )


# -- profiles -------------------------------------------------------------------
@bp.get("/profils")
def profiles():
    show_archived = request.args.get("archives") == "1"
    rows = storage.list_profiles(get_db(), siae_id=_org_id(), include_archived=show_archived,
                                 search=request.args.get("q") or None)
    return render_template("cre/profiles.html", profiles=rows, q=request.args.get("q", ""), show_archived=show_archived)


def _profile_values(row: Mapping[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {"eligibility": [], "experiences": ""}
    values = dict(row)
    values["experiences"] = "\n".join(row.get("experiences") or [])
    values["consent"] = bool(row.get("consent_at"))
    return values


def _form_values(form) -> dict[str, Any]:
    values = form.to_dict()
    values["eligibility"] = form.getlist("eligibility")
    return values


# The profile form's fields, as a stale form lists what the other person changed.
PROFILE_FIELDS = {
    "reference": "Référence", "first_name": "Prénom", "skills_text": "Compétences", "experiences": "Expériences",
    "formation": "Formation", "informal_skills": "Compétences informelles", "description": "Description",
    "driving_licence": "Permis B", "vehicle": "Véhicule", "mobility_km": "Mobilité (km)",
    "french_level": "Niveau de français", "availability": "Disponibilité", "part_time": "Temps partiel",
    "postcode": "Code postal", "path_start": "Début de parcours", "path_end": "Fin de parcours",
    "eligibility": "Éligibilité", "consent": "Consentement", "notes": "Notes",
}
PROFILE_FLAGS = ("driving_licence", "vehicle", "part_time", "consent")


def _render_profile_form(values, entries, errors, profile=None, map_errors=(), conflict=None):
    return render_template(
        "cre/profile_form.html", values=values, entries=skillmap.labelled(entries, engine().taxonomy),
        errors=errors, map_errors=map_errors, profile=profile, levels=FRENCH_LEVELS,
        categories=eligibility.CATEGORIES, skill_labels=_skill_labels(), conflict=conflict,
    ), (409 if conflict else 400 if errors or map_errors else 200)


def _skill_labels() -> list[str]:
    return sorted(s.label for s in engine().taxonomy.skills.values())


@bp.route("/profils/nouveau", methods=["GET", "POST"])
def new_profile():
    if request.method == "GET":
        return _render_profile_form(_profile_values(None), [], {})[0]
    return _save_profile(None)


@bp.route("/profils/<int:profile_id>/modifier", methods=["GET", "POST"])
def edit_profile(profile_id: int):
    profile = _own_profile(profile_id)
    if request.method == "GET":
        return _render_profile_form(_profile_values(profile), profile["skill_map"], {}, profile)[0]
    return _save_profile(profile)


def _save_profile(profile: dict | None):
    form = request.form
    values = _form_values(form)
    data, errors = validation.clean_profile(values)
    eng = engine()
    entries = skillmap.suggest(eng.mapper, [(values.get("skills_text", ""), True)])
    entries = skillmap.merge(entries, profile["skill_map"] if profile else [])
    entries, map_errors = skillmap.apply_form(entries, form, eng.taxonomy)
    if form.get("action") == "verifier":
        # Only the reading of the skills was asked for: the rest of the form is not judged yet.
        return _render_profile_form(values, entries, {}, profile, map_errors)
    if errors or map_errors:
        return _render_profile_form(values, entries, errors, profile, map_errors)
    db = get_db()
    row = {**_with_consent(data, profile), "skill_map": entries, "siae_id": _org_id(),
           "rome_code": careers.rome_code(db, *data.get("experiences", []))}
    try:
        with storage.transaction(db):  # the change and its audit row together
            if profile is None:
                profile_id = storage.create_profile(db, row)
            else:
                profile_id = profile["id"]
                storage.update_profile(db, profile_id, row, expected_version=conflicts.submitted_version(form))
            audit("création" if profile is None else "modification", "profile", profile_id)
    except storage.StaleVersion as exc:
        conflict = conflicts.stale_form(exc, _profile_values(exc.current), values, PROFILE_FIELDS,
                                        flags=PROFILE_FLAGS)
        return _render_profile_form({**values, "version": exc.current["version"]}, entries, {}, exc.current,
                                    conflict=conflict)
    except storage.Conflict as exc:
        return _render_profile_form(values, entries, {"reference": str(exc)}, profile)
    flash("Profil enregistré.", "success")
    return redirect(url_for("cre.profile", profile_id=profile_id))


def _with_consent(data: dict[str, Any], profile: dict | None) -> dict[str, Any]:
    """The consent checkbox becomes who recorded the person's agreement, and when."""
    data = dict(data)
    given = data.pop("consent", False)
    if given and not (profile and profile.get("consent_at")):
        data.update(consent_at=storage.now(), consent_by=current_user()["name"])
    elif not given:
        data.update(consent_at=None, consent_by=None)
    return data


@bp.get("/profils/<int:profile_id>")
def profile(profile_id: int):
    row = _own_profile(profile_id)
    audit("consultation", "profile", profile_id)
    db = get_db()
    offers = engine().needs_for_profile(db, profile_id, storage.list_needs(db)) if not row["archived"] else []
    source, paths = careers.career_paths(db, engine().profile_for(row)) if not row["anonymised_at"] else ("", [])
    good_offer = any(not m.blocking and m.score >= GOOD_MATCH_SCORE for _, m in offers)
    approach = []
    if not row["archived"] and not good_offer:
        # No posted need fits well: the employers of the network who hire what the person does or could do.
        from . import outreach

        entries = outreach.visible_entries(db, current_user(), current_org())
        approach = hidden_market.employers_to_approach(
            db, row, entries, storage.list_potentials(db, (e["id"] for e in entries)), own_siae=_org_id(),
            targets=hidden_market.targets_for(db, row, paths))
    return render_template(
        "cre/profile.html", profile=row, entries=skillmap.labelled(row["skill_map"], engine().taxonomy),
        offers=offers[:10], proposals=storage.list_proposals(db, profile_id=profile_id), paths=paths,
        paths_source=source, good_offer=good_offer, approach=approach[:3], approach_count=len(approach),
        categories=eligibility.CATEGORIES, labels=workflow.STATE_LABELS,
    )


@bp.get("/profils/<int:profile_id>/donnees.json")
def export_person(profile_id: int):
    """Right of access: everything held about the person, as a JSON file."""
    _own_profile(profile_id)
    audit("export des données (droit d'accès)", "profile", profile_id)
    data = storage.person_export(get_db(), profile_id)
    response = jsonify(data)
    response.headers["Content-Disposition"] = f'attachment; filename="personne-{profile_id}.json"'
    return response


@bp.post("/profils/<int:profile_id>/anonymiser")
def anonymise(profile_id: int):
    """Right to erasure: the person disappears; clause hours they did still count."""
    _own_profile(profile_id)
    if request.form.get("confirm") != "ANONYMISER":
        flash("Pour anonymiser, tapez ANONYMISER dans le champ de confirmation.", "error")
        return redirect(url_for("cre.profile", profile_id=profile_id))
    with storage.transaction(get_db()):
        storage.anonymise_profile(get_db(), profile_id)
        audit("anonymisation (droit à l'effacement)", "profile", profile_id)
    flash("Personne anonymisée : ses données sont effacées, les heures de clause restent comptées.", "success")
    return redirect(url_for("cre.profiles"))


@bp.post("/profils/<int:profile_id>/archiver")
def archive_profile(profile_id: int):
    row = _own_profile(profile_id)
    # The form says which state it wants (not "toggle"): two people clicking at once agree.
    wanted = request.form.get("archived")
    archived = (not row["archived"]) if wanted not in ("0", "1") else wanted == "1"
    if bool(row["archived"]) != archived:
        with storage.transaction(get_db()):
            storage.set_profile_archived(get_db(), profile_id, archived)
            audit("archivage" if archived else "réactivation", "profile", profile_id)
    flash("Profil archivé : il n'est plus proposé." if archived else "Profil réactivé.", "success")
    return redirect(url_for("cre.profile", profile_id=profile_id))


# -- needs and candidates ---------------------------------------------------------
@bp.get("/besoins")
def needs():
    db = get_db()
    rows = storage.list_needs(db)
    best = engine().best_scores(db, rows, _own_profile_ids())
    return render_template("cre/needs.html", needs=rows, best=best, threshold=GOOD_MATCH_SCORE,
                           pooled=storage.pooled_by_need(db, (n["id"] for n in rows)))


def _filters() -> tuple[dict[str, Any], list[str]]:
    errors = []
    filters: dict[str, Any] = {"max_km": None, "blocked": request.args.get("bloques", "1") == "1",
                               "top": DEFAULT_CANDIDATES}
    max_km = request.args.get("km", "").strip()
    if max_km:
        try:
            filters["max_km"] = float(max_km.replace(",", "."))
            if filters["max_km"] <= 0:
                raise ValueError
        except ValueError:
            errors.append("Distance : un nombre de kilomètres positif est attendu.")
            filters["max_km"] = None
    top = request.args.get("n", "").strip()
    if top:
        if top.isdigit() and 1 <= int(top) <= MAX_CANDIDATES:
            filters["top"] = int(top)
        else:
            errors.append(f"Nombre de candidats : entre 1 et {MAX_CANDIDATES}.")
    return filters, errors


@bp.get("/besoins/<int:need_id>")
def need(need_id: int):
    row = _need(need_id)
    db = get_db()
    filters, errors = _filters()
    matches = engine().rank(db, row, top=filters["top"], include_blocked=filters["blocked"],
                            max_distance_km=filters["max_km"], profile_ids=_own_profile_ids())
    profiles = {str(p["id"]): p for p in storage.list_profiles(db, siae_id=_org_id())}
    proposed = {p["profile_id"] for p in storage.list_proposals(db, need_id=need_id)}
    pooled = storage.get_pooled(db, need_id)
    return render_template(
        "cre/need.html", need=row, employer=storage.get_organisation(db, row["employer_id"]),
        matches=matches, profiles=profiles, proposed=proposed, filters=filters, errors=errors,
        entries=skillmap.labelled(row["skill_map"], engine().taxonomy), pooled=pooled,
        can_manage=bool(pooled) and permissions.can_manage_pooled_need(current_user(), pooled),
        can_edit_drafted=permissions.can_edit_drafted_need(current_user(), row),
    ), (400 if errors else 200)


@bp.post("/besoins/<int:need_id>/proposer")
def propose(need_id: int):
    row = _need(need_id)
    profile_id = request.form.get("profile_id", type=int)
    if profile_id is None:
        abort(400)
    _own_profile(profile_id)
    message = (request.form.get("message") or "").strip()
    if len(message) > validation.MAX_LONG_TEXT:
        flash("Message trop long.", "error")
        return redirect(url_for("cre.need", need_id=need_id))
    db = get_db()
    [match] = engine().rank(db, row, top=1, profile_ids=[profile_id]) or [None]
    if match is None:
        abort(404)
    try:
        proposal_id = storage.create_proposal(db, need_id=need_id, profile_id=profile_id, message=message,
                                              score=match.score, explanation=snapshot(match),
                                              proposed_by=current_org()["name"], proposer_id=current_user()["id"])
    except storage.Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for("cre.need", need_id=need_id))
    flash("Candidature proposée à l'employeur.", "success")
    return redirect(url_for("cre.proposal", proposal_id=proposal_id))


# -- proposals ------------------------------------------------------------------
@bp.get("/propositions")
def proposals():
    status = request.args.get("etat") or None
    if status and status not in workflow.STATE_LABELS:
        abort(400)
    return render_template("cre/proposals.html", labels=workflow.STATE_LABELS, status=status,
                           proposals=storage.list_proposals(get_db(), siae_id=_org_id(), status=status))


@bp.get("/propositions/<int:proposal_id>")
def proposal(proposal_id: int):
    row = _own_proposal(proposal_id)
    db = get_db()
    profile = storage.get_profile(db, row["profile_id"])
    clause_rows = []
    for participant in storage.participants_of_proposal(db, proposal_id):
        if permissions.can_confirm_clause_eligibility(current_user(), participant):
            accepted = clause_status.accepted_categories(participant)  # joined with its contract's qpv_priority
            clause_rows.append((participant, [c for c in (profile.get("eligibility") or []) if c in accepted]))
    return render_template(
        "cre/proposal.html", proposal=row, events=storage.proposal_events(db, proposal_id),
        labels=workflow.STATE_LABELS, reasons=workflow.REFUSAL_REASONS,
        next_states=[s for s in workflow.allowed_transitions(row["status"])
                     if permissions.can_answer_proposal(current_user(), row, s)], taxonomy=engine().taxonomy,
        clause_rows=clause_rows, categories=eligibility.CATEGORIES,
        interview=storage.current_interview(db, proposal_id), modes=storage.INTERVIEW_MODES,
        interview_statuses=storage.INTERVIEW_STATUSES, plan=storage.followup_plan_for_proposal(db, proposal_id),
        can_answer_interview=permissions.can_answer_interview(current_user(), row),
    )


@bp.post("/propositions/<int:proposal_id>/clause/<int:participant_id>")
def clause_eligibility(proposal_id: int, participant_id: int):
    """Transmit (or withdraw) a hired person's eligibility category to the buyer of a clause.

    Only with the person's agreement (ticked here by the CRE who collected it), only a category of the
    person's profile; the proof stays with the structure."""
    row = _own_proposal(proposal_id)
    db = get_db()
    participant = next((p for p in storage.participants_of_proposal(db, proposal_id) if p["id"] == participant_id),
                       None)
    if participant is None or not permissions.can_confirm_clause_eligibility(current_user(), participant):
        abort(404)
    consent = request.form.get("action") != "retirer" and request.form.get("consent") == "oui"
    if request.form.get("action") != "retirer" and not consent:
        flash("Cochez l'accord de la personne : sans lui, sa catégorie n'est pas transmise.", "error")
        return redirect(url_for("cre.proposal", proposal_id=proposal_id))
    try:
        declarations.confirm_eligibility(db, participant, storage.get_profile(db, row["profile_id"]),
                            category=request.form.get("category"), proof_date=request.form.get("proof_date"),
                            consent=consent, structure_name=current_org()["name"], actor=current_user()["name"])
    except declarations.DeclarationError as exc:
        flash(str(exc), "error")
    else:
        audit("transmission de la catégorie d'éligibilité (clause)" if consent else
              "retrait de la catégorie d'éligibilité (clause)", "participant", participant_id)
        flash("Catégorie transmise à l'acheteur (le justificatif reste chez vous)." if consent else
              "Catégorie retirée : les heures de la personne ne comptent plus pour la clause.", "success")
    return redirect(url_for("cre.proposal", proposal_id=proposal_id))


@bp.post("/propositions/<int:proposal_id>/etat")
def proposal_transition(proposal_id: int):
    row = _own_proposal(proposal_id)
    target = request.form.get("status", "")
    if not permissions.can_answer_proposal(current_user(), row, target):
        flash("L'embauche d'un besoin mutualisé est faite par la structure porteuse, qui met la personne à "
              "disposition des membres : elle vous en informera.", "error")
        return redirect(url_for("cre.proposal", proposal_id=proposal_id))
    try:
        storage.transition_proposal(get_db(), proposal_id, target, actor=current_org()["name"],
                                    reason=request.form.get("reason") or None,
                                    note=request.form.get("note", "").strip()[: validation.MAX_LONG_TEXT],
                                    internal=True, expected_version=conflicts.submitted_version(request.form))
    except storage.StaleVersion:
        flash("Quelqu'un d'autre a fait avancer cette candidature pendant votre saisie : rien n'a été enregistré. "
              "Voici son état actuel.", "error")
    except storage.Conflict as exc:
        flash(str(exc), "error")
    else:
        flash("Suivi mis à jour.", "success")
    return redirect(url_for("cre.proposal", proposal_id=proposal_id))


@bp.post("/propositions/<int:proposal_id>/note")
def proposal_note(proposal_id: int):
    _own_proposal(proposal_id)
    note = (request.form.get("note") or "").strip()
    if not note:
        flash("La note est vide.", "error")
    else:
        storage.add_proposal_note(get_db(), proposal_id, note[: validation.MAX_LONG_TEXT], actor=current_org()["name"])
        flash("Note de suivi ajoutée.", "success")
    return redirect(url_for("cre.proposal", proposal_id=proposal_id))


# -- try the engine -------------------------------------------------------------
@bp.route("/essai", methods=["GET", "POST"])
def trial():
    form = request.form
    errors: list[str] = []
    matches, entries = [], []
    if request.method == "POST":
        data, field_errors = validation.clean_need({**form.to_dict(), "contract": "CDI"})
        errors = list(field_errors.values())
        if not errors and not (data.get("title") or data.get("skills")):
            errors.append("Indiquez au moins un intitulé de poste ou une compétence.")
        if not errors:
            eng = engine()
            entries = skillmap.suggest(eng.mapper, [(s["text"], s["required"]) for s in data.get("skills", [])])
            need = eng.need_for({**data, "id": "essai", "skill_map": []})
            matches = eng.rank(get_db(), need, top=DEFAULT_CANDIDATES, profile_ids=_own_profile_ids())
    profiles = {str(p["id"]): p for p in storage.list_profiles(get_db(), siae_id=_org_id())}
    return render_template("cre/trial.html", form=form, errors=errors, matches=matches, profiles=profiles,
                           entries=skillmap.labelled(entries, engine().taxonomy), levels=FRENCH_LEVELS), (
        400 if errors else 200)


# -- CSV ------------------------------------------------------------------------
@bp.route("/import/profils", methods=["GET", "POST"])
def import_profiles():
    page = {"what": "des profils", "columns": csvio.PROFILE_COLUMNS,
            "preview_columns": (("reference", "Référence"), ("first_name", "Prénom"), ("skills_text", "Compétences"),
                                ("postcode", "Code postal"), ("city", "Commune"), ("french_level", "Français"))}
    if request.method == "GET":
        return render_template("import.html", report=None, text="", **page)
    upload = request.files.get("file")
    decoded = csvio.uploaded(upload, request.form.get("text"))
    text = decoded.text
    report = csvio.parse_profiles(text).add_decoding(decoded)
    if request.form.get("action") != "importer" or not report.ok:
        return render_template("import.html", report=report, text=text, **page), (200 if report.ok else 400)
    rows = [{**data, "siae_id": _org_id()} for _, data in report.rows]
    try:
        with storage.transaction(get_db()):
            counts = storage.upsert_profiles(get_db(), rows)
            audit("import CSV", "profiles", _org_id(), f"{counts['created']} créés, {counts['updated']} mis à jour")
    except storage.Conflict as exc:
        report.errors.append((0, str(exc)))
        return render_template("import.html", report=report, text=text, **page), 400
    flash(f"Import terminé : {counts['created']} créé(s), {counts['updated']} mis à jour, "
          f"{counts['unchanged']} inchangé(s).", "success")
    for warning in report.warnings:
        flash(warning, "error")
    return redirect(url_for("cre.profiles"))


@bp.get("/export/profils.csv")
def export_profiles():
    rows = storage.list_profiles(get_db(), siae_id=_org_id(), include_archived=True)
    return csvio.response(csvio.export((csvio.profile_export_row(r) for r in rows), csvio.PROFILE_COLUMNS), "profils.csv")


@bp.get("/export/besoins.csv")
def export_needs():
    rows = storage.list_needs(get_db())
    return csvio.response(csvio.export((csvio.need_export_row(r) for r in rows), ("employer_name",) + csvio.NEED_COLUMNS),
                "besoins.csv")


@bp.get("/export/propositions.csv")
def export_proposals():
    rows = [{**p, "employer": p["employer_name"]} for p in storage.list_proposals(get_db(), siae_id=_org_id())]
    return csvio.response(csvio.export(rows, csvio.PROPOSAL_COLUMNS), "propositions.csv")


# -- insertion clauses: filling the gap ---------------------------------------------
# How far from the work site an eligible person may live to be suggested for a lot.
LOT_RADIUS_KM = 30.0


@bp.get("/clauses")
def clauses():
    """Lots of every contract, those behind first: where insertion hours are wanted."""
    db = get_db()
    rows = []
    for contract in storage.list_contracts(db):
        status = clause_status.contract_status(db, contract)
        for lot, f in status.lots:
            rows.append((contract, lot, f))
    rows.sort(key=lambda r: (r[2].on_track, -float(r[2].missing)))
    return render_template("cre/clauses.html", rows=rows)


@bp.get("/clauses/lots/<int:lot_id>")
def clause_lot(lot_id: int):
    db = get_db()
    try:
        lot = storage.get_lot(db, lot_id)
    except storage.NotFound:
        abort(404)
    contract = storage.get_contract(db, lot["contract_id"])
    status = clause_status.contract_status(db, contract)
    fulfilment = next(f for l, f in status.lots if l["id"] == lot_id)
    accepted = clause_status.accepted_categories(contract)
    eligible_ids = [p["id"] for p in storage.list_profiles(db, siae_id=_org_id())
                    if set(p["eligibility"] or ()) & accepted]
    eng = engine()
    need = eng.need_for({"id": f"lot-{lot_id}", "title": lot["title"], "description": lot.get("trades") or "",
                         "skills": [{"text": t, "required": True} for t in split_list(lot.get("trades") or "")],
                         "skill_map": [], "lat": lot.get("lat"), "lon": lot.get("lon"), "postcode": lot.get("postcode"),
                         "max_distance_km": LOT_RADIUS_KM})
    matches = eng.rank(db, need, top=DEFAULT_CANDIDATES, profile_ids=eligible_ids) if eligible_ids else []
    profiles = {str(p["id"]): p for p in storage.list_profiles(db, siae_id=_org_id())}
    # Only the lot's titulaire links its needs to it (never a typed reference: see clause_links).
    linked = storage.linked_needs(db, lot_id, status="ouvert")
    return render_template("cre/clause_lot.html", contract=contract, lot=lot, fulfilment=fulfilment, matches=matches,
                           profiles=profiles, linked=linked, radius=LOT_RADIUS_KM,
                           categories=eligibility.CATEGORIES)


# Interviews, follow-up after the hire, exit outcomes and the caseload: routes of this blueprint too.
from . import cre_followup  # noqa: E402,F401
