"""CRE space, after the proposal: interviews, follow-up plans after a hire, exit outcomes and the
taux de sorties dynamiques, the caseload. Routes of the CRE blueprint (``web/cre.py`` imports this
module), so the same guard and the same ``cre.*`` endpoints apply."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

import followup
import outcomes
import permissions
import storage
import workflow
from notifications import events

from . import csvio, validation
from .auth import audit, current_user
from .cre import _own_profile, _own_proposal, bp
from .db import get_db
from .spaces import current_org

# A person without any action for this long is "sans nouvelle action" in the caseload filter.
QUIET_DAYS = 30
CASELOAD_FILTERS = {"": "Toutes les personnes", "miennes": "Celles que je suis", "en_cours": "Avec une proposition en cours",
                    "suivi": "En suivi après l'embauche", "retard": "Suivi en retard",
                    "inactives": f"Sans action depuis {QUIET_DAYS} jours"}
CASELOAD_SORTS = {"ancienne": "Dernière action : la plus ancienne d'abord",
                  "recente": "Dernière action : la plus récente d'abord", "nom": "Prénom"}
ACTION_LABELS = {**workflow.STATE_LABELS, "note": "Note de suivi", "point_de_suivi": "Point de suivi après l'embauche",
                 "sortie": "Sortie enregistrée", "profil": "Profil mis à jour"}


def _org_id() -> str:
    return current_org()["id"]


def _own_plan(plan_id: int) -> dict[str, Any]:
    try:
        plan = storage.get_followup_plan(get_db(), plan_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_edit_followup(current_user(), plan):
        abort(404)
    return plan


def _cre_accounts() -> list[dict[str, Any]]:
    return storage.org_members(get_db(), _org_id(), role="cre")


# -- interview: the CRE's answer -----------------------------------------------------
@bp.post("/propositions/<int:proposal_id>/entretien")
def interview_answer(proposal_id: int):
    proposal = _own_proposal(proposal_id)
    if not permissions.can_answer_interview(current_user(), proposal):
        abort(404)
    db = get_db()
    interview = storage.current_interview(db, proposal_id)
    answer = request.form.get("answer")
    if interview is None or answer not in (storage.INTERVIEW_CONFIRMED, storage.INTERVIEW_OTHER_SLOT):
        flash("Aucun créneau à confirmer.", "error")
        return redirect(url_for("cre.proposal", proposal_id=proposal_id))
    note = (request.form.get("note") or "").strip()[:1000]
    if answer == storage.INTERVIEW_OTHER_SLOT and not note:
        flash("Indiquez les disponibilités de la personne pour un autre créneau.", "error")
        return redirect(url_for("cre.proposal", proposal_id=proposal_id) + "#entretien")
    try:
        with storage.transaction(db):
            answered = storage.answer_interview(db, interview["id"], answer, by_user_id=current_user()["id"], note=note)
            events.interview_answered(db, proposal, answered)
    except storage.Conflict as exc:
        flash(str(exc), "error")
    else:
        flash("Entretien confirmé : l'employeur est prévenu, l'invitation est jointe au courriel."
              if answer == storage.INTERVIEW_CONFIRMED else "Demande d'un autre créneau envoyée à l'employeur.",
              "success")
    return redirect(url_for("cre.proposal", proposal_id=proposal_id) + "#entretien")


# -- follow-up after the hire ----------------------------------------------------------
@bp.get("/suivis")
def followups():
    db = get_db()
    today = storage.today()
    status = request.args.get("etat", "en_cours")
    if status not in storage.PLAN_STATUSES and status != "tous":
        abort(400)
    plans = storage.list_followup_plans(db, siae_id=_org_id(), status=None if status == "tous" else status)
    rows = []
    for plan in plans:
        checkins = storage.list_checkins(db, plan["id"])
        pending = [c for c in checkins if not c["done_at"]]
        rows.append({**plan, "next": pending[0] if pending else None,
                     "overdue": sum(followup.is_overdue(c, today) for c in checkins),
                     "done": len(checkins) - len(pending), "count": len(checkins)})
    rows.sort(key=lambda r: (-r["overdue"], r["next"]["due_on"] if r["next"] else "9999"))
    return render_template("cre/followups.html", plans=rows, status=status, statuses=storage.PLAN_STATUSES)


@bp.get("/suivis/<int:plan_id>")
def followup_plan(plan_id: int):
    plan = _own_plan(plan_id)
    return _render_plan(plan, {}, {})


def _render_plan(plan: dict[str, Any], errors: dict[str, str], values: dict[str, Any], status: int = 200):
    db = get_db()
    today = storage.today()
    checkins = storage.list_checkins(db, plan["id"])
    audit("consultation du suivi", "followup_plan", plan["id"])
    return render_template(
        "cre/followup.html", plan=plan, checkins=checkins, today=today.isoformat(),
        overdue={c["id"] for c in checkins if followup.is_overdue(c, today)},
        assessments=storage.list_tutor_assessments(db, plan["id"]), situations=followup.SITUATIONS,
        difficulties=followup.DIFFICULTIES, criteria=followup.ASSESSMENT_CRITERIA, levels=followup.ASSESSMENT_LEVELS,
        contracts=workflow.CONTRACTS, cres=_cre_accounts(), statuses=storage.PLAN_STATUSES, errors=errors,
        values=values, outcome=storage.exit_outcome_for_profile(db, plan["profile_id"]),
        max_day=(date.fromisoformat(plan["hired_on"]) + timedelta(days=followup.MAX_FOLLOWUP_DAYS)).isoformat(),
    ), status


@bp.post("/suivis/<int:plan_id>")
def update_followup(plan_id: int):
    plan = _own_plan(plan_id)
    data, errors = validation.clean_followup_plan(request.form.to_dict(),
                                                  cre_ids={u["id"] for u in _cre_accounts()})
    if errors:
        return _render_plan(plan, errors, request.form.to_dict(), 400)
    storage.update_followup_plan(get_db(), plan_id, data)
    audit("modification du suivi", "followup_plan", plan_id)
    flash("Suivi mis à jour.", "success")
    return redirect(url_for("cre.followup_plan", plan_id=plan_id))


@bp.post("/suivis/<int:plan_id>/points")
def add_checkin(plan_id: int):
    plan = _own_plan(plan_id)
    errors: dict[str, str] = {}
    due = validation.date_field(request.form.get("due_on"), "Date du point", errors, "due_on")
    if due:
        try:
            storage.add_checkin(get_db(), plan_id, due)
        except storage.Conflict as exc:
            errors["due_on"] = str(exc)
    if errors:
        return _render_plan(plan, errors, request.form.to_dict(), 400)
    flash("Point de suivi ajouté.", "success")
    return redirect(url_for("cre.followup_plan", plan_id=plan_id))


def _own_checkin(checkin_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        checkin = storage.get_checkin(get_db(), checkin_id)
    except storage.NotFound:
        abort(404)
    return checkin, _own_plan(checkin["plan_id"])


@bp.post("/suivis/points/<int:checkin_id>")
def checkin(checkin_id: int):
    """Record a check-in (situation, difficulties, action taken), move its date, or remove it."""
    row, plan = _own_checkin(checkin_id)
    db = get_db()
    action = request.form.get("action", "enregistrer")
    try:
        if action == "enregistrer":
            difficulties = request.form.getlist("difficulties")
            errors = followup.check_checkin(request.form.get("situation"), difficulties,
                                            request.form.get("action_taken", ""))
            if errors:
                return _render_plan(plan, {f"checkin-{checkin_id}-{k}": v for k, v in errors.items()},
                                    request.form.to_dict(), 400)
            storage.record_checkin(db, checkin_id, situation=request.form["situation"], difficulties=difficulties,
                                   action=request.form.get("action_taken", "").strip(),
                                   recorded_by=current_user()["name"])
            audit("point de suivi", "followup_plan", plan["id"], f"J+{row['day_offset']}")
            flash("Point de suivi enregistré." + (" La personne a quitté le poste : pensez à enregistrer sa sortie."
                                                  if request.form["situation"] == followup.LEFT_JOB else ""),
                  "success")
        elif action == "deplacer":
            errors: dict[str, str] = {}
            due = validation.date_field(request.form.get("due_on"), "Nouvelle date", errors, f"checkin-{checkin_id}-due")
            if errors:
                return _render_plan(plan, errors, request.form.to_dict(), 400)
            storage.move_checkin(db, checkin_id, due)
            flash("Point de suivi déplacé.", "success")
        elif action == "supprimer":
            storage.delete_checkin(db, checkin_id)
            flash("Point de suivi retiré.", "success")
        else:
            abort(400)
    except storage.Conflict as exc:
        return _render_plan(plan, {f"checkin-{checkin_id}-due": str(exc)}, request.form.to_dict(), 400)
    return redirect(url_for("cre.followup_plan", plan_id=plan["id"]) + f"#point-{checkin_id}")


# -- exit outcomes ------------------------------------------------------------------------
def _outcome_prefill(db, profile: dict[str, Any]) -> dict[str, Any]:
    """From the last hire recorded in Passerelle: its contract, duration, employer and sector."""
    plans = storage.list_followup_plans(db, profile_id=profile["id"])
    if not plans:
        return {"exit_date": storage.today().isoformat()}
    plan = plans[0]
    employer = storage.get_organisation(db, plan["employer_id"])
    return {"exit_date": plan["hired_on"], "detail": outcomes.detail_from_hire(plan.get("contract_type")) or "",
            "contract_type": plan.get("contract_type"), "contract_months": plan.get("contract_months") or "",
            "employer_name": employer["name"], "sector": employer.get("sector") or "",
            "proposal_id": plan["proposal_id"], "from_hire": True}


@bp.route("/profils/<int:profile_id>/sortie", methods=["GET", "POST"])
def exit_outcome(profile_id: int):
    profile = _own_profile(profile_id)
    db = get_db()
    current = storage.exit_outcome_for_profile(db, profile_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        data, errors = validation.clean_exit_outcome(request.form.to_dict(), today=storage.today())
        if not errors:
            try:
                storage.save_exit_outcome(db, profile_id, data, recorded_by=current_user()["name"])
            except storage.Conflict as exc:
                errors["detail"] = str(exc)
            else:
                audit("sortie enregistrée", "profile", profile_id, data["detail"])
                flash("Sortie enregistrée.", "success")
                return redirect(url_for("cre.outcomes_dashboard"))
        values = request.form.to_dict()
    else:
        values = current or _outcome_prefill(db, profile)
    return render_template("cre/outcome_form.html", profile=profile, values=values, errors=errors, current=current,
                           details=outcomes.EXIT_DETAILS, categories=outcomes.CATEGORIES,
                           sectors=_known_sectors(db), min_months=outcomes.DURABLE_MIN_MONTHS), (400 if errors else 200)


def _known_sectors(db) -> list[str]:
    return sorted({o["sector"] for o in storage.list_organisations(db, "employer") if o.get("sector")})


def _period() -> tuple[str | None, str | None, list[str]]:
    errors = []
    bounds = []
    for name in ("du", "au"):
        value = request.args.get(name) or None
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                errors.append(f"Période : « {value} » n'est pas une date (AAAA-MM-JJ).")
                value = None
        bounds.append(value)
    return bounds[0], bounds[1], errors


GROUPS = {"trimestre": ("Par trimestre", lambda o: outcomes.quarter_of(o["exit_date"])),
          "secteur": ("Par secteur", lambda o: o.get("sector") or "Secteur non renseigné")}


@bp.get("/sorties")
def outcomes_dashboard():
    """The structure's taux de sorties dynamiques and its parts, by quarter and by sector."""
    if not permissions.can_view_exit_outcomes(current_user(), _org_id()):
        abort(404)
    since, until, errors = _period()
    rows = storage.list_exit_outcomes(get_db(), _org_id(), since=since, until=until)
    overall = outcomes.exit_rates(rows, lambda o: "total").get("total", outcomes.RateCell())
    tables = {key: (label, outcomes.exit_rates(rows, group)) for key, (label, group) in GROUPS.items()}
    return render_template("cre/outcomes.html", overall=overall, tables=tables, categories=outcomes.CATEGORIES,
                           dynamic=outcomes.DYNAMIC_CATEGORIES, since=since or "", until=until or "",
                           errors=errors), (400 if errors else 200)


@bp.get("/sorties/liste")
def outcomes_list():
    """The exits behind one figure of the dashboard (a group, optionally one category)."""
    if not permissions.can_view_exit_outcomes(current_user(), _org_id()):
        abort(404)
    since, until, errors = _period()
    group, value, category = request.args.get("groupe"), request.args.get("valeur"), request.args.get("categorie")
    if (group and group not in GROUPS) or (category and category not in outcomes.CATEGORIES) or errors:
        abort(400)
    rows = storage.list_exit_outcomes(get_db(), _org_id(), since=since, until=until)
    if group:
        rows = [o for o in rows if GROUPS[group][1](o) == value]
    if category:
        rows = [o for o in rows if o["category"] == category]
    title = " · ".join(x for x in (value, outcomes.CATEGORIES.get(category or "")) if x) or "Toutes les sorties"
    return render_template("cre/outcome_list.html", rows=rows, title=title, details=outcomes.EXIT_DETAILS,
                           categories=outcomes.CATEGORIES)


OUTCOME_COLUMNS = ("profile_reference", "first_name", "exit_date", "quarter", "category", "category_label", "detail",
                   "detail_label", "contract_type", "contract_months", "employer_name", "sector", "from_passerelle")


@bp.get("/export/sorties.csv")
def export_outcomes():
    if not permissions.can_view_exit_outcomes(current_user(), _org_id()):
        abort(404)
    since, until, errors = _period()
    if errors:
        abort(400)
    rows = [{**o, "quarter": outcomes.quarter_of(o["exit_date"]), "category_label": outcomes.CATEGORIES[o["category"]],
             "detail_label": outcomes.EXIT_DETAILS[o["detail"]].label, "from_passerelle": bool(o.get("proposal_id"))}
            for o in storage.list_exit_outcomes(get_db(), _org_id(), since=since, until=until)]
    audit("export des sorties", "siae", _org_id(), f"{len(rows)} sorties")
    return csvio.response(csvio.export(rows, OUTCOME_COLUMNS), "sorties.csv")


# -- caseload --------------------------------------------------------------------------------
@bp.get("/portefeuille")
def caseload():
    """My people: last action and when, next follow-up, proposals in progress; filters and sort."""
    user = current_user()
    db = get_db()
    kind = request.args.get("filtre", "")
    sort = request.args.get("tri", "ancienne")
    if kind not in CASELOAD_FILTERS or sort not in CASELOAD_SORTS:
        abort(400)
    query = (request.args.get("q") or "").strip().lower()
    today = storage.today()
    quiet_before = (datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=QUIET_DAYS)).isoformat()
    rows = storage.caseload(db, _org_id())
    overdue_people = {c["profile_id"] for c in storage.overdue_checkins(db, today=today, siae_id=_org_id())}
    keep = {
        "": lambda r: True,
        "miennes": lambda r: user["id"] in r["proposer_ids"] | r["followup_cre_ids"],
        "en_cours": lambda r: bool(r["open_proposals"]),
        "suivi": lambda r: bool(r["next_checkin"]),
        "retard": lambda r: r["id"] in overdue_people,
        "inactives": lambda r: (r["last_action_at"] or "") < quiet_before,
    }[kind]
    rows = [r for r in rows if keep(r) and (not query or query in (r["first_name"] or "").lower()
                                             or query in r["reference"].lower())]
    if sort == "nom":
        rows.sort(key=lambda r: ((r["first_name"] or "").lower(), r["reference"]))
    else:
        rows.sort(key=lambda r: r["last_action_at"] or "", reverse=sort == "recente")
    return render_template("cre/caseload.html", rows=rows, filters=CASELOAD_FILTERS, sorts=CASELOAD_SORTS,
                           kind=kind, sort=sort, q=request.args.get("q", ""), labels=ACTION_LABELS,
                           overdue=overdue_people, details=outcomes.EXIT_DETAILS, states=workflow.STATE_LABELS)
